// Package conntrack closes every connection an HTTP transport opened, idle or not, when a source
// is closed.
//
// http.Transport.CloseIdleConnections alone is racy at Close: a response body closed a moment
// earlier hands its connection back to the idle pool from the transport's read goroutine, which
// can happen after CloseIdleConnections ran, leaving that connection and its two goroutines alive
// until the idle timeout. Tracking connections at dial time and closing them all is exact.
package conntrack

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// ErrClosed is what dialling through a closed Tracker returns.
var ErrClosed = errors.New("the source is closed")

// DialFunc is the signature of http.Transport.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Tracker records the connections dialled through it.
type Tracker struct {
	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
}

// Dial wraps dial (when nil, the dialer http.DefaultTransport uses: 30 s to connect, 30 s
// keep-alive) so that the connections it makes are tracked. Put the result in http.Transport.DialContext; TLS is layered on top by the transport,
// so closing the tracked connection ends TLS connections too.
func (t *Tracker) Dial(dial DialFunc) DialFunc {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.closed {
			_ = c.Close()
			return nil, ErrClosed
		}
		if t.conns == nil {
			t.conns = map[*conn]struct{}{}
		}
		tc := &conn{Conn: c, t: t}
		t.conns[tc] = struct{}{}
		return tc, nil
	}
}

// Close closes every tracked connection and makes later dials fail. Safe to call more than once.
func (t *Tracker) Close() {
	t.mu.Lock()
	t.closed = true
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
}

// Open returns how many tracked connections are open.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

type conn struct {
	net.Conn
	t    *Tracker
	once sync.Once
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}
