package rules

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestRegexAgainstPython replays testdata/python_regex.json, which records what Python's re.match
// did with each pattern on each subject (regenerate it with testdata/gen_python_regex.py).
func TestRegexAgainstPython(t *testing.T) {
	data, err := os.ReadFile("testdata/python_regex.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Subjects []string
		Cases    []struct {
			Pattern string
			Valid   bool
			Matches []string
		}
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 80 {
		t.Fatalf("golden file has only %d cases", len(golden.Cases))
	}
	// Python refuses these; regexp2 reads them (\p{L}, a numeric group name). Accepting more than
	// Python is harmless: the pattern then works instead of failing the sync.
	acceptedByUsOnly := []string{`\p{L}`, `(?P<1>a)`}
	for _, c := range golden.Cases {
		re, err := compilePythonRegex(c.Pattern)
		if !c.Valid {
			if err == nil && !slices.Contains(acceptedByUsOnly, c.Pattern) {
				t.Errorf("%q: Python refuses it, we compile it", c.Pattern)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: Python compiles it, we do not: %v", c.Pattern, err)
			continue
		}
		for _, s := range golden.Subjects {
			got, err := re.MatchString(s)
			if err != nil {
				t.Fatalf("%q on %q: %v", c.Pattern, s, err)
			}
			if want := slices.Contains(c.Matches, s); got != want {
				t.Errorf("%q on %q: match=%v, Python %v", c.Pattern, s, got, want)
			}
		}
	}
}

func TestTranslatePattern(t *testing.T) {
	tests := []struct {
		in, out string
		verbose bool
	}{
		{`(?P<year>\d+)-(?P=year)`, `(?<year>\d+)-\k<year>`, false},
		{`abc\Z`, `abc\z`, false},
		{`[\Z]`, `[\Z]`, false},
		{`\_`, `_`, false},
		{`[\_a]`, `[_a]`, false},
		{`a{,3}`, `a{0,3}`, false},
		{`a{,}`, `a{0,}`, false},
		{`a{,x}`, `a{,x}`, false},
		{`\U0001F600`, "\U0001F600", false},
		{`\U0000002E`, `\.`, false},
		{`\é`, `é`, false},
		{`(?u)\w`, `\w`, false},
		{`(?iu)a`, `(?i)a`, false},
		{`(?x) a # (?P<n>`, `(?x) a # (?P<n>`, true},
		{`(?i)(?x)a`, `(?i)(?x)a`, true},
		{`a(?x)b`, `a(?x)b`, false}, // not leading: Python 3.11 refuses it, and so will regexp2's parse of the rest
		{`[(?P<n>]`, `[(?P<n>]`, false},
		{`[]P<]`, `[]P<]`, false},
		{`\\Z`, `\\Z`, false},
		{`(?P=broken`, `(?P=broken`, false},
	}
	for _, tc := range tests {
		out, verbose := translatePattern(tc.in)
		if out != tc.out || verbose != tc.verbose {
			t.Errorf("translatePattern(%q) = %q, %v; want %q, %v", tc.in, out, verbose, tc.out, tc.verbose)
		}
	}
}
