package protocol

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Worker names who runs a job: the host, written as worker_hostname exactly
// as the original writes it, and this process among the instances on that
// host.
type Worker struct {
	Hostname string
	Instance string
}

func (w Worker) instance() string {
	if w.Instance != "" {
		return w.Instance
	}
	return w.Hostname
}

// Keys this service keeps in a sync job's metadata, an object Elasticsearch
// stores without mapping it (dynamic: false), so Kibana and the original
// leave them alone.
const (
	// MetaWorker is {instance, hostname, claim, claimed_at} of the claim
	// that runs (or last ran) the job.
	MetaWorker = "worker"
	// MetaHistory lists what happened to the job: claims, ends, workers lost.
	MetaHistory = "history"
	// MetaResume is where a resumed job starts again (see ResumePoint).
	MetaResume = "resume"
	// MetaTakeovers counts how often the job was taken from a worker that
	// stopped reporting.
	MetaTakeovers = "takeovers"
)

// historyLimit bounds the history a job carries; the oldest events go first.
const historyLimit = 50

// Events of a job's history.
const (
	EventClaimed     = "claimed"
	EventEnded       = "ended"
	EventWorkerLost  = "worker_lost"
	ResumedFromStart = "start"
	ResumedFromCheck = "checkpoint"
)

// ClaimID returns the token of the claim that runs the job, "" when none.
func (j *Job) ClaimID() string {
	w, _ := j.Metadata[MetaWorker].(map[string]any)
	id, _ := w["claim"].(string)
	return id
}

// Instance returns the instance that claimed the job, "" when unknown.
func (j *Job) Instance() string {
	w, _ := j.Metadata[MetaWorker].(map[string]any)
	id, _ := w["instance"].(string)
	return id
}

// Takeovers returns how often the job was taken from a lost worker.
func (j *Job) Takeovers() int {
	n, _ := j.Metadata[MetaTakeovers].(float64)
	return int(n)
}

// History returns the job's recorded events, oldest first.
func (j *Job) History() []map[string]any {
	list, _ := j.Metadata[MetaHistory].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// withEvent returns the job's history with one more event, as stored JSON.
func (j *Job) withEvent(event map[string]any) []any {
	list, _ := j.Metadata[MetaHistory].([]any)
	out := make([]any, 0, len(list)+1)
	out = append(out, list...)
	out = append(out, event)
	if len(out) > historyLimit {
		out = out[len(out)-historyLimit:]
	}
	return out
}

// ResumePoint is where a job resumes: the source's last checkpoint that
// Elasticsearch had fully acknowledged, and the job's counts at that point,
// which the resumed run continues from so that the job's counts stay true.
type ResumePoint struct {
	Checkpoint  map[string]any
	Indexed     int64
	VolumeBytes int64
	Deleted     int64
	SavedAt     string
}

// The checkpoint is stored as JSON text: a partial update merges objects key
// by key, which would blend an old checkpoint into a new one.
func (p *ResumePoint) doc(now string) (map[string]any, error) {
	cp, err := json.Marshal(p.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("the source's checkpoint cannot be stored: %w", err)
	}
	return map[string]any{
		"checkpoint":                    string(cp),
		"indexed_document_count":        p.Indexed,
		"indexed_document_volume_bytes": p.VolumeBytes,
		"deleted_document_count":        p.Deleted,
		"saved_at":                      now,
	}, nil
}

// Resume returns the job's resume point, nil when it has none.
func (j *Job) Resume() (*ResumePoint, error) {
	m, ok := j.Metadata[MetaResume].(map[string]any)
	if !ok {
		return nil, nil
	}
	text, _ := m["checkpoint"].(string)
	if text == "" {
		return nil, nil
	}
	p := &ResumePoint{}
	if err := json.Unmarshal([]byte(text), &p.Checkpoint); err != nil {
		return nil, fmt.Errorf("sync job %s has a checkpoint that cannot be read: %w", j.ID, err)
	}
	num := func(k string) int64 { f, _ := m[k].(float64); return int64(f) }
	p.Indexed, p.VolumeBytes, p.Deleted = num("indexed_document_count"), num("indexed_document_volume_bytes"), num("deleted_document_count")
	p.SavedAt, _ = m["saved_at"].(string)
	return p, nil
}

// NotOwnedError refuses a write to a job that is no longer this worker's:
// another instance ended it, took it over or claimed it since.
type NotOwnedError struct {
	JobID    string
	Status   JobStatus // "" when the job was deleted
	Instance string    // who holds it now, when known
}

func (e *NotOwnedError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("sync job %s was deleted while this worker ran it", e.JobID)
	}
	msg := fmt.Sprintf("sync job %s is no longer this worker's: it is %s", e.JobID, e.Status)
	if e.Instance != "" {
		msg += " (claimed by " + e.Instance + ")"
	}
	return msg
}

func newClaimID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// owns reports whether fresh is still running under mine's claim.
func owns(mine, fresh *Job) bool {
	if fresh.Status != JobInProgress && fresh.Status != JobCanceling {
		return false
	}
	return mine.ClaimID() != "" && fresh.ClaimID() == mine.ClaimID()
}

// writeOwned applies a partial document to a job this worker claimed, only
// while the job is still running under that claim. The write is a
// compare-and-set on the token of the last write; when someone else wrote
// the job since (a cancellation request, say), it is re-read and the write
// is tried again if the claim still holds, else refused with
// *NotOwnedError. build gets the job as last read, to derive the document
// from it. On success j carries the new token.
func (s *Store) writeOwned(ctx context.Context, j *Job, build func(cur *Job) (map[string]any, error)) error {
	cur := j
	for attempt := 1; ; attempt++ {
		doc, err := build(cur)
		if err != nil {
			return err
		}
		seq, term, err := s.update(ctx, JobsAlias, j.ID, doc, true, cur.SeqNo, cur.PrimaryTerm)
		if err == nil {
			// What others changed (a cancellation request, say) is what the
			// next write is decided on.
			j.SeqNo, j.PrimaryTerm, j.Status, j.Metadata = seq, term, cur.Status, cur.Metadata
			return nil
		}
		if !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
			return err
		}
		fresh, gerr := s.GetJob(ctx, j.ID)
		if errors.Is(gerr, ErrNotFound) {
			return &NotOwnedError{JobID: j.ID}
		}
		if gerr != nil {
			return gerr
		}
		if !owns(j, fresh) {
			return &NotOwnedError{JobID: j.ID, Status: fresh.Status, Instance: fresh.Instance()}
		}
		if attempt >= 5 {
			return fmt.Errorf("sync job %s keeps changing under this worker's writes: %w", j.ID, err)
		}
		cur = fresh
	}
}

// claimDoc is the compare-and-set write that claims a job: the original's
// fields, plus this worker's identity, a fresh claim token every later
// write is checked against, and a history event.
func (s *Store) claimDoc(fresh *Job, w Worker, cursor any) map[string]any {
	now := FormatTime(s.now())
	event := map[string]any{"at": now, "event": EventClaimed, "instance": w.instance(), "hostname": w.Hostname}
	if fresh.Status == JobSuspended {
		from := ResumedFromStart
		if rp, err := fresh.Resume(); err == nil && rp != nil {
			from = ResumedFromCheck
		}
		event["resumed_from"] = from
	}
	doc := map[string]any{
		"status":          JobInProgress,
		"started_at":      now,
		"last_seen":       now,
		"worker_hostname": w.Hostname,
		"metadata": map[string]any{
			MetaWorker:  map[string]any{"instance": w.instance(), "hostname": w.Hostname, "claim": newClaimID(), "claimed_at": now},
			MetaHistory: fresh.withEvent(event),
		},
	}
	if cursor != nil {
		// The original writes a literal "connector.sync_cursor" key, which
		// readers of connector.sync_cursor never see; a nested object merges
		// into the snapshot where they look.
		doc["connector"] = map[string]any{"sync_cursor": cursor}
	}
	return doc
}

// LostWorker describes a worker that stopped reporting, as seen by the
// instance that found it.
type LostWorker struct {
	// By is the instance that found the job without a live worker.
	By Worker
	// Resume hands the job to the next instance that polls (status
	// suspended) instead of failing it.
	Resume bool
	// Message is the job's error when it is failed.
	Message string
	// Silent is how long the job had not changed when it was found.
	Silent time.Duration
}

// ReleaseLostJob ends the claim of a worker that stopped reporting: the job
// becomes suspended (to be resumed, from its last checkpoint when it has
// one), canceled (a cancellation was requested), or error. The write is
// conditional on the job not having changed since j was read, so a job
// whose worker reported meanwhile is left alone (ErrConflict). The
// connector's summary is updated too, which releases its sync lock. It
// returns the status written.
func (s *Store) ReleaseLostJob(ctx context.Context, j *Job, lw LostWorker) (JobStatus, error) {
	now := FormatTime(s.now())
	status, msg := JobError, lw.Message
	switch {
	case j.Status == JobCanceling:
		status, msg = JobCanceled, ""
	case lw.Resume:
		status, msg = JobSuspended, ""
	}
	event := map[string]any{
		"at": now, "event": EventWorkerLost, "instance": j.Instance(), "hostname": deref(j.WorkerHostname),
		"detected_by": lw.By.instance(), "silent_seconds": int64(lw.Silent.Seconds()), "outcome": string(status),
	}
	if j.LastSeen != nil {
		event["last_seen"] = *j.LastSeen
	}
	meta := map[string]any{MetaHistory: j.withEvent(event)}
	if status == JobSuspended {
		meta[MetaTakeovers] = j.Takeovers() + 1
	}
	doc := map[string]any{"status": status, "error": nilIfEmpty(msg), "last_seen": now, "metadata": meta}
	if status.Terminal() {
		doc["completed_at"] = now
	}
	if status == JobCanceled {
		doc["canceled_at"] = now
	}
	if _, _, err := s.update(ctx, JobsAlias, j.ID, doc, true, j.SeqNo, j.PrimaryTerm); err != nil {
		return "", err
	}
	return status, s.syncDone(ctx, j, JobResult{Status: status, Error: msg, Stats: JobStats{
		IndexedDocumentCount: j.IndexedDocumentCount, DeletedDocumentCount: j.DeletedDocumentCount,
	}}, now)
}
