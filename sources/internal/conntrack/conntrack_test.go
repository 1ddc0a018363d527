package conntrack

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// A request still in flight when the source closes (a retry, a download started by another
// goroutine) puts its connection back in the pool after CloseIdleConnections has run; closing
// the tracked connections ends it anyway, and later requests cannot open new ones.
func TestCloseEndsConnectionsInFlightAndIdle(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	before := runtime.NumGoroutine()

	var tr Tracker
	client := &http.Client{Transport: &http.Transport{DialContext: tr.Dial(nil), MaxIdleConnsPerHost: 4}}
	inFlight := make(chan error, 1)
	go func() {
		res, err := client.Get(srv.URL + "/slow")
		if err == nil {
			_ = res.Body.Close()
		}
		inFlight <- err
	}()
	for tr.Open() < 1 {
		time.Sleep(time.Millisecond)
	}
	res, err := client.Get(srv.URL) // a second connection, left idle in the pool
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if n := tr.Open(); n != 2 {
		t.Fatalf("%d connections tracked, want 2", n)
	}

	tr.Close()
	if n := tr.Open(); n != 0 {
		t.Fatalf("%d connections still tracked after Close", n)
	}
	close(release) // the server's handler of the cut request may end now
	if err := <-inFlight; err == nil {
		t.Fatal("the request in flight succeeded although its connection was closed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close: connection goroutines live on\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
	if _, err := client.Get(srv.URL); !errors.Is(err, ErrClosed) {
		t.Fatalf("a request after Close = %v, want ErrClosed", err)
	}
}
