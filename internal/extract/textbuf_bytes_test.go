package extract

import (
	"math/rand"
	"testing"
)

// rawBytes must leave the same text as raw on any input, limits included.
func TestRawBytesMatchesRaw(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", " ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\u0085", "\u009f", "\u00a0", "é", "😀", "\xff", "\xc3"}
	for i := 0; i < 5000; i++ {
		var in []byte
		for n := rng.Intn(12); n > 0; n-- {
			in = append(in, alphabet[rng.Intn(len(alphabet))]...)
		}
		max := 1 + rng.Intn(16)
		a, b := newTextBuf(max), newTextBuf(max)
		// A first run and a separator, so that pending separators are exercised too.
		_ = a.raw("x")
		_ = b.raw("x")
		a.sep(sepLine)
		b.sep(sepLine)
		errA, errB := a.raw(string(in)), b.rawBytes(in)
		if a.String() != b.String() || a.truncated != b.truncated || (errA == nil) != (errB == nil) {
			t.Fatalf("input %q max %d: raw %q %v %v, rawBytes %q %v %v", in, max, a.String(), a.truncated, errA, b.String(), b.truncated, errB)
		}
	}
}
