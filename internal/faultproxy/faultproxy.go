// Package faultproxy is a reverse proxy that makes an Elasticsearch cluster
// look unreliable: it answers a chosen share of requests with 429 or 503
// without forwarding them, drops connections before forwarding, cuts answers
// part-way through after the cluster has applied the request, and garbles
// answer bodies. Decisions come from a seeded random source, so a storm can
// be replayed. tools/faultproxy runs it as a command; the storm tests run it
// in-process between the service binary and the cluster.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mix is the share (0..1) of requests each fault hits. Faults are drawn in
// this order and at most one applies to a request: Drop, Unavailable,
// Bulk429, then (for forwarded requests) Cut, Garble.
type Mix struct {
	// Drop closes the connection before forwarding: the client sees a
	// reset or EOF and the cluster never sees the request.
	Drop float64
	// Unavailable answers 503 (plain text, as a load balancer does)
	// without forwarding.
	Unavailable float64
	// Bulk429 answers _bulk requests 429 es_rejected_execution_exception
	// without forwarding.
	Bulk429 float64
	// Cut forwards the request, then closes the connection after sending
	// the headers and half the body: the cluster applied the request but
	// the client never gets its answer.
	Cut float64
	// Garble forwards the request, then sends the first half of the answer
	// as if it were the whole body: framed correctly, unparseable.
	Garble float64
	// RetryAfter, when positive, is sent as Retry-After (whole seconds,
	// rounded up) on 429 and 503 answers.
	RetryAfter time.Duration
	// Only, when set, limits faults (and the random draws deciding them) to
	// requests whose path contains it.
	Only string
	// MaxFaults, when positive, stops injecting after that many faults.
	MaxFaults int64
}

// Storm is the mix the issue measured: 30% of _bulk answered 429, 10% of all
// calls 503, 5% of answers cut while they are sent.
var Storm = Mix{Bulk429: 0.30, Unavailable: 0.10, Cut: 0.05}

// Stats count what the proxy did.
type Stats struct {
	Requests    int64 // every request received
	Forwarded   int64 // sent on to the cluster
	Dropped     int64
	Unavailable int64
	Bulk429     int64
	Cut         int64
	Garbled     int64
}

// Faults is the number of requests that did not get a clean answer.
func (s Stats) Faults() int64 { return s.Dropped + s.Unavailable + s.Bulk429 + s.Cut + s.Garbled }

func (s Stats) String() string {
	return fmt.Sprintf("requests=%d forwarded=%d dropped=%d unavailable=%d bulk429=%d cut=%d garbled=%d",
		s.Requests, s.Forwarded, s.Dropped, s.Unavailable, s.Bulk429, s.Cut, s.Garbled)
}

// Proxy is an http.Handler forwarding to one cluster.
type Proxy struct {
	target    *url.URL
	transport http.RoundTripper

	mu  sync.Mutex
	rng *rand.Rand
	mix Mix
	off bool
	// injected counts decisions to inject a fault (under mu).
	injected int64

	requests, forwarded, dropped, unavailable, bulk429, cut, garbled atomic.Int64
}

// New builds a proxy to target (an http(s) URL) with a fault mix and seed.
func New(target string, mix Mix, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("faultproxy: target %q is not an http(s) URL", target)
	}
	for name, v := range map[string]float64{"drop": mix.Drop, "unavailable": mix.Unavailable, "bulk-429": mix.Bulk429, "cut": mix.Cut, "garble": mix.Garble} {
		if v < 0 || v > 1 {
			return nil, fmt.Errorf("faultproxy: %s share %v is not between 0 and 1", name, v)
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &Proxy{target: u, transport: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix}, nil
}

// SetEnabled switches fault injection on or off (on after New); while off,
// every request is forwarded cleanly.
func (p *Proxy) SetEnabled(on bool) {
	p.mu.Lock()
	p.off = !on
	p.mu.Unlock()
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests: p.requests.Load(), Forwarded: p.forwarded.Load(), Dropped: p.dropped.Load(),
		Unavailable: p.unavailable.Load(), Bulk429: p.bulk429.Load(), Cut: p.cut.Load(), Garbled: p.garbled.Load(),
	}
}

type fault int

const (
	none fault = iota
	drop
	unavailable
	reject
	cut
	garble
)

// decide draws the request's fate; one draw per fault keeps a seed's
// sequence of decisions independent of which faults are enabled. Only the
// requests that Only lets through draw, so that the faults a sequential
// client meets replay exactly whatever else goes through the proxy.
func (p *Proxy) decide(r *http.Request) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.mix
	if m.Only != "" && !strings.Contains(r.URL.Path, m.Only) {
		return none
	}
	d, u, b, c, g := p.rng.Float64(), p.rng.Float64(), p.rng.Float64(), p.rng.Float64(), p.rng.Float64()
	if p.off {
		return none
	}
	if m.MaxFaults > 0 && p.injected >= m.MaxFaults {
		return none
	}
	f := none
	switch {
	case d < m.Drop:
		f = drop
	case u < m.Unavailable:
		f = unavailable
	case isBulk(r) && b < m.Bulk429:
		f = reject
	case c < m.Cut:
		f = cut
	case g < m.Garble:
		f = garble
	}
	if f != none {
		p.injected++
	}
	return f
}

func isBulk(r *http.Request) bool {
	return r.URL.Path == "/_bulk" || strings.HasSuffix(r.URL.Path, "/_bulk")
}

func (p *Proxy) retryAfter(w http.ResponseWriter) {
	if p.mix.RetryAfter > 0 {
		secs := int((p.mix.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
}

// ServeHTTP applies the drawn fault, or forwards the request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	f := p.decide(r)
	switch f {
	case drop:
		p.dropped.Add(1)
		// The server closes the connection without an answer.
		panic(http.ErrAbortHandler)
	case unavailable:
		p.unavailable.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		p.retryAfter(w)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "503 Service Unavailable (injected by faultproxy)\n")
		return
	case reject:
		p.bulk429.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		p.retryAfter(w)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":{"root_cause":[{"type":"es_rejected_execution_exception","reason":"rejected execution of bulk (injected by faultproxy)"}],"type":"es_rejected_execution_exception","reason":"rejected execution of bulk (injected by faultproxy)"},"status":429}`)
		return
	}
	res, err := p.forward(r)
	if err != nil {
		http.Error(w, "faultproxy: cannot reach the cluster: "+err.Error(), http.StatusBadGateway)
		return
	}
	p.forwarded.Add(1)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	for k, vs := range res.Header {
		if k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		w.Header()[k] = vs
	}
	switch {
	case f == cut && len(body) > 1:
		p.cut.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	case f == garble && len(body) > 1:
		p.garbled.Add(1)
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(res.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	u := *p.target
	u.Path = strings.TrimSuffix(p.target.Path, "/") + r.URL.Path
	u.RawPath = ""
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		if k == "Connection" || k == "Keep-Alive" || k == "Proxy-Connection" || k == "Te" || k == "Trailer" || k == "Transfer-Encoding" || k == "Upgrade" {
			continue
		}
		out.Header[k] = vs
	}
	if r.URL.RawPath != "" {
		// Keep escaped path segments (document ids with slashes) as sent.
		out.URL.RawPath = strings.TrimSuffix(p.target.Path, "/") + r.URL.RawPath
		out.URL.Path = u.Path
	}
	out.ContentLength = int64(len(data))
	return p.transport.RoundTrip(out)
}
