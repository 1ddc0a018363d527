package sync

import (
	"encoding/json"
	"log/slog"
	gosync "sync"
)

// Resume is where a resumed job starts again: the source's checkpoint and
// the job's progress at that point, from which this run counts on.
type Resume struct {
	Checkpoint map[string]any
	Progress   Progress
}

// Checkpoint is a source checkpoint that has become durable: every document
// the source emitted before saving it has a final answer from
// Elasticsearch. Progress is the job's progress at exactly that point, so a
// job resumed from it neither loses nor double-counts documents.
type Checkpoint struct {
	Value    map[string]any
	Progress Progress
}

// maxWaitingCheckpoints bounds the checkpoints held until they become
// durable; past it, a newer one replaces the newest waiting one (the
// intermediate position is simply never persisted).
const maxWaitingCheckpoints = 256

// tracker numbers what the source emits and follows the low watermark: the
// highest number up to which every emitted document has settled (written,
// refused for good, or dropped before the queue). Documents settle out of
// order — content downloads run concurrently, bulk requests too — so the
// ones above the watermark wait in a map until the gap below them closes;
// that map holds at most what is in flight, which the queue and the
// download slots bound.
type tracker struct {
	log *slog.Logger

	mu      gosync.Mutex
	last    uint64 // last number handed out
	low     uint64 // every emit up to low has settled
	above   map[uint64]Progress
	atLow   Progress // sum of the outcomes up to low, base included
	waiting []waitingCheckpoint
	durable *Checkpoint
}

type waitingCheckpoint struct {
	mark  uint64 // the checkpoint is durable once low reaches it
	value map[string]any
}

func newTracker(log *slog.Logger, resume *Resume) *tracker {
	t := &tracker{log: log, above: map[uint64]Progress{}}
	if resume != nil {
		t.atLow = resume.Progress
		t.durable = &Checkpoint{Value: resume.Checkpoint, Progress: resume.Progress}
	}
	return t
}

// begin numbers one emitted document.
func (t *tracker) begin() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last++
	return t.last
}

// settle records the outcome of document seq (0: not tracked).
func (t *tracker) settle(seq uint64, o Progress) {
	if seq == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq != t.low+1 {
		t.above[seq] = o
		return
	}
	t.advance(o)
	for {
		next, ok := t.above[t.low+1]
		if !ok {
			return
		}
		delete(t.above, t.low+1)
		t.advance(next)
	}
}

// advance moves the watermark by one; a checkpoint whose mark it reaches
// becomes durable with the progress at exactly that point.
func (t *tracker) advance(o Progress) {
	t.low++
	t.atLow.add(o)
	for len(t.waiting) > 0 && t.waiting[0].mark <= t.low {
		t.durable = &Checkpoint{Value: t.waiting[0].value, Progress: t.atLow}
		t.waiting = t.waiting[1:]
	}
}

// save takes a checkpoint from the source: it covers everything numbered so
// far. It is copied (the source may reuse its map) through JSON, which is
// also how it is stored.
func (t *tracker) save(cp map[string]any) {
	data, err := json.Marshal(cp)
	var value map[string]any
	if err == nil {
		err = json.Unmarshal(data, &value)
	}
	if err != nil {
		t.log.Warn("The source saved a checkpoint that cannot be stored as JSON; it is ignored", "error", err.Error())
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	mark := t.last
	if mark <= t.low {
		t.durable = &Checkpoint{Value: value, Progress: t.atLow}
		return
	}
	if n := len(t.waiting); n > 0 && (t.waiting[n-1].mark == mark || n >= maxWaitingCheckpoints) {
		t.waiting[n-1] = waitingCheckpoint{mark: mark, value: value}
		return
	}
	t.waiting = append(t.waiting, waitingCheckpoint{mark: mark, value: value})
}

// latest returns the newest durable checkpoint, nil when there is none.
func (t *tracker) latest() *Checkpoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.durable == nil {
		return nil
	}
	c := *t.durable
	return &c
}

func (p *Progress) add(o Progress) {
	p.Indexed += o.Indexed
	p.VolumeBytes += o.VolumeBytes
	p.Deleted += o.Deleted
}

// track ties a queued operation to document seq: when the sink has Elasticsearch's
// final answer for it, the document settles with what was written. An
// operation that ends without an answer (the job stopped, the request
// failed) never settles, so the watermark cannot pass a document that may
// not be in the index.
func (t *tracker) track(op *Op, seq uint64) {
	if seq == 0 {
		return
	}
	op.settled = func(acked, ok bool) {
		if !acked {
			return
		}
		var o Progress
		if ok {
			switch op.Kind {
			case OpDelete:
				o.Deleted = 1
			default:
				o.Indexed, o.VolumeBytes = 1, int64(len(op.Body))
			}
		}
		t.settle(seq, o)
	}
}
