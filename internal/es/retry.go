package es

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/internal/config"
)

// RetryPolicy says how long and how often a call that failed transiently is
// tried again: waits start at Initial and double up to Max, each drawn at
// random from its upper half (so that many clients do not retry in step),
// or the server's Retry-After when that is longer; no retry starts once
// Budget has passed since the call's first failure.
type RetryPolicy struct {
	Initial time.Duration
	Max     time.Duration
	Budget  time.Duration
	// OnTimeout retries attempts that timed out (elasticsearch.retry_on_timeout).
	OnTimeout bool
}

// minWait keeps a policy configured with zero waits from spinning.
const minWait = 10 * time.Millisecond

// PolicyFrom builds the policy from the elasticsearch.* settings.
func PolicyFrom(cfg config.Elasticsearch) RetryPolicy {
	p := RetryPolicy{
		Initial:   config.Seconds(cfg.RetryBackoffInitial),
		Max:       cfg.EffectiveBackoffMax(),
		Budget:    cfg.EffectiveRetryBudget(),
		OnTimeout: cfg.RetryOnTimeout,
	}
	if p.Max < minWait {
		p.Max = minWait
	}
	if p.Initial <= 0 || p.Initial > p.Max {
		// A cap below the first wait (a small retry_interval) shortens
		// every wait, as the original's small intervals did.
		p.Initial = p.Max
	}
	return p
}

// Wait returns the pause before retry n (1 for the first retry); jitter
// returns a number in [0, 1).
func (p RetryPolicy) Wait(n int, jitter func() float64) time.Duration {
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	d = d/2 + time.Duration(jitter()*float64(d/2))
	return max(d, minWait)
}

// Retrier runs attempts of one call under a policy; the bulk sink uses it
// for the items Elasticsearch asks it to send again.
type Retrier struct {
	policy RetryPolicy
	jitter func() float64
	first  time.Time     // of the first failure
	n      int           // retries so far
	waited time.Duration // sum of the waits granted
}

// NewRetrier starts the bookkeeping of one call.
func (p RetryPolicy) NewRetrier(jitter func() float64) *Retrier {
	if jitter == nil {
		jitter = rand.Float64
	}
	return &Retrier{policy: p, jitter: jitter}
}

// Next reports the wait before the next attempt after a failure at now, or
// false when the budget is spent. retryAfter is the server's request, 0 when
// it made none.
func (r *Retrier) Next(now time.Time, retryAfter time.Duration) (time.Duration, bool) {
	if r.first.IsZero() {
		r.first = now
	}
	r.n++
	wait := max(r.policy.Wait(r.n, r.jitter), retryAfter)
	// The waits granted count even when the clock says otherwise (a sleep
	// replaced in tests, a clock that jumped).
	if max(now.Sub(r.first), r.waited)+wait > r.policy.Budget {
		return 0, false
	}
	r.waited += wait
	return wait, true
}

// Retries is the number of retries granted so far.
func (r *Retrier) Retries() int { return r.n }

// Elapsed is the time since the first failure.
func (r *Retrier) Elapsed(now time.Time) time.Duration {
	if r.first.IsZero() {
		return 0
	}
	return now.Sub(r.first)
}

// verdict is what one attempt's outcome means for the call.
type verdict struct {
	retry bool
	why   string
	// applied: the attempt may have been carried out by Elasticsearch
	// although its answer was lost.
	applied    bool
	retryAfter time.Duration
}

// classify decides whether an attempt failed transiently. body is the
// answer read in full (nil when err is set); readErr is the error that cut
// reading it short.
func (c *Client) classify(ctx context.Context, res *http.Response, body []byte, err, readErr error) verdict {
	if ctx.Err() != nil {
		return verdict{}
	}
	if err != nil {
		if isTimeout(err) {
			return verdict{retry: c.policy.OnTimeout, why: "timeout", applied: true}
		}
		if isRefused(err) {
			return verdict{retry: true, why: "connection refused"}
		}
		var netErr net.Error
		var opErr *net.OpError
		if errors.As(err, &opErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			return verdict{retry: true, why: "connection lost (" + shortErr(err) + ")", applied: true}
		}
		return verdict{}
	}
	if readErr != nil {
		if isTimeout(readErr) {
			return verdict{retry: c.policy.OnTimeout, why: "timeout while reading the answer", applied: true}
		}
		return verdict{retry: true, why: "answer cut short (" + shortErr(readErr) + ")", applied: true}
	}
	switch res.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// Refused before being carried out.
		return verdict{retry: true, why: "HTTP " + strconv.Itoa(res.StatusCode), retryAfter: parseRetryAfter(res.Header.Get("Retry-After"), time.Now())}
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return verdict{retry: true, why: "HTTP " + strconv.Itoa(res.StatusCode), applied: true}
	}
	if res.StatusCode < 300 && len(body) > 0 && isJSON(res.Header.Get("Content-Type")) && !json.Valid(body) {
		return verdict{retry: true, why: "unparseable answer", applied: true}
	}
	return verdict{}
}

func isRefused(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "application/vnd.elasticsearch+json")
}

// shortErr is the innermost message of a transport error, without the URL.
func shortErr(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// answer is a response body read in full within its attempt, with what the
// retries learned on the way.
type answer struct {
	*bytes.Reader
	attempts int
	elapsed  time.Duration
	// maybeApplied: an earlier attempt failed after it may have been
	// carried out, so this answer can describe a repeat (a 409 for a
	// conditional write that in fact succeeded, "updated" for a document
	// the lost attempt created, 404 for a delete it already did).
	maybeApplied bool
}

func (a *answer) Close() error { return nil }

// Repeated reports whether res answers a request that was sent again after
// an attempt that Elasticsearch may have carried out but whose answer was
// lost. Callers whose requests are not idempotent use it to read a conflict
// or a missing document as the echo of their own earlier attempt.
func Repeated(res *http.Response) bool {
	a, ok := res.Body.(*answer)
	return ok && a.maybeApplied
}

// budgetNote says that a call failed and the retry budget is spent.
func budgetNote(attempts int, elapsed time.Duration) string {
	return fmt.Sprintf("gave up after %d attempts in %s (elasticsearch.retry_budget)", attempts, elapsed.Round(time.Millisecond))
}
