package extract

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// testCacheDir keeps PDFium's compiled code between test runs on one machine, so only the first run pays
// the compilation. It lives in the temporary directory, not in the user's cache.
var testCacheDir = filepath.Join(os.TempDir(), "connectors-extract-test-wazero")

var (
	sharedLocalOnce sync.Once
	sharedLocal     *Local
)

// testLocal returns one extractor shared by the tests, so PDFium starts once per test binary.
func testLocal(t testing.TB) *Local {
	t.Helper()
	sharedLocalOnce.Do(func() {
		sharedLocal = NewLocal(LocalConfig{CacheDir: testCacheDir, PDFEngine: PDFium})
	})
	return sharedLocal
}

func extractString(t testing.TB, l *Local, name string, data []byte) (Content, error) {
	t.Helper()
	return l.Extract(context.Background(), name, bytes.NewReader(data), int64(len(data)))
}

func TestLocalFormats(t *testing.T) {
	tests := []struct {
		name string
		file string
		data func(t testing.TB) []byte
		want []string // substrings, in order
		not  []string // substrings that must not appear
	}{
		{
			name: "pdf", file: "report.PDF",
			data: func(testing.TB) []byte {
				return makePDF([]string{"Hello PDF world", "Second (line)"}, []string{"Page two text"})
			},
			want: []string{"Hello PDF world", "Second (line)", "Page two text"},
		},
		{
			name: "docx", file: "letter.docx",
			data: func(t testing.TB) []byte {
				return makeDOCX(t, "Running header", "Dear |reader|,", "Tab\tseparated", "Caf\u00e9 & <tags>")
			},
			want: []string{"Dear reader,\nTab\tseparated\nCaf\u00e9 & <tags>", "Running header"},
			not:  []string{"deleted words"},
		},
		{
			name: "pptx", file: "deck.pptx",
			data: func(t testing.TB) []byte {
				return makePPTX(t, []string{"First slide title", "bullet one"}, []string{"Second slide"}, []string{"Third slide"})
			},
			want: []string{"First slide title\nbullet one", "Second slide", "Third slide"},
		},
		{
			name: "potx", file: "template.potx",
			data: func(t testing.TB) []byte { return makePPTX(t, []string{"Template text"}) },
			want: []string{"Template text"},
		},
		{
			name: "xlsx", file: "numbers.xlsx",
			data: func(t testing.TB) []byte {
				return makeXLSX(t, map[string][][]any{
					"Budget": {{"Item", "Cost"}, {"Coffee", 3.5}},
					"Notes":  {{"remember the milk"}},
				}, "Budget", "Notes")
			},
			want: []string{"Budget", "Item\tCost", "Coffee\t3.5", "Notes", "remember the milk"},
		},
		{
			name: "xlsm", file: "macro.xlsm",
			data: func(t testing.TB) []byte {
				return makeXLSX(t, map[string][][]any{"Data": {{"macro workbook"}}}, "Data")
			},
			want: []string{"macro workbook"},
		},
		{
			name: "odt", file: "notes.odt",
			data: makeODT,
			want: []string{"ODT heading\nFirst paragraph\na   b\tc"},
		},
		{
			name: "vsdx", file: "flow.vsdx",
			data: makeVSDX,
			want: []string{"Start\nDecision", "End"},
		},
		{
			name: "html", file: "page.html",
			data: func(testing.TB) []byte {
				return []byte(`<!doctype html><html><head><title>The title</title><style>p{color:red}</style>
<script>var secret = "no";</script></head><body><h1>Heading</h1><p>Some <b>bold</b>
text &amp; an entity.</p><!-- a comment --><ul><li>one</li><li>two</li></ul>
<img src="x.png" alt="a picture"><template><p>inert</p></template><pre>  keep   spaces</pre></body></html>`)
			},
			want: []string{"The title", "Heading\nSome bold text & an entity.", "one\ntwo", "a picture", "  keep   spaces"},
			not:  []string{"color:red", "secret", "a comment", "inert"},
		},
		{
			name: "html latin1", file: "old.html",
			data: func(testing.TB) []byte {
				return []byte("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Gr\xfc\xdfe</p></body></html>")
			},
			want: []string{"Gr\u00fc\u00dfe"},
		},
		{
			name: "html utf-8 without declaration", file: "late.html",
			data: func(testing.TB) []byte {
				return []byte("<html><body><p>" + strings.Repeat("ascii ", 300) + "</p><p>na\u00efve caf\u00e9</p></body></html>")
			},
			want: []string{"na\u00efve caf\u00e9"},
		},
		{
			name: "aspx", file: "default.aspx",
			data: func(testing.TB) []byte {
				return []byte(`<%@ Page Language="C#" %><html><body><p>Visible <% Response.Write("code") %>text</p></body></html>`)
			},
			want: []string{"Visible text"},
			not:  []string{"Response", "Page Language"},
		},
		{
			name: "rtf", file: "memo.rtf",
			data: func(testing.TB) []byte {
				return []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}{\colortbl;\red0\green0\blue0;}` +
					`{\*\generator Riched20;}{\info{\title Hidden title}}\f0\fs24 Hello \b RTF\b0  world.\par ` +
					`Caf\'e9 \u8364? and \{braces\}\tab tabbed\par{\*\bkmkstart x}Last line\line end}`)
			},
			want: []string{"Hello RTF world.\nCaf\u00e9 \u20ac and {braces}\ttabbed\nLast line\nend"},
			not:  []string{"Times New Roman", "Riched20", "Hidden title", "?"},
		},
		{
			name: "rtf cp1251", file: "ru.rtf",
			data: func(testing.TB) []byte { return []byte(`{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2}`) },
			want: []string{"\u041f\u0440\u0438\u0432\u0435\u0442"},
		},
		{
			name: "rtf surrogate pair", file: "emoji.rtf",
			data: func(testing.TB) []byte { return []byte(`{\rtf1\ansi\uc1 smile \u-10179?\u-8704?!}`) },
			want: []string{"smile \U0001F600!"},
		},
		{
			name: "xml", file: "data.xml",
			data: func(testing.TB) []byte {
				return []byte(`<?xml version="1.0"?><root><item id="1">alpha</item><item>beta &amp; gamma</item><![CDATA[raw <text>]]></root>`)
			},
			want: []string{"alpha\nbeta & gamma\nraw <text>"},
		},
		{
			name: "svg", file: "drawing.svg",
			data: func(testing.TB) []byte {
				return []byte(`<svg xmlns="http://www.w3.org/2000/svg"><title>Chart</title><style>.a{fill:red}</style>` +
					`<rect width="10"/><text x="1">Label <tspan>one</tspan></text></svg>`)
			},
			want: []string{"Chart\nLabel one"},
			not:  []string{"fill:red"},
		},
		{
			name: "markdown", file: "README.md",
			data: func(testing.TB) []byte { return []byte("# Title\n\n* item   with  spaces\n") },
			want: []string{"# Title\n\n* item   with  spaces\n"},
		},
		{
			name: "utf-16 text with BOM", file: "wide.txt",
			data: func(testing.TB) []byte { return []byte{0xFF, 0xFE, 'h', 0, 'i', 0, 0xAC, 0x20} },
			want: []string{"hi\u20ac"},
		},
		{
			name: "windows-1252 text", file: "legacy.csv",
			data: func(testing.TB) []byte { return []byte("name;price\nCaf\xe9;\x805\n") },
			want: []string{"Caf\u00e9;\u20ac5"},
		},
		{
			name: "json", file: "data.json", data: func(testing.TB) []byte { return []byte(`{"k": "v"}`) },
			want: []string{`{"k": "v"}`},
		},
		{
			name: "python", file: "script.py", data: func(testing.TB) []byte { return []byte("print('hi')\x00\n") },
			want: []string{"print('hi')\n"},
		},
		{
			name: "paper", file: "doc.paper", data: func(testing.TB) []byte { return []byte("Paper *markdown*") },
			want: []string{"Paper *markdown*"},
		},
	}
	l := testLocal(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := extractString(t, l, tc.file, tc.data(t))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if c.Field != FieldBody || c.Truncated {
				t.Errorf("Field = %q, Truncated = %v; want body, false", c.Field, c.Truncated)
			}
			rest := c.Value
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("text lacks %q (in order); got %q", w, c.Value)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tc.not {
				if strings.Contains(c.Value, n) {
					t.Errorf("text contains %q; got %q", n, c.Value)
				}
			}
		})
	}
}

func TestPlainTextSplitReads(t *testing.T) {
	// One byte per read splits every multi-byte rune; none may be lost or mangled.
	want := "h\u00e9llo \u20ac \U0001F600 \xe9nd"
	wantText := "h\u00e9llo \u20ac \U0001F600 \u00e9nd"
	l := NewLocal(LocalConfig{})
	for _, name := range []string{"a.txt", "a.html"} {
		c, err := l.Extract(context.Background(), name, iotest.OneByteReader(strings.NewReader(want)), -1)
		if err != nil || c.Value != wantText {
			t.Errorf("%s: got %q, %v; want %q", name, c.Value, err, wantText)
		}
	}
}

func TestLocalPurePDF(t *testing.T) {
	l := NewLocal(LocalConfig{PDFEngine: PDFPure})
	c, err := extractString(t, l, "a.pdf", makePDF([]string{"Hello PDF world"}, []string{"Page two"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Value, "Hello PDF world") || !strings.Contains(c.Value, "Page two") {
		t.Errorf("got %q", c.Value)
	}
	if st := l.PDFStatus(); st.Engine != PDFPure {
		t.Errorf("engine = %q, want pure", st.Engine)
	}
}

func TestLocalErrors(t *testing.T) {
	l := testLocal(t)
	tests := []struct {
		name string
		file string
		data []byte
		want error
	}{
		{"unknown extension", "photo.jpg", []byte("x"), ErrUnsupported},
		{"no extension", "Makefile", []byte("x"), ErrUnsupported},
		{"legacy binary format", "old.doc", []byte("x"), ErrUnsupported},
		{"docx that is not a zip", "bad.docx", []byte("not a zip at all"), ErrMalformed},
		{"docx without document", "empty.docx", zipParts(t, [2]string{"other.xml", "<a/>"}), ErrMalformed},
		{"encrypted docx", "secret.docx", append(append([]byte{}, oleMagic...), make([]byte, 512)...), ErrEncrypted},
		{"xlsx that is not a zip", "bad.xlsx", []byte("PK\x03\x04garbage"), ErrMalformed},
		{"pdf that is not a pdf", "bad.pdf", []byte("%PDF-1.4 nothing else"), ErrMalformed},
		{"rtf without header", "bad.rtf", []byte("plain text"), ErrMalformed},
		{"truncated xml", "bad.xml", []byte("<a><b>text</b"), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := extractString(t, l, tc.file, tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Filename != tc.file {
				t.Errorf("error %v does not name the file %q", err, tc.file)
			}
		})
	}
}

// zipBomb is a DOCX whose document part expands to n bytes of spaces inside one text element.
func zipBomb(t testing.TB, n int) []byte {
	t.Helper()
	doc := "<w:document " + nsW + "><w:body><w:p><w:r><w:t>" + strings.Repeat(" ", n) + "</w:t></w:r></w:p></w:body></w:document>"
	return zipParts(t, [2]string{"_rels/.rels", rootRels("word/document.xml")}, [2]string{"word/document.xml", doc})
}
