package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/protocol"
)

// Filter decides whether a document is ingested (basic sync rules).
type Filter interface {
	Match(doc map[string]any) (bool, error)
}

// Spec is one job's work.
type Spec struct {
	JobType  protocol.JobType
	Index    string // the content index, or the .search-acl-filter- index
	Pipeline protocol.Pipeline
	Source   connector.Source
	Request  connector.DocsRequest
	// Filter applies basic sync rules; nil when no sync-rule feature is on.
	Filter Filter
	// Cursor is the stored cursor for an incremental job of a source with
	// its own cursor.
	Cursor map[string]any
	// SkipUnchanged is the original's timestamp optimisation: an incremental
	// job of a source without a cursor skips documents whose _timestamp did
	// not change.
	SkipUnchanged bool
	// Extractor turns binary content into a field; nil when content
	// extraction is off for this job.
	Extractor extract.Extractor
	// Downloads bounds concurrent content downloads.
	Downloads int
	// Resume, for a job resumed from a checkpoint, is where the source
	// starts again and the progress counted so far. The seen set of the
	// earlier run is lost, so a resumed full sync deletes nothing.
	Resume *Resume
}

// Options are the service-wide settings of the engine.
type Options struct {
	Client *es.Client
	Bulk   config.Bulk
	Log    *slog.Logger
	Now    func() time.Time
	// StopGrace is how long a stopped job's sink may go on writing what the
	// source had already handed over, so that what the job records is what
	// the index holds; 0 means 10 s.
	StopGrace time.Duration
}

// Engine runs one job's document flow: source → rules → content → queue →
// sink, then the stale-document pass.
type Engine struct {
	opts  Options
	spec  Spec
	log   *slog.Logger
	sink  *Sink
	seen  *idSet
	track *tracker
	// incomplete collects the parts of the listing the source could not read.
	incomplete *incomplete
	// resumeSkippedDeletions: a full sync resumed from a checkpoint reached
	// the stale-document pass and skipped it (the ids listed before the
	// checkpoint are not known).
	resumeSkippedDeletions atomic.Bool

	extracted, filtered, creates, updates, deletes, unchanged, downloaded, tooLarge, contentFailed, keptContent atomic.Int64
	// contentSkipped counts documents indexed without content because of
	// their size or type.
	contentSkipped atomic.Int64
}

// New prepares an engine; Run executes it once.
func New(opts Options, spec Spec) *Engine {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if spec.Downloads < 1 {
		spec.Downloads = 1
	}
	b := opts.Bulk
	if opts.StopGrace <= 0 {
		opts.StopGrace = 10 * time.Second
	}
	e := &Engine{opts: opts, spec: spec, log: opts.Log, seen: newIDSet(), track: newTracker(opts.Log, spec.Resume), incomplete: &incomplete{log: opts.Log}}
	prev := spec.Request.OnIncomplete
	e.spec.Request.OnIncomplete = func(scope string, cause error) {
		e.incomplete.report(scope, cause)
		if prev != nil {
			prev(scope, cause)
		}
	}
	e.sink = NewSink(SinkOptions{
		Client:         opts.Client,
		Index:          spec.Index,
		Pipeline:       spec.Pipeline.Name,
		ChunkSize:      b.ChunkSize,
		ChunkMaxBytes:  config.MiB(b.ChunkMaxMemSize),
		MaxConcurrency: b.MaxConcurrency,
		OpsLogging:     b.EnableOperationsLogging,
		Log:            opts.Log,
		Monitor: ErrorMonitorConfig{
			Enabled:              b.ErrorMonitor.Enabled,
			MaxTotalErrors:       b.ErrorMonitor.MaxTotalErrors,
			MaxConsecutiveErrors: b.ErrorMonitor.MaxConsecutiveErrors,
			MaxErrorRate:         b.ErrorMonitor.MaxErrorRate,
			WindowSize:           b.ErrorMonitor.ErrorWindowSize,
			QueueSize:            b.ErrorMonitor.ErrorQueueSize,
		},
	})
	return e
}

// Progress is what the job document shows while and after a job runs.
type Progress struct {
	Indexed     int64
	VolumeBytes int64
	Deleted     int64
}

// VolumeMiB converts bytes to whole MiB rounded half to even, as the
// original reports indexed_document_volume.
func VolumeMiB(bytes int64) int64 {
	return int64(math.RoundToEven(float64(bytes) / (1024 * 1024)))
}

// Progress reports written documents so far, those of the run a resumed
// job continues included.
func (e *Engine) Progress() Progress {
	st := e.sink.Stats()
	p := Progress{Indexed: st.Indexed, VolumeBytes: st.IndexedBytes, Deleted: st.Deleted}
	if e.spec.Resume != nil {
		p.add(e.spec.Resume.Progress)
	}
	return p
}

// Checkpoint returns the newest durable checkpoint of the source (the one
// the job resumed from until a newer one is durable), nil when there is
// none.
func (e *Engine) Checkpoint() *Checkpoint { return e.track.latest() }

// resumed reports a job that continues from a checkpoint.
func (e *Engine) resumed() bool { return e.spec.Resume != nil && e.spec.Resume.Checkpoint != nil }

// Counters returns the detailed counters, named as in the original where
// it has the same counter.
func (e *Engine) Counters() map[string]int64 {
	st := e.sink.Stats()
	return map[string]int64{
		"docs_extracted":            e.extracted.Load(),
		"docs_filtered":             e.filtered.Load(),
		"docs_unchanged":            e.unchanged.Load(),
		"doc_creates_queued":        e.creates.Load(),
		"doc_updates_queued":        e.updates.Load(),
		"doc_deletes_queued":        e.deletes.Load(),
		"binary_docs_downloaded":    e.downloaded.Load(),
		"binary_docs_failed":        e.contentFailed.Load(),
		"binary_docs_skipped":       e.contentSkipped.Load(),
		"docs_content_kept":         e.keptContent.Load(),
		"docs_dropped_too_large":    e.tooLarge.Load(),
		"bulk_requests":             st.Requests,
		"bulk_item_retries":         st.Retried,
		"bulk_item_errors":          st.Failed,
		"docs_dropped":              st.Noop,
		"indexed_document_count":    st.Indexed,
		"indexed_document_volume":   st.IndexedBytes,
		"deleted_document_count":    st.Deleted,
		"deletes_of_missing_docs":   st.DeleteMissing,
		"bulk_item_results_created": st.Created,
		"bulk_item_results_updated": st.Updated,
		"bulk_requests_repeated":    st.Repeated,
	}
}

// ItemErrors returns the last documents Elasticsearch refused.
func (e *Engine) ItemErrors() []ItemError { return e.sink.Errors() }

// IncompleteListing says what the source could not list; nil when it
// listed everything.
func (e *Engine) IncompleteListing() *IncompleteListing { return e.incomplete.summary() }

// ResumedFromCheckpoint is what a job resumed from a source's checkpoint
// records in its metadata (resumed_from_checkpoint).
type ResumedFromCheckpoint struct {
	// DeletionsSkipped: the stale-document pass would have run and did
	// not, since the ids listed before the checkpoint are not known.
	DeletionsSkipped bool `json:"deletions_skipped"`
}

// ResumedFromCheckpoint says what resuming from a checkpoint cost the job;
// nil when the job did not resume from one.
func (e *Engine) ResumedFromCheckpoint() *ResumedFromCheckpoint {
	if !e.resumed() {
		return nil
	}
	return &ResumedFromCheckpoint{DeletionsSkipped: e.resumeSkippedDeletions.Load()}
}

// Run executes the job. It returns when every queued operation has an
// outcome, or with the first error (source failure, error budget spent,
// Elasticsearch unreachable, cancellation). A job whose source reported
// part of its listing as unreadable writes everything it read, deletes
// nothing, and returns an *IncompleteListingError.
//
// When ctx ends, the source stops and nothing more is sent, but requests
// already in flight are waited for (up to StopGrace): one cut off may still
// be applied by Elasticsearch, and the index would then hold documents the
// job never counted.
func (e *Engine) Run(ctx context.Context) error {
	b := e.opts.Bulk
	q := newQueue(b.QueueMaxSize, config.MiB(b.QueueMaxMemSize), config.Seconds(b.QueueRefreshTimeout))
	defer e.seen.close()
	e.spec.Request.OnCheckpoint = e.track.save
	if e.resumed() {
		e.spec.Request.Checkpoint = e.spec.Resume.Checkpoint
		e.log.Info("Resuming from the source's last checkpoint; documents indexed before it are kept, and this job deletes no stale documents", "indexed_before", e.spec.Resume.Progress.Indexed)
	}
	pctx, stopProducer := context.WithCancelCause(ctx)
	defer stopProducer(nil)
	sctx, abortSink := context.WithCancelCause(context.WithoutCancel(ctx))
	defer abortSink(nil)
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		e.sink.Stop(context.Cause(ctx))
		t := time.NewTimer(e.opts.StopGrace)
		defer t.Stop()
		select {
		case <-t.C:
			abortSink(context.Cause(ctx))
		case <-finished:
		}
	}()
	sinkErr := make(chan error, 1)
	go func() {
		err := e.sink.Run(sctx, q.ch)
		if err != nil {
			stopProducer(err)
		}
		sinkErr <- err
	}()
	perr := e.produce(pctx, q)
	q.close()
	serr := <-sinkErr
	// A sink failure stops the producer, whose error is then only the echo.
	if serr != nil && (perr == nil || pctx.Err() != nil) {
		return serr
	}
	if perr != nil {
		return perr
	}
	return e.incomplete.err()
}

func (e *Engine) produce(ctx context.Context, q *queue) error {
	switch {
	case e.spec.JobType == protocol.JobAccessControl:
		return e.produceAccessControl(ctx, q)
	case isIncrementalWithCursor(e.spec):
		return e.produceIncremental(ctx, q)
	default:
		return e.produceFull(ctx, q)
	}
}

func isIncrementalWithCursor(spec Spec) bool {
	if spec.JobType != protocol.JobIncremental {
		return false
	}
	_, ok := spec.Source.(connector.IncrementalSource)
	return ok
}

// prepared is a source document turned into what gets indexed.
type prepared struct {
	id   string
	body map[string]any
	doc  connector.Document
	seq  uint64 // the emit's number for the checkpoint watermark
}

func (e *Engine) prepare(doc connector.Document) (*prepared, error) {
	if doc.ID == "" {
		return nil, errors.New("the source emitted a document without an id")
	}
	id := doc.ID
	if len(id) > 512 {
		id = connector.HashID(id)
	}
	doc.ID = id
	if doc.Timestamp == "" {
		doc.Timestamp = connector.FormatTime(e.opts.Now())
	}
	body := doc.Body()
	if e.spec.JobType != protocol.JobAccessControl {
		body["_extract_binary_content"] = e.spec.Pipeline.ExtractBinaryContent
		body["_reduce_whitespace"] = e.spec.Pipeline.ReduceWhitespace
		body["_run_ml_inference"] = e.spec.Pipeline.RunMLInference
	}
	return &prepared{id: id, body: body, doc: doc}, nil
}

// filterOut applies the basic rules; it reports true for a document to drop.
func (e *Engine) filterOut(p *prepared) (bool, error) {
	if e.spec.Filter == nil {
		return false, nil
	}
	ok, err := e.spec.Filter.Match(p.body)
	if err != nil {
		return false, fmt.Errorf("sync rules could not be applied to document %q: %w", p.id, err)
	}
	if !ok {
		e.filtered.Add(1)
		return true, nil
	}
	return false, nil
}

// enqueue serialises a document and queues it, applying the size cap for
// documents without binary content.
func (e *Engine) enqueue(ctx context.Context, q *queue, kind OpKind, p *prepared) error {
	var body []byte
	var err error
	if kind == OpUpdate {
		body, err = connector.MarshalJSON(map[string]any{"doc": p.body, "doc_as_upsert": true})
	} else {
		body, err = connector.MarshalJSON(p.body)
	}
	if err != nil {
		return fmt.Errorf("document %q cannot be encoded as JSON: %w", p.id, err)
	}
	if limit := config.MiB(e.opts.Bulk.MaxTextDocumentSize); limit > 0 {
		if _, hasAttachment := p.body[extract.FieldAttachment]; !hasAttachment && int64(len(body)) > limit {
			e.tooLarge.Add(1)
			e.log.Warn("Document is larger than elasticsearch.bulk.max_text_document_size and is not indexed", "doc_id", p.id, "bytes", len(body), "limit_bytes", limit)
			e.track.settle(p.seq, Progress{})
			return nil
		}
	}
	switch kind {
	case OpUpdate:
		e.updates.Add(1)
	case OpIndex:
		e.creates.Add(1)
	}
	op := &Op{Kind: kind, ID: p.id, Body: body}
	e.track.track(op, p.seq)
	return q.put(ctx, op)
}

// downloads runs content downloads with bounded concurrency. The workers
// live as long as the job: a goroutine per document grew its stack for the
// extraction code again every time, which cost a tenth of the service's CPU
// on a folder of small files.
type downloads struct {
	n     int
	tasks chan func() error
	wg    gosync.WaitGroup
	mu    gosync.Mutex
	err   error
	// started counts the workers; they start on demand, up to n.
	started int
}

func newDownloads(n int) *downloads { return &downloads{n: n, tasks: make(chan func() error)} }

func (d *downloads) failed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// go_ hands f to a worker, waiting while all n are busy.
func (d *downloads) go_(ctx context.Context, f func() error) error {
	if err := d.failed(); err != nil {
		return err
	}
	select {
	case d.tasks <- f:
		return nil
	default:
	}
	d.mu.Lock()
	if d.started < d.n {
		d.started++
		d.wg.Add(1)
		d.mu.Unlock()
		go d.work(f)
		return nil
	}
	d.mu.Unlock()
	select {
	case d.tasks <- f:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (d *downloads) work(f func() error) {
	defer d.wg.Done()
	for {
		if err := f(); err != nil {
			d.mu.Lock()
			if d.err == nil {
				d.err = err
			}
			d.mu.Unlock()
		}
		var ok bool
		if f, ok = <-d.tasks; !ok {
			return
		}
	}
}

// wait ends the downloads: it lets the workers finish what they hold and
// returns the first error. go_ must not be called after it.
func (d *downloads) wait() error {
	close(d.tasks)
	d.wg.Wait()
	return d.failed()
}

// withContent downloads and extracts a document's content into its body.
// It reports false when the download or extraction failed; content skipped
// on purpose (type, size) is not a failure.
func (e *Engine) withContent(ctx context.Context, p *prepared) bool {
	c := p.doc.Content
	ex := e.spec.Extractor
	if err := ex.Check(c.Name, c.Size); err != nil {
		// Size and type limits are decided before any download; the
		// document is indexed without its content, which the operator
		// should be able to see (binary_docs_skipped counts them).
		e.contentSkipped.Add(1)
		level := slog.LevelInfo
		if errors.Is(err, extract.ErrTooLarge) {
			level = slog.LevelWarn
		}
		e.log.Log(ctx, level, "Content skipped; indexing the document without it", "doc_id", p.id, "file", c.Name, "reason", err.Error())
		return true
	}
	r, err := c.Open(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.contentFailed.Add(1)
			e.log.Warn("Could not download the document's content; its other fields are updated and its indexed content kept", "doc_id", p.id, "file", c.Name, "error", err.Error())
		}
		return false
	}
	defer r.Close()
	out, err := ex.Extract(ctx, c.Name, r, c.Size)
	if err != nil {
		if ctx.Err() == nil {
			e.contentFailed.Add(1)
			e.log.Warn("Could not extract the document's content; its other fields are updated and its indexed content kept", "doc_id", p.id, "file", c.Name, "error", err.Error())
		}
		return false
	}
	if out.Warning != "" {
		e.log.Warn(out.Warning, "doc_id", p.id, "file", c.Name)
	}
	for k, v := range out.Fields() {
		p.body[k] = v
	}
	e.downloaded.Add(1)
	return true
}

func (e *Engine) emitIndex(ctx context.Context, q *queue, dl *downloads, p *prepared, kind OpKind) error {
	if p.doc.Content != nil && e.spec.Extractor != nil {
		return dl.go_(ctx, func() error {
			if !e.withContent(ctx, p) {
				return e.enqueueKeepingContent(ctx, q, p)
			}
			return e.enqueue(ctx, q, kind, p)
		})
	}
	return e.enqueue(ctx, q, kind, p)
}

func (e *Engine) produceFull(ctx context.Context, q *queue) error {
	// Nothing can be stale in an index that starts empty (a first sync):
	// the deletion pass is then skipped.
	before, err := countDocs(ctx, e.opts.Client, e.spec.Index)
	if err != nil {
		return err
	}
	if before > 0 {
		e.seen.reserve(before)
	}
	var stamps *stampSet
	if e.spec.SkipUnchanged {
		stamps = newStampSet(e.seen.seed)
		if err := scanIndex(ctx, e.opts.Client, e.spec.Index, func(id, stamp string) error {
			stamps.add(id, stamp)
			return nil
		}); err != nil {
			return err
		}
		stamps.seal()
	}
	dl := newDownloads(e.spec.Downloads)
	err = e.spec.Source.Docs(ctx, e.spec.Request, func(doc connector.Document) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := dl.failed(); err != nil {
			return err
		}
		e.extracted.Add(1)
		seq := e.track.begin()
		p, err := e.prepare(doc)
		if err != nil {
			return err
		}
		p.seq = seq
		drop, err := e.filterOut(p)
		if err != nil || drop {
			e.track.settle(seq, Progress{})
			return err
		}
		if before > 0 && !e.resumed() {
			if err := e.seen.add(p.id); err != nil {
				return err
			}
		}
		if stamps != nil {
			if _, same := stamps.lookup(p.id, p.doc.Timestamp); same {
				e.unchanged.Add(1)
				e.track.settle(seq, Progress{})
				return nil
			}
		}
		return e.emitIndex(ctx, q, dl, p, OpIndex)
	})
	if werr := dl.wait(); err == nil {
		err = werr
	}
	if err != nil || before == 0 {
		return err
	}
	if e.resumed() {
		// The ids listed before the checkpoint are lost with the run that
		// listed them: any indexed document may be one of them.
		e.resumeSkippedDeletions.Store(true)
		return nil
	}
	if e.incomplete.any() {
		// A document in a part that could not be read is not a deleted one.
		e.incomplete.skipDeletions()
		e.log.Warn("The listing was incomplete: skipping the deletion of stale documents in this sync")
		return nil
	}
	return e.deleteUnseen(ctx, q)
}

// deleteUnseen queues a delete for every indexed document the source did
// not produce this time (filtered documents included, as in the original).
func (e *Engine) deleteUnseen(ctx context.Context, q *queue) error {
	if err := e.seen.seal(); err != nil {
		return err
	}
	return scanIndex(ctx, e.opts.Client, e.spec.Index, func(id, _ string) error {
		seen, err := e.seen.contains(id)
		if err != nil || seen {
			return err
		}
		e.deletes.Add(1)
		return q.put(ctx, &Op{Kind: OpDelete, ID: id})
	})
}

func (e *Engine) produceIncremental(ctx context.Context, q *queue) error {
	src, ok := e.spec.Source.(connector.IncrementalSource)
	if !ok {
		return errors.New("the source has no incremental sync")
	}
	dl := newDownloads(e.spec.Downloads)
	err := src.IncrementalDocs(ctx, e.spec.Request, e.spec.Cursor, func(ch connector.Change) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := dl.failed(); err != nil {
			return err
		}
		e.extracted.Add(1)
		seq := e.track.begin()
		p, err := e.prepare(ch.Document)
		if err != nil {
			return err
		}
		p.seq = seq
		drop, err := e.filterOut(p)
		if err != nil || drop {
			e.track.settle(seq, Progress{})
			return err
		}
		switch ch.Op {
		case connector.OpDelete:
			e.deletes.Add(1)
			op := &Op{Kind: OpDelete, ID: p.id}
			e.track.track(op, seq)
			return q.put(ctx, op)
		case connector.OpUpdate:
			return e.emitIndex(ctx, q, dl, p, OpUpdate)
		case connector.OpIndex, "":
			return e.emitIndex(ctx, q, dl, p, OpIndex)
		default:
			return fmt.Errorf("the source sent document %q with unknown operation %q", p.id, ch.Op)
		}
	})
	if werr := dl.wait(); err == nil {
		err = werr
	}
	return err
}

func (e *Engine) produceAccessControl(ctx context.Context, q *queue) error {
	src, ok := e.spec.Source.(connector.AccessControlSource)
	if !ok {
		return errors.New("this source does not support document level security (no access control sync)")
	}
	stamps := newStampSet(e.seen.seed)
	if err := scanIndex(ctx, e.opts.Client, e.spec.Index, func(id, stamp string) error {
		stamps.add(id, stamp)
		return nil
	}); err != nil {
		return err
	}
	stamps.seal()
	err := src.AccessControl(ctx, func(doc connector.Document) error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		e.extracted.Add(1)
		p, err := e.prepare(doc)
		if err != nil {
			return err
		}
		if err := e.seen.add(p.id); err != nil {
			return err
		}
		exists, same := stamps.lookup(p.id, p.doc.Timestamp)
		switch {
		case same:
			e.unchanged.Add(1)
			return nil
		case exists:
			return e.enqueue(ctx, q, OpUpdate, p)
		default:
			return e.enqueue(ctx, q, OpIndex, p)
		}
	})
	if err != nil {
		return err
	}
	return e.deleteUnseen(ctx, q)
}
