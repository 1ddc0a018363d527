// Command measure reports what in-process extraction costs on this machine: PDFium's start-up time and
// the process's resident memory before and after, then the time and memory of extracting a generated PDF.
// Run it twice with the same -cache directory to see a cold and a warm compilation cache:
//
//	go run ./internal/extract/internal/measure -cache /tmp/wazero-cache
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/extract"
)

func main() {
	cache := flag.String("cache", "", "wazero compilation cache directory; empty compiles in memory")
	pages := flag.Int("pages", 200, "pages in the generated PDF")
	docs := flag.Int("docs", 5, "how many times the PDF is extracted")
	workers := flag.Int("workers", 2, "PDFium instances")
	engine := flag.String("engine", "pdfium", "PDF engine: pdfium or pure")
	flag.Parse()

	report("baseline")
	l := extract.NewLocal(extract.LocalConfig{
		CacheDir: *cache, NoCompilationCache: *cache == "", PDFEngine: extract.PDFEngine(*engine), PDFWorkers: *workers,
		MaxFileSize: 64 << 20, MaxTextSize: 64 << 20,
	})
	start := time.Now()
	if err := l.StartPDF(); err != nil {
		log.Fatalf("starting PDFium: %v", err)
	}
	fmt.Printf("%s start: %v (cache %q)\n", *engine, time.Since(start).Round(time.Millisecond), *cache)
	report("after start")

	data := samplePDF(*pages)
	for i := range *docs {
		t := time.Now()
		c, err := l.Extract(context.Background(), "sample.pdf", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("extract %d: %d-page PDF (%d bytes) -> %d bytes of text in %v\n", i+1, *pages, len(data), len(c.Value), time.Since(t).Round(time.Millisecond))
	}
	report("after extraction")
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}
	runtime.GC()
	report("after close")
}

// report prints the resident set size now and at its peak, from /proc (Linux only).
func report(when string) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Printf("%s: no /proc/self/status\n", when)
		return
	}
	var rss, hwm string
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	fmt.Printf("%s: RSS %s, peak RSS %s\n", when, rss, hwm)
}

// samplePDF writes a text-dense PDF with the given number of pages, 40 lines of Helvetica each.
func samplePDF(pages int) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, pages)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	line := "(The quick brown fox jumps over the lazy dog, again and again, in plain prose.) Tj T*\n"
	content := "BT /F1 11 Tf 13 TL 60 740 Td\n" + strings.Repeat(line, 40) + "ET"
	for i := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
