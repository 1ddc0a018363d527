package exepages

import (
	"testing"
)

func TestEnabled(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"", true},
		{"1", true},
		{"true", true},
		{"0", false},
		{"false", false},
		{"off", false},
		{"no", false},
	} {
		got := Enabled(func(k string) string {
			if k == EnvVar {
				return tc.value
			}
			return ""
		})
		if got != tc.want {
			t.Errorf("%s=%q: Enabled = %v, want %v", EnvVar, tc.value, got, tc.want)
		}
	}
}
