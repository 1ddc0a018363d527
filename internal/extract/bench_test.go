package extract

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// benchSamples builds one document of each format, about a megabyte of text or a few hundred pages, so
// the numbers show throughput rather than fixed costs.
func benchSamples(b *testing.B) map[string][]byte {
	b.Helper()
	para := "The quick brown fox jumps over the lazy dog, again and again, in a paragraph of ordinary prose."
	var paras []string
	for range 5000 {
		paras = append(paras, para)
	}
	text := strings.Join(paras, "\n")
	var slides [][]string
	for i := range 200 {
		slides = append(slides, []string{fmt.Sprintf("Slide %d", i), para, para})
	}
	var rows [][]any
	for i := range 10000 {
		rows = append(rows, []any{i, "item name", 3.25 * float64(i), "note with a few words", true})
	}
	var pages [][]string
	for range 200 {
		var lines []string
		for range 40 {
			lines = append(lines, para[:80])
		}
		pages = append(pages, lines)
	}
	var rtf, html strings.Builder
	rtf.WriteString(`{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}`)
	html.WriteString("<html><head><title>Bench</title><style>p{}</style></head><body>")
	for _, p := range paras {
		rtf.WriteString(`\f0 ` + p + ` \b bold\b0  caf\'e9\par `)
		html.WriteString("<p>" + p + " <b>bold</b> caf&eacute;</p>\n")
	}
	rtf.WriteString("}")
	html.WriteString("</body></html>")
	return map[string][]byte{
		"txt":  []byte(text),
		"html": []byte(html.String()),
		"rtf":  []byte(rtf.String()),
		"xml":  []byte("<doc><p>" + strings.Join(paras, "</p><p>") + "</p></doc>"),
		"docx": makeDOCX(b, "header", paras...),
		"pptx": makePPTX(b, slides...),
		"xlsx": makeXLSX(b, map[string][][]any{"Data": rows}, "Data"),
		"odt": zipParts(b, [2]string{"content.xml", `<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>` +
			strings.Join(paras, "</text:p><text:p>") + `</text:p></office:text></office:body></office:document-content>`}),
		"pdf": makePDF(pages...),
	}
}

func BenchmarkExtract(b *testing.B) {
	samples := benchSamples(b)
	cfg := LocalConfig{MaxTextSize: 64 << 20, MaxFileSize: 64 << 20, CacheDir: testCacheDir}
	cfg.PDFEngine = PDFium
	pdfium := NewLocal(cfg)
	defer pdfium.Close()
	if err := pdfium.StartPDF(); err != nil {
		b.Fatal(err)
	}
	cfg.PDFEngine = PDFPure
	pure := NewLocal(cfg)
	cases := []struct {
		name, format string
		l            *Local
	}{
		{"txt", "txt", pure}, {"html", "html", pure}, {"rtf", "rtf", pure}, {"xml", "xml", pure},
		{"docx", "docx", pure}, {"pptx", "pptx", pure}, {"xlsx", "xlsx", pure}, {"odt", "odt", pure},
		{"pdf-pdfium", "pdf", pdfium}, {"pdf-pure", "pdf", pure},
	}
	for _, c := range cases {
		data := samples[c.format]
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var out int
			for b.Loop() {
				res, err := c.l.Extract(context.Background(), "bench."+c.format, bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				out = len(res.Value)
			}
			b.ReportMetric(float64(out), "text-bytes")
		})
	}
}

func BenchmarkAttachment(b *testing.B) {
	data := bytes.Repeat([]byte("binary\x00content\xff"), 1<<16) // 1 MiB
	a := NewAttachment(0)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Extract(context.Background(), "a.pdf", bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
