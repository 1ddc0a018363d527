package es

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
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

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int32
		wantErr   int
	}{
		{"429 then ok", []int{429, 200}, 2, 0},
		{"503 502 504 500 then ok", []int{503, 502, 504, 500, 200}, 5, 0},
		{"gives up after max_retries", []int{429, 429, 429, 429, 429, 429, 429}, 5, 429},
		{"400 not retried", []int{400, 200}, 1, 400},
		{"404 not retried", []int{404, 200}, 1, 404},
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
				w.WriteHeader(tt.statuses[n-1])
				io.WriteString(w, `{"error":{"type":"some_exception","reason":"because"},"status":1}`)
			}))
			defer srv.Close()
			var waits []time.Duration
			cfg := esConfig(srv.URL)
			cfg.RetryInterval = 10
			c, err := New(Options{Config: cfg, Version: "9.6.0", Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Do(context.Background(), esapi.IndexRequest{Index: "i", DocumentID: "1", Body: strings.NewReader(`{"a":1}`)}, nil)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if StatusOf(err) != tt.wantErr && !(tt.wantErr == 0 && err == nil) {
				t.Errorf("err = %v, want status %d", err, tt.wantErr)
			}
			for i, b := range bodies {
				if b != `{"a":1}` {
					t.Errorf("attempt %d sent body %q: retries must replay the body", i+1, b)
				}
			}
			for i, w := range waits {
				if want := time.Duration(i+1) * 10 * time.Second; w != want {
					t.Errorf("wait %d = %v, want %v (retry_interval x attempt)", i+1, w, want)
				}
			}
			if tt.wantErr != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Type != "some_exception" || e.Reason != "because" || e.Method != "PUT" || e.Path != "/i/_doc/1" {
					t.Errorf("error not parsed: %#v", err)
				}
			}
		})
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
	cfg.MaxRetries = 2
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
