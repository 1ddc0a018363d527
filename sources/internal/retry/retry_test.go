package retry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeSleep records the waits instead of waiting; it fails when ctx is done, like Sleep.
type fakeSleep struct{ waits []time.Duration }

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return ctx.Err()
}

var errBoom = errors.New("boom")

func TestRun(t *testing.T) {
	cases := []struct {
		name     string
		verdicts []Verdict // one per failing try; the try after the last succeeds
		attempts int
		wantErr  bool
		wantTry  int
	}{
		{"success", nil, 3, false, 1},
		{"transient then success", []Verdict{{Class: Transient}, {Class: Transient}}, 3, false, 3},
		{"transient exhausted", []Verdict{{Class: Transient}, {Class: Transient}, {Class: Transient}}, 3, true, 3},
		{"permanent at once", []Verdict{{Class: Permanent}}, 5, true, 1},
		{"throttling does not use attempts", []Verdict{{Class: Throttled}, {Class: Throttled}, {Class: Throttled}, {Class: Throttled}, {Class: Transient}}, 2, false, 6},
		{"attempts below one mean one", []Verdict{{Class: Transient}}, 0, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fs fakeSleep
			p := Policy{Attempts: tc.attempts, Sleep: fs.sleep}
			tries := 0
			err := p.Run(context.Background(), "test", func(context.Context) (Verdict, error) {
				tries++
				if tries <= len(tc.verdicts) {
					return tc.verdicts[tries-1], errBoom
				}
				return Verdict{}, nil
			})
			if (err != nil) != tc.wantErr || tries != tc.wantTry {
				t.Fatalf("err %v after %d tries; want error %v after %d", err, tries, tc.wantErr, tc.wantTry)
			}
			if err != nil && !errors.Is(err, errBoom) {
				t.Fatalf("error %v does not wrap the last failure", err)
			}
		})
	}
}

func TestRunThrottleBudget(t *testing.T) {
	p := Policy{Attempts: 1, ThrottleBudget: 30 * time.Millisecond, Base: time.Millisecond, Cap: 2 * time.Millisecond}
	tries := 0
	err := p.Run(context.Background(), "test", func(context.Context) (Verdict, error) {
		tries++
		return Verdict{Class: Throttled}, errBoom
	})
	if err == nil || !strings.Contains(err.Error(), "still throttled") || !errors.Is(err, errBoom) || tries < 3 {
		t.Fatalf("err %v after %d tries", err, tries)
	}
}

func TestRunHonoursRetryAfter(t *testing.T) {
	var fs fakeSleep
	p := Policy{Attempts: 3, Sleep: fs.sleep, MaxRetryAfter: time.Minute}
	tries := 0
	_ = p.Run(context.Background(), "test", func(context.Context) (Verdict, error) {
		tries++
		switch tries {
		case 1:
			return Verdict{Class: Throttled, RetryAfter: 7 * time.Second}, errBoom
		case 2:
			return Verdict{Class: Throttled, RetryAfter: time.Hour}, errBoom
		}
		return Verdict{}, nil
	})
	if len(fs.waits) != 2 || fs.waits[0] != 7*time.Second || fs.waits[1] != time.Minute {
		t.Fatalf("waits %v, want [7s 1m]", fs.waits)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Attempts: 100, Base: time.Hour}
	tries := 0
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := p.Run(ctx, "test", func(context.Context) (Verdict, error) {
		tries++
		return Verdict{Class: Transient}, errBoom
	})
	if tries != 1 || !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("err %v after %d tries", err, tries)
	}
}

func TestBackoffIsCappedWithJitter(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Cap: time.Second}
	for n := 1; n < 40; n++ {
		d := p.delay(n, 0)
		full := min(100*time.Millisecond<<min(n-1, 20), time.Second)
		if d < full/2 || d > full {
			t.Fatalf("retry %d waits %s, want between %s and %s", n, d, full/2, full)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:35 GMT": 30 * time.Second,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
	}
	for v, want := range cases {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

func TestDo(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/throttled" && n <= 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case r.URL.Path == "/flaky" && n <= 1:
			w.WriteHeader(http.StatusBadGateway)
		case r.URL.Path == "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error": "disk on fire"}`)
		case r.URL.Path == "/missing":
			w.WriteHeader(http.StatusNotFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	p := Policy{Attempts: 2, Base: time.Millisecond, Cap: time.Millisecond}
	get := func(path string) (*http.Response, error) {
		calls.Store(0)
		return p.Do(context.Background(), srv.Client(), path, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		})
	}
	for _, path := range []string{"/throttled", "/flaky"} {
		resp, err := get(path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	resp, err := get("/missing")
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("a 404 is the caller's to read: %v %v", resp, err)
	}
	resp.Body.Close()
	_, err = get("/broken")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 500 || !strings.Contains(se.Error(), "disk on fire") || calls.Load() != 2 {
		t.Fatalf("after %d calls: %v", calls.Load(), err)
	}
}

func TestNetworkClass(t *testing.T) {
	cases := []struct {
		err  error
		want Class
	}{
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, Permanent},
		{&net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, Transient},
		{&tls.CertificateVerificationError{Err: errors.New("unknown authority")}, Permanent},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, Transient},
		{io.ErrUnexpectedEOF, Transient},
		{context.Canceled, Permanent},
	}
	for _, tc := range cases {
		if got := NetworkClass(fmt.Errorf("wrapped: %w", tc.err)); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestWatchBody(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("abc"))
		<-ctx.Done() // a server that stops sending; the cancel unblocks the reader
		pw.CloseWithError(context.Cause(ctx))
	}()
	r := WatchBody(pr, cancel, 50*time.Millisecond)
	data, err := io.ReadAll(r)
	if string(data) != "abc" || !errors.Is(err, ErrStalled) {
		t.Fatalf("read %q, %v", data, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// A body read to the end in time is untouched.
	ctx2, cancel2 := context.WithCancelCause(context.Background())
	r = WatchBody(io.NopCloser(strings.NewReader("hello")), cancel2, time.Second)
	data, err = io.ReadAll(r)
	r.Close()
	if string(data) != "hello" || err != nil || !errors.Is(ctx2.Err(), context.Canceled) {
		t.Fatalf("read %q, %v; closing must release the request (%v)", data, err, ctx2.Err())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
		{"Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true},
	} {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		if got, ok := ParseRetryAfter(h, now); got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %s %v, want %s %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, full := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		for range 50 {
			if d := Backoff(attempt, time.Second, 8*time.Second); d < full/2 || d >= full {
				t.Fatalf("attempt %d: %s outside [%s, %s)", attempt, d, full/2, full)
			}
		}
	}
	if d := Backoff(1000, time.Second, time.Minute); d > time.Minute {
		t.Fatalf("attempt 1000 waits %s: the doubling overflowed the cap", d)
	}
}
