package estest

import (
	"math/rand"
	"regexp"
	"testing"
)

// replaceSpaceRuns must give what the regular expression gives, on any text.
func TestReplaceSpaceRunsMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`\s+`)
	cases := []string{"", " ", "a", " a ", "a  b", "a\tb\nc\r\nd\fe", "  lead", "trail  ", "a \v b", "ü\u00a0ü", "x\u2028y"}
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte(" \t\n\r\f\vab\xc3\xa9")
	for i := 0; i < 2000; i++ {
		b := make([]byte, rng.Intn(20))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		for _, repl := range []string{" ", "", "--"} {
			if got, want := replaceSpaceRuns(s, repl), re.ReplaceAllString(s, repl); got != want {
				t.Fatalf("replaceSpaceRuns(%q, %q) = %q, regexp gives %q", s, repl, got, want)
			}
		}
	}
}
