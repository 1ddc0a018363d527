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
	var src io.Reader = br
	if bom, _ := br.Peek(3); len(bom) >= 2 {
		switch {
		case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
			_, _ = br.Discard(3)
		case bom[0] == 0xFF && bom[1] == 0xFE, bom[0] == 0xFE && bom[1] == 0xFF:
			src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		}
	}
	return copyLenient(src, t.raw)
}

// copyLenient reads r to the end and hands emit valid UTF-8: invalid bytes are read as Windows-1252, and a
// multi-byte sequence split across two reads is carried over rather than mangled.
func copyLenient(r io.Reader, emit func(string) error) error {
	buf := make([]byte, 64<<10)
	out := make([]byte, 0, len(buf)+len(buf)/2)
	carry := 0
	for {
		n, rerr := r.Read(buf[carry:])
		n += carry
		atEOF := rerr != nil
		var used int
		out, used = decodeLenient(out[:0], buf[:n], atEOF)
		if len(out) > 0 {
			if err := emit(string(out)); err != nil {
				return err
			}
		}
		carry = copy(buf, buf[used:n])
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				return nil
			}
			return rerr
		}
	}
}

// decodeLenient appends the text of p to dst and returns how many bytes of p it used. Unless atEOF, it
// stops before an incomplete UTF-8 sequence at the end of p so the caller can complete it.
func decodeLenient(dst, p []byte, atEOF bool) ([]byte, int) {
	i := 0
	for i < len(p) {
		c := p[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size <= 1 {
			if !atEOF && !utf8.FullRune(p[i:]) {
				break
			}
			dst = utf8.AppendRune(dst, charmap.Windows1252.DecodeByte(c))
			i++
			continue
		}
		dst = append(dst, p[i:i+size]...)
		i += size
	}
	return dst, i
}
