package cli

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cases := []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, serviceGCPercent},
		{map[string]string{"GOGC": "200"}, 100},        // the operator's GOGC (applied by the runtime) wins
		{map[string]string{"GOMEMLIMIT": "1GiB"}, 100}, // so does a memory limit
	}
	for _, tc := range cases {
		debug.SetGCPercent(100)
		tuneGC(func(k string) string { return tc.env[k] })
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("env %v: GC percent %d, want %d", tc.env, got, tc.want)
		}
	}
}
