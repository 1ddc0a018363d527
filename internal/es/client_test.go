package es

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v9/esapi"

	"github.com/connectors-go/connectors/internal/config"
)

const infoBody = `{"name":"n","cluster_name":"c","version":{"number":"9.6.0","build_flavor":"default"},"tagline":"You Know, for Search"}`

func esConfig(host string) config.Elasticsearch {
	c := config.Default().Elasticsearch
	c.Host = host
	c.RetryInterval = 0.001
	c.RequestTimeout = 5
	return c
}

func newClient(t *testing.T, cfg config.Elasticsearch, apiKey string) *Client {
	t.Helper()
	c, err := New(Options{Config: cfg, Version: "9.6.0", APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHeadersAndAuth(t *testing.T) {
	secret := "s3cr3t-pass"
	key := "id1:key1"
	tests := []struct {
		name   string
		mutate func(*config.Elasticsearch)
		apiKey string
		want   string
	}{
		{"default basic auth", func(c *config.Elasticsearch) {}, "", "Basic " + base64.StdEncoding.EncodeToString([]byte("elastic:changeme"))},
		{"custom basic auth", func(c *config.Elasticsearch) { c.Username, c.Password = "bob", secret }, "", "Basic " + base64.StdEncoding.EncodeToString([]byte("bob:"+secret))},
		{"encoded api key wins", func(c *config.Elasticsearch) { k := "ZW5jb2RlZA=="; c.APIKey = &k; c.Username = "bob" }, "", "APIKey ZW5jb2RlZA=="},
		{"raw id:key is encoded", func(c *config.Elasticsearch) { c.APIKey = &key }, "", "APIKey " + base64.StdEncoding.EncodeToString([]byte(key))},
		{"per-connector key wins", func(c *config.Elasticsearch) { k := "global"; c.APIKey = &k }, "conn", "APIKey conn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Clone()
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				io.WriteString(w, infoBody)
			}))
			defer srv.Close()
			cfg := esConfig(srv.URL)
			cfg.Headers = map[string]string{"X-Team": "search", "X-Elastic-Product-Origin": "kibana"}
			tt.mutate(&cfg)
			c := newClient(t, cfg, tt.apiKey)
			if _, err := c.Info(context.Background()); err != nil {
				t.Fatal(err)
			}
			if a := got.Get("Authorization"); a != tt.want {
				t.Errorf("Authorization = %q, want %q", a, tt.want)
			}
			if ua := got.Get("User-Agent"); ua != "elastic-connectors-9.6.0/service" {
				t.Errorf("User-Agent = %q", ua)
			}
			if o := got.Get("X-Elastic-Product-Origin"); o != "connectors" {
				t.Errorf("product origin = %q, the mandatory header must win", o)
			}
			if x := got.Get("X-Team"); x != "search" {
				t.Errorf("configured header lost: %q", x)
			}
		})
	}
}

// fakeClock makes retry waits instant while the budget still sees them.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(_ context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	f.waits = append(f.waits, d)
	return nil
}

// clientWithClock builds a client whose waits are recorded, not slept, and
// whose jitter is fixed at the top of its range (each wait is its cap).
func clientWithClock(t *testing.T, cfg config.Elasticsearch) (*Client, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c, err := New(Options{Config: cfg, Version: "9.6.0", Sleep: clock.sleep, Jitter: func() float64 { return 1 }})
	if err != nil {
		t.Fatal(err)
	}
	c.now = clock.now
	return c, clock
}

func TestRetries(t *testing.T) {
	// With the defaults (waits from 0.5 s doubling to retry_interval = 10 s,
	// a budget of 100 s): 0.5+1+2+4+8 = 15.5 s after five waits, then 10 s
	// each; the 14th wait would end after 105.5 s, so 14 attempts are made.
	tests := []struct {
		name       string
		statuses   []int
		retryAfter string
		mutate     func(*config.Elasticsearch)
		wantCalls  int32
		wantErr    int
		wantWaits  []time.Duration
		wantGaveUp bool
	}{
		{name: "429 then ok", statuses: []int{429, 200}, wantCalls: 2, wantWaits: []time.Duration{500 * time.Millisecond}},
		{name: "503 502 504 500 then ok", statuses: []int{503, 502, 504, 500, 200}, wantCalls: 5,
			wantWaits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "gives up when the budget is spent", statuses: repeat(429, 20), wantCalls: 14, wantErr: 429, wantGaveUp: true},
		{name: "retry_budget set", statuses: repeat(503, 20), mutate: func(c *config.Elasticsearch) { b := 3.0; c.RetryBudget = &b }, wantCalls: 3, wantErr: 503, wantGaveUp: true,
			wantWaits: []time.Duration{500 * time.Millisecond, time.Second}},
		{name: "retry_backoff_max caps the waits", statuses: []int{429, 429, 429, 429, 200}, mutate: func(c *config.Elasticsearch) { m := 1.5; c.RetryBackoffMax = &m }, wantCalls: 5,
			wantWaits: []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "Retry-After is honoured", statuses: []int{429, 200}, retryAfter: "7", wantCalls: 2, wantWaits: []time.Duration{7 * time.Second}},
		{name: "Retry-After beyond the budget gives up", statuses: []int{503, 200}, retryAfter: "120", wantCalls: 1, wantErr: 503},
		{name: "max_retries 1 means one attempt", statuses: []int{429, 200}, mutate: func(c *config.Elasticsearch) { c.MaxRetries = 1 }, wantCalls: 1, wantErr: 429},
		{name: "400 not retried", statuses: []int{400, 200}, wantCalls: 1, wantErr: 400},
		{name: "401 not retried", statuses: []int{401, 200}, wantCalls: 1, wantErr: 401},
		{name: "404 not retried", statuses: []int{404, 200}, wantCalls: 1, wantErr: 404},
		{name: "409 not retried", statuses: []int{409, 200}, wantCalls: 1, wantErr: 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var bodies []string
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.Header().Set("Content-Type", "application/json")
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.statuses[n-1])
				io.WriteString(w, `{"error":{"type":"some_exception","reason":"because"},"status":1}`)
			}))
			defer srv.Close()
			cfg := esConfig(srv.URL)
			cfg.RetryInterval = 10
			if tt.mutate != nil {
				tt.mutate(&cfg)
			}
			c, clock := clientWithClock(t, cfg)
			err := c.Do(context.Background(), esapi.IndexRequest{Index: "i", DocumentID: "1", Body: strings.NewReader(`{"a":1}`)}, nil)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d (waits %v)", got, tt.wantCalls, clock.waits)
			}
			if StatusOf(err) != tt.wantErr && !(tt.wantErr == 0 && err == nil) {
				t.Errorf("err = %v, want status %d", err, tt.wantErr)
			}
			for i, b := range bodies {
				if b != `{"a":1}` {
					t.Errorf("attempt %d sent body %q: retries must replay the body", i+1, b)
				}
			}
			if tt.wantWaits != nil && fmt.Sprint(clock.waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", clock.waits, tt.wantWaits)
			}
			var total time.Duration
			for _, w := range clock.waits {
				total += w
			}
			if budget := c.Policy().Budget; total > budget {
				t.Errorf("waited %v in all, more than the budget %v", total, budget)
			}
			if tt.wantErr != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Type != "some_exception" || e.Reason != "because" || e.Method != "PUT" || e.Path != "/i/_doc/1" {
					t.Errorf("error not parsed: %#v", err)
				}
				if got := strings.Contains(err.Error(), "elasticsearch.retry_budget"); got != tt.wantGaveUp {
					t.Errorf("error %q: names the retry budget %v, want %v", err, got, tt.wantGaveUp)
				}
			}
		})
	}
}

func repeat(status, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = status
	}
	return out
}

// TestLostAnswersAreRetried covers answers that never arrive whole: the
// connection closed before or while the answer is sent, and a body framed
// as complete that is not JSON. A retried request that may have been
// carried out is flagged as repeated, so a 409 or 404 can be read for what
// it is.
func TestLostAnswersAreRetried(t *testing.T) {
	tests := []struct {
		name         string
		fail         func(w http.ResponseWriter)
		wantRepeated bool
	}{
		{"connection closed without an answer", func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }, true},
		{"answer cut half-way", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			io.WriteString(w, `{"_id":"1","res`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, true},
		{"unparseable answer", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"_id":"1","res`)
		}, true},
		{"503 from a load balancer", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(503)
			io.WriteString(w, "Service Unavailable")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					tt.fail(w)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(409)
				io.WriteString(w, `{"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict"},"status":409}`)
			}))
			defer srv.Close()
			c, _ := clientWithClock(t, esConfig(srv.URL))
			err := c.Request(context.Background(), "POST", "/i/_update/1?if_seq_no=1&if_primary_term=1", map[string]any{"doc": map[string]any{"a": 1}}, nil)
			if calls.Load() != 2 || !IsConflict(err) {
				t.Fatalf("calls %d, err %v: want a retry answered 409", calls.Load(), err)
			}
			if IsRepeated(err) != tt.wantRepeated {
				t.Fatalf("IsRepeated = %v, want %v", IsRepeated(err), tt.wantRepeated)
			}
		})
	}
}

func TestConnectionRefusedRetriedWithinBudget(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	cfg := esConfig(url)
	cfg.RetryInterval = 10
	c, clock := clientWithClock(t, cfg)
	_, err := c.Info(context.Background())
	var ce *ConnError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "gave up after 14 attempts") {
		t.Fatalf("err = %v, want a ConnError after 14 attempts (waits %v)", err, clock.waits)
	}
}

func TestRetryPolicyFromConfig(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		mutate func(*config.Elasticsearch)
		want   RetryPolicy
	}{
		{"defaults: the original's 100 s of waiting", func(*config.Elasticsearch) {}, RetryPolicy{Initial: 500 * time.Millisecond, Max: 10 * time.Second, Budget: 100 * time.Second, OnTimeout: true}},
		{"max_retries and retry_interval map onto the budget", func(c *config.Elasticsearch) { c.MaxRetries, c.RetryInterval = 3, 2 },
			RetryPolicy{Initial: 500 * time.Millisecond, Max: 2 * time.Second, Budget: 6 * time.Second, OnTimeout: true}},
		{"small retry_interval shortens the first wait", func(c *config.Elasticsearch) { c.RetryInterval = 0.1 },
			RetryPolicy{Initial: 100 * time.Millisecond, Max: 100 * time.Millisecond, Budget: time.Second, OnTimeout: true}},
		{"explicit keys win", func(c *config.Elasticsearch) {
			c.RetryBudget, c.RetryBackoffMax, c.RetryBackoffInitial, c.RetryOnTimeout = f(600), f(30), 0.02, false
		}, RetryPolicy{Initial: 20 * time.Millisecond, Max: 30 * time.Second, Budget: 600 * time.Second}},
		{"zero interval still waits", func(c *config.Elasticsearch) { c.RetryInterval = 0; c.RetryBudget = f(1) },
			RetryPolicy{Initial: minWait, Max: minWait, Budget: time.Second, OnTimeout: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default().Elasticsearch
			tt.mutate(&cfg)
			if got := PolicyFrom(cfg); got != tt.want {
				t.Fatalf("policy %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Thu, 02 Jan 2025 03:04:35 GMT": 30 * time.Second,
		"Thu, 02 Jan 2025 03:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", in, got, want)
		}
	}
}

func TestTimeoutRetriedThenReported(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	cfg := esConfig(srv.URL)
	cfg.RequestTimeout = 0.05
	budget := 0.03 // room for one wait (at least 10 ms) after the first timeout
	cfg.RetryBudget = &budget
	c := newClient(t, cfg, "")
	_, err := c.Info(context.Background())
	var ce *ConnError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout ConnError, got %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2", calls.Load())
	}
	cfg.RetryOnTimeout = false
	calls.Store(0)
	c = newClient(t, cfg, "")
	_, _ = c.Info(context.Background())
	if calls.Load() != 1 {
		t.Fatalf("retry_on_timeout false: calls = %d, want 1", calls.Load())
	}
}

func TestUnreachableErrorHasNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cfg := esConfig(strings.Replace(url, "http://", "http://admin:hunter2@", 1))
	cfg.MaxRetries = 2
	c := newClient(t, cfg, "")
	_, err := c.Info(context.Background())
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, leak := range []string{"hunter2", "admin"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error leaks %q: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "cannot reach Elasticsearch at http://127.0.0.1") {
		t.Fatalf("error should name the host: %v", err)
	}
}

func TestInfoRejectsOtherProducts(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		body    string
		status  int
		wantErr string
	}{
		{"opensearch-like", "", `{"version":{"number":"2.11.0","distribution":"opensearch"}}`, 200, "lacks the X-Elastic-Product"},
		{"not json", "Elasticsearch", `<html>`, 200, "did not return a JSON info document"},
		{"no version", "Elasticsearch", `{"name":"x"}`, 200, "no version.number"},
		{"unauthorized", "Elasticsearch", `{"error":{"type":"security_exception","reason":"unable to authenticate user [elastic] for REST request [/]"},"status":401}`, 401, "401 security_exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("X-Elastic-Product", tt.header)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			_, err := newClient(t, esConfig(srv.URL), "").Info(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		io.WriteString(w, infoBody)
	}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*config.Elasticsearch)
		ok     bool
	}{
		{"unknown CA rejected", func(c *config.Elasticsearch) {}, false},
		{"ca_certs trusted", func(c *config.Elasticsearch) { c.CACerts = caFile }, true},
		{"verify_certs false", func(c *config.Elasticsearch) { c.VerifyCerts = false }, true},
		{"ssl false ignores verify_certs", func(c *config.Elasticsearch) { c.SSL = false; c.VerifyCerts = false }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := esConfig(srv.URL)
			cfg.MaxRetries = 1
			tt.mutate(&cfg)
			_, err := newClient(t, cfg, "").Info(context.Background())
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	cfg := esConfig(srv.URL)
	cfg.CACerts = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "elasticsearch.ca_certs") {
		t.Fatalf("missing CA file: %v", err)
	}
}

// TestRetryLogLevels: a call warns once when it starts retrying and once when it gives up; the
// attempts in between are debug lines, so an outage does not print a warning per attempt (the
// service logs each change of availability itself).
func TestRetryLogLevels(t *testing.T) {
	for _, tt := range []struct {
		name              string
		statuses          []int
		wantWarn, wantDbg int
		wantGiveUp        bool
	}{
		{"no failure", []int{200}, 0, 0, false},
		{"one retry", []int{503, 200}, 1, 0, false},
		{"recovers after four retries", []int{503, 502, 503, 504, 200}, 1, 3, false},
		{"final error after retries", []int{503, 503, 404}, 1, 1, false},
		{"budget spent", repeat(503, 20), 2, 12, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.statuses[n-1])
				io.WriteString(w, `{"acknowledged":true}`)
			}))
			defer srv.Close()
			var out strings.Builder
			var mu sync.Mutex
			logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return out.Write(p)
			}), &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg := esConfig(srv.URL)
			cfg.RetryInterval = 10
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			c, err := New(Options{Config: cfg, Version: "9.6.0", Logger: logger, Sleep: clock.sleep, Jitter: func() float64 { return 1 }})
			if err != nil {
				t.Fatal(err)
			}
			c.now = clock.now
			_ = c.Do(context.Background(), esapi.IndexRequest{Index: "i", DocumentID: "1", Body: strings.NewReader(`{"a":1}`)}, nil)
			mu.Lock()
			logs := out.String()
			mu.Unlock()
			warn := strings.Count(logs, "level=WARN")
			dbg := strings.Count(logs, "level=DEBUG msg=\"Elasticsearch request failed again, retrying\"")
			if warn != tt.wantWarn || dbg != tt.wantDbg {
				t.Errorf("%d warnings and %d debug retry lines, want %d and %d:\n%s", warn, dbg, tt.wantWarn, tt.wantDbg, logs)
			}
			if got := strings.Contains(logs, "giving up"); got != tt.wantGiveUp {
				t.Errorf("give-up warning %v, want %v:\n%s", got, tt.wantGiveUp, logs)
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
