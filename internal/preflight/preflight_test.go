package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/sysindex"
)

// fakeES answers GET / and index HEAD/PUT with scripted behaviour; enough to
// drive each preflight path without a cluster.
type fakeES struct {
	mu         sync.Mutex
	version    string
	flavor     string
	failFirst  int // answer 503 to the first n GET /
	status     int // fixed status for GET / (0: 200)
	noProduct  bool
	indices    map[string]bool
	createErr  int // status for PUT index (0: ok)
	createFail int // fail this many PUTs, then succeed
	// connectorAPI makes GET /_connector succeed, as on a cluster with the
	// ent-search module; otherwise the cluster is bare.
	connectorAPI bool
	// listing answers GET /.elastic-connectors* (default: no index).
	listing string
	gets    int
	puts    int
	bodies  []string // bodies of the index PUTs
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.noProduct {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
	}
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		f.gets++
		if f.gets <= f.failFirst {
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"type":"unavailable","reason":"starting"},"status":503}`)
			return
		}
		if f.status != 0 {
			w.WriteHeader(f.status)
			io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"},"status":401}`)
			return
		}
		fmt.Fprintf(w, `{"name":"n","cluster_name":"c","version":{"number":%q,"build_flavor":%q},"tagline":"You Know, for Search"}`, f.version, f.flavor)
	case r.URL.Path == "/_connector" && r.Method == http.MethodGet:
		if f.connectorAPI {
			io.WriteString(w, `{"count":0,"results":[]}`)
			return
		}
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"type":"invalid_index_name_exception","reason":"Invalid index name [_connector], must not start with '_'."},"status":400}`)
	case strings.HasPrefix(r.URL.Path, "/.elastic-connectors*") && r.Method == http.MethodGet:
		if f.listing == "" {
			f.listing = `{}` // nothing to check: the mapping checks are tested against estest
		}
		io.WriteString(w, f.listing)
	case strings.HasPrefix(r.URL.Path, "/_ingest/pipeline/") && r.Method == http.MethodGet:
		io.WriteString(w, `{"search-default-ingestion":{"processors":[]}}`)
	case r.Method == http.MethodHead:
		if f.indices[strings.TrimPrefix(r.URL.Path, "/")] {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(404)
		}
	case r.Method == http.MethodPut:
		f.puts++
		body, _ := io.ReadAll(r.Body)
		f.bodies = append(f.bodies, string(body))
		if f.createErr != 0 && (f.createFail == 0 || f.puts <= f.createFail) {
			w.WriteHeader(f.createErr)
			io.WriteString(w, `{"error":{"type":"illegal_argument_exception","reason":"system index"},"status":400}`)
			return
		}
		f.indices[strings.TrimPrefix(r.URL.Path, "/")] = true
		io.WriteString(w, `{"acknowledged":true}`)
	default:
		w.WriteHeader(404)
	}
}

func setup(t *testing.T, f *fakeES, mutate func(*config.Config)) (Params, *[]time.Duration) {
	t.Helper()
	if f.indices == nil {
		f.indices = map[string]bool{}
	}
	if f.version == "" {
		f.version = "9.6.0"
	}
	if f.flavor == "" {
		f.flavor = "default"
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Elasticsearch.Host = srv.URL
	cfg.Connectors = []config.ConnectorEntry{{ConnectorID: "c1", ServiceType: "dir"}}
	cfg.Service.PreflightIdle = 0
	if mutate != nil {
		mutate(cfg)
	}
	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: "9.6.0", Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var sleeps []time.Duration
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Params{
		Now:     func() time.Time { return clock },
		Config:  cfg,
		Client:  client,
		Version: "9.6.0",
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Getenv:  func(string) string { return "" },
		Sleep: func(_ context.Context, d time.Duration) error {
			sleeps = append(sleeps, d)
			clock = clock.Add(d)
			return nil
		},
	}, &sleeps
}

func TestRunCreatesMissingIndices(t *testing.T) {
	f := &fakeES{}
	p, _ := setup(t, f, nil)
	res, err := Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Serverless || !f.indices[sysindex.ConnectorsIndex] || !f.indices[sysindex.JobsIndex] {
		t.Fatalf("indices %v, serverless %v", f.indices, res.Serverless)
	}
	// A bare cluster gets the indices with their mappings and aliases.
	for _, b := range f.bodies {
		if !strings.Contains(b, `"mappings"`) || !strings.Contains(b, `"aliases"`) {
			t.Fatalf("index created without its definition: %s", b)
		}
	}
	if _, err := Run(context.Background(), p); err != nil || f.puts != 2 {
		t.Fatalf("second run should find the indices: err %v, puts %d", err, f.puts)
	}
}

func TestWaitBacksOff(t *testing.T) {
	f := &fakeES{failFirst: 3}
	p, sleeps := setup(t, f, nil)
	if _, err := Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint((*sleeps)[:3]) != fmt.Sprint(want) {
		t.Fatalf("sleeps %v, want %v", *sleeps, want)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name   string
		f      *fakeES
		mutate func(*config.Config)
		want   string
	}{
		{"unreachable within max_wait_duration", &fakeES{failFirst: 1000}, func(c *config.Config) { c.Elasticsearch.MaxWaitDuration = 10 }, "seems to be unreachable after 10s (5 attempts within elasticsearch.max_wait_duration 10s"},
		{"the time waited is the time said", &fakeES{failFirst: 1000}, func(c *config.Config) { c.Elasticsearch.MaxWaitDuration = 240 }, "seems to be unreachable after 4m0s (9 attempts"},
		{"bad credentials fail fast", &fakeES{status: 401}, nil, "rejected the credentials"},
		{"not elasticsearch", &fakeES{noProduct: true}, nil, "is not Elasticsearch"},
		{"version too old", &fakeES{version: "9.5.1"}, nil, "Elasticsearch 9.5.1 is older than connectors 9.6.0"},
		{"the refusal names the way out", &fakeES{version: "9.5.1"}, nil, "(set ALLOW_ES_VERSION_MISMATCH=true to start anyway)"},
		{"major mismatch", &fakeES{version: "8.19.0"}, nil, "different major versions"},
		{"no connectors", &fakeES{}, func(c *config.Config) { c.Connectors = nil }, "at least one connector"},
		{"indices never created", &fakeES{version: "8.19.0", createErr: 500}, func(c *config.Config) { c.Service.PreflightMaxAttempts = 2 }, "after 2 retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := setup(t, tt.f, tt.mutate)
			if tt.f.version == "8.19.0" && tt.want != "different major versions" {
				p.Version = "8.19.0"
			}
			_, err := Run(context.Background(), p)
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want preflight error containing %q", err, tt.want)
			}
		})
	}
}

func TestMismatchAllowedByEnv(t *testing.T) {
	p, _ := setup(t, &fakeES{version: "9.5.0"}, nil)
	p.Getenv = func(k string) string {
		if k == es.AllowMismatchEnv {
			return "true"
		}
		return ""
	}
	if _, err := Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func TestServerlessAndSystemIndexRefusal(t *testing.T) {
	// Elasticsearch 9 refuses direct creation of its system indices; that must
	// not stop the service, which relies on the connector API creating them.
	f := &fakeES{flavor: "serverless", createErr: 400, connectorAPI: true}
	p, _ := setup(t, f, nil)
	res, err := Run(context.Background(), p)
	if err != nil || !res.Serverless {
		t.Fatalf("res %+v err %v", res, err)
	}
	p2, _ := setup(t, &fakeES{createErr: 400, connectorAPI: true}, nil)
	if _, err := Run(context.Background(), p2); err != nil {
		t.Fatalf("9.x refusal should be tolerated: %v", err)
	}
}

func TestIndexCreationRetried(t *testing.T) {
	f := &fakeES{version: "8.19.0", createErr: 503, createFail: 2}
	p, sleeps := setup(t, f, func(c *config.Config) { c.Service.PreflightIdle = 7; c.Elasticsearch.MaxRetries = 1 })
	p.Version = "8.19.0"
	if _, err := Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(*sleeps) != 2 || (*sleeps)[0] != 7*time.Second {
		t.Fatalf("sleeps %v", *sleeps)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	f := &fakeES{failFirst: 1000}
	p, _ := setup(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	if _, err := Run(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestExtractionServiceProbeNeverFails(t *testing.T) {
	p, _ := setup(t, &fakeES{}, func(c *config.Config) {
		c.ExtractionService = &config.ExtractionService{Host: "http://127.0.0.1:1", Timeout: 1}
	})
	if _, err := Run(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func TestWronglyMappedIndexFailsAtOnce(t *testing.T) {
	// An index dynamic mapping made (connector.id as text) cannot improve by
	// waiting: preflight says so at once instead of retrying.
	f := &fakeES{listing: `{".elastic-connectors-sync-jobs-v1":{"aliases":{".elastic-connectors-sync-jobs":{}},"mappings":{"properties":{"connector":{"properties":{"id":{"type":"text"}}}}}}}`}
	p, sleeps := setup(t, f, nil)
	_, err := Run(context.Background(), p)
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "connector.id is mapped as text (want keyword)") || !strings.Contains(err.Error(), "DELETE /.elastic-connectors-sync-jobs-v1") {
		t.Fatalf("err = %v", err)
	}
	if len(*sleeps) != 0 {
		t.Fatalf("retried a permanent problem: sleeps %v", *sleeps)
	}
}
