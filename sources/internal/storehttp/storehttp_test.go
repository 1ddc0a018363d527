package storehttp

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestCloseEndsEveryConnection: after Close no connection the client opened is left, idle or
// not, and the settings reach the transport.
func TestCloseEndsEveryConnection(t *testing.T) {
	var open atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := New(2*time.Second, 3*time.Second, 7)
	if c.Transport.TLSHandshakeTimeout != 2*time.Second || c.Transport.ResponseHeaderTimeout != 3*time.Second || c.Transport.MaxIdleConnsPerHost != 7 {
		t.Fatalf("transport %+v", c.Transport)
	}
	for range 3 {
		resp, err := c.HTTP.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if open.Load() == 0 {
		t.Fatal("no connection open before Close: the test proves nothing")
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after Close", open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := c.HTTP.Get(srv.URL); err == nil {
		t.Fatal("a closed client still dials")
	}
}
