package saasclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		h      http.Header
		status int
		want   time.Duration
		ok     bool
	}{
		{http.Header{"Retry-After": {"7"}}, 429, 7 * time.Second, true},
		{http.Header{"Retry-After": {now.Add(3 * time.Second).Format(http.TimeFormat)}}, 503, 3 * time.Second, true},
		{http.Header{"X-Ratelimit-Reset": {now.Add(9 * time.Second).Format(time.RFC3339)}}, 429, 9 * time.Second, true},
		{http.Header{"X-Ratelimit-Reset": {now.Add(9 * time.Second).Format(time.RFC3339)}}, 503, 0, false},
		{http.Header{"Retry-After": {"soon"}}, 429, 0, false},
	} {
		got, ok := retryAfter(tc.h, tc.status, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v %d: %v %v, want %v %v", tc.h, tc.status, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffIsCappedWithJitter(t *testing.T) {
	c := &Client{BaseDelay: time.Second, MaxDelay: 8 * time.Second}
	for attempt, max := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
		for i := 0; i < 50; i++ {
			if d := c.backoff(attempt); d < max/2 || d >= max {
				t.Fatalf("attempt %d: %v outside [%v, %v)", attempt, d, max/2, max)
			}
		}
	}
}

func TestGet(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/storm": // three 429s, one 503, then an answer
			switch n.Add(1) {
			case 1, 2, 3:
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(429)
			case 4:
				w.WriteHeader(503)
			default:
				_, _ = w.Write([]byte(`{"ok":true}`))
			}
		case "/missing":
			n.Add(1)
			w.WriteHeader(404)
		case "/broken":
			n.Add(1)
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	var waits []time.Duration
	c := &Client{HTTP: srv.Client(), Retries: 2, BaseDelay: time.Millisecond, Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}}
	var out map[string]any
	if err := c.GetJSON(context.Background(), srv.URL+"/storm", &out); err != nil || out["ok"] != true {
		t.Fatalf("storm: %v %v", err, out)
	}
	if len(waits) != 4 || waits[0] < 2*time.Second || waits[0] > 2*time.Second+250*time.Millisecond || waits[3] > time.Millisecond {
		t.Errorf("waits %v: want three of Retry-After (2 s plus jitter) and one backoff", waits)
	}
	n.Store(0)
	err := c.GetJSON(context.Background(), srv.URL+"/missing", &out)
	if !IsStatus(err, 404) || n.Load() != 1 {
		t.Errorf("404: %v after %d requests, want no retry", err, n.Load())
	}
	n.Store(0)
	err = c.GetJSON(context.Background(), srv.URL+"/broken", &out)
	if !IsStatus(err, 500) || n.Load() != 3 {
		t.Errorf("500: %v after %d requests, want 1 + 2 retries", err, n.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.GetJSON(ctx, srv.URL+"/storm", &out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
