package extract

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// rtfSkipped destinations hold no document text: tables of fonts, colours and styles, metadata, pictures,
// embedded objects, field instructions and index entries. Groups starting with \* are skipped as well.
var rtfSkipped = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true,
	"objdata": true, "header": true, "headerl": true, "headerr": true, "headerf": true, "footer": true,
	"footerl": true, "footerr": true, "footerf": true, "themedata": true, "colorschememapping": true,
	"datastore": true, "latentstyles": true, "listtable": true, "listoverridetable": true, "rsidtbl": true,
	"generator": true, "xmlnstbl": true, "filetbl": true, "revtbl": true, "pgdsctbl": true, "fldinst": true,
	"private": true, "xe": true, "tc": true, "template": true, "userprops": true, "docvar": true,
	"nonshppict": true, "shppict": true, "mmathPr": true, "wgrffmtfilter": true, "protusertbl": true,
	"listpicture": true, "fchars": true, "lchars": true,
}

// rtfSymbols are control words that stand for one character.
var rtfSymbols = map[string]string{
	"emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
	"ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ", "enspace": " ", "qmspace": " ",
}

// rtfBreaks are control words that end a line or a cell.
var rtfBreaks = map[string]sepKind{
	"par": sepLine, "line": sepLine, "sect": sepLine, "page": sepLine, "row": sepLine,
	"tab": sepTab, "cell": sepTab, "nestcell": sepTab,
}

const (
	rtfMaxDepth = 4096 // deeper nesting than any word processor writes; guards the state stack
	rtfMaxWord  = 32   // longest control word the RTF spec allows
)

type rtfGroup struct {
	skip bool
	uc   int // how many fallback characters follow each \u
}

// rtfReader is a streaming RTF-to-text converter: it keeps one state per open group and a small buffer of
// undecoded bytes, never the document.
type rtfReader struct {
	in      *bufio.Reader
	t       *textBuf
	stack   []rtfGroup
	cur     rtfGroup
	enc     encoding.Encoding // the document's ANSI code page; nil means Windows-1252
	pending []byte            // bytes of the current run, decoded together so double-byte pairs stay whole
	high    rune              // a UTF-16 high surrogate waiting for its low half
	toSkip  int               // fallback characters still to drop after a \u
}

func extractRTF(r io.Reader, t *textBuf) error {
	in := bufio.NewReaderSize(r, 32<<10)
	head, _ := in.Peek(5)
	if !bytes.Equal(head, []byte(`{\rtf`)) {
		return malformed("RTF must start with {\\rtf")
	}
	p := &rtfReader{in: in, t: t, cur: rtfGroup{uc: 1}}
	return p.run()
}

func (p *rtfReader) run() error {
	for {
		c, err := p.in.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return p.flush()
			}
			return err
		}
		switch c {
		case '{':
			if err := p.flush(); err != nil {
				return err
			}
			if len(p.stack) >= rtfMaxDepth {
				return malformed("RTF groups nested deeper than %d", rtfMaxDepth)
			}
			p.stack = append(p.stack, p.cur)
			p.toSkip = 0
		case '}':
			if err := p.flush(); err != nil {
				return err
			}
			if len(p.stack) > 0 {
				p.cur = p.stack[len(p.stack)-1]
				p.stack = p.stack[:len(p.stack)-1]
			}
			p.toSkip = 0
		case '\\':
			if err := p.control(); err != nil {
				return err
			}
		case '\r', '\n':
			// Line breaks in the file are formatting of the RTF source, not of the document.
		default:
			p.char(c)
		}
	}
}

// char queues one byte of text in the document code page.
func (p *rtfReader) char(c byte) {
	if p.toSkip > 0 {
		p.toSkip--
		return
	}
	if !p.cur.skip {
		p.pending = append(p.pending, c)
	}
}

func (p *rtfReader) control() error {
	c, err := p.in.ReadByte()
	if err != nil {
		return nil // a trailing backslash: nothing left to read
	}
	if !isASCIILetter(c) {
		return p.symbol(c)
	}
	word := []byte{c}
	for len(word) <= rtfMaxWord {
		c, err = p.in.ReadByte()
		if err != nil || !isASCIILetter(c) {
			break
		}
		word = append(word, c)
	}
	if len(word) > rtfMaxWord {
		return malformed("RTF control word longer than %d letters", rtfMaxWord)
	}
	hasParam, param := false, 0
	if err == nil && (c == '-' || isDigit(c)) {
		digits := []byte{c}
		for len(digits) <= 11 {
			c, err = p.in.ReadByte()
			if err != nil || !isDigit(c) {
				break
			}
			digits = append(digits, c)
		}
		n, perr := strconv.ParseInt(string(digits), 10, 32)
		if perr == nil {
			hasParam, param = true, int(n)
		}
	}
	// A space ends a control word and belongs to it; anything else is the next token.
	if err == nil && c != ' ' {
		_ = p.in.UnreadByte()
	}
	return p.word(string(word), hasParam, param)
}

func (p *rtfReader) symbol(c byte) error {
	switch c {
	case '\'':
		hex := make([]byte, 2)
		if _, err := io.ReadFull(p.in, hex); err != nil {
			return nil
		}
		b, err := strconv.ParseUint(string(hex), 16, 8)
		if err != nil {
			return nil // not a hex escape; RTF readers ignore it
		}
		p.char(byte(b))
	case '*':
		p.cur.skip = true
	case '\\', '{', '}':
		p.char(c)
	case '~':
		return p.text("\u00a0")
	case '_':
		return p.text("-")
	case '\n', '\r':
		if err := p.flush(); err != nil {
			return err
		}
		p.t.sep(sepLine)
	}
	return nil
}

func (p *rtfReader) word(w string, hasParam bool, param int) error {
	// Every control word counts as one character when dropping \u fallbacks.
	if p.toSkip > 0 && w != "u" {
		p.toSkip--
		return nil
	}
	if err := p.flush(); err != nil {
		return err
	}
	switch {
	case w == "bin":
		// Binary data of the given length follows; it is never text.
		if hasParam && param > 0 {
			_, _ = p.in.Discard(param)
		}
	case rtfSkipped[w]:
		p.cur.skip = true
	case w == "ansicpg" && hasParam:
		p.enc = codePage(param)
	case w == "mac":
		p.enc = charmap.Macintosh
	case w == "pc":
		p.enc = charmap.CodePage437
	case w == "pca":
		p.enc = charmap.CodePage850
	case w == "uc" && hasParam && param >= 0:
		p.cur.uc = param
	case w == "u" && hasParam:
		r := rune(param)
		if r < 0 {
			r += 0x10000
		}
		p.toSkip = p.cur.uc
		if p.cur.skip {
			return nil
		}
		return p.unicode(r)
	default:
		if p.cur.skip {
			return nil
		}
		if s, ok := rtfSymbols[w]; ok {
			return p.text(s)
		}
		if k, ok := rtfBreaks[w]; ok {
			p.t.sep(k)
		}
	}
	return nil
}

func (p *rtfReader) unicode(r rune) error {
	switch {
	case utf16.IsSurrogate(r) && r < 0xDC00:
		p.high = r
		return nil
	case utf16.IsSurrogate(r):
		if p.high != 0 {
			r = utf16.DecodeRune(p.high, r)
		}
		p.high = 0
	default:
		p.high = 0
	}
	if r == 0 {
		return nil
	}
	return p.text(string(r))
}

func (p *rtfReader) text(s string) error {
	if p.cur.skip {
		return nil
	}
	if err := p.flush(); err != nil {
		return err
	}
	return p.t.raw(s)
}

// flush decodes the queued bytes of the current run.
func (p *rtfReader) flush() error {
	if len(p.pending) == 0 {
		return nil
	}
	enc := p.enc
	if enc == nil {
		enc = charmap.Windows1252
	}
	out, err := enc.NewDecoder().Bytes(p.pending)
	p.pending = p.pending[:0]
	if err != nil {
		return nil // undecodable bytes are dropped, not fatal
	}
	return p.t.raw(string(out))
}

// codePage maps a Windows code page number from \ansicpg to its decoder; unknown ones read as Windows-1252.
func codePage(cp int) encoding.Encoding {
	switch cp {
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 852:
		return charmap.CodePage852
	case 866:
		return charmap.CodePage866
	case 874:
		return charmap.Windows874
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 10000:
		return charmap.Macintosh
	case 65001:
		return encoding.Nop
	}
	return charmap.Windows1252
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
