package extract

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func TestExtension(t *testing.T) {
	tests := []struct {
		name, want string
		supported  bool
	}{
		{"report.pdf", ".pdf", true},
		{"REPORT.PDF", ".pdf", true},
		{"dir.v2/notes", "", false},
		{"archive.tar.gz", ".gz", false},
		{".bashrc", "", false},
		{"..hidden", "", false},
		{".config.json", ".json", true},
		{"trailing.", ".", false},
		{"", "", false},
		{"a/b/deck.PpTx", ".pptx", true},
		{"drawing.vsdm", ".vsdm", true},
		{"legacy.doc", ".doc", true},
		{"photo.jpeg", ".jpeg", false},
	}
	for _, tc := range tests {
		if got := Extension(tc.name); got != tc.want {
			t.Errorf("Extension(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if got := Supported(tc.name); got != tc.supported {
			t.Errorf("Supported(%q) = %v, want %v", tc.name, got, tc.supported)
		}
	}
	if n := len(SupportedExtensions()); n != 31 {
		t.Errorf("%d supported extensions, want the original's 31", n)
	}
}

func TestTextBuf(t *testing.T) {
	tests := []struct {
		name string
		run  func(b *textBuf)
		want string
	}{
		{"separators only between text", func(b *textBuf) {
			b.sep(sepLine)
			_ = b.raw("a")
			b.sep(sepSpace)
			b.sep(sepLine)
			b.sep(sepTab)
			_ = b.raw("b")
			b.sep(sepPara)
		}, "a\nb"},
		{"words squeeze white space", func(b *textBuf) {
			_ = b.words("  one \n\t two  ")
			_ = b.words("three")
			_ = b.words("four")
			_ = b.words(" five")
		}, "one two threefour five"},
		{"control characters dropped", func(b *textBuf) { _ = b.raw("a\x00b\x1bc\u0085d\te\r\n") }, "abcd\te\r\n"},
		{"invalid UTF-8 dropped", func(b *textBuf) { _ = b.raw("ok\xff\xfe!") }, "ok!"},
	}
	for _, tc := range tests {
		b := newTextBuf(1000)
		tc.run(b)
		if got := b.String(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	b := newTextBuf(5)
	if err := b.raw("ab\u20accd"); !errors.Is(err, errTextFull) || b.String() != "ab\u20ac" || !b.truncated {
		t.Errorf("cut at limit: %q, %v", b.String(), err)
	}
	b = newTextBuf(4)
	if err := b.raw("ab\u20ac"); !errors.Is(err, errTextFull) || b.String() != "ab" {
		t.Errorf("cut inside a rune: %q, %v", b.String(), err)
	}
}

func TestAttachment(t *testing.T) {
	a := NewAttachment(0)
	data := []byte("%PDF-1.4 binary \x00\xff\xfe content")
	c, err := a.Extract(context.Background(), "a.pdf", iotest.OneByteReader(strings.NewReader(string(data))), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Field != FieldAttachment {
		t.Errorf("Field = %q", c.Field)
	}
	if want := base64.StdEncoding.EncodeToString(data); c.Value != want {
		t.Errorf("Value = %q, want %q", c.Value, want)
	}
	if got := c.Fields(); len(got) != 1 || got["_attachment"] != c.Value {
		t.Errorf("Fields() = %v", got)
	}
	if err := a.Check("photo.png", 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Check(photo.png) = %v, want ErrUnsupported", err)
	}
	if err := a.Check("old.xls", 1); err != nil {
		t.Errorf("Check(old.xls) = %v: every listed extension goes to the pipeline", err)
	}
	// A read error from the source is returned, not hidden.
	boom := errors.New("connection reset")
	if _, err := a.Extract(context.Background(), "a.txt", iotest.ErrReader(boom), -1); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

// fakeDES is an httptest server following the Data Extraction Service's documented API: PUT
// /extract_text/ with the file as the body or ?local_file_path=, answering {"extracted_text": ...}, and
// GET /ping/.
type fakeDES struct {
	mu       sync.Mutex
	requests []fakeRequest
	status   int    // answer status; 0 means 200
	answer   string // raw answer; "" means the default JSON
	block    bool   // hold requests until the client gives up
}

type fakeRequest struct {
	contentType, accept, localPath string
	chunked, fileExisted           bool
	body                           string
}

func (f *fakeDES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/ping/":
		if f.status != 0 {
			w.WriteHeader(f.status)
		}
		return
	case r.Method == http.MethodPut && r.URL.Path == "/extract_text/":
	default:
		http.NotFound(w, r)
		return
	}
	req := fakeRequest{
		contentType: r.Header.Get("Content-Type"),
		accept:      r.Header.Get("Accept"),
		localPath:   r.URL.Query().Get("local_file_path"),
		chunked:     len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
	}
	var content []byte
	if req.localPath != "" {
		var err error
		content, err = os.ReadFile(req.localPath)
		req.fileExisted = err == nil
	} else {
		content, _ = io.ReadAll(r.Body)
	}
	req.body = string(content)
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.block {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.status != 0 {
		w.WriteHeader(f.status)
	}
	if f.answer != "" {
		_, _ = io.WriteString(w, f.answer)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"extracted_text": "text of " + string(content)})
}

func (f *fakeDES) last(t *testing.T) fakeRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the service got no request")
	}
	return f.requests[len(f.requests)-1]
}

func TestService(t *testing.T) {
	newService := func(t *testing.T, f *fakeDES, cfg ServiceConfig) *Service {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		cfg.Host = srv.URL + "/"
		s, err := NewService(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()

	t.Run("streams the file", func(t *testing.T) {
		f := &fakeDES{}
		s := newService(t, f, ServiceConfig{StreamChunkSize: 3})
		c, err := s.Extract(ctx, "a.docx", strings.NewReader("file bytes"), 10)
		if err != nil || c.Field != FieldBody || c.Value != "text of file bytes" || c.Warning != "" {
			t.Fatalf("got %+v, %v", c, err)
		}
		r := f.last(t)
		if r.contentType != "application/octet-stream" || r.accept != "application/json" || !r.chunked {
			t.Errorf("request headers: %+v", r)
		}
	})

	t.Run("file pointers", func(t *testing.T) {
		dir := t.TempDir()
		f := &fakeDES{}
		s := newService(t, f, ServiceConfig{UseFilePointers: true, SharedVolumeDir: dir})
		c, err := s.Extract(ctx, "slides.PPTX", strings.NewReader("shared bytes"), -1)
		if err != nil || c.Value != "text of shared bytes" {
			t.Fatalf("got %+v, %v", c, err)
		}
		r := f.last(t)
		if !r.fileExisted || filepath.Dir(r.localPath) != dir || !strings.HasSuffix(r.localPath, ".pptx") {
			t.Errorf("local_file_path = %q (existed: %v), want a .pptx file in %s", r.localPath, r.fileExisted, dir)
		}
		if _, err := os.Stat(r.localPath); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temporary file %s was not removed: %v", r.localPath, err)
		}
	})

	t.Run("no size limit", func(t *testing.T) {
		s := newService(t, &fakeDES{}, ServiceConfig{})
		if err := s.Check("huge.pdf", 1<<40); err != nil {
			t.Errorf("Check = %v; the service mode ignores max_file_download_size", err)
		}
		if err := s.Check("huge.exe", 1); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Check(exe) = %v, want ErrUnsupported", err)
		}
	})

	warnings := []struct {
		name string
		f    *fakeDES
		cfg  ServiceConfig
		want string
	}{
		{"non-200", &fakeDES{status: 422, answer: `{"error":"UnprocessableEntity","message":"bad file"}`}, ServiceConfig{}, "HTTP 422; UnprocessableEntity: bad file"},
		{"error field", &fakeDES{answer: `{"extracted_text":"partial","error":"ParseError"}`}, ServiceConfig{}, "HTTP 200; ParseError: unknown cause"},
		{"non-200 without details", &fakeDES{status: 500, answer: `{}`}, ServiceConfig{}, "unexpected error: unknown cause"},
		{"not JSON", &fakeDES{answer: "<html>proxy error</html>"}, ServiceConfig{}, "not JSON"},
		{"timeout", &fakeDES{block: true}, ServiceConfig{Timeout: 50 * time.Millisecond}, "failed while extracting"},
		{"answer too large", &fakeDES{answer: `{"extracted_text":"` + strings.Repeat("x", 100) + `"}`}, ServiceConfig{MaxResponseSize: 50}, "larger than 50 bytes"},
	}
	for _, tc := range warnings {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, tc.f, tc.cfg)
			c, err := s.Extract(ctx, "a.pdf", strings.NewReader("x"), 1)
			if err != nil {
				t.Fatalf("err = %v; a service failure must only empty the body", err)
			}
			if c.Field != FieldBody || c.Value != "" || !strings.Contains(c.Warning, tc.want) || !strings.Contains(c.Warning, `"a.pdf"`) {
				t.Errorf("got %+v, want an empty body and a warning containing %q and the file name", c, tc.want)
			}
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		s, _ := NewService(ServiceConfig{Host: srv.URL})
		c, err := s.Extract(ctx, "a.pdf", strings.NewReader("x"), 1)
		if err != nil || c.Value != "" || !strings.Contains(c.Warning, "connection") {
			t.Errorf("got %+v, %v", c, err)
		}
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping of a closed server succeeded")
		} else if se := (*ServiceStatusError)(nil); errors.As(err, &se) {
			t.Errorf("Ping error %v should not be a status error", err)
		}
	})

	t.Run("source read error", func(t *testing.T) {
		s := newService(t, &fakeDES{}, ServiceConfig{})
		boom := errors.New("download broke")
		r := io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom))
		if _, err := s.Extract(ctx, "a.pdf", r, -1); !errors.Is(err, boom) {
			t.Errorf("err = %v, want the download error", err)
		}
		dir := t.TempDir()
		fp := newService(t, &fakeDES{}, ServiceConfig{UseFilePointers: true, SharedVolumeDir: dir})
		if _, err := fp.Extract(ctx, "a.pdf", iotest.ErrReader(boom), -1); !errors.Is(err, boom) {
			t.Errorf("file pointers: err = %v, want the download error", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		s := newService(t, &fakeDES{block: true}, ServiceConfig{})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(20*time.Millisecond, cancel)
		if _, err := s.Extract(cctx, "a.pdf", strings.NewReader("x"), 1); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("truncation", func(t *testing.T) {
		s := newService(t, &fakeDES{}, ServiceConfig{MaxTextSize: 10})
		c, err := s.Extract(ctx, "a.txt", strings.NewReader("0123456789abc"), -1)
		if err != nil || c.Value != "text of 01" || !c.Truncated {
			t.Errorf("got %+v, %v", c, err)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if err := newService(t, &fakeDES{}, ServiceConfig{}).Ping(ctx); err != nil {
			t.Errorf("Ping = %v", err)
		}
		err := newService(t, &fakeDES{status: 503}, ServiceConfig{}).Ping(ctx)
		var se *ServiceStatusError
		if !errors.As(err, &se) || se.StatusCode != 503 {
			t.Errorf("Ping = %v, want a status error with 503", err)
		}
	})
}

func TestNewServiceValidation(t *testing.T) {
	for _, host := range []string{"", "   ", "localhost:8090", "ftp://x", "http://"} {
		if _, err := NewService(ServiceConfig{Host: host}); err == nil || !strings.Contains(err.Error(), "extraction_service.host") {
			t.Errorf("NewService(%q) = %v, want an error naming extraction_service.host", host, err)
		}
	}
	s, err := NewService(ServiceConfig{Host: "http://des:8090/"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.Config()
	if cfg.Timeout != 30*time.Second || cfg.StreamChunkSize != 65536 || cfg.SharedVolumeDir != "/app/files" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestSelector(t *testing.T) {
	svc := &ServiceConfig{Host: "http://localhost:8090"}
	tests := []struct {
		mode    Mode
		service *ServiceConfig
		useText bool
		want    Mode
	}{
		{"", nil, false, ModeAttachment},
		{ModeAuto, nil, false, ModeAttachment},
		{ModeAuto, svc, false, ModeAttachment},
		{ModeAuto, svc, true, ModeService},
		{ModeAuto, nil, true, ModeLocal},
		{ModeAttachment, svc, true, ModeAttachment},
		{ModeLocal, svc, false, ModeLocal},
		{ModeService, svc, false, ModeService},
	}
	for _, tc := range tests {
		s, err := New(Config{Mode: tc.mode, Service: tc.service})
		if err != nil {
			t.Fatalf("New(%q): %v", tc.mode, err)
		}
		if got := s.For(tc.useText).Mode(); got != tc.want {
			t.Errorf("mode %q, service %v, use_text_extraction_service %v: got %q, want %q", tc.mode, tc.service != nil, tc.useText, got, tc.want)
		}
		if (s.Service() != nil) != (tc.service != nil) {
			t.Errorf("Service() = %v with service config %v", s.Service(), tc.service)
		}
		_ = s.Close()
	}
	if _, err := New(Config{Mode: ModeService}); err == nil {
		t.Error("mode service without a host was accepted")
	}
	if _, err := New(Config{Mode: "tika"}); err == nil {
		t.Error("unknown mode was accepted")
	}
	if _, err := New(Config{Service: &ServiceConfig{Host: "nope"}}); err == nil {
		t.Error("invalid host was accepted")
	}
	s, _ := New(Config{MaxFileSize: 123})
	if got := s.Local().Config().MaxFileSize; got != 123 {
		t.Errorf("local MaxFileSize = %d, want service.max_file_download_size", got)
	}
	if err := s.Attachment().Check("a.txt", 124); !errors.Is(err, ErrTooLarge) {
		t.Errorf("attachment limit not applied: %v", err)
	}
	for in, want := range map[string]PDFEngine{"": PDFAuto, "AUTO": PDFAuto, "pdfium": PDFium, " pure": PDFPure} {
		if got, err := ParsePDFEngine(in); err != nil || got != want {
			t.Errorf("ParsePDFEngine(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePDFEngine("mupdf"); err == nil {
		t.Error("unknown PDF engine accepted")
	}
	for in, want := range map[string]Mode{"": ModeAuto, " Local ": ModeLocal, "SERVICE": ModeService, "attachment": ModeAttachment} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
}
