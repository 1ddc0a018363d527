// Package retry is the one place the sources' retry timing lives: [Backoff] (capped exponential
// backoff with equal jitter), [ParseRetryAfter] (the server's Retry-After) and [Sleep] serve every
// source's retry loop, and [Policy] is how the object-store sources (s3, google_cloud_storage,
// azure_blob_storage) retry requests: a request that failed for a passing reason is tried again a bounded number of
// times, and a request the server throttles (HTTP 429, 503, S3's SlowDown, Azure's ServerBusy)
// keeps being retried, with capped exponential backoff and jitter and the server's Retry-After
// honoured, for a time budget rather than a count. A throttling storm therefore slows a sync down
// instead of failing it, while a dead endpoint or a wrong bucket still fails fast.
package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Class says whether and how a failed request is retried.
type Class int

const (
	// Permanent failures are returned at once: a 4xx answer, a certificate the client rejects,
	// an unknown host, a cancelled context.
	Permanent Class = iota
	// Transient failures (network errors, 500, 502, 504, timeouts) are retried Policy.Attempts
	// times in all.
	Transient
	// Throttled failures (429, 503, the store's busy codes) are retried for Policy.ThrottleBudget.
	Throttled
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	}
	return "permanent"
}

// Verdict classifies one failed attempt.
type Verdict struct {
	Class Class
	// RetryAfter is the wait the server asked for (Retry-After), zero when it did not say.
	RetryAfter time.Duration
}

// Policy bounds the retries of one request.
type Policy struct {
	// Attempts is the number of tries in all for transient failures; values below 1 mean 1.
	Attempts int
	// ThrottleBudget is how long throttled answers keep being retried, counted from the first
	// one; zero means DefaultThrottleBudget.
	ThrottleBudget time.Duration
	// Base is the first backoff, doubled on every retry up to Cap; zeros mean DefaultBase and
	// DefaultCap.
	Base, Cap time.Duration
	// MaxRetryAfter cuts a longer Retry-After to this; zero means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Log receives one debug line per retry; nil discards them.
	Log *slog.Logger
	// Sleep waits between tries; nil means a context-aware timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of a Policy's zero fields.
const (
	DefaultThrottleBudget = 10 * time.Minute
	DefaultBase           = 500 * time.Millisecond
	DefaultCap            = 30 * time.Second
	DefaultMaxRetryAfter  = 2 * time.Minute
)

// Run calls op until it succeeds, fails permanently, or the policy gives up, and returns op's
// last error. what names the request in log lines ("listing bucket \"b\"").
func (p Policy) Run(ctx context.Context, what string, op func(ctx context.Context) (Verdict, error)) error {
	attempts := max(p.Attempts, 1)
	budget := p.ThrottleBudget
	if budget <= 0 {
		budget = DefaultThrottleBudget
	}
	var transient, retries int
	var firstThrottle time.Time
	for {
		v, err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		switch v.Class {
		case Transient:
			transient++
			if transient >= attempts {
				return err
			}
		case Throttled:
			if firstThrottle.IsZero() {
				firstThrottle = time.Now()
			} else if time.Since(firstThrottle) >= budget {
				return fmt.Errorf("still throttled after %s: %w", budget, err)
			}
		default:
			return err
		}
		retries++
		d := p.delay(retries, v.RetryAfter)
		if p.Log != nil {
			p.Log.Debug("Retrying "+what, "retry", retries, "after", d.String(), "reason", v.Class.String(), "error", err.Error())
		}
		sleep := p.Sleep
		if sleep == nil {
			sleep = Sleep
		}
		if serr := sleep(ctx, d); serr != nil {
			return fmt.Errorf("%w (gave up waiting to retry: %v)", err, serr)
		}
	}
}

// delay is the wait before retry n (1-based): the server's Retry-After when it gave one (cut to
// MaxRetryAfter), else Backoff from Base up to Cap.
func (p Policy) delay(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		limit := p.MaxRetryAfter
		if limit <= 0 {
			limit = DefaultMaxRetryAfter
		}
		return min(retryAfter, limit)
	}
	base, limit := p.Base, p.Cap
	if base <= 0 {
		base = DefaultBase
	}
	if limit <= 0 {
		limit = DefaultCap
	}
	return Backoff(n-1, base, limit)
}

// Backoff is the wait before retry number attempt (0 for the first retry): base doubled per
// attempt up to limit, then with equal jitter (a random point in its upper half), so that many
// clients failing together do not come back together.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	if d-half <= 0 {
		return d
	}
	return half + rand.N(d-half)
}

// Sleep waits for d or until ctx ends, and returns ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
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

// RetryAfter reads a Retry-After header (seconds, or an HTTP date); zero when absent, invalid or
// already past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	d, _ := ParseRetryAfter(h, now)
	return d
}

// ParseRetryAfter reads a Retry-After header: a number of seconds, or an HTTP date (a date
// already past is a wait of zero). ok is false when the header is absent, negative or not
// readable, so that a caller can tell "retry now" from "the server did not say".
func ParseRetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs >= 0 && secs <= float64(math.MaxInt64/int64(time.Second))) { // NaN too
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// StatusClass classifies an HTTP status: 429 and 503 are throttling, 408, 500, 502 and 504
// transient, everything else final.
func StatusClass(status int) Class {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return Throttled
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return Transient
	}
	return Permanent
}

// NetworkClass classifies an error from sending a request: certificate and unknown-host errors
// are permanent (retrying cannot fix them and the user should hear about them at once),
// everything else is transient.
func NetworkClass(err error) Class {
	if err == nil || errors.Is(err, context.Canceled) {
		return Permanent
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &invalid) || errors.As(err, &recordErr) {
		return Permanent
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return Permanent
	}
	return Transient
}

// StatusError is an HTTP answer that is not a success, with the start of its body (where the
// stores put their error code and message).
type StatusError struct {
	Status int
	Header http.Header
	Body   string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// maxErrorBody is how much of an error answer is kept for the message.
const maxErrorBody = 4 << 10

// NewStatusError reads (the start of) resp's body into a StatusError and closes it.
func NewStatusError(resp *http.Response) *StatusError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return &StatusError{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Do sends the request newReq builds (once per try) and retries it under the policy. It returns
// the response of the first try that was not retried, whatever its status, so callers read
// success and final errors the same way; when the policy gives up on a retryable status it
// returns that answer as a *StatusError, and on a network error that error.
func (p Policy) Do(ctx context.Context, client *http.Client, what string, newReq func(ctx context.Context) (*http.Request, error)) (*http.Response, error) {
	var out *http.Response
	err := p.Run(ctx, what, func(ctx context.Context) (Verdict, error) {
		req, err := newReq(ctx)
		if err != nil {
			return Verdict{}, err
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return Verdict{}, ctx.Err()
			}
			return Verdict{Class: NetworkClass(err)}, err
		}
		class := StatusClass(resp.StatusCode)
		if class == Permanent {
			out = resp
			return Verdict{}, nil
		}
		return Verdict{Class: class, RetryAfter: RetryAfter(resp.Header, time.Now())}, NewStatusError(resp)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
