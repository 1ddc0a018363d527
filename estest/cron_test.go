package estest

import "testing"

func TestValidateCron(t *testing.T) {
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{"0 0 0 * * ?", true},
		{"1 * * * * ?", true},
		{"0 15 10 ? * MON-FRI", true},
		{"0 0/5 14,18 * * ?", true},
		{"0 15 10 L * ?", true},
		{"0 15 10 L-3 * ?", true},
		{"0 15 10 15W * ?", true},
		{"0 15 10 ? * 6L", true},
		{"0 15 10 ? * 6#3", true},
		{"0 0 12 1 1 ? 2030", true},
		{"0 0 12 * JAN-MAR ?", true},
		{"61 0 0 * * ?", false},
		{"0 60 0 * * ?", false},
		{"0 0 24 * * ?", false},
		{"0 0 0 32 * ?", false},
		{"0 0 0 * 13 ?", false},
		{"0 0 0 ? * 8", false},
		{"0 0 0 * * *", false},
		{"0 0 0 ? * ?", false},
		{"0 0 12 * *", false},
		{"0 0 0 * * ? 1900", false},
		{"0 0 0 ? * 6#6", false},
		{"a b c d e f", false},
		{"", false},
	} {
		err := validateCron(tc.expr)
		if (err == nil) != tc.ok {
			t.Errorf("validateCron(%q) = %v, want ok=%v", tc.expr, err, tc.ok)
		}
	}
}
