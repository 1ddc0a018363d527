package extract

import (
	"bytes"
	"errors"
	"io"
	gosync "sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// extractPlain copies a text file. Files come from many systems and rarely declare an encoding, so it
// honours a byte-order mark (UTF-8 or UTF-16) and otherwise reads UTF-8, decoding any byte that is not part
// of a valid UTF-8 sequence as Windows-1252. Text never needs to be held whole: it is decoded in chunks.
//
// Most files are small and valid UTF-8, and a sync extracts thousands of them a second: the read buffer is
// pooled and valid chunks go to the text as they are, without a decoding pass or a reader chain per file.
func extractPlain(r io.Reader, t *textBuf) error {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	n, err := io.ReadAtLeast(r, buf, 3)
	eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !eof {
		return err
	}
	start := 0
	switch {
	case n >= 3 && bytes.HasPrefix(buf, []byte{0xEF, 0xBB, 0xBF}):
		start = 3
	case n >= 2 && (buf[0] == 0xFF && buf[1] == 0xFE || buf[0] == 0xFE && buf[1] == 0xFF):
		head := append([]byte(nil), buf[:n]...)
		var rest io.Reader = bytes.NewReader(head)
		if !eof {
			rest = io.MultiReader(rest, r)
		}
		return copyRunes(transform.NewReader(rest, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), t.raw)
	}
	n = copy(buf, buf[start:n])
	for {
		end := n
		if !eof {
			end = completeRunes(buf[:n])
		}
		if end > 0 {
			var err error
			if utf8.Valid(buf[:end]) {
				err = t.raw(string(buf[:end]))
			} else {
				// The chunk ends on a rune boundary (or the file does): an incomplete sequence left in
				// it is not valid UTF-8 and decodes byte by byte.
				out, _, terr := transform.String(lenientUTF8{}, string(buf[:end]))
				if terr != nil {
					return terr
				}
				err = t.raw(out)
			}
			if err != nil {
				return err
			}
		}
		n = copy(buf, buf[end:n])
		if eof {
			return nil
		}
		m, rerr := r.Read(buf[n:])
		n += m
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				return rerr
			}
			eof = true
		}
	}
}

// chunkPool holds the read buffers of text decoding.
var chunkPool = gosync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// copyRunes reads UTF-8 text and hands emit whole runes only: a sequence split between two reads is
// carried over to the next one instead of being mangled.
func copyRunes(r io.Reader, emit func(string) error) error {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
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
