// Package sync runs one sync job: it drives a source, applies sync rules,
// downloads and extracts binary content, and writes through a bounded queue
// into a bulk sink that retries what can be retried and accounts for every
// document it could not write. It also decides which indexed documents are
// stale without holding the whole index in memory.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/connectors-go/connectors/internal/es"
)

// OpKind is a bulk action.
type OpKind uint8

// Bulk actions.
const (
	OpIndex OpKind = iota
	OpUpdate
	OpDelete
)

func (k OpKind) String() string {
	return [...]string{"index", "update", "delete"}[k]
}

// Op is one document operation on its way to Elasticsearch.
type Op struct {
	Kind OpKind
	ID   string
	// Body is the document JSON for index, the whole update body
	// ({"doc":…,"doc_as_upsert":true}) for update, nil for delete.
	Body []byte
	// done, when set, is called once the operation has a final outcome
	// (written, or failed for good); the queue uses it to free memory.
	done func()
	// retry paces item-level retries; nil until the first one.
	retry *es.Retrier
	// resent: a request carrying this op may have been carried out
	// although its answer was lost, so this op's outcome can be the echo
	// of that attempt (a delete answered 404, an index answered updated).
	resent bool
	// settled, when set, learns the final outcome: acked when Elasticsearch
	// answered the item for good, ok when that answer was a success.
	settled   func(acked, ok bool)
	acked, ok bool
}

func (o *Op) finish() {
	if o.done != nil {
		o.done()
		o.done = nil
	}
	if o.settled != nil {
		o.settled(o.acked, o.ok)
		o.settled = nil
	}
}

// lines is the number of NDJSON lines the op takes in a bulk body.
func (o *Op) lines() int {
	if o.Kind == OpDelete {
		return 1
	}
	return 2
}

// ErrorMonitorConfig mirrors elasticsearch.bulk.error_monitor.
type ErrorMonitorConfig struct {
	Enabled              bool
	MaxTotalErrors       int
	MaxConsecutiveErrors int
	MaxErrorRate         float64
	WindowSize           int
	QueueSize            int
}

// SinkOptions configure a Sink.
type SinkOptions struct {
	Client         *es.Client
	Index          string
	Pipeline       string
	ChunkSize      int   // NDJSON lines per request
	ChunkMaxBytes  int64 // bytes per request
	MaxConcurrency int
	// Retry paces item-level retries (items answered 429/503 or
	// es_rejected_execution_exception) within its budget, counted per item
	// from its first refusal; whole requests are retried by the client. The
	// zero value means the client's policy.
	Retry      es.RetryPolicy
	Monitor    ErrorMonitorConfig
	OpsLogging bool
	Log        *slog.Logger
	Sleep      func(ctx context.Context, d time.Duration) error
	Now        func() time.Time
}

// ItemError is a document Elasticsearch refused for good.
type ItemError struct {
	Op     string `json:"op"`
	ID     string `json:"id"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

func (e ItemError) String() string {
	return fmt.Sprintf("failed to %s document %q: %d %s: %s", e.Op, e.ID, e.Status, e.Type, e.Reason)
}

// TooManyErrorsError ends a sync whose error budget is spent.
type TooManyErrorsError struct {
	Why  string
	Last []ItemError
}

func (e *TooManyErrorsError) Error() string {
	msg := "too many documents were rejected by Elasticsearch (" + e.Why + ")"
	if n := len(e.Last); n > 0 {
		msg += "; last: " + e.Last[n-1].String()
	}
	return msg
}

// SinkStats are the sink's counters.
type SinkStats struct {
	Indexed       int64 // index and update items written
	IndexedBytes  int64
	Deleted       int64
	Failed        int64 // items refused for good
	Noop          int64 // dropped by the pipeline (result noop)
	Retried       int64 // item-level retries
	Requests      int64
	Created       int64
	Updated       int64
	DeleteMissing int64 // deletes of documents already gone
	// Repeated counts _bulk requests sent again after an attempt whose
	// answer was lost (and which Elasticsearch may have carried out).
	Repeated int64
}

// Sink batches operations into _bulk requests.
type Sink struct {
	opts SinkOptions
	log  *slog.Logger

	indexed, indexedBytes, deleted, failed, noop, retried, requests, created, updated, deleteMissing, repeated atomic.Int64

	monitor *errorMonitor

	stopOnce  gosync.Once
	stopping  chan struct{}
	stopCause error

	mu       gosync.Mutex
	inflight map[int]*batch // by batch number, for per-id ordering
	nextID   int
}

type batch struct {
	ops   []*Op
	ids   map[string]bool
	lines int
	bytes int64
	done  chan struct{}
}

// NewSink builds a sink; Run drives it.
func NewSink(opts SinkOptions) *Sink {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Sleep == nil {
		opts.Sleep = es.Sleep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retry == (es.RetryPolicy{}) && opts.Client != nil {
		opts.Retry = opts.Client.Policy()
	}
	if opts.MaxConcurrency < 1 {
		opts.MaxConcurrency = 1
	}
	if opts.ChunkSize < 2 {
		opts.ChunkSize = 2
	}
	return &Sink{opts: opts, log: opts.Log, monitor: newErrorMonitor(opts.Monitor), inflight: map[int]*batch{}, stopping: make(chan struct{})}
}

// Stats returns a snapshot of the counters.
func (s *Sink) Stats() SinkStats {
	return SinkStats{
		Indexed: s.indexed.Load(), IndexedBytes: s.indexedBytes.Load(), Deleted: s.deleted.Load(),
		Failed: s.failed.Load(), Noop: s.noop.Load(), Retried: s.retried.Load(), Requests: s.requests.Load(),
		Created: s.created.Load(), Updated: s.updated.Load(), DeleteMissing: s.deleteMissing.Load(),
		Repeated: s.repeated.Load(),
	}
}

// Errors returns the last refused documents (up to error_queue_size).
func (s *Sink) Errors() []ItemError { return s.monitor.last() }

// Run consumes ops until in is closed and everything sent has an outcome,
// or until the error budget is spent or ctx ends. Items to retry come back
// through an internal queue and are ordered after their earlier attempts.
func (s *Sink) Run(ctx context.Context, in <-chan *Op) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, s.opts.MaxConcurrency)
	retries := make(chan *Op, 1024)
	var pendingRetries atomic.Int64
	var wg gosync.WaitGroup
	defer wg.Wait()

	cur := &batch{ids: map[string]bool{}}
	dispatch := func() error {
		if len(cur.ops) == 0 {
			return nil
		}
		b := cur
		cur = &batch{ids: map[string]bool{}}
		// An id already travelling in another request must land first, or a
		// delete could overtake the index it follows.
		if err := s.waitForConflicts(ctx, b); err != nil {
			return err
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-s.stopping:
			s.failRemaining(b)
			return s.stopCause
		}
		b.done = make(chan struct{})
		s.mu.Lock()
		id := s.nextID
		s.nextID++
		s.inflight[id] = b
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.inflight, id)
				s.mu.Unlock()
				close(b.done)
				<-sem
			}()
			again, err := s.send(ctx, b)
			if err != nil {
				cancel(err)
				return
			}
			for _, op := range again {
				pendingRetries.Add(1)
				go func(op *Op, wait time.Duration) {
					if err := s.opts.Sleep(ctx, wait); err != nil {
						pendingRetries.Add(-1)
						op.finish()
						return
					}
					select {
					case retries <- op:
					case <-ctx.Done():
						pendingRetries.Add(-1)
						op.finish()
					}
				}(op.op, op.wait)
			}
		}()
		return nil
	}
	add := func(op *Op) error {
		size := int64(len(op.Body)) + int64(len(op.ID)) + 64
		if len(cur.ops) > 0 && (cur.lines+op.lines() > s.opts.ChunkSize || cur.bytes+size > s.opts.ChunkMaxBytes) {
			if err := dispatch(); err != nil {
				return err
			}
		}
		if cur.ids[op.ID] {
			// Two ops on one id in one request are applied in order by
			// Elasticsearch, but keep accounting simple: send separately.
			if err := dispatch(); err != nil {
				return err
			}
		}
		cur.ops = append(cur.ops, op)
		cur.ids[op.ID] = true
		cur.lines += op.lines()
		cur.bytes += size
		if cur.lines >= s.opts.ChunkSize || cur.bytes >= s.opts.ChunkMaxBytes {
			return dispatch()
		}
		return nil
	}

	inOpen := true
	for inOpen || pendingRetries.Load() > 0 || s.busy() {
		var op *Op
		var ok bool
		var timeout <-chan time.Time
		if len(cur.ops) > 0 || !inOpen {
			// Do not sit on a partial batch while the producer is slow, nor
			// while only retries are outstanding.
			timeout = time.After(50 * time.Millisecond)
		}
		inCh := in
		if !inOpen {
			inCh = nil
		}
		select {
		case <-ctx.Done():
			s.failRemaining(cur)
			return context.Cause(ctx)
		case <-s.stopping:
			// Requests already sent are waited for (the deferred Wait), so
			// that what was counted is what Elasticsearch applied.
			s.failRemaining(cur)
			return s.stopCause
		case op, ok = <-inCh:
			if !ok {
				inOpen = false
				if err := dispatch(); err != nil {
					return err
				}
				continue
			}
		case op = <-retries:
			pendingRetries.Add(-1)
		case <-timeout:
			if err := dispatch(); err != nil {
				return err
			}
			continue
		}
		if err := add(op); err != nil {
			return err
		}
	}
	if err := dispatch(); err != nil {
		return err
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// Stop makes Run send nothing more: it waits for the requests in flight
// and returns cause, leaving the rest of the queue unsent.
func (s *Sink) Stop(cause error) {
	s.stopOnce.Do(func() {
		s.stopCause = cause
		close(s.stopping)
	})
}

func (s *Sink) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inflight) > 0
}

func (s *Sink) failRemaining(b *batch) {
	for _, op := range b.ops {
		op.finish()
	}
}

func (s *Sink) waitForConflicts(ctx context.Context, b *batch) error {
	for {
		var wait chan struct{}
		s.mu.Lock()
		for _, other := range s.inflight {
			for id := range b.ids {
				if other.ids[id] {
					wait = other.done
					break
				}
			}
			if wait != nil {
				break
			}
		}
		s.mu.Unlock()
		if wait == nil {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

type bulkItem struct {
	Index  *itemResult `json:"index"`
	Create *itemResult `json:"create"`
	Update *itemResult `json:"update"`
	Delete *itemResult `json:"delete"`
}

type itemResult struct {
	ID     string `json:"_id"`
	Status int    `json:"status"`
	Result string `json:"result"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

func (it bulkItem) result() *itemResult {
	for _, r := range []*itemResult{it.Index, it.Create, it.Update, it.Delete} {
		if r != nil {
			return r
		}
	}
	return nil
}

// retryOp is an item to send again after wait.
type retryOp struct {
	op   *Op
	wait time.Duration
}

// send writes one batch and returns the items to retry. An error means the
// whole request failed after the client's retries: the sync cannot go on.
func (s *Sink) send(ctx context.Context, b *batch) ([]retryOp, error) {
	body := newBulkBody(s.opts.Index, b.ops)
	path := "/_bulk"
	if s.opts.Pipeline != "" {
		path += "?pipeline=" + url.QueryEscape(s.opts.Pipeline)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, path, body.Reader())
	if err != nil {
		return nil, err
	}
	req.ContentLength = body.Len()
	req.GetBody = func() (io.ReadCloser, error) { return body.Reader(), nil }
	req.Header.Set("Content-Type", "application/x-ndjson")
	s.requests.Add(1)
	res, err := s.opts.Client.Perform(req)
	if err != nil {
		for _, op := range b.ops {
			op.finish()
		}
		return nil, fmt.Errorf("bulk request to index %s failed: %w", s.opts.Index, err)
	}
	defer res.Body.Close()
	if es.Repeated(res) {
		s.repeated.Add(1)
		for _, op := range b.ops {
			op.resent = true
		}
	}
	var parsed struct {
		Errors bool       `json:"errors"`
		Items  []bulkItem `json:"items"`
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&e)
		for _, op := range b.ops {
			op.finish()
		}
		if res.StatusCode == http.StatusForbidden {
			return nil, fmt.Errorf("connector is not authorized to write to index [%s]: the API key may need to be regenerated (status 403: %s)", s.opts.Index, e.Error.Reason)
		}
		// Typed, so that the service can tell an unavailable cluster (5xx, 429)
		// from a request it refused.
		return nil, fmt.Errorf("bulk request to index %s failed: %w", s.opts.Index, &es.Error{Status: res.StatusCode, Type: e.Error.Type, Reason: e.Error.Reason})
	}
	if err := json.NewDecoder(res.Body).Decode(&parsed); err != nil {
		for _, op := range b.ops {
			op.finish()
		}
		return nil, fmt.Errorf("cannot read the bulk answer from Elasticsearch: %w", err)
	}
	if len(parsed.Items) != len(b.ops) {
		for _, op := range b.ops {
			op.finish()
		}
		return nil, fmt.Errorf("bulk answer has %d items for %d operations", len(parsed.Items), len(b.ops))
	}
	var again []retryOp
	for i, op := range b.ops {
		r := parsed.Items[i].result()
		if r == nil {
			s.itemFailed(op, ItemError{Op: op.Kind.String(), ID: op.ID, Type: "unknown", Reason: "bulk answer item has no action"})
			op.finish()
			continue
		}
		if s.opts.OpsLogging {
			s.log.Debug("Bulk item", "op", op.Kind.String(), "id", op.ID, "status", r.Status, "result", r.Result)
		}
		if s.retryable(r) {
			if op.retry == nil {
				op.retry = s.opts.Retry.NewRetrier(nil)
			}
			if wait, ok := op.retry.Next(s.opts.Now(), 0); ok {
				s.retried.Add(1)
				again = append(again, retryOp{op, wait})
				continue
			}
		}
		s.record(op, r)
		op.finish()
	}
	if err := s.monitor.check(); err != nil {
		return nil, err
	}
	return again, nil
}

func (s *Sink) retryable(r *itemResult) bool {
	if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable {
		return true
	}
	return r.Error != nil && r.Error.Type == "es_rejected_execution_exception"
}

func (s *Sink) record(op *Op, r *itemResult) {
	op.acked = true
	if r.Error != nil || r.Status >= 300 && !(op.Kind == OpDelete && r.Status == http.StatusNotFound) {
		e := ItemError{Op: op.Kind.String(), ID: op.ID, Status: r.Status}
		if r.Error == nil {
			e.Type, e.Reason = "result_"+r.Result, "Elasticsearch answered "+r.Result
		}
		if r.Error != nil {
			e.Type, e.Reason = r.Error.Type, r.Error.Reason
		}
		s.itemFailed(op, e)
		return
	}
	s.monitor.success()
	op.ok = true
	switch op.Kind {
	case OpDelete:
		s.deleted.Add(1)
		if (r.Result == "not_found" || r.Status == http.StatusNotFound) && !op.resent {
			// Already gone: the original counts this as an error that can
			// fail the sync; for us the document is as wanted. (After a lost
			// answer, the lost attempt most likely deleted it.)
			s.deleteMissing.Add(1)
		}
	default:
		switch r.Result {
		case "noop":
			s.noop.Add(1)
		case "created":
			s.created.Add(1)
		case "updated":
			s.updated.Add(1)
		}
		s.indexed.Add(1)
		s.indexedBytes.Add(int64(len(op.Body)))
	}
}

func (s *Sink) itemFailed(op *Op, e ItemError) {
	s.failed.Add(1)
	s.monitor.failure(e)
	s.log.Error("Elasticsearch refused a document", "op", e.Op, "doc_id", e.ID, "status", e.Status, "error_type", e.Type, "reason", e.Reason)
}

// errorMonitor is the original's error budget over bulk item outcomes.
type errorMonitor struct {
	cfg         ErrorMonitorConfig
	mu          gosync.Mutex
	total       int
	consecutive int
	window      []bool // true = error
	pos         int
	windowErrs  int
	recent      []ItemError
}

func newErrorMonitor(cfg ErrorMonitorConfig) *errorMonitor {
	size := cfg.WindowSize
	if size < 1 {
		size = 1
	}
	return &errorMonitor{cfg: cfg, window: make([]bool, size)}
}

func (m *errorMonitor) push(isErr bool) {
	if m.window[m.pos] {
		m.windowErrs--
	}
	m.window[m.pos] = isErr
	if isErr {
		m.windowErrs++
	}
	m.pos = (m.pos + 1) % len(m.window)
}

func (m *errorMonitor) success() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.consecutive = 0
	m.push(false)
}

func (m *errorMonitor) failure(e ItemError) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total++
	m.consecutive++
	m.push(true)
	keep := m.cfg.QueueSize
	if keep < 1 {
		keep = 10
	}
	m.recent = append(m.recent, e)
	if len(m.recent) > keep {
		m.recent = m.recent[len(m.recent)-keep:]
	}
}

func (m *errorMonitor) last() []ItemError {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]ItemError(nil), m.recent...)
}

func (m *errorMonitor) check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.cfg.Enabled {
		return nil
	}
	var why string
	switch {
	case m.consecutive > m.cfg.MaxConsecutiveErrors:
		why = fmt.Sprintf("%d consecutive errors, more than the %d allowed", m.consecutive, m.cfg.MaxConsecutiveErrors)
	case m.total > m.cfg.MaxTotalErrors:
		why = fmt.Sprintf("%d errors in total, more than the %d allowed", m.total, m.cfg.MaxTotalErrors)
	case float64(m.windowErrs)/float64(len(m.window)) > m.cfg.MaxErrorRate:
		why = fmt.Sprintf("%d of the last %d documents failed, above the %.0f%% allowed", m.windowErrs, len(m.window), m.cfg.MaxErrorRate*100)
	default:
		return nil
	}
	return &TooManyErrorsError{Why: why, Last: append([]ItemError(nil), m.recent...)}
}
