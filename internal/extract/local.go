package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Defaults of the local (in-process) extractor.
const (
	// DefaultMaxFileSize is service.max_file_download_size's default: 10 MiB.
	DefaultMaxFileSize = 10 << 20
	// DefaultMaxTextSize keeps a body well under the bulk sink's 3 MiB per-document cap
	// (elasticsearch.bulk.max_text_document_size), which would otherwise drop the whole document.
	DefaultMaxTextSize = 1 << 20
	// DefaultMaxUnzippedSize bounds what a zip-based document may expand to.
	DefaultMaxUnzippedSize = 100 << 20
	// DefaultTimeout bounds the work on one file.
	DefaultTimeout = time.Minute
	// DefaultPDFMemoryLimit bounds the WebAssembly memory of one PDFium instance.
	DefaultPDFMemoryLimit = 512 << 20
)

// PDFEngine names a PDF text reader.
type PDFEngine string

const (
	// PDFAuto uses PDFium and falls back to the pure-Go reader if PDFium cannot start.
	PDFAuto PDFEngine = ""
	// PDFium is Google's PDF library compiled to WebAssembly, run by wazero: accurate, about 50 MB per
	// instance once compiled.
	PDFium PDFEngine = "pdfium"
	// PDFPure is github.com/ledongthuc/pdf: small and quick to start, weaker on complex layouts and fonts.
	PDFPure PDFEngine = "pure"
)

// ParsePDFEngine reads a PDF engine name: "", "auto", "pdfium" or "pure".
func ParsePDFEngine(s string) (PDFEngine, error) {
	switch e := PDFEngine(strings.ToLower(strings.TrimSpace(s))); e {
	case "", "auto":
		return PDFAuto, nil
	case PDFium, PDFPure:
		return e, nil
	}
	return "", fmt.Errorf("unknown PDF engine %q (use auto, pdfium or pure)", s)
}

// LocalConfig configures in-process extraction. The zero value is usable: every zero field takes its
// default. These are not config.yml keys (docs/extraction.md lists the defaults).
type LocalConfig struct {
	// MaxFileSize is the largest input accepted, in bytes (service.max_file_download_size). Negative
	// means no limit.
	MaxFileSize int64
	// MaxTextSize is the most text returned, in bytes; longer text is cut and marked Truncated.
	MaxTextSize int
	// MaxUnzippedSize bounds the total decompressed size of a DOCX/PPTX/XLSX/ODT/VSDX package.
	MaxUnzippedSize int64
	// Timeout bounds the extraction of one file, on top of the caller's context. Negative disables it.
	Timeout time.Duration
	// PDFEngine picks the PDF reader; see the constants.
	PDFEngine PDFEngine
	// PDFWorkers bounds how many PDFium instances run at once; more PDFs wait. Default: min(2, GOMAXPROCS).
	PDFWorkers int
	// PDFMemoryLimit bounds one PDFium instance's memory, in bytes.
	PDFMemoryLimit int64
	// CacheDir holds wazero's compilation cache, which cuts PDFium's start from seconds to about a
	// hundred milliseconds. Default: <os.UserCacheDir()>/connectors/wazero.
	CacheDir string
	// NoCompilationCache compiles PDFium in memory on every start instead of using CacheDir.
	NoCompilationCache bool
}

func (c LocalConfig) withDefaults() LocalConfig {
	if c.MaxFileSize == 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.MaxTextSize <= 0 {
		c.MaxTextSize = DefaultMaxTextSize
	}
	if c.MaxUnzippedSize <= 0 {
		c.MaxUnzippedSize = DefaultMaxUnzippedSize
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PDFWorkers <= 0 {
		c.PDFWorkers = min(2, runtime.GOMAXPROCS(0))
	}
	if c.PDFMemoryLimit <= 0 {
		c.PDFMemoryLimit = DefaultPDFMemoryLimit
	}
	if c.CacheDir == "" && !c.NoCompilationCache {
		if dir, err := os.UserCacheDir(); err == nil {
			c.CacheDir = filepath.Join(dir, "connectors", "wazero")
		}
	}
	return c
}

// formatKind says how a format is read: from a stream, or from bytes held in memory (zip and PDF need
// random access).
type formatKind int

const (
	streamed formatKind = iota
	buffered
)

type format struct {
	kind   formatKind
	stream func(r io.Reader, t *textBuf) error
	buffer func(ctx context.Context, l *Local, data []byte, t *textBuf) error
}

func zipFormat(read func(*zipDoc, *textBuf) error) format {
	return format{kind: buffered, buffer: func(ctx context.Context, l *Local, data []byte, t *textBuf) error {
		z, err := openZip(ctx, data, l.cfg.MaxUnzippedSize)
		if err != nil {
			return err
		}
		return read(z, t)
	}}
}

func xmlFormat(rules *xmlRules) format {
	return format{kind: streamed, stream: func(r io.Reader, t *textBuf) error {
		// walkXML checks the context itself; the reader passed in is already context-aware.
		return walkXML(context.Background(), r, rules, t)
	}}
}

var (
	plainFormat = format{kind: streamed, stream: extractPlain}
	htmlFormat  = format{kind: streamed, stream: func(r io.Reader, t *textBuf) error { return extractHTML(r, t, false) }}
	aspxFormat  = format{kind: streamed, stream: func(r io.Reader, t *textBuf) error { return extractHTML(r, t, true) }}
	rtfFormat   = format{kind: streamed, stream: extractRTF}
	pdfFormat   = format{kind: buffered, buffer: func(ctx context.Context, l *Local, data []byte, t *textBuf) error {
		return l.pdfText(ctx, data, t)
	}}
	xlsxFormat = format{kind: buffered, buffer: func(ctx context.Context, l *Local, data []byte, t *textBuf) error {
		return extractXLSX(ctx, data, l.cfg.MaxUnzippedSize, t)
	}}
)

// localFormats are the extensions of the supported list that this package reads itself. The rest (.doc,
// .ppt, .xls, .xlsb, .msg, .vsd: binary OLE formats) are ErrUnsupported in local mode.
var localFormats = map[string]format{
	".txt": plainFormat, ".md": plainFormat, ".markdown": plainFormat, ".rst": plainFormat,
	".csv": plainFormat, ".tsv": plainFormat, ".json": plainFormat, ".py": plainFormat, ".rb": plainFormat,
	".sh": plainFormat, ".paper": plainFormat, // Dropbox Paper documents are exported as Markdown
	".html": htmlFormat, ".aspx": aspxFormat,
	".xml": xmlFormat(genericXMLRules), ".svg": xmlFormat(svgRules),
	".rtf":  rtfFormat,
	".pdf":  pdfFormat,
	".docx": zipFormat(extractDOCX), ".pptx": zipFormat(extractPPTX), ".potx": zipFormat(extractPPTX),
	".vsdx": zipFormat(extractVSDX), ".vsdm": zipFormat(extractVSDX), ".odt": zipFormat(extractODT),
	".xlsx": xlsxFormat, ".xlsm": xlsxFormat,
}

// Local extracts text in this process. It is safe for concurrent use; PDFium instances are pooled and
// bounded by LocalConfig.PDFWorkers, everything else runs in the caller's goroutine.
type Local struct {
	cfg LocalConfig
	// timedOut is the cause an extraction's context ends with at LocalConfig.Timeout (one
	// value, not one per file).
	timedOut error

	pdfMu    sync.Mutex
	pdf      *pdfiumPool // nil until the first PDF, or when PDFium could not start
	pdfErr   error       // why PDFium could not start; the pure reader is used from then on
	pdfTried bool
}

// NewLocal returns an in-process extractor. Nothing expensive happens until the first PDF.
func NewLocal(cfg LocalConfig) *Local {
	l := &Local{cfg: cfg.withDefaults()}
	l.timedOut = fmt.Errorf("%w: local extraction took longer than %s (its per-file time limit)", context.DeadlineExceeded, l.cfg.Timeout)
	return l
}

// Config returns the configuration in force, defaults filled in.
func (l *Local) Config() LocalConfig { return l.cfg }

// Mode implements Extractor.
func (l *Local) Mode() Mode { return ModeLocal }

// CanExtract reports whether this extractor reads files of this name's format.
func (l *Local) CanExtract(filename string) bool {
	_, ok := localFormats[Extension(filename)]
	return ok
}

// Check implements Extractor: the extension must be in the supported list and readable in process, and a
// known size must be within MaxFileSize.
func (l *Local) Check(filename string, size int64) error {
	if !Supported(filename) || !l.CanExtract(filename) {
		return fileError(filename, fmt.Errorf("%w: %q files are not extracted in process", ErrUnsupported, Extension(filename)))
	}
	if l.cfg.MaxFileSize >= 0 && size > l.cfg.MaxFileSize {
		return fileError(filename, tooLarge(l.cfg.MaxFileSize, "service.max_file_download_size"))
	}
	return nil
}

// Extract implements Extractor: it returns the text of the file as the document's body. size is the
// declared size, or -1 when unknown; the limit is enforced on the bytes actually read either way.
//
// It reads the format named by the extension, not by sniffing. Read errors from r are returned as they
// are, wrapped with the file name; everything about the content is one of the package's sentinel errors.
func (l *Local) Extract(ctx context.Context, filename string, r io.Reader, size int64) (Content, error) {
	f, ok := localFormats[Extension(filename)]
	if !ok {
		return Content{}, fileError(filename, fmt.Errorf("%w: %q files are not extracted in process", ErrUnsupported, Extension(filename)))
	}
	if l.cfg.MaxFileSize >= 0 && size > l.cfg.MaxFileSize {
		return Content{}, fileError(filename, tooLarge(l.cfg.MaxFileSize, "service.max_file_download_size"))
	}
	var deadline time.Time
	if l.cfg.Timeout > 0 {
		if f.kind == streamed {
			// A streamed format sees its context only between reads, so a deadline checked there
			// ends it at the same moment; it spares a timer per file, which on a folder of small
			// files cost more than the extraction.
			deadline = time.Now().Add(l.cfg.Timeout)
		} else {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, l.cfg.Timeout, l.timedOut)
			defer cancel()
		}
	}
	src := &sourceErrReader{r: r}
	r = src
	if l.cfg.MaxFileSize >= 0 {
		r = newCapReader(r, l.cfg.MaxFileSize, "service.max_file_download_size")
	}
	r = &ctxReader{ctx: ctx, r: r, deadline: deadline, timedOut: l.timedOut}
	t := newTextBuf(l.cfg.MaxTextSize)
	err := l.run(ctx, f, r, size, t)
	if errors.Is(err, errTextFull) {
		err = nil
	}
	if src.err != nil {
		// The download failed: whatever a parser made of the partial content is beside the point.
		return Content{}, fileError(filename, src.err)
	}
	if err != nil {
		if isCtxErr(err) || ctx.Err() != nil {
			if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
		}
		return Content{}, fileError(filename, err)
	}
	return Content{Field: FieldBody, Value: t.String(), Truncated: t.truncated}, nil
}

// run reads one file, turning a panic in a parser into ErrMalformed: a hostile file must cost at most its
// own body, never the process.
func (l *Local) run(ctx context.Context, f format, r io.Reader, size int64, t *textBuf) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %w: %v", ErrMalformed, errParserPanic, p)
		}
	}()
	if f.kind == streamed {
		return f.stream(r, t)
	}
	max := l.cfg.MaxFileSize
	if max < 0 {
		max = 1 << 62
	}
	data, err := readAll(r, size, max)
	if err != nil {
		return err
	}
	return f.buffer(ctx, l, data, t)
}

// Close releases the PDFium instances, if any were started.
func (l *Local) Close() error {
	l.pdfMu.Lock()
	defer l.pdfMu.Unlock()
	if l.pdf != nil {
		err := l.pdf.close()
		l.pdf = nil
		return err
	}
	return nil
}
