package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// bombPart is a part that expands to n bytes of spaces inside a text element, so it is valid XML all the
// way and only its size is wrong.
func bombPart(open, close string, n int) string {
	return open + strings.Repeat(" ", n) + close
}

func TestZipBombs(t *testing.T) {
	const limit = 1 << 20
	const size = 8 << 20
	l := NewLocal(LocalConfig{MaxUnzippedSize: limit})
	xlsx := makeXLSX(t, map[string][][]any{"S": {{"x"}}}, "S")
	tests := []struct {
		file string
		data []byte
	}{
		{"bomb.docx", zipBomb(t, size)},
		{"bomb.pptx", zipParts(t,
			[2]string{"_rels/.rels", rootRels("ppt/presentation.xml")},
			[2]string{"ppt/presentation.xml", `<p:presentation ` + nsP + `/>`},
			[2]string{"ppt/slides/slide1.xml", bombPart(`<p:sld `+nsA+` `+nsP+`><a:t>`, `</a:t></p:sld>`, size)})},
		{"bomb.odt", zipParts(t, [2]string{"content.xml", bombPart(`<office:document-content xmlns:office="o"><text:p xmlns:text="t">`, `</text:p></office:document-content>`, size)})},
		{"bomb.vsdx", zipParts(t, [2]string{"visio/pages/page1.xml", bombPart(`<PageContents><Text>`, `</Text></PageContents>`, size)})},
		{"bomb.xlsx", replacePart(t, xlsx, "xl/worksheets/sheet1.xml", bombPart(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`, `</sheetData></worksheet>`, size))},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := extractString(t, l, tc.file, tc.data)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit on unpacked bytes") {
				t.Fatalf("err = %v, want ErrTooLarge naming the limit on unpacked bytes", err)
			}
		})
	}

	// A part whose header understates its size is cut off by archive/zip and by the budget alike.
	t.Run("lying header", func(t *testing.T) {
		data := lyingZip(t, "word/document.xml", bombPart(`<w:document `+nsW+`><w:body><w:p><w:r><w:t>`, `</w:t></w:r></w:p></w:body></w:document>`, size), 100)
		_, err := extractString(t, l, "lie.docx", data)
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrMalformed or ErrTooLarge", err)
		}
	})
}

// replacePart rewrites one part of a zip package.
func replacePart(t testing.TB, pkg []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var parts [][2]string
	for _, f := range zr.File {
		if f.Name == name {
			parts = append(parts, [2]string{name, content})
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(rc)
		rc.Close()
		parts = append(parts, [2]string{f.Name, b.String()})
	}
	return zipParts(t, parts...)
}

// lyingZip writes a one-part zip whose header claims the part is declared bytes long.
func lyingZip(t testing.TB, name, content string, declared uint64) []byte {
	t.Helper()
	var compressed bytes.Buffer
	fw, _ := flate.NewWriter(&compressed, flate.BestSpeed)
	_, _ = fw.Write([]byte(content))
	_ = fw.Close()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	hdr := &zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE([]byte(content)),
		CompressedSize64: uint64(compressed.Len()), UncompressedSize64: declared,
	}
	raw, err := w.CreateRaw(hdr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = raw.Write(compressed.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestConcurrentPDF(t *testing.T) {
	l := testLocal(t)
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				want := fmt.Sprintf("goroutine %d document %d", g, i)
				c, err := extractString(t, l, "c.pdf", makePDF([]string{want}))
				if err != nil {
					errs <- err
					return
				}
				if !strings.Contains(c.Value, want) {
					errs <- fmt.Errorf("got %q, want %q", c.Value, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPDFiumStartFailure(t *testing.T) {
	// PDFium's module needs 18 MiB of memory to start, so a 64 KiB limit makes it fail at once.
	pdf := makePDF([]string{"read by the fallback"})
	auto := NewLocal(LocalConfig{PDFMemoryLimit: 64 << 10, NoCompilationCache: true})
	c, err := extractString(t, auto, "a.pdf", pdf)
	if err != nil || !strings.Contains(c.Value, "read by the fallback") {
		t.Fatalf("auto engine: %q, %v; want the pure reader's text", c.Value, err)
	}
	if st := auto.PDFStatus(); st.Engine != PDFPure || st.StartErr == nil {
		t.Errorf("status = %+v, want the pure engine and the start error", st)
	}
	strict := NewLocal(LocalConfig{PDFMemoryLimit: 64 << 10, NoCompilationCache: true, PDFEngine: PDFium})
	if _, err := extractString(t, strict, "a.pdf", pdf); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "PDFium") {
		t.Errorf("pdfium engine: err = %v, want ErrUnsupported naming PDFium", err)
	}
}

func TestStartPDFStatus(t *testing.T) {
	l := testLocal(t)
	if err := l.StartPDF(); err != nil {
		t.Fatal(err)
	}
	st := l.PDFStatus()
	if st.Engine != PDFium || st.StartErr != nil || st.CacheDir != testCacheDir || st.StartTime <= 0 {
		t.Errorf("status = %+v", st)
	}
	if err := NewLocal(LocalConfig{PDFEngine: PDFPure}).StartPDF(); err != nil {
		t.Errorf("StartPDF with the pure engine = %v", err)
	}
}

// TestColdPDFiumStartGivesMemoryBack: compiling PDFium without a cache leaves some 300 MiB of
// garbage; once the start returns, the heap the process holds is back near what is live.
func TestColdPDFiumStartGivesMemoryBack(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles PDFium without a cache (about 3 s of CPU)")
	}
	l := NewLocal(LocalConfig{NoCompilationCache: true, PDFEngine: PDFium})
	defer l.Close()
	if err := l.StartPDF(); err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	held := ms.HeapInuse + ms.HeapIdle - ms.HeapReleased
	t.Logf("heap held after a cold start: %d MiB (in use %d MiB)", held>>20, ms.HeapInuse>>20)
	if held > 150<<20 {
		t.Errorf("the process holds %d MiB of heap after a cold PDFium start, want under 150 MiB", held>>20)
	}
}
