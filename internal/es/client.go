// Package es builds the Elasticsearch client the service uses: the official
// go-elasticsearch low-level API (esapi) on the elastic-transport-go
// transport, with the original service's headers, authentication rules, TLS
// settings and retry policy, and errors that never carry credentials.
package es

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v9/esapi"

	"github.com/connectors-go/connectors/internal/config"
)

// ProductOrigin is sent on every request: Elasticsearch 9 only lets known
// product origins touch the connector system indices directly.
const ProductOrigin = "connectors"

// Options describe one client. Most values come from the elasticsearch.*
// section of config.yml.
type Options struct {
	Config config.Elasticsearch
	// Version is the service version, used in the User-Agent.
	Version string
	// Face is "service" or "cli"; it ends the User-Agent, as in the original.
	Face string
	// APIKey, when set, replaces the configured credentials (the per-connector
	// api_key of the connectors list, used for writing content).
	APIKey string
	Logger *slog.Logger
	// Sleep waits between retries; tests replace it. nil means a timer that
	// honours the context.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter draws the random part of retry waits, in [0, 1); tests fix it.
	// nil means math/rand.
	Jitter func() float64
}

// Client is a retrying Elasticsearch client. It implements esapi.Transport,
// so every esapi request sent through it gets the retry policy.
type Client struct {
	transport *elastictransport.Client
	host      string // redacted, for messages
	timeout   time.Duration
	policy    RetryPolicy
	log       *slog.Logger
	sleep     func(ctx context.Context, d time.Duration) error
	jitter    func() float64
	now       func() time.Time // tests move time with their Sleep
	watchers  *watchers        // shared with the clients derived from this one
}

// New builds a client. It does not contact Elasticsearch.
func New(opts Options) (*Client, error) {
	cfg := opts.Config
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("elasticsearch.host: %q is not an http(s) URL", redact(cfg.Host))
	}
	// Credentials embedded in the URL are moved to basic auth, so that the
	// URL itself can be shown in messages without them.
	var urlUser, urlPass string
	if u.User != nil {
		urlUser = u.User.Username()
		urlPass, _ = u.User.Password()
		u.User = nil
	}
	if u.Port() == "" {
		// The original client defaults to 80/443 by scheme; net/http does too,
		// but the transport wants an explicit URL it can print.
		u.Host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}

	httpTransport, err := newHTTPTransport(cfg)
	if err != nil {
		return nil, err
	}
	face := opts.Face
	if face == "" {
		face = "service"
	}
	header := http.Header{}
	for k, v := range cfg.Headers {
		header.Set(k, v)
	}
	// Mandatory headers win over configured ones.
	header.Set("X-Elastic-Product-Origin", ProductOrigin)

	topts := []elastictransport.Option{
		elastictransport.WithURLs(u),
		elastictransport.WithUserAgent(fmt.Sprintf("elastic-connectors-%s/%s", opts.Version, face)),
		elastictransport.WithHeader(header),
		elastictransport.WithTransport(httpTransport),
		elastictransport.WithDisableRetry(), // one retry policy, ours, in Perform
	}
	switch {
	case opts.APIKey != "":
		topts = append(topts, elastictransport.WithAPIKey(encodeAPIKey(opts.APIKey)))
	case cfg.APIKey != nil:
		topts = append(topts, elastictransport.WithAPIKey(encodeAPIKey(*cfg.APIKey)))
	case urlUser != "":
		topts = append(topts, elastictransport.WithBasicAuth(urlUser, urlPass))
	default:
		topts = append(topts, elastictransport.WithBasicAuth(cfg.Username, cfg.Password))
	}
	tp, err := elastictransport.NewClient(topts...)
	if err != nil {
		return nil, fmt.Errorf("cannot set up the Elasticsearch client: %s", redactErr(err))
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	c := &Client{
		transport: tp,
		host:      u.String(),
		timeout:   config.Seconds(cfg.RequestTimeout),
		policy:    PolicyFrom(cfg),
		log:       logger,
		sleep:     opts.Sleep,
		jitter:    opts.Jitter,
		now:       time.Now,
		watchers:  &watchers{},
	}
	if c.sleep == nil {
		c.sleep = Sleep
	}
	return c, nil
}

// WithoutRetries returns a client sharing this one's connections that makes
// a single attempt per request: for loops that have their own pacing, such as
// waiting for the cluster at start-up.
func (c *Client) WithoutRetries() *Client {
	n := *c
	n.policy.Budget = 0
	return &n
}

// Policy is the client's retry policy; the bulk sink retries refused items
// under it too.
func (c *Client) Policy() RetryPolicy { return c.policy }

// Host is the Elasticsearch URL without credentials.
func (c *Client) Host() string { return c.host }

// encodeAPIKey accepts either the encoded key Kibana shows or the raw
// "id:key" pair, which the original would send unencoded and fail with.
func encodeAPIKey(k string) string {
	k = strings.TrimSpace(k)
	if strings.Contains(k, ":") {
		return base64.StdEncoding.EncodeToString([]byte(k))
	}
	return k
}

func newHTTPTransport(cfg config.Elasticsearch) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.Proxy = http.ProxyFromEnvironment
	if cfg.Proxy != "" {
		p, err := url.Parse(cfg.Proxy)
		if err != nil {
			return nil, fmt.Errorf("elasticsearch.proxy: %q is not a URL", redact(cfg.Proxy))
		}
		t.Proxy = http.ProxyURL(p)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	// As in the original, `ssl` only decides whether verify_certs and ca_certs
	// are applied; whether TLS is used at all follows the URL scheme.
	if cfg.SSL {
		if !cfg.VerifyCerts {
			tlsCfg.InsecureSkipVerify = true //nolint:gosec // the operator asked for it in config.yml
		} else if cfg.CACerts != "" {
			pem, err := os.ReadFile(cfg.CACerts)
			if err != nil {
				return nil, fmt.Errorf("elasticsearch.ca_certs: cannot read %s: %v", cfg.CACerts, errors.Unwrap(err))
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("elasticsearch.ca_certs: %s holds no PEM certificate", cfg.CACerts)
			}
			tlsCfg.RootCAs = pool
		}
	}
	t.TLSClientConfig = tlsCfg
	return t, nil
}

// Perform sends a request with the service-level retry policy: transient
// failures (HTTP 429/500/502/503/504, refused, reset or dropped
// connections, timeouts when retry_on_timeout is set, answers cut short or
// unparseable) are retried with capped exponential backoff and jitter,
// honouring Retry-After, until elasticsearch.retry_budget has passed since
// the first failure. Each attempt is bounded by request_timeout and its
// answer is read in full within it, so a truncated answer is retried like
// a lost connection. The returned body is in memory; see [Repeated].
func (c *Client) Perform(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.GetBody == nil {
		// The body must be replayable for retries.
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		req.ContentLength = int64(len(data))
	}
	ctx := req.Context()
	retrier := c.policy.NewRetrier(c.jitter)
	start := c.now()
	maybeApplied := false
	told := false
	for attempt := 1; ; attempt++ {
		attemptStart := c.now()
		res, body, err, readErr := c.performOnce(ctx, req)
		v := c.classify(ctx, res, body, err, readErr)
		if ws := c.watching(); len(ws) > 0 && ctx.Err() == nil {
			switch {
			case err == nil && readErr == nil && res.StatusCode < 400 && !v.retry:
				for _, w := range ws {
					w.Answered(attemptStart)
				}
			case v.retry && !told && unreachable(res, err, readErr) && c.now().Sub(start) >= UnavailableAfter:
				told = true
				werr := c.attemptError(req, res, err, readErr)
				for _, w := range ws {
					w.Unavailable(werr, start)
				}
			}
		}
		if v.retry {
			if wait, ok := retrier.Next(c.now(), v.retryAfter); ok {
				maybeApplied = maybeApplied || v.applied
				// One warning when a call starts retrying; its further attempts are debug
				// lines. An outage would otherwise print a warning per attempt of every
				// call, while the service already logs each change of availability once.
				level, msg := slog.LevelDebug, "Elasticsearch request failed again, retrying"
				if attempt == 1 {
					level, msg = slog.LevelWarn, "Elasticsearch request failed, retrying"
				}
				c.log.Log(ctx, level, msg,
					"method", req.Method, "path", req.URL.Path, "reason", v.why,
					"attempt", attempt, "wait", wait.Round(time.Millisecond).String(),
					"retrying_for", retrier.Elapsed(c.now()).Round(time.Millisecond).String(), "retry_budget", c.policy.Budget.String())
				if err := c.sleep(ctx, wait); err != nil {
					return nil, err
				}
				if req.GetBody != nil {
					body, err := req.GetBody()
					if err != nil {
						return nil, err
					}
					req.Body = body
				}
				continue
			}
		}
		gaveUp := ""
		if v.retry && attempt > 1 {
			gaveUp = budgetNote(attempt, c.now().Sub(start))
			c.log.Warn("Elasticsearch request failed, giving up",
				"method", req.Method, "path", req.URL.Path, "reason", v.why,
				"attempts", attempt, "retrying_for", retrier.Elapsed(c.now()).Round(time.Millisecond).String(), "retry_budget", c.policy.Budget.String())
		}
		if err == nil && readErr != nil {
			err = readErr
		}
		if err != nil {
			return nil, c.wrapTransportErr(req, err, gaveUp)
		}
		res.Body = &answer{Reader: bytes.NewReader(body), attempts: attempt, elapsed: c.now().Sub(start), maybeApplied: maybeApplied}
		return res, nil
	}
}

// performOnce makes one attempt and reads its whole answer within the
// attempt's time limit.
func (c *Client) performOnce(ctx context.Context, req *http.Request) (res *http.Response, body []byte, err, readErr error) {
	attemptCtx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		attemptCtx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	res, err = c.transport.Perform(req.WithContext(attemptCtx))
	if err != nil {
		return nil, nil, err, nil
	}
	body, readErr = io.ReadAll(res.Body)
	res.Body.Close()
	if readErr != nil && ctx.Err() == nil && attemptCtx.Err() != nil {
		readErr = context.DeadlineExceeded
	}
	return res, body, nil, readErr
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

func (c *Client) wrapTransportErr(req *http.Request, err error, gaveUp string) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	msg := redactErr(err)
	if isTimeout(err) {
		msg = fmt.Sprintf("request %s %s timed out after %s", req.Method, req.URL.Path, c.timeout)
	} else if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = fmt.Sprintf("the connection closed before the whole answer to %s %s arrived: %s", req.Method, req.URL.Path, msg)
	}
	if gaveUp != "" {
		msg += "; " + gaveUp
	}
	return &ConnError{Host: c.host, Msg: msg, Err: err}
}

// ConnError means Elasticsearch could not be reached or did not answer.
type ConnError struct {
	Host string
	Msg  string
	Err  error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("cannot reach Elasticsearch at %s: %s", e.Host, e.Msg)
}

func (e *ConnError) Unwrap() error { return e.Err }

// Sleep waits for d or until ctx ends, whichever comes first; it returns
// ctx's error in the second case. Retry loops across the service use it.
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

// redact hides credentials in a URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// redactErr renders an error with any URL credentials removed; url.Error
// already redacts passwords, this also covers user names and other wrappers.
func redactErr(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Sprintf("%s %s: %v", uerr.Op, redact(uerr.URL), uerr.Err)
	}
	return err.Error()
}

// Error is an error answer from Elasticsearch.
type Error struct {
	Status int
	Type   string
	Reason string
	Method string
	Path   string
	// Body holds the raw answer for callers that need more than type/reason
	// (bulk item errors, connector API validation details).
	Body json.RawMessage
	// Attempts is how many times the request was sent; Elapsed how long
	// that took in all.
	Attempts int
	Elapsed  time.Duration
	// Repeated: the request was sent again after an attempt that
	// Elasticsearch may have carried out (its answer was lost), so this
	// answer may describe that attempt's effect: a 409 of a conditional
	// write that in fact succeeded, a 404 of a delete already done.
	Repeated bool
}

func (e *Error) Error() string {
	s := fmt.Sprintf("Elasticsearch answered %d", e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Method != "" {
		s += " (" + e.Method + " " + e.Path + ")"
	}
	if e.Attempts > 1 && retryableStatus(e.Status) {
		s += "; " + budgetNote(e.Attempts, e.Elapsed)
	}
	return s
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// IsRepeated reports an error answer to a request that was sent again
// after an attempt whose answer was lost (see Error.Repeated).
func IsRepeated(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Repeated
}

// StatusOf returns the HTTP status of an *Error, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsConflict reports a 409 answer (optimistic concurrency or create conflicts).
func IsConflict(err error) bool { return StatusOf(err) == http.StatusConflict }

// Do sends an esapi request and decodes a 2xx JSON answer into out (which may
// be nil). Other answers become *Error.
func (c *Client) Do(ctx context.Context, req esapi.Request, out any) error {
	rec := &recorder{c: c}
	res, err := req.Do(ctx, rec)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return decodeResponse(res.StatusCode, res.Body, out, rec.method, rec.path)
}

// recorder notes which request esapi built, so errors can name it.
type recorder struct {
	c            *Client
	method, path string
}

func (r *recorder) Perform(req *http.Request) (*http.Response, error) {
	r.method, r.path = req.Method, req.URL.Path
	return r.c.Perform(req)
}

func decodeResponse(status int, body io.Reader, out any, method, path string) error {
	if status >= 200 && status < 300 {
		if out == nil {
			_, _ = io.Copy(io.Discard, body)
			return nil
		}
		if err := json.NewDecoder(body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot decode the Elasticsearch answer to %s: %w", path, err)
		}
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(body, 1<<20))
	e := parseError(status, raw, method, path)
	if a, ok := body.(*answer); ok {
		e.Attempts, e.Elapsed, e.Repeated = a.attempts, a.elapsed, a.maybeApplied
	}
	return e
}

func parseError(status int, raw []byte, method, path string) *Error {
	e := &Error{Status: status, Method: method, Path: path, Body: raw}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &env) == nil && len(env.Error) > 0 {
		var cause struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(env.Error, &cause) == nil && cause.Type != "" {
			e.Type, e.Reason = cause.Type, cause.Reason
		} else {
			var s string
			if json.Unmarshal(env.Error, &s) == nil {
				e.Reason = s
			}
		}
	}
	if e.Type == "" && e.Reason == "" && len(raw) > 0 && len(raw) < 300 && status != http.StatusNotFound {
		e.Reason = strings.TrimSpace(string(raw))
	}
	return e
}

// Request sends a raw JSON request (for calls esapi makes awkward, and for
// tests) and decodes the answer like Do.
func (c *Client) Request(ctx context.Context, method, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			r = bytes.NewReader(b)
		case json.RawMessage:
			r = bytes.NewReader(b)
		default:
			data, err := json.Marshal(body)
			if err != nil {
				return err
			}
			r = bytes.NewReader(data)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, path, r)
	if err != nil {
		return err
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Perform(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return decodeResponse(res.StatusCode, res.Body, out, method, path)
}
