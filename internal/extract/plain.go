package extract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// extractPlain copies a text file. Files come from many systems and rarely declare an encoding, so it
// honours a byte-order mark (UTF-8 or UTF-16) and otherwise reads UTF-8, decoding any byte that is not part
// of a valid UTF-8 sequence as Windows-1252. Text never needs to be held whole: it is decoded in chunks.
func extractPlain(r io.Reader, t *textBuf) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader
	bom, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		src = transform.NewReader(br, lenientUTF8{})
	case len(bom) >= 2 && (bom[0] == 0xFF && bom[1] == 0xFE || bom[0] == 0xFE && bom[1] == 0xFF):
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	default:
		src = transform.NewReader(br, lenientUTF8{})
	}
	return copyRunes(src, t.raw)
}

// copyRunes reads UTF-8 text and hands emit whole runes only: a sequence split between two reads is
// carried over to the next one instead of being mangled.
func copyRunes(r io.Reader, emit func(string) error) error {
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, rerr := r.Read(buf[carry:])
		n += carry
		end := n
		if rerr == nil {
			end = completeRunes(buf[:n])
		}
		if end > 0 {
			if err := emit(string(buf[:end])); err != nil {
				return err
			}
		}
		carry = copy(buf, buf[end:n])
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			return rerr
		}
	}
}

// completeRunes returns the length of the longest prefix of p that does not end inside a UTF-8 sequence.
func completeRunes(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return len(p)
			}
			return i
		}
	}
	return len(p)
}

// lenientUTF8 passes valid UTF-8 through and decodes every other byte as Windows-1252, the most common
// legacy encoding of undeclared text. Mixed files (UTF-8 with a few stray Latin-1 bytes) come out whole.
type lenientUTF8 struct{ transform.NopResetter }

func (lenientUTF8) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size <= 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r = charmap.Windows1252.DecodeByte(c)
			if nDst+utf8.RuneLen(r) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += utf8.EncodeRune(dst[nDst:], r)
			nSrc++
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}
