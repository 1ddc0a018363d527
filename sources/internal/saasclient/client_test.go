package saasclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// TestVendorRateLimitSignals covers the throttling answers vendors send besides 429: GitHub's
// 403 with X-RateLimit-Remaining: 0 and an epoch X-RateLimit-Reset (primary limit) or with
// Retry-After (secondary limit), GitLab's RateLimit-Reset epoch, while a plain 403 is an error.
func TestVendorRateLimitSignals(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		status    int
		h         http.Header
		throttled bool
		wait      time.Duration
	}{
		{"github primary", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(now.Add(4*time.Second).Unix(), 10)}}, true, 4 * time.Second},
		{"github secondary", 403, http.Header{"Retry-After": {"60"}}, true, time.Minute},
		{"github 429 primary", 429, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(now.Add(2*time.Second).Unix(), 10)}}, true, 2 * time.Second},
		{"gitlab epoch", 429, http.Header{"Ratelimit-Reset": {strconv.FormatInt(now.Add(3*time.Second).Unix(), 10)}}, true, 3 * time.Second},
		{"draft delta", 429, http.Header{"Ratelimit-Reset": {"5"}}, true, 5 * time.Second},
		{"plain 403", 403, http.Header{"X-Ratelimit-Remaining": {"12"}}, false, 0},
	} {
		wait, announced := retryAfter(tc.h, tc.status, now)
		if got := throttled(tc.status, tc.h, announced); got != tc.throttled {
			t.Errorf("%s: throttled %v, want %v", tc.name, got, tc.throttled)
		}
		if tc.throttled && (!announced || wait != tc.wait) {
			t.Errorf("%s: wait %v (announced %v), want %v", tc.name, wait, announced, tc.wait)
		}
	}
}

// TestPostRetriesWithBodyAndRefresh: a POST is replayed with its body after throttling, and a
// 401 calls Refresh once and retries with the renewed credentials; a second 401 is an error.
func TestPostRetriesWithBodyAndRefresh(t *testing.T) {
	var n atomic.Int32
	token := atomic.Value{}
	token.Store("old")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"query":"{ viewer { login } }"}` {
			w.WriteHeader(400)
			return
		}
		switch {
		case r.URL.Path == "/always401":
			w.WriteHeader(401)
		case n.Add(1) == 1:
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(403)
		case r.Header.Get("Authorization") != "token new":
			w.WriteHeader(401)
		default:
			_, _ = w.Write([]byte(`{"data":{"viewer":{"login":"octocat"}}}`))
		}
	}))
	defer srv.Close()
	refreshes := 0
	c := &Client{HTTP: srv.Client(), Retries: 1,
		Prepare: func(r *http.Request) { r.Header.Set("Authorization", "token "+token.Load().(string)) },
		Refresh: func(context.Context) (bool, error) { refreshes++; token.Store("new"); return true, nil },
		Sleep:   func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
	var out struct {
		Data struct{ Viewer struct{ Login string } }
	}
	in := map[string]string{"query": "{ viewer { login } }"}
	if err := c.PostJSON(context.Background(), srv.URL+"/graphql", in, &out); err != nil || out.Data.Viewer.Login != "octocat" {
		t.Fatalf("%v %+v", err, out)
	}
	if refreshes != 1 {
		t.Errorf("%d refreshes, want 1", refreshes)
	}
	err := c.PostJSON(context.Background(), srv.URL+"/always401", in, &out)
	if !IsStatus(err, 401) || refreshes != 2 || !strings.Contains(err.Error(), "POST ") {
		t.Errorf("always 401: %v after %d refreshes", err, refreshes)
	}
}
