package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ErrStalled is the cause given to a download's context when no data came for the idle limit.
var ErrStalled = errors.New("download stalled")

// WatchBody guards a download against a connection that stops sending: when a Read waits longer
// than idle, cancel is called (it must cancel the request that body belongs to, so the read
// returns), and the read fails with ErrStalled. Closing the result closes body and calls cancel.
// An idle of zero or less disables the guard.
func WatchBody(body io.ReadCloser, cancel context.CancelCauseFunc, idle time.Duration) io.ReadCloser {
	w := &watchedBody{body: body, cancel: cancel, idle: idle}
	if idle > 0 {
		w.timer = time.AfterFunc(idle, func() {
			w.mu.Lock()
			w.stalled = true
			w.mu.Unlock()
			cancel(fmt.Errorf("%w: no data for %s", ErrStalled, idle))
		})
	}
	return w
}

type watchedBody struct {
	body    io.ReadCloser
	cancel  context.CancelCauseFunc
	idle    time.Duration
	timer   *time.Timer
	mu      sync.Mutex
	stalled bool
	once    sync.Once
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.body.Read(p)
	if w.timer != nil {
		w.mu.Lock()
		stalled := w.stalled
		w.mu.Unlock()
		if stalled && err != nil && err != io.EOF {
			return n, fmt.Errorf("%w: no data for %s", ErrStalled, w.idle)
		}
		w.timer.Reset(w.idle)
	}
	return n, err
}

func (w *watchedBody) Close() error {
	var err error
	w.once.Do(func() {
		if w.timer != nil {
			w.timer.Stop()
		}
		err = w.body.Close()
		w.cancel(nil)
	})
	return err
}
