package saasfake

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults makes a fake behave as a vendor does under load, deterministically: which requests
// fail depends only on their order and path, never on time or chance, so a test that counts on
// a failure gets it on every run.
//
// Safe for concurrent use; settings may be changed between syncs with [Faults.Set].
type Faults struct {
	mu  sync.Mutex
	cfg FaultConfig
	n   atomic.Int64 // requests seen

	throttled, failed atomic.Int64
}

// FaultConfig says which requests fail and how.
type FaultConfig struct {
	// ThrottleEvery answers every Nth request (counting all requests) with 429 Too Many
	// Requests and a Retry-After of RetryAfter seconds; 0 never throttles.
	ThrottleEvery int
	// RetryAfter is the Retry-After value sent with a 429, in seconds. Negative leaves the
	// header out (the client must fall back to its default wait).
	RetryAfter int
	// ServerErrorEvery answers every Nth request with ServerErrorStatus (503 when 0); 0 never.
	ServerErrorEvery int
	// ServerErrorStatus is the status of those failures.
	ServerErrorStatus int
	// FailPaths lists path substrings whose requests always fail with 500, however often they
	// are retried: a project or space whose listing cannot be read.
	FailPaths []string
	// FailStatus is the status FailPaths answer with: 500 when 0. 403 is an item the account
	// may not read (a permission on that item, not a refusal of the credentials).
	FailStatus int
	// ThrottleStatus is the status of a throttled answer: 429 when 0. GitHub answers its
	// primary rate limit with 403.
	ThrottleStatus int
	// EpochReset sends a throttled answer's reset time as GitHub does: X-RateLimit-Remaining: 0
	// and X-RateLimit-Reset in epoch seconds, without Retry-After. Otherwise Retry-After and an
	// RFC 3339 X-RateLimit-Reset are sent (Atlassian).
	EpochReset bool
	// RateLimit, when > 0, is the X-RateLimit-Limit announced on every answer, with
	// X-RateLimit-Remaining counting down per window of RateLimit requests.
	RateLimit int
}

// Set replaces the configuration.
func (f *Faults) Set(cfg FaultConfig) {
	f.mu.Lock()
	f.cfg = cfg
	f.mu.Unlock()
}

// Config returns the configuration in force.
func (f *Faults) Config() FaultConfig {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

// Throttled and Failed count the 429 and 5xx answers sent so far.
func (f *Faults) Throttled() int64 { return f.throttled.Load() }
func (f *Faults) Failed() int64    { return f.failed.Load() }

// Requests counts the requests answered so far, whatever their answer.
func (f *Faults) Requests() int64 { return f.n.Load() }

// Middleware applies the faults in front of next. Failures carry a body in errorBody's shape
// (the vendor's error document), built from the status and a message.
func (f *Faults) Middleware(next http.Handler, errorBody func(status int, msg string) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := f.Config()
		n := f.n.Add(1)
		if cfg.RateLimit > 0 {
			used := int((n - 1) % int64(cfg.RateLimit))
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(cfg.RateLimit))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(cfg.RateLimit-used-1))
		}
		fail := func(status int, msg string) {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(status)
			_, _ = w.Write(errorBody(status, msg))
		}
		for _, p := range cfg.FailPaths {
			if p != "" && strings.Contains(r.URL.RequestURI(), p) {
				f.failed.Add(1)
				status := cfg.FailStatus
				if status == 0 {
					status = http.StatusInternalServerError
				}
				fail(status, http.StatusText(status)+" (injected for "+p+")")
				return
			}
		}
		if cfg.ThrottleEvery > 0 && n%int64(cfg.ThrottleEvery) == 0 {
			f.throttled.Add(1)
			status := cfg.ThrottleStatus
			if status == 0 {
				status = http.StatusTooManyRequests
			}
			switch {
			case cfg.EpochReset:
				w.Header().Set("X-RateLimit-Remaining", "0")
				// Rounded up, so that waiting until the reset never comes back early.
				reset := time.Now().Add(time.Duration(max(cfg.RetryAfter, 0))*time.Second + 999*time.Millisecond)
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
				fail(status, "API rate limit exceeded.")
				return
			case cfg.RetryAfter >= 0:
				w.Header().Set("Retry-After", strconv.Itoa(cfg.RetryAfter))
				w.Header().Set("X-RateLimit-Reset", time.Now().UTC().Add(time.Duration(cfg.RetryAfter)*time.Second).Format(time.RFC3339))
			}
			w.Header().Set("RateLimit-Reason", "jira-quota-global-based")
			fail(status, "Rate limit exceeded.")
			return
		}
		if cfg.ServerErrorEvery > 0 && n%int64(cfg.ServerErrorEvery) == 0 {
			f.failed.Add(1)
			st := cfg.ServerErrorStatus
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			fail(st, "The service is temporarily unavailable.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
