package cli

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/testproc"
)

type result struct {
	code           int
	stdout, stderr string
}

func runApp(t *testing.T, prepare func(*App), args ...string) result {
	t.Helper()
	var out, errb testproc.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Exit: func(code int) { t.Errorf("unexpected forced exit %d", code) }}
	if prepare != nil {
		prepare(a)
	}
	code := a.Run(args)
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommands(t *testing.T) {
	example := filepath.Join("..", "config.yml.example")
	bad := writeFile(t, "elasticsearch: {bulk: {chunk_size: -1}}\n")
	broken := writeFile(t, "service:\n  idling: 3\n bad: [\n")
	notCompiled := writeFile(t, "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: b, service_type: salesforce}\n")
	twice := writeFile(t, "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: a, service_type: dir}\n")
	alias := writeFile(t, "service:\n  max_concurrent_syncs: 2\nconnectors:\n  - {connector_id: a, service_type: dir}\n")
	tests := []struct {
		name       string
		args       []string
		code       int
		wantOut    string
		wantErr    string
		notInStdio string
	}{
		{"version flag", []string{"connectors", "--version"}, 0, "connectors 9.6.0", "", ""},
		{"help", []string{"connectors", "--help"}, 0, "connectors run -c config.yml", "", ""},
		{"validate example", []string{"connectors", "config", "validate", "-c", example}, 0, "valid", "", ""},
		{"validate bad", []string{"connectors", "config", "validate", "-c", bad}, 1, "elasticsearch.bulk.chunk_size: must be > 0", "", ""},
		{"validate broken yaml", []string{"connectors", "config", "validate", "-c", broken}, 1, "cannot parse YAML: line 2", "", ""},
		{"validate missing file", []string{"connectors", "config", "validate", "-c", "/nonexistent/c.yml"}, 1, "", "/nonexistent/c.yml not found", ""},
		{"validate service type not compiled in", []string{"connectors", "config", "validate", "-c", notCompiled}, 1, `connectors[1].service_type: connector b has service type "salesforce", which is not compiled into this binary`, "", ""},
		{"validate connector listed twice", []string{"connectors", "config", "validate", "-c", twice}, 1, `connectors[1].connector_id: connector_id "a" is listed more than once`, "", ""},
		{"validate as JSON", []string{"connectors", "config", "validate", "-c", twice, "-o", "json"}, 1, `"valid": false`, "", ""},
		{"validate deprecated alias", []string{"connectors", "config", "validate", "-c", alias}, 0, "warning: service.max_concurrent_syncs is deprecated: its value 2 is used", "", ""},
		{"show applies the alias", []string{"connectors", "config", "show", "-c", alias}, 0, "max_concurrent_content_syncs: 2", "", ""},
		{"help of a command goes to stdout", []string{"connectors", "job", "--help"}, 0, "Usage:", "", ""},
		{"ingest help goes to stdout", []string{"elastic-ingest", "--help"}, 0, "Usage: elastic-ingest", "", ""},
		{"show hides secrets", []string{"connectors", "config", "show", "-c", example}, 0, "password: <redacted>", "", "changeme"},
		{"unknown flag", []string{"connectors", "--nope"}, 2, "", "unknown flag", ""},
		{"unknown command", []string{"connectors", "nope"}, 2, "", "unknown command", ""},
		{"ingest version", []string{"/usr/bin/elastic-ingest", "-v"}, 0, "9.6.0\n", "", ""},
		{"ingest called as the original image's command", []string{"/app/bin/elastic-ingest", "/app/bin/elastic-ingest", "-v"}, 0, "9.6.0\n", "", ""},
		{"ingest combined actions", []string{"elastic-ingest", "--action", "list", "--action", "schedule"}, 2, "", "cannot be combined", ""},
		{"ingest config needs type", []string{"elastic-ingest", "--action", "config"}, 2, "", "needs --service-type", ""},
		{"ingest unknown flag", []string{"elastic-ingest", "--bogus"}, 2, "", "unknown flag", ""},
		{"run missing config", []string{"connectors", "run", "-c", "/nonexistent/c.yml"}, 1, "", "not found", ""},
		{"run bad action", []string{"connectors", "run", "--action", "dance", "-c", example}, 2, "", "unknown value \"dance\"", ""},
		{"run bad level", []string{"connectors", "run", "--log-level", "LOUD", "-c", example}, 2, "", "unknown log level", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runApp(t, nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout %q lacks %q", r.stdout, tt.wantOut)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.wantErr)
			}
			if tt.notInStdio != "" && strings.Contains(r.stdout+r.stderr, tt.notInStdio) {
				t.Errorf("output shows %q", tt.notInStdio)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in output: %s", r.stderr)
			}
		})
	}
}

func TestRunFailsClearly(t *testing.T) {
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"},"status":401}`)
	}))
	defer unauthorized.Close()
	notES := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"version":{"number":"2.11.0","distribution":"opensearch"}}`)
	}))
	defer notES.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name string
		host string
		want string
	}{
		{"wrong credentials", unauthorized.URL, "rejected the credentials"},
		{"not elasticsearch", notES.URL, "is not Elasticsearch"},
		{"unreachable", closedURL, "seems to be unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeFile(t, "elasticsearch:\n  host: "+tt.host+"\n  password: hunter2\n  max_wait_duration: 0.2\n  initial_backoff_duration: 0.05\n  retry_interval: 0.01\nconnectors:\n  - {connector_id: c1, service_type: dir}\n")
			r := runApp(t, nil, "connectors", "run", "-c", cfg)
			if r.code != 1 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stderr, "hunter2") {
				t.Fatalf("password in output:\n%s", r.stderr)
			}
		})
	}
}

func TestSignalsStopCleanlyAndSecondForces(t *testing.T) {
	// Elasticsearch that never becomes ready keeps the service in its wait
	// loop, where a signal must end it with exit 0.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
	}))
	defer srv.Close()
	cfg := writeFile(t, "elasticsearch:\n  host: "+srv.URL+"\n  initial_backoff_duration: 0.05\n  backoff_multiplier: 1\n  max_retries: 1\nconnectors:\n  - {connector_id: c1, service_type: dir}\n")

	sigs := make(chan os.Signal, 2)
	forced := make(chan int, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		sigs <- syscall.SIGTERM
	}()
	r := runApp(t, func(a *App) {
		a.Signals = sigs
		a.Exit = func(code int) { forced <- code }
	}, "connectors", "run", "-c", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "shutting down") {
		t.Errorf("no shutdown log:\n%s", r.stderr)
	}

	// The second-signal path, exercised on the context helper directly.
	a := &App{Stdout: io.Discard, Stderr: io.Discard, Signals: sigs, Exit: func(code int) { forced <- code }}
	log, _ := a.logger(nil)
	ctx, stop := a.signalContext(log)
	defer stop()
	sigs <- syscall.SIGINT
	<-ctx.Done()
	sigs <- syscall.SIGINT
	select {
	case code := <-forced:
		if code != ExitForced {
			t.Fatalf("forced exit code %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not force exit")
	}
}

// An orchestrator probes /healthz while the service waits for Elasticsearch:
// it must answer (the process is fine), and /readyz must not.
func TestHealthAnswersDuringPreflight(t *testing.T) {
	es := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer es.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeFile(t, "elasticsearch:\n  host: "+es.URL+"\n  initial_backoff_duration: 0.05\n  backoff_multiplier: 1\n  max_retries: 1\nservice:\n  metrics_addr: "+addr+"\nconnectors:\n  - {connector_id: c1, service_type: dir}\n")
	sigs := make(chan os.Signal, 1)
	_, errb, done := runAsync(t, func(a *App) { a.Signals = sigs }, "run", "-c", cfg)
	waitFor(t, errb, "Elasticsearch is not ready")
	get := func(path string) int {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if h, r := get("/healthz"), get("/readyz"); h != 200 || r != 503 {
		t.Errorf("during preflight /healthz %d (want 200), /readyz %d (want 503)", h, r)
	}
	sigs <- syscall.SIGTERM
	if r := <-done; r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
