// Package faultproxy is a TCP proxy for source tests: it forwards connections to a real server
// until the test breaks it, then drops every open connection and refuses new ones. Tests use it
// to make a server vanish in the middle of a sync.
package faultproxy

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards connections from Addr to the target.
type Proxy struct {
	ln     net.Listener
	target string
	broken atomic.Bool
	// accepted counts the connections forwarded.
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

// Start listens on a free loopback port; the proxy stops when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Break()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Break closes every open connection; new ones are closed as soon as they are accepted.
func (p *Proxy) Break() {
	p.broken.Store(true)
	p.Drop()
}

// Drop closes every open connection, as a network blip does; new connections are forwarded.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Mend undoes Break: new connections are forwarded again.
func (p *Proxy) Mend() { p.broken.Store(false) }

// Accepted is the number of connections forwarded so far.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.broken.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.accepted.Add(1)
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); c.Close() }()
	}
}
