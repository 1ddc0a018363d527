package es

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v9/esapi"
)

// TestAvailabilityWatchers: a call that keeps failing to reach Elasticsearch tells the watchers
// once it has tried for UnavailableAfter, long before its retry budget is spent; a busy cluster
// (429) or a single failed attempt does not; every answered attempt is reported.
func TestAvailabilityWatchers(t *testing.T) {
	tests := []struct {
		name        string
		statuses    []int
		drop        int // the first drop attempts lose their connection
		unavailable int
		wantStatus  int
	}{
		{name: "503 until the outage ends", statuses: append(repeat(503, 6), 200), unavailable: 1, wantStatus: 503},
		{name: "connections lost until the outage ends", drop: 6, statuses: []int{200}, unavailable: 1},
		{name: "one 503 is no outage", statuses: []int{503, 200}},
		{name: "a busy cluster is no outage", statuses: append(repeat(429, 6), 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if n <= tt.drop {
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
					return
				}
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.statuses[n-tt.drop-1])
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			cfg := esConfig(srv.URL)
			cfg.RetryInterval = 10 // the defaults: waits of 0.5, 1, 2, 4... s, a budget of 100 s
			c, clock := clientWithClock(t, cfg)
			var mu sync.Mutex
			var downs []error
			var downSince time.Time
			var ups []time.Time
			c.WatchAvailability(AvailabilityWatcher{
				Unavailable: func(err error, since time.Time) {
					mu.Lock()
					defer mu.Unlock()
					downs, downSince = append(downs, err), since
				},
				Answered: func(at time.Time) {
					mu.Lock()
					defer mu.Unlock()
					ups = append(ups, at)
				},
			})
			began := clock.now()
			if err := c.Do(context.Background(), esapi.IndexRequest{Index: "i", DocumentID: "1", Body: strings.NewReader(`{"a":1}`)}, nil); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(downs) != tt.unavailable {
				t.Fatalf("told unavailable %d times (%v), want %d", len(downs), downs, tt.unavailable)
			}
			if tt.unavailable > 0 {
				if !downSince.Equal(began) {
					t.Errorf("unavailable since %v, want the call's start %v", downSince, began)
				}
				if tt.wantStatus != 0 && StatusOf(downs[0]) != tt.wantStatus {
					t.Errorf("error %v, want status %d", downs[0], tt.wantStatus)
				}
				var ce *ConnError
				if tt.drop > 0 && !errors.As(downs[0], &ce) {
					t.Errorf("error %T %v, want a *ConnError", downs[0], downs[0])
				}
			}
			if len(ups) != 1 || !ups[0].After(began) {
				t.Fatalf("answered %v, want once, for the last attempt", ups)
			}
		})
	}
}
