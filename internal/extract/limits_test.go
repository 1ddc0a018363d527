package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// countingReader counts the bytes it hands out.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// failingReader fails the test if anyone reads it.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the content was read although its declared size is over the limit")
	return 0, io.EOF
}

func TestSizeLimit(t *testing.T) {
	const limit = 1000
	l := NewLocal(LocalConfig{MaxFileSize: limit, PDFEngine: PDFPure})
	a := NewAttachment(limit)
	for _, ex := range []Extractor{l, a} {
		t.Run(string(ex.Mode()), func(t *testing.T) {
			tests := []struct {
				name     string
				size     int64 // declared
				actual   int   // bytes in the stream
				wantErr  error
				maxBytes int64 // most bytes the extractor may pull from the stream
			}{
				{"exactly at the limit", limit, limit, nil, limit},
				{"unknown size, within", -1, 10, nil, 10},
				{"declared too large", limit + 1, limit + 1, ErrTooLarge, 0},
				{"unknown size, too large", -1, 50 * limit, ErrTooLarge, limit + 1},
				{"declared small but larger", 10, 50 * limit, ErrTooLarge, limit + 1},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					if err := ex.Check("notes.txt", tc.size); tc.size > limit != errors.Is(err, ErrTooLarge) {
						t.Errorf("Check(size %d) = %v", tc.size, err)
					}
					var r io.Reader
					cr := &countingReader{r: strings.NewReader(strings.Repeat("a", tc.actual))}
					r = cr
					if tc.maxBytes == 0 {
						r = failingReader{t}
					}
					c, err := ex.Extract(context.Background(), "notes.txt", r, tc.size)
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					if cr.n > tc.maxBytes {
						t.Errorf("read %d bytes, want at most %d", cr.n, tc.maxBytes)
					}
					if err != nil {
						if !strings.Contains(err.Error(), "service.max_file_download_size") || !strings.Contains(err.Error(), "notes.txt") {
							t.Errorf("error %q should name the file and the setting", err)
						}
						return
					}
					if ex.Mode() == ModeLocal && len(c.Value) != tc.actual {
						t.Errorf("got %d bytes of text, want %d", len(c.Value), tc.actual)
					}
				})
			}
		})
	}
}

func TestTextTruncation(t *testing.T) {
	const max = 100
	l := NewLocal(LocalConfig{MaxTextSize: max, CacheDir: testCacheDir, PDFEngine: PDFium})
	long := strings.Repeat("word\u00e9\u20ac ", 200) // multi-byte runes so a cut can land inside one
	var lines []string
	for range 60 {
		lines = append(lines, "A fairly long line of PDF text")
	}
	files := map[string][]byte{
		"a.txt":  []byte(long),
		"a.html": []byte("<p>" + long + "</p>"),
		"a.rtf":  []byte(`{\rtf1 ` + strings.Repeat(`Caf\'e9 text `, 100) + `}`),
		"a.xml":  []byte("<r>" + long + "</r>"),
		"a.docx": makeDOCX(t, "", long),
		"a.pptx": makePPTX(t, []string{long}),
		"a.xlsx": makeXLSX(t, map[string][][]any{"S": {{long}, {long}}}, "S"),
		"a.odt":  makeODT(t),
		"a.pdf":  makePDF(lines),
	}
	// makeODT is short; pad its paragraph through a bigger variant instead.
	files["a.odt"] = bytes.Replace(files["a.odt"], []byte("First "), []byte(strings.Repeat("First ", 100)), 1)
	files["a.odt"] = zipParts(t, [2]string{"content.xml", `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>` + long + `</text:p></office:text></office:body></office:document-content>`})
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			c, err := extractString(t, l, name, data)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Truncated {
				t.Errorf("Truncated = false for %d bytes of text", len(c.Value))
			}
			if len(c.Value) > max || len(c.Value) < max-utf8.UTFMax {
				t.Errorf("got %d bytes, want %d minus at most one rune", len(c.Value), max)
			}
			if !utf8.ValidString(c.Value) {
				t.Errorf("truncated text is not valid UTF-8: %q", c.Value)
			}
		})
	}
}

// slowReader produces endless text, pausing before each chunk, until its context is cancelled.
type slowReader struct{ pause time.Duration }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	n := copy(p, "some endless text ")
	return n, nil
}

func TestCancellation(t *testing.T) {
	l := testLocal(t)
	t.Run("cancelled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		samples := map[string][]byte{
			"a.txt": []byte("text"), "a.html": []byte("<p>x</p>"), "a.rtf": []byte(`{\rtf1 x}`),
			"a.pdf": makePDF([]string{"x"}), "a.docx": makeDOCX(t, "", "x"), "a.pptx": makePPTX(t, []string{"x"}),
			"a.xlsx": makeXLSX(t, map[string][][]any{"S": {{"x"}}}, "S"), "a.xml": []byte("<a>x</a>"),
		}
		for name, data := range samples {
			_, err := l.Extract(ctx, name, bytes.NewReader(data), int64(len(data)))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", name, err)
			}
		}
		_, err := NewAttachment(0).Extract(ctx, "a.txt", strings.NewReader("x"), 1)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("attachment: err = %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled while streaming", func(t *testing.T) {
		for _, name := range []string{"a.txt", "a.html", "a.rtf", "a.xml"} {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			big := NewLocal(LocalConfig{MaxFileSize: -1, MaxTextSize: 1 << 30, Timeout: -1})
			r := io.MultiReader(strings.NewReader(`{\rtf1 `), slowReader{pause: time.Millisecond})
			_, err := big.Extract(ctx, name, r, -1)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", name, err)
			}
		}
	})
	t.Run("per-file timeout", func(t *testing.T) {
		short := NewLocal(LocalConfig{MaxFileSize: -1, MaxTextSize: 1 << 30, Timeout: 30 * time.Millisecond})
		for _, name := range []string{"a.txt", "a.html", "a.rtf"} {
			r := io.MultiReader(strings.NewReader(`{\rtf1 `), slowReader{pause: time.Millisecond})
			_, err := short.Extract(context.Background(), name, r, -1)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "longer than 30ms") || !strings.Contains(err.Error(), name) {
				t.Errorf("%s: err = %v, want a deadline error naming the file and the timeout", name, err)
			}
		}
	})
	t.Run("cancelled inside PDFium", func(t *testing.T) {
		var pages [][]string
		for i := range 3000 {
			pages = append(pages, []string{"page text", strings.Repeat("x", i%50)})
		}
		data := makePDF(pages...)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := l.Extract(ctx, "many.pdf", bytes.NewReader(data), int64(len(data)))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		// The killed instance is replaced: the next PDF still works.
		c, err := extractString(t, l, "after.pdf", makePDF([]string{"still working"}))
		if err != nil || !strings.Contains(c.Value, "still working") {
			t.Fatalf("after cancellation: %q, %v", c.Value, err)
		}
	})
}

func TestSourceErrorReturned(t *testing.T) {
	boom := errors.New("connection reset by peer")
	l := NewLocal(LocalConfig{PDFEngine: PDFPure})
	for _, name := range []string{"a.txt", "a.html", "a.xml", "a.rtf", "a.docx", "a.xlsx", "a.pdf"} {
		r := io.MultiReader(strings.NewReader(`{\rtf1 <a>partial`), iotest.ErrReader(boom))
		_, err := l.Extract(context.Background(), name, r, -1)
		if !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want the reader's error and not ErrMalformed", name, err)
		}
	}
}

func TestHugeDeclaredSizeWithoutLimit(t *testing.T) {
	// A source may declare any size; with no limit configured it must not reserve that much memory.
	const declared = 1 << 50
	l := NewLocal(LocalConfig{MaxFileSize: -1, PDFEngine: PDFPure})
	if c, err := l.Extract(context.Background(), "a.docx", bytes.NewReader(makeDOCX(t, "", "small")), declared); err != nil || !strings.Contains(c.Value, "small") {
		t.Errorf("local: %q, %v", c.Value, err)
	}
	if c, err := NewAttachment(-1).Extract(context.Background(), "a.txt", strings.NewReader("abc"), declared); err != nil || c.Value != "YWJj" {
		t.Errorf("attachment: %q, %v", c.Value, err)
	}
}
