package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// upstream answers every request with a JSON body naming its path and
// counts what reached it.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"query":%q,"body":%q,"padding":"%s"}`, r.URL.Path, r.URL.RawQuery, body, strings.Repeat("x", 64))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func front(t *testing.T, target string, mix Mix, seed uint64) (*Proxy, string) {
	t.Helper()
	p, err := New(target, mix, seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

type outcome struct {
	status int
	body   string
	err    error
}

func call(url, method, path, body string) outcome {
	req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return outcome{status: res.StatusCode, body: string(b), err: err}
}

func TestEachFault(t *testing.T) {
	tests := []struct {
		name      string
		mix       Mix
		path      string
		forwarded bool
		check     func(t *testing.T, o outcome)
	}{
		{"clean", Mix{}, "/idx/_doc/1?refresh=true", true, func(t *testing.T, o outcome) {
			if o.err != nil || o.status != 200 || !strings.Contains(o.body, `"path":"/idx/_doc/1"`) || !strings.Contains(o.body, `"query":"refresh=true"`) || !strings.Contains(o.body, `"body":"{\"a\":1}"`) {
				t.Fatalf("%+v", o)
			}
		}},
		{"drop", Mix{Drop: 1}, "/x", false, func(t *testing.T, o outcome) {
			if o.err == nil {
				t.Fatalf("want a connection error, got %+v", o)
			}
		}},
		{"unavailable", Mix{Unavailable: 1}, "/x", false, func(t *testing.T, o outcome) {
			if o.status != 503 {
				t.Fatalf("%+v", o)
			}
		}},
		{"bulk 429", Mix{Bulk429: 1}, "/_bulk", false, func(t *testing.T, o outcome) {
			if o.status != 429 || !strings.Contains(o.body, "es_rejected_execution_exception") {
				t.Fatalf("%+v", o)
			}
		}},
		{"429 only for _bulk", Mix{Bulk429: 1}, "/idx/_search", true, func(t *testing.T, o outcome) {
			if o.status != 200 {
				t.Fatalf("%+v", o)
			}
		}},
		{"cut after forwarding", Mix{Cut: 1}, "/idx/_bulk", true, func(t *testing.T, o outcome) {
			if !errors.Is(o.err, io.ErrUnexpectedEOF) {
				t.Fatalf("want an unexpected EOF while reading, got %+v", o)
			}
		}},
		{"garble after forwarding", Mix{Garble: 1}, "/x", true, func(t *testing.T, o outcome) {
			if o.err != nil || o.status != 200 || !strings.HasPrefix(o.body, `{"path":"/x"`) || strings.HasSuffix(o.body, "}") {
				t.Fatalf("want a complete answer holding half a JSON body, got %+v", o)
			}
		}},
		{"only other paths", Mix{Unavailable: 1, Only: "/_bulk"}, "/x", true, func(t *testing.T, o outcome) {
			if o.status != 200 {
				t.Fatalf("%+v", o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, hits := upstream(t)
			_, url := front(t, up.URL, tt.mix, 1)
			tt.check(t, call(url, "POST", tt.path, `{"a":1}`))
			if got := hits.Load() == 1; got != tt.forwarded {
				t.Fatalf("forwarded = %v, want %v", got, tt.forwarded)
			}
		})
	}
}

// TestSeededAndProportional checks that a seed fixes the sequence of faults
// and that each share is roughly what was asked for.
func TestSeededAndProportional(t *testing.T) {
	up, _ := upstream(t)
	sequence := func(seed uint64) (string, Stats) {
		p, url := front(t, up.URL, Storm, seed)
		var b strings.Builder
		for i := 0; i < 2000; i++ {
			path := "/idx/_search"
			if i%2 == 0 {
				path = "/_bulk"
			}
			o := call(url, "POST", path, "{}")
			fmt.Fprintf(&b, "%d/%v;", o.status, o.err != nil)
		}
		return b.String(), p.Stats()
	}
	a, st := sequence(7)
	b, _ := sequence(7)
	c, _ := sequence(8)
	if a != b {
		t.Fatal("the same seed gave different fault sequences")
	}
	if a == c {
		t.Fatal("different seeds gave the same fault sequence")
	}
	// 2000 requests: 10% are 503; of the 1000 _bulk requests not 503,
	// 30% are 429; 5% of what remains is cut.
	within := func(name string, got int64, want float64) {
		if float64(got) < want*0.7 || float64(got) > want*1.3 {
			t.Errorf("%s: %d, want about %.0f (%s)", name, got, want, st)
		}
	}
	within("unavailable", st.Unavailable, 200)
	within("bulk429", st.Bulk429, 1000*0.9*0.3)
	within("cut", st.Cut, (2000-200-270)*0.05)
	if st.Requests != 2000 || st.Forwarded != st.Requests-st.Unavailable-st.Bulk429-st.Dropped {
		t.Errorf("stats do not add up: %s", st)
	}
}

func TestMaxFaultsAndSwitch(t *testing.T) {
	up, hits := upstream(t)
	p, url := front(t, up.URL, Mix{Unavailable: 1, MaxFaults: 2}, 1)
	var statuses []int
	for i := 0; i < 4; i++ {
		statuses = append(statuses, call(url, "GET", "/", "").status)
	}
	if fmt.Sprint(statuses) != "[503 503 200 200]" {
		t.Fatalf("statuses %v", statuses)
	}
	p2, url2 := front(t, up.URL, Mix{Unavailable: 1}, 1)
	p2.SetEnabled(false)
	if o := call(url2, "GET", "/", ""); o.status != 200 {
		t.Fatalf("disabled proxy answered %+v", o)
	}
	p2.SetEnabled(true)
	if o := call(url2, "GET", "/", ""); o.status != 503 {
		t.Fatalf("re-enabled proxy answered %+v", o)
	}
	_ = p
	if hits.Load() != 3 {
		t.Fatalf("upstream saw %d requests, want 3", hits.Load())
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	if _, err := New("localhost:9200", Mix{}, 1); err == nil {
		t.Error("a target without scheme was accepted")
	}
	if _, err := New("http://localhost:9200", Mix{Cut: 1.5}, 1); err == nil || !strings.Contains(err.Error(), "cut") {
		t.Errorf("a share above 1: %v", err)
	}
}
