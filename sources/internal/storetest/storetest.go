// Package storetest holds what the object-store sources' tests share: a proxy that injects
// faults (throttling, errors) in front of a real emulator, a recorder for the parts of a
// listing a source reports as incomplete, and the golden-file comparison of documents.
package storetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// Fault answers matching requests itself instead of passing them on.
type Fault struct {
	// Match selects the requests; nil matches every request.
	Match func(*http.Request) bool
	// Times is how many matching requests get the fault; 0 or less means all of them.
	Times int
	// Status, Header and Body make the answer.
	Status int
	Header http.Header
	Body   string

	mu   sync.Mutex
	hits int
}

// Hits is how many requests the fault answered.
func (f *Fault) Hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

func (f *Fault) take(r *http.Request) bool {
	if f.Match != nil && !f.Match(r) {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Times > 0 && f.hits >= f.Times {
		return false
	}
	f.hits++
	return true
}

// Proxy forwards requests to a server, answering some of them with faults.
type Proxy struct {
	URL      string
	requests atomic.Int64
	mu       sync.Mutex
	faults   []*Fault
}

// NewProxy starts a proxy to target (a base URL) for the test's lifetime.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("proxy target %q: %v", target, err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Each test proxy gets its own transport, closed with the proxy, so no connection outlives
	// the test. Its upstream connections are not kept alive: a pooled one would be counted by
	// the sources' goroutine-leak checks as the source's own.
	tr := &http.Transport{DisableKeepAlives: true}
	rp.Transport = tr
	p := &Proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		faults := append([]*Fault(nil), p.faults...)
		p.mu.Unlock()
		for _, f := range faults {
			if f.take(r) {
				for k, vs := range f.Header {
					for _, v := range vs {
						w.Header().Add(k, v)
					}
				}
				w.WriteHeader(f.Status)
				_, _ = w.Write([]byte(f.Body))
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		tr.CloseIdleConnections()
	})
	p.URL = srv.URL
	return p
}

// Add installs a fault; faults are tried in the order they were added.
func (p *Proxy) Add(f *Fault) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
	return f
}

// Remove uninstalls a fault.
func (p *Proxy) Remove(f *Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, g := range p.faults {
		if g == f {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
			return
		}
	}
}

// Break answers every request matching match with status and body until the returned function
// is called: the shape of connectortest.Unreadable's breakData.
func (p *Proxy) Break(match func(*http.Request) bool, status int, body string) func(*testing.T) func() {
	return func(*testing.T) func() {
		f := p.Add(&Fault{Match: match, Status: status, Body: body})
		return func() { p.Remove(f) }
	}
}

// Requests is how many requests reached the proxy.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// PathContains matches requests whose (escaped) path contains s.
func PathContains(s string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.Contains(r.URL.EscapedPath(), s) }
}

// Incomplete records what a source reports with DocsRequest.ReportIncomplete.
type Incomplete struct {
	mu     sync.Mutex
	Scopes []string
	Causes []error
}

// Request returns a DocsRequest that reports to r.
func (r *Incomplete) Request() connector.DocsRequest {
	return connector.DocsRequest{OnIncomplete: r.add}
}

func (r *Incomplete) add(scope string, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Scopes = append(r.Scopes, scope)
	r.Causes = append(r.Causes, cause)
}

// Len is how many reports there were.
func (r *Incomplete) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.Scopes)
}

// LiveHeap measures the heap a listing keeps alive: call Sample now and then while it runs (it
// collects garbage first, so only what is still referenced counts); Max is the largest sample
// above the heap at NewLiveHeap. A source that holds its listing grows with the listing; one that
// streams stays flat.
type LiveHeap struct {
	base, max uint64
}

// NewLiveHeap records the live heap before the listing.
func NewLiveHeap() *LiveHeap {
	return &LiveHeap{base: liveHeap()}
}

// Sample records the live heap now.
func (h *LiveHeap) Sample() {
	if v := liveHeap(); v > h.base && v-h.base > h.max {
		h.max = v - h.base
	}
}

// Max is the largest growth over the starting heap, in bytes.
func (h *LiveHeap) Max() uint64 { return h.max }

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// CheckFlatListing lists everything src has, which must be total documents (what names them in
// the log: "objects", "blobs"), sampling the live heap every sampleEvery documents, and fails the
// test when the heap grew by more than 8 MiB: the listing is being held instead of streamed.
func CheckFlatListing(t testing.TB, src connector.Source, total, sampleEvery int, what string) {
	t.Helper()
	heap := NewLiveHeap()
	n := 0
	start := time.Now()
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		n++
		if n%sampleEvery == 0 {
			heap.Sample()
		}
		return nil
	})
	if err != nil || n != total {
		t.Fatalf("%d documents, %v", n, err)
	}
	t.Logf("listed %d %s in %s; the live heap grew by at most %.1f MiB", n, what, time.Since(start).Round(time.Millisecond), float64(heap.Max())/(1<<20))
	if heap.Max() > 8<<20 {
		t.Fatalf("the live heap grew by %.1f MiB while listing: the listing is being held", float64(heap.Max())/(1<<20))
	}
}
