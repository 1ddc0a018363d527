// Package saasclient is the HTTP client the SaaS sources share: GET requests with the vendor's
// credentials, retried with capped exponential backoff and jitter on transient failures, and
// throttling honoured as the vendor signals it (429 or 503 with Retry-After, X-RateLimit-Reset),
// so that a storm slows a sync down instead of failing it. Every wait stops when the context is
// cancelled.
package saasclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client sends GET requests with retries. The zero value is not usable; set HTTP at least.
type Client struct {
	HTTP *http.Client
	// Prepare adds credentials and headers to every request.
	Prepare func(*http.Request)
	// Retries is how many times a transient failure (5xx, network error) is retried.
	Retries int
	// ThrottleRetries is how many times a throttled request (429, or 503 with Retry-After) is
	// retried after waiting as told; 0 means 10. Throttling is the vendor asking for patience,
	// so it gets a budget of its own.
	ThrottleRetries int
	// BaseDelay and MaxDelay bound the backoff of transient failures: BaseDelay·2^attempt,
	// at most MaxDelay, with jitter. Defaults 2 s and 60 s (the original waits 2^n seconds).
	BaseDelay, MaxDelay time.Duration
	// DefaultRetryAfter is the wait after a 429 without a usable Retry-After (the original's
	// 30 s); MaxRetryAfter caps any announced wait (default 5 min).
	DefaultRetryAfter, MaxRetryAfter time.Duration
	// Log receives one line per retry.
	Log *slog.Logger
	// Sleep waits; tests replace it. Nil uses a timer that stops with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// StatusError is an answer with an unexpected status after retries.
type StatusError struct {
	URL      string
	Status   int
	Body     string
	Attempts int
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if b := strings.TrimSpace(e.Body); b != "" {
		if len(b) > 300 {
			b = b[:300] + "…"
		}
		msg += ": " + b
	}
	return msg
}

// IsStatus reports whether err is a StatusError with one of the statuses.
func IsStatus(err error, statuses ...int) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	for _, s := range statuses {
		if se.Status == s {
			return true
		}
	}
	return false
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// backoff is the wait before retry number attempt (0-based): BaseDelay·2^attempt capped at
// MaxDelay, then scaled by a random factor in [0.5, 1) so that clients do not retry in step.
func (c *Client) backoff(attempt int) time.Duration {
	base, max := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = 2 * time.Second
	}
	if max <= 0 {
		max = 60 * time.Second
	}
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()/2))
}

// retryAfter reads the wait an answer asks for: Retry-After in seconds or as an HTTP date, else
// (for a 429 only, where vendors send it) X-RateLimit-Reset as a date or epoch seconds; ok is
// false when none is usable.
func retryAfter(h http.Header, status int, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" && status == http.StatusTooManyRequests {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return max(t.Sub(now), 0), true
		}
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0), true
		}
	}
	return 0, false
}

// Get sends a GET and returns the response of a 2xx answer, whose body the caller closes.
// Transient failures and throttling are retried; other statuses return a *StatusError.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	throttleBudget := c.ThrottleRetries
	if throttleBudget <= 0 {
		throttleBudget = 10
	}
	shown := redact(rawURL)
	failures, throttles := 0, 0
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", shown, err)
		}
		req.Header.Set("Accept", "application/json")
		if c.Prepare != nil {
			c.Prepare(req)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if failures >= c.Retries {
				return nil, fmt.Errorf("GET %s after %d attempts: %w", shown, attempt, err)
			}
			wait := c.backoff(failures)
			failures++
			c.log().Warn("request failed, retrying", "url", shown, "error", err.Error(), "wait", wait.String())
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		serr := &StatusError{URL: shown, Status: resp.StatusCode, Body: string(body), Attempts: attempt}
		wait, announced := retryAfter(resp.Header, resp.StatusCode, time.Now())
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusServiceUnavailable && announced):
			if throttles >= throttleBudget {
				return nil, serr
			}
			throttles++
			if !announced {
				wait = c.DefaultRetryAfter
				if wait <= 0 {
					wait = 30 * time.Second
				}
			}
			maxWait := c.MaxRetryAfter
			if maxWait <= 0 {
				maxWait = 5 * time.Minute
			}
			wait = min(wait, maxWait)
			// A little jitter on top, so that parallel fetchers do not all come back at once.
			wait += time.Duration(rand.Int64N(int64(250*time.Millisecond) + 1))
			c.log().Info("throttled, waiting as asked", "url", shown, "status", resp.StatusCode, "wait", wait.String())
		case resp.StatusCode >= 500:
			if failures >= c.Retries {
				return nil, serr
			}
			wait = c.backoff(failures)
			failures++
			c.log().Warn("server error, retrying", "url", shown, "status", resp.StatusCode, "wait", wait.String())
		default:
			return nil, serr
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// GetJSON sends a GET and decodes a 2xx JSON answer into out, keeping numbers as json.Number
// when out holds interfaces.
func (c *Client) GetJSON(ctx context.Context, rawURL string, out any) error {
	resp, err := c.Get(ctx, rawURL)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("GET %s: the response body is empty", redact(rawURL))
		}
		return fmt.Errorf("GET %s: reading the answer: %w", redact(rawURL), err)
	}
	return nil
}

// redact drops user information from a URL before it is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
