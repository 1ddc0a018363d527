package ftest

import (
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestCompareFields(t *testing.T) {
	src := []byte(`{"id":"a","n":3,"f":3.0,"big":18446744073709551615,"s":"x y","l":["a",1],"o":{"k":true},"z":null}`)
	cases := []struct {
		name string
		want map[string]any
		err  string // substring of the only problem; "" for none
	}{
		{"all equal", map[string]any{"id": "a", "n": 3, "f": 3.0, "big": uint64(18446744073709551615), "s": "x y",
			"l": []any{"a", 1}, "o": map[string]any{"k": true}, "z": nil}, ""},
		{"different string", map[string]any{"s": "x  y"}, "field s: got \"x y\""},
		{"integer for a float", map[string]any{"n": 3.0}, "an integer where a float is expected"},
		{"float for an integer", map[string]any{"f": 3}, "a float where an integer is expected"},
		{"large integers exactly", map[string]any{"big": uint64(18446744073709551614)}, "different value"},
		{"missing field", map[string]any{"nope": 1}, "field nope is missing"},
		{"list length", map[string]any{"l": []any{"a"}}, "2 items, want 1"},
		{"nested", map[string]any{"o": map[string]any{"k": false}}, "k: different value"},
		{"null vs value", map[string]any{"z": "x"}, "different value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := compareFields("doc1", tc.want, src)
			switch {
			case tc.err == "" && len(got) != 0:
				t.Fatalf("problems %v", got)
			case tc.err != "" && (len(got) != 1 || !strings.Contains(got[0], tc.err) || !strings.Contains(got[0], "document doc1")):
				t.Fatalf("problems %v, want one with %q", got, tc.err)
			}
		})
	}
}

func TestSpread(t *testing.T) {
	cases := []struct {
		n, k int
		want []int
	}{
		{0, 5, nil},
		{3, 5, []int{0, 1, 2}},
		{10, 1, []int{0}},
		{100, 5, []int{0, 24, 49, 74, 99}},
	}
	for _, tc := range cases {
		if got := Spread(tc.n, tc.k); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Spread(%d, %d) = %v, want %v", tc.n, tc.k, got, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, s := range []string{"small", "Medium", "LARGE", "xlarge"} {
		if _, err := ParseSize(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseSize("huge"); err == nil || !strings.Contains(err.Error(), "DATA_SIZE \"huge\"") {
		t.Errorf("huge: %v", err)
	}
}

func TestProcMeasures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	pid := os.Getpid()
	// Burn some CPU and memory so that the figures are above zero.
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	// CPU time is counted in 10 ms ticks: spin until one shows.
	var cpu float64
	var err error
	for x := 0; cpu == 0 && err == nil; x++ {
		for i := range buf {
			buf[i] += byte(x)
		}
		cpu, err = procCPU(pid)
	}
	if err != nil {
		t.Fatal(err)
	}
	peak, err := procPeakRSS(pid)
	if err != nil || peak < 8<<20 {
		t.Fatalf("peak %v %v", peak, err)
	}
	if err := resetPeakRSS(pid); err != nil {
		t.Fatal(err)
	}
	rss, err := procRSS(pid)
	if err != nil || rss <= 0 {
		t.Fatalf("rss %v %v", rss, err)
	}
	runtime.KeepAlive(buf)
}

func TestSummaryLine(t *testing.T) {
	r := &Result{Source: "dir", Size: Small, ES: "estest",
		First:  SyncResult{Docs: 1000, Seconds: 0.5, CPUSeconds: 0.05, PeakRSS: 40 << 20},
		Second: &SyncResult{Docs: 1000, Created: 10, Updated: 990, Deleted: 10, Seconds: 0.5}}
	if got := r.Summary(); !strings.HasPrefix(got, "FTEST source=dir size=small es=estest docs=1000 seconds=0.50 docs/s=2000 cpu_s=0.05 cpu_us/doc=50 peak_rss_mib=40.0") || !strings.HasSuffix(got, " PASS") {
		t.Errorf("summary %q", got)
	}
	r.Second.Problems = []string{"index search-dir holds 999 documents, want 1000"}
	if got := r.Summary(); !strings.HasSuffix(got, "FAIL (1 problems: second sync: index search-dir holds 999 documents, want 1000)") {
		t.Errorf("summary %q", got)
	}
}
