package testbackend

import (
	"reflect"
	"testing"
)

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  string
		want map[string]string
	}{
		{"lines", "A=1\nB=x=y\n", map[string]string{"A": "1", "B": "x=y"}},
		{"noise ignored", "starting\nA=1\nnot a pair\n bad key=2\n", map[string]string{"A": "1"}},
		{"empty value", "A=\n", map[string]string{"A": ""}},
		{"nothing", "", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseValues([]byte(tc.out)); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseValues(%q) = %v, want %v", tc.out, got, tc.want)
			}
		})
	}
}

func TestGetPrefersEnvironment(t *testing.T) {
	t.Setenv("TESTBACKEND_X_URL", "postgres://h:1/db")
	vals, err := Get("no-such-backend", "TESTBACKEND_X_URL")
	if err != nil || vals["TESTBACKEND_X_URL"] != "postgres://h:1/db" {
		t.Fatalf("Get = %v, %v; want the exported value", vals, err)
	}
}

func TestGetUnknownBackend(t *testing.T) {
	if _, err := Get("no-such-backend", "TESTBACKEND_UNSET_KEY"); err == nil {
		t.Fatal("Get of a backend without a script succeeded")
	}
}
