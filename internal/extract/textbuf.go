package extract

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// errTextFull stops a format reader once the output limit is reached; Local turns it into Truncated.
var errTextFull = errors.New("extracted text limit reached")

type sepKind uint8

// Separators are ordered by strength: when several are requested between two runs of text, the strongest
// one wins, so "</p></div><p>" yields a single line break rather than three.
const (
	sepNone sepKind = iota
	sepSpace
	sepTab
	sepLine
	sepPara
)

var sepText = [...]string{"", " ", "\t", "\n", "\n\n"}

// textBuf accumulates extracted text up to a byte limit. Separators are emitted lazily, only between two
// runs of text, so the result has no leading or trailing separators and no runs of empty lines.
type textBuf struct {
	b         strings.Builder
	max       int
	pending   sepKind
	truncated bool
}

func newTextBuf(max int) *textBuf { return &textBuf{max: max} }

// sep requests a separator before the next text.
func (t *textBuf) sep(k sepKind) {
	if k > t.pending {
		t.pending = k
	}
}

// raw appends s, keeping its whitespace but dropping control characters other than tab and line breaks.
func (t *textBuf) raw(s string) error {
	if s == "" {
		return nil
	}
	if t.b.Len() > 0 && t.pending != sepNone {
		if err := t.put(sepText[t.pending]); err != nil {
			return err
		}
	}
	t.pending = sepNone
	return t.put(s)
}

// rawBytes is raw for a chunk the caller read, without making a string of it first: text that
// is valid UTF-8 without control characters (nearly all of it) is copied once, into the result.
func (t *textBuf) rawBytes(b []byte) error {
	if !utf8.Valid(b) {
		return t.raw(string(b))
	}
	return t.rawValid(b)
}

// rawValid is rawBytes for text already known to be valid UTF-8.
func (t *textBuf) rawValid(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if hasDroppedControl(b) {
		return t.raw(string(b))
	}
	if t.b.Len() > 0 && t.pending != sepNone {
		if err := t.put(sepText[t.pending]); err != nil {
			return err
		}
	}
	t.pending = sepNone
	room := t.max - t.b.Len()
	if len(b) <= room {
		t.b.Write(b)
		return nil
	}
	cut := room
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	t.b.Write(b[:cut])
	t.truncated = true
	return errTextFull
}

// hasDroppedControl reports whether valid UTF-8 text holds a character isDroppedControl drops:
// C0 controls but tab and line breaks, DEL, and C1 controls (encoded 0xC2 0x80–0x9F).
func hasDroppedControl(b []byte) bool {
	for i, c := range b {
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
			return true
		case c == 0xC2 && i+1 < len(b) && b[i+1] <= 0x9f:
			return true
		}
	}
	return false
}

// words appends s with every run of white space squeezed to one space; white space at either end becomes a
// pending space, so adjacent text nodes such as "a<b>b</b>" stay joined while "a <b>b</b>" keeps its gap.
func (t *textBuf) words(s string) error {
	start := 0
	for start < len(s) {
		// Find the next word.
		i := start
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i > start {
			t.sep(sepSpace)
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += n
		}
		if j > i {
			if err := t.raw(s[i:j]); err != nil {
				return err
			}
		}
		start = j
	}
	return nil
}

func (t *textBuf) put(s string) error {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if strings.IndexFunc(s, isDroppedControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isDroppedControl(r) {
				return -1
			}
			return r
		}, s)
	}
	room := t.max - t.b.Len()
	if len(s) <= room {
		t.b.WriteString(s)
		return nil
	}
	// Cut at a rune boundary so the result stays valid UTF-8.
	cut := room
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	t.b.WriteString(s[:cut])
	t.truncated = true
	return errTextFull
}

// isDroppedControl reports C0/C1 control characters that carry no text; they only bloat JSON as \u escapes.
func isDroppedControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}

func (t *textBuf) String() string { return t.b.String() }
