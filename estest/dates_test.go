package estest

import "testing"

func TestParseISODate(t *testing.T) {
	for _, tc := range []struct {
		in     string
		strict bool
		ok     bool
		ms     int64
	}{
		{"2024-01-02T03:04:05Z", true, true, 1704164645000},
		{"2024-01-02T03:04:05.123+01:00", true, true, 1704161045123},
		{"2024-01-02", true, true, 1704153600000},
		{"2024", true, true, 1704067200000},
		{"12345", true, false, 0},
		{"2024-1-2", true, false, 0},
		{"2024-1-2", false, true, 1704153600000},
		{"2024-02-30", true, false, 0},
		{"2024-01-02T25:00:00Z", true, false, 0},
		{"hello", true, false, 0},
		{"2023-12-04T08:45:50.567149Z", true, true, 1701679550567},
	} {
		ms, ok := parseISODate(tc.in, tc.strict)
		if ok != tc.ok || (ok && ms != tc.ms) {
			t.Errorf("parseISODate(%q, %v) = %d, %v; want %d, %v", tc.in, tc.strict, ms, ok, tc.ms, tc.ok)
		}
	}
}

func TestInstant(t *testing.T) {
	for in, want := range map[string]string{
		"2023-12-04T08:45:50.567149Z":    "2023-12-04T08:45:50.567149Z",
		"2023-05-25T12:30:00Z":           "2023-05-25T12:30:00.000Z",
		"2023-05-25T13:30:00.5+01:00":    "2023-05-25T12:30:00.500Z",
		"2023-05-25T12:30:00.123456789Z": "2023-05-25T12:30:00.123456789Z",
	} {
		got, ok := parseInstant(in)
		if !ok || got != want {
			t.Errorf("parseInstant(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestAnalyze(t *testing.T) {
	for in, want := range map[string]string{
		"The Quick-Brown fox's den": "the quick brown fox's den",
		"example.com v1.5 1,000":    "example.com v1.5 1,000",
		"  ":                        "",
		"snake_case ÜBER":           "snake_case über",
	} {
		got := ""
		for i, tok := range analyze(in) {
			if i > 0 {
				got += " "
			}
			got += tok
		}
		if got != want {
			t.Errorf("analyze(%q) = %q, want %q", in, got, want)
		}
	}
}
