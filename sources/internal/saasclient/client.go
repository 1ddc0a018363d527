// Package saasclient is the HTTP client the SaaS sources share: requests with the vendor's
// credentials (GET, and POST for GraphQL APIs), retried with capped exponential backoff and
// jitter on transient failures, and throttling honoured as the vendor signals it (429 or 503 with
// Retry-After; X-RateLimit-Reset or RateLimit-Reset; GitHub's 403 with X-RateLimit-Remaining: 0
// or Retry-After), so that a storm slows a sync down instead of failing it. Every wait stops when
// the context is cancelled. Get, Str and List walk the decoded JSON answers.
package saasclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
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

	"github.com/connectors-go/connectors/sources/internal/conntrack"
	"github.com/connectors-go/connectors/sources/internal/retry"
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
	// Refresh, when set, is called once per request after a 401 answer: it renews expiring
	// credentials (a GitHub App's installation token, an OAuth access token) for Prepare to
	// use, and says whether the request should be sent again. An error ends the request.
	Refresh func(ctx context.Context) (retry bool, err error)
	// Conns, when set, tracks the connections of HTTP's transport (see [TrackedHTTP]) so that
	// Close ends them all.
	Conns *conntrack.Tracker
}

// TrackedHTTP returns an http.Client on tr whose connections are tracked, for Client's HTTP and
// Conns fields.
func TrackedHTTP(tr *http.Transport, timeout time.Duration) (*http.Client, *conntrack.Tracker) {
	conns := &conntrack.Tracker{}
	tr.DialContext = conns.Dial(tr.DialContext)
	return &http.Client{Transport: tr, Timeout: timeout}, conns
}

// Close ends the client's connections: the idle ones, and with Conns set every one, so that no
// connection outlives a source's Close however its last requests ended.
func (c *Client) Close() {
	c.HTTP.CloseIdleConnections()
	if c.Conns != nil {
		c.Conns.Close()
	}
}

// TLSConfig is the TLS setting of the SaaS sources, as the original has it: with ssl_enabled and
// a CA certificate the server must present a certificate signed by it; otherwise certificates are
// not verified at all (the original passes ssl=False), so self-signed Server, Data Center and
// Enterprise Server installations work without configuration. caField names the CA setting in
// the error.
func TLSConfig(sslEnabled bool, caPEM, caField string) (*tls.Config, error) {
	if !sslEnabled || strings.TrimSpace(caPEM) == "" {
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // the original's behaviour, documented
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, fmt.Errorf("configuration field %q: no PEM certificate found in the value (paste the CA certificate, -----BEGIN CERTIFICATE----- included)", caField)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// StatusError is an answer with an unexpected status after retries.
type StatusError struct {
	Method   string // GET when empty
	URL      string
	Status   int
	Body     string
	Attempts int
	// Header holds the answer's headers (rate-limit and scope headers a caller may explain).
	Header http.Header
}

func (e *StatusError) Error() string {
	m := e.Method
	if m == "" {
		m = http.MethodGet
	}
	msg := fmt.Sprintf("%s %s: HTTP %d %s", m, e.URL, e.Status, http.StatusText(e.Status))
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
	return retry.Sleep(ctx, d)
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// backoff is the wait before retry number attempt (0-based): retry.Backoff from BaseDelay up to
// MaxDelay.
func (c *Client) backoff(attempt int) time.Duration {
	base, limit := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = 2 * time.Second
	}
	if limit <= 0 {
		limit = 60 * time.Second
	}
	return retry.Backoff(attempt, base, limit)
}

// retryAfter reads the wait an answer asks for: Retry-After in seconds or as an HTTP date, else
// (for a throttled answer only, where vendors send it) X-RateLimit-Reset as a date or epoch
// seconds, or RateLimit-Reset as epoch seconds (GitLab) or a number of seconds (the IETF draft);
// ok is false when none is usable.
func retryAfter(h http.Header, status int, now time.Time) (time.Duration, bool) {
	if d, ok := retry.ParseRetryAfter(h, now); ok {
		return d, true
	}
	if status != http.StatusTooManyRequests && !(status == http.StatusForbidden && rateLimitExhausted(h)) {
		return 0, false
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return max(t.Sub(now), 0), true
		}
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
			if s > 1_000_000_000 { // an epoch time, as GitLab sends it
				return max(time.Unix(s, 0).Sub(now), 0), true
			}
			return time.Duration(s) * time.Second, true
		}
	}
	return 0, false
}

// rateLimitExhausted reports a primary rate limit used up (GitHub: X-RateLimit-Remaining: 0).
func rateLimitExhausted(h http.Header) bool {
	return strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0"
}

// throttled reports whether an answer asks the client to slow down rather than failing: 429;
// 503 with Retry-After; and GitHub's rate limits, which answer 403 with X-RateLimit-Remaining: 0
// (the primary limit) or with Retry-After (a secondary limit).
func throttled(status int, h http.Header, announced bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		return announced
	case http.StatusForbidden:
		return rateLimitExhausted(h) || strings.TrimSpace(h.Get("Retry-After")) != ""
	}
	return false
}

// Get sends a GET and returns the response of a 2xx answer, whose body the caller closes.
// Transient failures and throttling are retried; other statuses return a *StatusError.
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	return c.Do(ctx, http.MethodGet, rawURL, nil, nil)
}

// Do sends a request, replaying body on every attempt, and returns the response of a 2xx
// answer, whose body the caller closes. header is added to every attempt (after Prepare).
// Transient failures and throttling are retried; other statuses return a *StatusError.
func (c *Client) Do(ctx context.Context, method, rawURL string, body []byte, header http.Header) (*http.Response, error) {
	throttleBudget := c.ThrottleRetries
	if throttleBudget <= 0 {
		throttleBudget = 10
	}
	shown := redact(rawURL)
	failures, throttles := 0, 0
	refreshed := false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, shown, err)
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Prepare != nil {
			c.Prepare(req)
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if failures >= c.Retries {
				return nil, fmt.Errorf("%s %s after %d attempts: %w", method, shown, attempt, err)
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
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		serr := &StatusError{Method: method, URL: shown, Status: resp.StatusCode, Body: string(msg), Attempts: attempt, Header: resp.Header}
		wait, announced := retryAfter(resp.Header, resp.StatusCode, time.Now())
		switch {
		case resp.StatusCode == http.StatusUnauthorized && c.Refresh != nil && !refreshed:
			refreshed = true
			retry, err := c.Refresh(ctx)
			if err != nil {
				return nil, err
			}
			if !retry {
				return nil, serr
			}
			c.log().Info("credentials renewed after 401, retrying", "url", shown)
			continue
		case throttled(resp.StatusCode, resp.Header, announced):
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

// PostJSON sends in as a JSON body (GraphQL requests) and decodes a 2xx JSON answer into out,
// with the same retries as GetJSON.
func (c *Client) PostJSON(ctx context.Context, rawURL string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("POST %s: encoding the request: %w", redact(rawURL), err)
	}
	resp, err := c.Do(ctx, http.MethodPost, rawURL, b, nil)
	if err != nil {
		return err
	}
	return decodeJSON(ctx, resp, http.MethodPost, rawURL, out)
}

// GetJSON sends a GET and decodes a 2xx JSON answer into out, keeping numbers as json.Number
// when out holds interfaces.
func (c *Client) GetJSON(ctx context.Context, rawURL string, out any) error {
	resp, err := c.Get(ctx, rawURL)
	if err != nil {
		return err
	}
	return decodeJSON(ctx, resp, http.MethodGet, rawURL, out)
}

func decodeJSON(ctx context.Context, resp *http.Response, method, rawURL string, out any) error {
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s %s: the response body is empty", method, redact(rawURL))
		}
		return fmt.Errorf("%s %s: reading the answer: %w", method, redact(rawURL), err)
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
