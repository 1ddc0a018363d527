package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/config"
)

// Defaults of the extraction_service section of config.yml.
const (
	DefaultServiceTimeout  = 30 * time.Second
	DefaultStreamChunkSize = 64 << 10
	DefaultSharedVolumeDir = "/app/files"
	// pingTimeout is the total time the preflight probe allows.
	pingTimeout = 5 * time.Second
	// defaultMaxResponseSize bounds the JSON answer read from the service.
	defaultMaxResponseSize = 64 << 20
)

// ServiceConfig is config.yml's extraction_service section.
type ServiceConfig struct {
	Host            string        // extraction_service.host: base URL, e.g. http://localhost:8090
	Timeout         time.Duration // extraction_service.timeout: total time per request; default 30 s
	UseFilePointers bool          // extraction_service.use_file_pointers
	StreamChunkSize int           // extraction_service.stream_chunk_size: upload read size; default 64 KiB
	SharedVolumeDir string        // extraction_service.shared_volume_dir; default /app/files
	// MaxTextSize cuts the returned text, in bytes; 0 keeps all of it, as the original does.
	MaxTextSize int
	// MaxResponseSize bounds the service's JSON answer, in bytes; default 64 MiB. A longer answer is
	// treated like a failed extraction.
	MaxResponseSize int64
	// HTTPClient is used for requests; nil means a client of its own. Its Timeout is not used: the
	// per-request Timeout above applies.
	HTTPClient *http.Client
}

// Service is a client of the Data Extraction Service: it sends the file and sets body to the text it
// returns. Like the original, a failure of the service is not an error for the document: the body is
// empty and Content.Warning says why. Only a failure to read the file itself, or cancellation, is an
// error.
type Service struct {
	cfg    ServiceConfig
	base   string
	shown  string // base without credentials, for messages
	client *http.Client
}

// NewService validates the configuration and returns the client. It does not contact the service; see
// Ping.
func NewService(cfg ServiceConfig) (*Service, error) {
	host := strings.TrimRight(strings.TrimSpace(cfg.Host), "/")
	if host == "" {
		return nil, errors.New("extraction_service.host is empty")
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("extraction_service.host %q is not an http(s) URL", config.RedactURL(cfg.Host))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultServiceTimeout
	}
	if cfg.StreamChunkSize <= 0 {
		cfg.StreamChunkSize = DefaultStreamChunkSize
	}
	if cfg.SharedVolumeDir == "" {
		cfg.SharedVolumeDir = DefaultSharedVolumeDir
	}
	if cfg.MaxResponseSize <= 0 {
		cfg.MaxResponseSize = defaultMaxResponseSize
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	return &Service{cfg: cfg, base: host, shown: config.RedactURL(host), client: client}, nil
}

// redact renders a transport error without the credentials of the
// service's URL.
func (s *Service) redact(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Sprintf("%s %s: %v", uerr.Op, config.RedactURL(uerr.URL), uerr.Err)
	}
	return err.Error()
}

// Config returns the configuration in force, defaults filled in.
func (s *Service) Config() ServiceConfig { return s.cfg }

// Mode implements Extractor.
func (s *Service) Mode() Mode { return ModeService }

// Check implements Extractor. The original ignores service.max_file_download_size when the service is
// used, so only the extension is checked.
func (s *Service) Check(filename string, size int64) error {
	if !Supported(filename) {
		return fileError(filename, fmt.Errorf("%w: extension %q is not in the supported list", ErrUnsupported, Extension(filename)))
	}
	return nil
}

// ServiceStatusError is a ping answered with a status other than 200.
type ServiceStatusError struct {
	Host       string
	StatusCode int
}

func (e *ServiceStatusError) Error() string {
	return fmt.Sprintf("data extraction service at %s answered its ping with HTTP %d", e.Host, e.StatusCode)
}

// Ping is the preflight probe: GET <host>/ping/ within 5 seconds. A *ServiceStatusError means the service
// answered but not with 200 (the original logs a warning); any other error means it could not be reached
// (the original logs it as critical). Neither stops the service from starting.
func (s *Service) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/ping/", nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("data extraction service at %s is unreachable: %s", s.shown, s.redact(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return &ServiceStatusError{Host: s.shown, StatusCode: resp.StatusCode}
	}
	return nil
}

// serviceAnswer is the service's JSON answer.
type serviceAnswer struct {
	ExtractedText string `json:"extracted_text"`
	Error         string `json:"error"`
	Message       string `json:"message"`
}

// sourceReader remembers an error of the file's own reader, so that a failed download is told apart from
// a failed upload, and hands the HTTP client at most one chunk per read.
type sourceReader struct {
	ctx   context.Context
	r     io.Reader
	chunk int
	err   error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// Extract implements Extractor: PUT <host>/extract_text/ with the bytes streamed as
// application/octet-stream, or, with use_file_pointers, the bytes written to a temporary file in the
// shared volume and its path passed as ?local_file_path=. The temporary file is always removed.
func (s *Service) Extract(ctx context.Context, filename string, r io.Reader, size int64) (Content, error) {
	if err := ctx.Err(); err != nil {
		return Content{}, fileError(filename, err)
	}
	var (
		req *http.Request
		src *sourceReader
		err error
	)
	// The timeout covers the whole request, upload included, as the original's total timeout does; the
	// temporary file is written before it starts.
	if s.cfg.UseFilePointers {
		path, werr := s.writeShared(ctx, filename, r)
		if werr != nil {
			return Content{}, fileError(filename, werr)
		}
		defer os.Remove(path)
		rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		req, err = http.NewRequestWithContext(rctx, http.MethodPut,
			s.base+"/extract_text/?local_file_path="+url.QueryEscape(path), nil)
	} else {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
		src = &sourceReader{ctx: ctx, r: r, chunk: s.cfg.StreamChunkSize}
		req, err = http.NewRequestWithContext(rctx, http.MethodPut, s.base+"/extract_text/", src)
		if err == nil {
			req.Header.Set("Content-Type", "application/octet-stream")
			// An unknown length makes the client stream the body in chunked encoding.
			req.ContentLength = -1
		}
	}
	if err != nil {
		return Content{}, fileError(filename, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if src != nil && src.err != nil {
		return Content{}, fileError(filename, src.err)
	}
	if ctx.Err() != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return Content{}, fileError(filename, ctx.Err())
	}
	empty := Content{Field: FieldBody}
	if err != nil {
		empty.Warning = fmt.Sprintf("connection to the data extraction service at %s failed while extracting %q: %s", s.shown, filename, s.redact(err))
		return empty, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseSize+1))
	if err != nil {
		empty.Warning = fmt.Sprintf("reading the data extraction service's answer for %q failed: %v", filename, err)
		return empty, nil
	}
	if int64(len(body)) > s.cfg.MaxResponseSize {
		empty.Warning = fmt.Sprintf("the data extraction service's answer for %q is larger than %d bytes", filename, s.cfg.MaxResponseSize)
		return empty, nil
	}
	var ans serviceAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		empty.Warning = fmt.Sprintf("text extraction failed for %q: the service's answer (HTTP %d) is not JSON: %v", filename, resp.StatusCode, err)
		return empty, nil
	}
	if resp.StatusCode != http.StatusOK || ans.Error != "" {
		e, m := ans.Error, ans.Message
		if e == "" {
			e = "unexpected error"
		}
		if m == "" {
			m = "unknown cause"
		}
		empty.Warning = fmt.Sprintf("the data extraction service could not parse %q: HTTP %d; %s: %s", filename, resp.StatusCode, e, m)
		return empty, nil
	}
	c := Content{Field: FieldBody, Value: ans.ExtractedText}
	if s.cfg.MaxTextSize > 0 && len(c.Value) > s.cfg.MaxTextSize {
		t := newTextBuf(s.cfg.MaxTextSize)
		_ = t.put(c.Value)
		c.Value, c.Truncated = t.String(), true
	}
	return c, nil
}

// writeShared copies the file into the shared volume under a unique name that keeps its extension, which
// the service uses to pick a parser.
func (s *Service) writeShared(ctx context.Context, filename string, r io.Reader) (string, error) {
	f, err := os.CreateTemp(s.cfg.SharedVolumeDir, "connectors-*"+Extension(filename))
	if err != nil {
		return "", fmt.Errorf("creating a file in extraction_service.shared_volume_dir: %w", err)
	}
	_, err = io.Copy(f, &ctxReader{ctx: ctx, r: r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
