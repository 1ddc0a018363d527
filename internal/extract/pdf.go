package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/ledongthuc/pdf"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PDFStatus describes the PDF engine of a Local extractor, for logs and diagnostics.
type PDFStatus struct {
	Engine    PDFEngine     // the engine in use: PDFium or PDFPure; PDFAuto before the first PDF
	StartTime time.Duration // how long PDFium took to start (compile or load from cache, plus one instance)
	StartErr  error         // why PDFium could not start, when the pure reader replaced it
	CacheDir  string        // the compilation cache in use; "" when compiling in memory
}

// PDFStatus reports which PDF engine is in use. It does not start one.
func (l *Local) PDFStatus() PDFStatus {
	l.pdfMu.Lock()
	defer l.pdfMu.Unlock()
	st := PDFStatus{Engine: l.cfg.PDFEngine, StartErr: l.pdfErr}
	if l.pdf != nil {
		st.Engine, st.StartTime, st.CacheDir = PDFium, l.pdf.startTime, l.pdf.cacheDir
	} else if l.pdfTried || l.cfg.PDFEngine == PDFPure {
		st.Engine = PDFPure
	}
	return st
}

// StartPDF starts PDFium now rather than on the first PDF, e.g. to pay the start-up cost at service start.
// It returns PDFium's start error; in PDFAuto mode extraction still works after an error, with the pure
// reader.
func (l *Local) StartPDF() error {
	if l.cfg.PDFEngine == PDFPure {
		return nil
	}
	_, err := l.pdfium()
	return err
}

// pdfium returns the PDFium pool, starting it on first use. A failed start is remembered: retrying on
// every PDF would cost seconds each time for the same outcome.
func (l *Local) pdfium() (*pdfiumPool, error) {
	l.pdfMu.Lock()
	defer l.pdfMu.Unlock()
	if l.pdf != nil || l.pdfTried {
		return l.pdf, l.pdfErr
	}
	l.pdfTried = true
	l.pdf, l.pdfErr = startPDFium(l.cfg)
	return l.pdf, l.pdfErr
}

func (l *Local) pdfText(ctx context.Context, data []byte, t *textBuf) error {
	if l.cfg.PDFEngine == PDFPure {
		return pdfPureText(ctx, data, t)
	}
	p, err := l.pdfium()
	if err != nil {
		if l.cfg.PDFEngine == PDFium {
			return fmt.Errorf("%w: PDFium is configured but could not start: %w", ErrUnsupported, err)
		}
		return pdfPureText(ctx, data, t)
	}
	return p.text(ctx, data, t)
}

type pdfiumPool struct {
	pool      pdfium.Pool
	startTime time.Duration
	cacheDir  string
	cache     wazero.CompilationCache
}

// startPDFium compiles (or loads from the cache) the PDFium module and starts one instance to prove it
// works. The module gets no host file system: documents are passed as bytes.
func startPDFium(cfg LocalConfig) (p *pdfiumPool, err error) {
	// Compiling PDFium (an empty cache) leaves about 300 MiB of garbage in the heap, which the
	// runtime would hand back to the system only over minutes. A start happens once per process,
	// so one forced collection afterwards, whatever the outcome, keeps the service's resident
	// memory where a warm start leaves it (measured right after a cold start: 350 MiB -> 57 MiB).
	defer debug.FreeOSMemory()
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("starting PDFium: %v", r)
		}
	}()
	start := time.Now()
	p = &pdfiumPool{}
	rc := wazero.NewRuntimeConfig().
		// PDFium's setjmp/longjmp are compiled to WebAssembly exceptions.
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		// Lets Kill stop a call that is running, for cancellation and timeouts.
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(uint32(min(cfg.PDFMemoryLimit/65536, 65536)))
	if cfg.CacheDir != "" && !cfg.NoCompilationCache {
		if err := os.MkdirAll(cfg.CacheDir, 0o700); err == nil {
			if cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir); err == nil {
				rc = rc.WithCompilationCache(cache)
				p.cache, p.cacheDir = cache, cfg.CacheDir
			}
		}
	}
	p.pool, err = webassembly.Init(webassembly.Config{
		MaxIdle:       cfg.PDFWorkers,
		MaxTotal:      cfg.PDFWorkers,
		FSConfig:      wazero.NewFSConfig(),
		RuntimeConfig: rc,
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		// Instances are reused: a fresh one per document would redo PDFium's initialisation every time,
		// and every document is closed before its instance goes back to the pool.
		ReuseWorkers: true,
	})
	if err != nil {
		p.closeCache()
		return nil, fmt.Errorf("starting PDFium: %w", err)
	}
	inst, err := p.pool.GetInstance(time.Minute)
	if err != nil {
		_ = p.pool.Close()
		p.closeCache()
		return nil, fmt.Errorf("starting PDFium instance: %w", err)
	}
	_ = inst.Close()
	p.startTime = time.Since(start)
	return p, nil
}

func (p *pdfiumPool) closeCache() {
	if p.cache != nil {
		_ = p.cache.Close(context.Background())
	}
}

func (p *pdfiumPool) close() error {
	err := p.pool.Close()
	p.closeCache()
	return err
}

// text extracts a document page by page. If ctx ends during a call into PDFium, the instance is killed,
// which interrupts the WebAssembly code, and the pool replaces it.
func (p *pdfiumPool) text(ctx context.Context, data []byte, t *textBuf) (err error) {
	inst, err := p.pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("getting a PDFium instance: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = inst.Kill() })
	defer func() {
		if stop() {
			_ = inst.Close()
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
	}()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		if errors.Is(err, pdfiumerrors.ErrPassword) || errors.Is(err, pdfiumerrors.ErrSecurity) {
			return ErrEncrypted
		}
		return malformed("PDF: %v", err)
	}
	defer func() {
		_, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	}()
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return malformed("PDF page count: %v", err)
	}
	for i := 0; i < count.PageCount; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := pdfiumPage(inst, doc.Document, i, t); err != nil {
			return err
		}
		t.sep(sepPara)
	}
	return nil
}

// pdfiumTextChunk is how many characters are copied out of PDFium per call.
const pdfiumTextChunk = 16 << 10

func pdfiumPage(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, index int, t *textBuf) error {
	page, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: index})
	if err != nil {
		return malformed("PDF page %d: %v", index+1, err)
	}
	defer func() { _, _ = inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: page.Page}) }()
	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &page.Page}})
	if err != nil {
		return malformed("PDF page %d text: %v", index+1, err)
	}
	defer func() { _, _ = inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage}) }()
	n, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return malformed("PDF page %d text: %v", index+1, err)
	}
	for start := 0; start < n.Count; start += pdfiumTextChunk {
		res, err := inst.FPDFText_GetText(&requests.FPDFText_GetText{
			TextPage: tp.TextPage, StartIndex: start, Count: min(pdfiumTextChunk, n.Count-start),
		})
		if err != nil {
			return malformed("PDF page %d text: %v", index+1, err)
		}
		if err := t.raw(normalizePDFText(res.Text)); err != nil {
			return err
		}
	}
	return nil
}

// normalizePDFText turns PDFium's CRLF line ends into LF and drops the markers it uses for soft hyphens
// and for characters without a Unicode mapping.
func normalizePDFText(s string) string {
	if !strings.ContainsAny(s, "\r\ufffe\x02") {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n", "\ufffe", "", "\x02", "").Replace(s)
}

// pdfPureText reads a PDF with github.com/ledongthuc/pdf. That library can loop for a long time on
// hostile input and cannot be interrupted, so it runs in its own goroutine with its own buffer: when ctx
// ends the caller returns at once, and the goroutine stops at its next read, which fails from then on.
func pdfPureText(ctx context.Context, data []byte, t *textBuf) error {
	type result struct {
		text      string
		truncated bool
		err       error
	}
	done := make(chan result, 1)
	go func() {
		own := newTextBuf(t.max - t.b.Len())
		err := pdfPureRead(ctx, data, own)
		done <- result{own.String(), own.truncated, err}
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case res := <-done:
		if err := t.raw(res.text); err != nil {
			return err
		}
		if res.truncated {
			t.truncated = true
			return errTextFull
		}
		return res.err
	}
}

func pdfPureRead(ctx context.Context, data []byte, t *textBuf) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = malformed("PDF: %v", p)
		}
	}()
	rd, err := pdf.NewReader(&ctxReaderAt{ctx: ctx, r: bytes.NewReader(data)}, int64(len(data)))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if strings.Contains(err.Error(), "encrypt") || strings.Contains(err.Error(), "password") {
			return ErrEncrypted
		}
		return malformed("PDF: %v", err)
	}
	n := rd.NumPage()
	for i := 1; i <= n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := rd.Page(i)
		// A page count larger than the page tree is common in damaged files; past the last real page
		// every lookup fails the same way.
		if p.V.IsNull() {
			break
		}
		text, err := p.GetPlainText(nil)
		if err != nil {
			return malformed("PDF page %d: %v", i, err)
		}
		// The reader starts every text object with a line break; only the breaks inside the page count.
		if err := t.raw(strings.TrimSpace(text)); err != nil {
			return err
		}
		t.sep(sepPara)
	}
	return nil
}

// ctxReaderAt fails every read once ctx is done, which ends the pure PDF reader's work soon after.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c *ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
