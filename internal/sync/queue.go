package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"time"
)

// OverloadedError is the original's ElasticsearchOverloadedError: the queue
// stayed full for longer than queue_refresh_timeout.
type OverloadedError struct{ Waited time.Duration }

func (e *OverloadedError) Error() string {
	return fmt.Sprintf("connector was unable to ingest data into overloaded Elasticsearch: the document queue stayed full for %s (elasticsearch.bulk.queue_refresh_timeout)", e.Waited)
}

// queue sits between the producers (source, downloads) and the sink. It is
// bounded by item count and by bytes; an op's bytes are held until the sink
// has a final outcome for it, so memory in flight is bounded too.
type queue struct {
	ch       chan *Op
	maxBytes int64
	timeout  time.Duration

	mu      gosync.Mutex
	bytes   int64
	freed   chan struct{} // closed and replaced when bytes are released and someone waits
	waiters int           // puts waiting on freed
}

func newQueue(maxItems int, maxBytes int64, timeout time.Duration) *queue {
	if maxItems < 1 {
		maxItems = 1
	}
	return &queue{ch: make(chan *Op, maxItems), maxBytes: maxBytes, timeout: timeout, freed: make(chan struct{})}
}

// put blocks while the queue is full. Like the original, an item larger than
// the byte cap is accepted when nothing else is held. A put that finds room
// costs no timer and no channel: it is once per document.
func (q *queue) put(ctx context.Context, op *Op) error {
	size := int64(len(op.Body)) + int64(len(op.ID))
	// The queue_refresh_timeout bound runs from the first wait.
	var timer *time.Timer
	deadline := func() <-chan time.Time {
		if q.timeout <= 0 {
			return nil
		}
		if timer == nil {
			timer = time.NewTimer(q.timeout)
		}
		return timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		q.mu.Lock()
		if q.bytes == 0 || q.bytes+size <= q.maxBytes {
			q.bytes += size
			q.mu.Unlock()
			break
		}
		q.waiters++
		freed := q.freed
		q.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-deadline():
			return &OverloadedError{Waited: q.timeout}
		}
	}
	op.done = func() { q.release(size) }
	select {
	case q.ch <- op:
		return nil
	default:
	}
	select {
	case q.ch <- op:
		return nil
	case <-ctx.Done():
		q.release(size)
		return context.Cause(ctx)
	case <-deadline():
		q.release(size)
		return &OverloadedError{Waited: q.timeout}
	}
}

func (q *queue) release(size int64) {
	q.mu.Lock()
	q.bytes -= size
	if q.waiters > 0 {
		// Wake every waiter; each checks again and waits anew if there is
		// still no room.
		close(q.freed)
		q.freed = make(chan struct{})
		q.waiters = 0
	}
	q.mu.Unlock()
}

func (q *queue) close() { close(q.ch) }
