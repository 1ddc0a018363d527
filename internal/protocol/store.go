package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/connectors-go/connectors/internal/es"
)

// Mode names a back end.
type Mode string

// The two back ends.
const (
	ModeAPI   Mode = "api"   // the _connector API where Elasticsearch has one
	ModeIndex Mode = "index" // direct index access with optimistic concurrency
)

// backend is what differs between the two modes: the operations the
// original sends through the _connector API when it can. Everything else
// (reads, searches, compare-and-set updates, job termination) is direct
// index access in both modes, as in the original; so are the job's claim
// and progress writes, which must be conditional and the API's are not.
type backend interface {
	heartbeat(ctx context.Context, c *Connector) error
	createJob(ctx context.Context, c *Connector, t JobType, trigger TriggerMethod) (string, error)
	storeValidation(ctx context.Context, c *Connector, validation map[string]any) error
}

// Store reads and writes connectors and sync jobs.
type Store struct {
	docs
	mode    Mode
	backend backend
	log     *slog.Logger
	now     func() time.Time
}

// Options configure Open.
type Options struct {
	// UseAPI is elasticsearch.feature_use_connectors_api.
	UseAPI bool
	// Force picks a mode without probing the cluster (tests).
	Force Mode
	Log   *slog.Logger
}

// Open chooses the back end: the _connector API when it is enabled and the
// cluster answers it, otherwise direct index access.
func Open(ctx context.Context, client *es.Client, opts Options) (*Store, error) {
	s := &Store{docs: docs{es: client}, log: opts.Log, now: time.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	mode := opts.Force
	if mode == "" {
		mode = ModeIndex
		if opts.UseAPI {
			ok, err := hasConnectorAPI(ctx, client)
			if err != nil {
				return nil, err
			}
			if ok {
				mode = ModeAPI
			} else {
				s.log.Info("The cluster has no _connector API; using the connector indices directly", "host", client.Host())
			}
		}
	}
	s.mode = mode
	if mode == ModeAPI {
		s.backend = apiBackend{s}
	} else {
		s.backend = indexBackend{s}
	}
	return s, nil
}

// hasConnectorAPI asks the cluster whether it serves GET /_connector.
func hasConnectorAPI(ctx context.Context, client *es.Client) (bool, error) {
	err := client.Request(ctx, "GET", "/_connector?size=0", nil, nil)
	if err == nil {
		return true, nil
	}
	switch es.StatusOf(err) {
	case 400, 404, 405, 410:
		return false, nil
	}
	return false, fmt.Errorf("cannot tell whether Elasticsearch has the _connector API: %w", err)
}

// Mode reports the back end in use.
func (s *Store) Mode() Mode { return s.mode }

// GetConnector reads a connector in real time; ErrNotFound when missing.
func (s *Store) GetConnector(ctx context.Context, id string) (*Connector, error) {
	h, err := s.get(ctx, ConnectorsAlias, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("connector %s: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return decodeConnector(h)
}

// Selection says which connectors this service handles.
type Selection struct {
	IDs          []string // connectors listed in config.yml
	ServiceTypes []string // worker mode: every non-native connector of these types
}

// Empty reports a selection that matches nothing.
func (sel Selection) Empty() bool { return len(sel.IDs) == 0 && len(sel.ServiceTypes) == 0 }

func (sel Selection) query() map[string]any {
	notDeleted := map[string]any{"term": map[string]any{"deleted": true}}
	var clauses []any
	if len(sel.IDs) > 0 {
		clauses = append(clauses, map[string]any{"bool": map[string]any{
			"must_not": []any{notDeleted},
			"filter":   []any{map[string]any{"terms": map[string]any{"_id": sel.IDs}}},
		}})
	}
	if len(sel.ServiceTypes) > 0 {
		clauses = append(clauses, map[string]any{"bool": map[string]any{
			"must_not": []any{notDeleted},
			"filter": []any{
				map[string]any{"terms": map[string]any{"service_type": sel.ServiceTypes}},
				map[string]any{"term": map[string]any{"is_native": false}},
			},
		}})
	}
	if len(clauses) == 1 {
		return clauses[0].(map[string]any)
	}
	return map[string]any{"bool": map[string]any{"should": clauses, "minimum_should_match": 1}}
}

// ListConnectors returns the selected, non-deleted connectors.
func (s *Store) ListConnectors(ctx context.Context, sel Selection) ([]*Connector, error) {
	if sel.Empty() {
		return nil, nil
	}
	var out []*Connector
	err := s.search(ctx, ConnectorsAlias, sel.query(), nil, func(h hit) error {
		c, err := decodeConnector(&h)
		if err != nil {
			s.log.Error("Skipping a connector document that cannot be read", "connector_id", h.ID, "error", err.Error())
			return nil
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// AllConnectors lists every connector document, soft-deleted ones included.
func (s *Store) AllConnectors(ctx context.Context) ([]*Connector, error) {
	var out []*Connector
	err := s.search(ctx, ConnectorsAlias, map[string]any{"match_all": map[string]any{}}, nil, func(h hit) error {
		c, err := decodeConnector(&h)
		if err == nil {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// Heartbeat records that the service is alive for this connector.
func (s *Store) Heartbeat(ctx context.Context, c *Connector) error {
	return s.backend.heartbeat(ctx, c)
}

// UpdateConnector applies a partial document only if the connector has not
// changed since c was read (ErrConflict otherwise), then refreshes c's token.
func (s *Store) UpdateConnector(ctx context.Context, c *Connector, doc map[string]any) error {
	seq, term, err := s.update(ctx, ConnectorsAlias, c.ID, doc, true, c.SeqNo, c.PrimaryTerm)
	if err != nil {
		return err
	}
	c.SeqNo, c.PrimaryTerm = seq, term
	return nil
}

// PatchConnector applies a partial document without concurrency control.
func (s *Store) PatchConnector(ctx context.Context, id string, doc map[string]any) error {
	_, _, err := s.update(ctx, ConnectorsAlias, id, doc, false, 0, 0)
	return err
}

// SetConnected marks a connector healthy.
func (s *Store) SetConnected(ctx context.Context, id string) error {
	return s.PatchConnector(ctx, id, map[string]any{"status": StatusConnected, "error": nil})
}

// SetError puts a connector in error with a message Kibana shows.
func (s *Store) SetError(ctx context.Context, id, msg string) error {
	return s.PatchConnector(ctx, id, map[string]any{"status": StatusError, "error": msg})
}

// StoreFilteringValidation records the validation of the draft filtering
// rules and, when they are valid, makes them active.
func (s *Store) StoreFilteringValidation(ctx context.Context, c *Connector, validation map[string]any) error {
	return s.backend.storeValidation(ctx, c, validation)
}

// CreateJob creates a pending job for a connector.
func (s *Store) CreateJob(ctx context.Context, c *Connector, t JobType, trigger TriggerMethod) (string, error) {
	return s.backend.createJob(ctx, c, t, trigger)
}

// GetJob reads a job in real time.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	h, err := s.get(ctx, JobsAlias, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("sync job %s: %w", id, ErrNotFound)
		}
		return nil, err
	}
	return decodeJob(h)
}

// JobQuery selects jobs; empty fields do not filter.
type JobQuery struct {
	ConnectorIDs   []string
	Statuses       []JobStatus
	Types          []JobType
	LastSeenBefore time.Time
	// NotConnectorIDs excludes jobs of these connectors.
	NotConnectorIDs []string
}

func (q JobQuery) query() map[string]any {
	var filter, mustNot []any
	if len(q.ConnectorIDs) > 0 {
		filter = append(filter, map[string]any{"terms": map[string]any{"connector.id": q.ConnectorIDs}})
	}
	if len(q.Statuses) > 0 {
		filter = append(filter, map[string]any{"terms": map[string]any{"status": q.Statuses}})
	}
	if len(q.Types) > 0 {
		filter = append(filter, map[string]any{"terms": map[string]any{"job_type": q.Types}})
	}
	if !q.LastSeenBefore.IsZero() {
		filter = append(filter, map[string]any{"range": map[string]any{"last_seen": map[string]any{"lte": q.LastSeenBefore.UTC().Format(time.RFC3339Nano)}}})
	}
	if len(q.NotConnectorIDs) > 0 {
		mustNot = append(mustNot, map[string]any{"terms": map[string]any{"connector.id": q.NotConnectorIDs}})
	}
	if filter == nil && mustNot == nil {
		return map[string]any{"match_all": map[string]any{}}
	}
	b := map[string]any{}
	if filter != nil {
		b["filter"] = filter
	}
	if mustNot != nil {
		b["must_not"] = mustNot
	}
	return map[string]any{"bool": b}
}

// ListJobs returns matching jobs, oldest first. Results come from search,
// so they can lag writes by a refresh interval; Claim re-reads in real time.
func (s *Store) ListJobs(ctx context.Context, q JobQuery) ([]*Job, error) {
	var out []*Job
	sort := []any{map[string]any{"created_at": map[string]any{"order": "asc"}}}
	err := s.search(ctx, JobsAlias, q.query(), sort, func(h hit) error {
		j, err := decodeJob(&h)
		if err != nil {
			s.log.Error("Skipping a sync job document that cannot be read", "sync_job_id", h.ID, "error", err.Error())
			return nil
		}
		out = append(out, j)
		return nil
	})
	return out, err
}

// syncStatusFields names the connector fields that track a job kind.
func syncStatusFields(t JobType) (status, errField string) {
	if t == JobAccessControl {
		return "last_access_control_sync_status", "last_access_control_sync_error"
	}
	return "last_sync_status", "last_sync_error"
}

// runningKinds lists job types sharing a connector's sync-status field.
func runningKinds(t JobType) []JobType {
	if t == JobAccessControl {
		return []JobType{JobAccessControl}
	}
	return []JobType{JobFull, JobIncremental}
}

// Claim takes a pending or suspended job for this worker, exactly once
// across any number of service instances.
//
// The connector's last_*_sync_status is the lock, set with compare-and-set
// as in the original; unlike the original, the job is re-read in real time
// under the lock (a stale search hit must not run a job twice), and a lock
// left behind by a crashed worker, with no live job of that kind, is taken
// over instead of blocking the connector forever.
//
// The job itself is claimed with a compare-and-set write in both modes
// (the _claim endpoint sets in_progress unconditionally, so two instances
// could both "win" through it). The write carries a fresh claim token;
// every later write of this worker to the job is conditional on it.
func (s *Store) Claim(ctx context.Context, j *Job, w Worker) (*Job, error) {
	statusField, errField := syncStatusFields(j.JobType)
	var conn *Connector
	var previous any
	for attempt := 1; ; attempt++ {
		c, err := s.GetConnector(ctx, j.Connector.ID)
		if err != nil {
			return nil, err
		}
		if c.SyncStatus(j.JobType) == JobInProgress {
			live, err := s.FindJob(ctx, c.ID, runningKinds(j.JobType), JobInProgress, JobCanceling)
			if err != nil {
				return nil, err
			}
			if live != "" {
				return nil, &NotClaimableError{JobID: j.ID, Why: fmt.Sprintf("a %s sync of connector %s is already running (job %s)", j.JobType, c.ID, live)}
			}
			s.log.Warn("Taking over a sync lock left by a worker that stopped", "connector_id", c.ID, "sync_job_id", j.ID)
		}
		previous = nil
		if st := c.SyncStatus(j.JobType); st != "" {
			previous = string(st)
		}
		err = s.UpdateConnector(ctx, c, map[string]any{
			"status":    StatusConnected,
			"error":     nil,
			statusField: JobInProgress,
			errField:    nil,
		})
		if errors.Is(err, ErrConflict) && attempt < 3 {
			continue
		}
		if errors.Is(err, ErrConflict) {
			return nil, &NotClaimableError{JobID: j.ID, Why: "another instance is starting a sync of connector " + c.ID}
		}
		if err != nil {
			return nil, err
		}
		conn = c
		break
	}
	release := func(why string) error {
		if err := s.UpdateConnector(ctx, conn, map[string]any{statusField: previous}); err != nil && !errors.Is(err, ErrConflict) {
			s.log.Warn("Could not release the connector's sync lock", "connector_id", conn.ID, "error", err.Error())
		}
		return &NotClaimableError{JobID: j.ID, Why: why}
	}
	fresh, err := s.GetJob(ctx, j.ID)
	if err != nil {
		_ = release("it disappeared")
		return nil, err
	}
	if fresh.Status != JobPending && fresh.Status != JobSuspended {
		return nil, release("it is " + string(fresh.Status))
	}
	var cursor any
	if j.JobType == JobIncremental {
		cursor = conn.SyncCursor
	}
	if _, _, err := s.update(ctx, JobsAlias, fresh.ID, s.claimDoc(fresh, w, cursor), true, fresh.SeqNo, fresh.PrimaryTerm); err != nil {
		_ = release("claiming failed")
		if errors.Is(err, ErrConflict) {
			return nil, &NotClaimableError{JobID: j.ID, Why: "it changed while being claimed"}
		}
		return nil, err
	}
	return s.GetJob(ctx, j.ID)
}

// FindJob returns the id of a job of the connector, of one of the given
// types, whose status is one of want — or "". Search results lag writes by
// a refresh (a job claimed or finished a moment ago still looks pending
// there), so every unfinished candidate is re-read in real time.
func (s *Store) FindJob(ctx context.Context, connectorID string, types []JobType, want ...JobStatus) (string, error) {
	cands, err := s.ListJobs(ctx, JobQuery{
		ConnectorIDs: []string{connectorID},
		Statuses:     []JobStatus{JobPending, JobSuspended, JobInProgress, JobCanceling},
		Types:        types,
	})
	if err != nil {
		return "", err
	}
	for _, cand := range cands {
		fresh, err := s.GetJob(ctx, cand.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		for _, w := range want {
			if fresh.Status == w {
				return fresh.ID, nil
			}
		}
	}
	return "", nil
}

// UpdateJobStats writes progress counters and, when st carries one, the
// job's resume point; it also refreshes the job's last_seen, which is what
// keeps a running job from being taken for dead. It is a compare-and-set
// write under this worker's claim in both modes (the _stats endpoint
// cannot be made conditional): *NotOwnedError means the job was ended or
// taken over by someone else and this worker must stop.
func (s *Store) UpdateJobStats(ctx context.Context, j *Job, st JobStats) error {
	now := FormatTime(s.now())
	return s.writeOwned(ctx, j, func(*Job) (map[string]any, error) {
		doc := map[string]any{
			"last_seen":               now,
			"indexed_document_count":  st.IndexedDocumentCount,
			"indexed_document_volume": st.IndexedDocumentVolume,
			"deleted_document_count":  st.DeletedDocumentCount,
		}
		if st.TotalDocumentCount != nil {
			doc["total_document_count"] = *st.TotalDocumentCount
		}
		meta := map[string]any{}
		for k, v := range st.Metadata {
			meta[k] = v
		}
		if st.Resume != nil {
			rp, err := st.Resume.doc(now)
			if err != nil {
				return nil, err
			}
			meta[MetaResume] = rp
		}
		if len(meta) > 0 {
			doc["metadata"] = meta
		}
		return doc, nil
	})
}

// JobResult is how a job ended.
type JobResult struct {
	Status JobStatus
	Error  string // empty unless Status is error (or a cancellation reason)
	Stats  JobStats
	// Cursor is the source's sync cursor, persisted for completed content jobs.
	Cursor any
}

// FinishJob writes the job's final state, then the connector's summary of
// its last sync (the original's sync_done). Both happen only while the job
// is still running under this worker's claim: when it was ended or taken
// over by someone else meanwhile, nothing is written and the error is a
// *NotOwnedError. A job whose cancellation was requested is recorded
// canceled rather than suspended, so that the request is not lost. It
// returns the result as recorded.
func (s *Store) FinishJob(ctx context.Context, j *Job, r JobResult) (JobResult, error) {
	now := FormatTime(s.now())
	err := s.writeOwned(ctx, j, func(cur *Job) (map[string]any, error) {
		if cur.Status == JobCanceling && r.Status == JobSuspended {
			r.Status = JobCanceled
		}
		doc := map[string]any{
			"last_seen":               now,
			"status":                  r.Status,
			"error":                   nilIfEmpty(r.Error),
			"indexed_document_count":  r.Stats.IndexedDocumentCount,
			"indexed_document_volume": r.Stats.IndexedDocumentVolume,
			"deleted_document_count":  r.Stats.DeletedDocumentCount,
		}
		switch r.Status {
		case JobCompleted, JobError:
			doc["completed_at"] = now
		case JobCanceled:
			doc["completed_at"] = now
			doc["canceled_at"] = now
		}
		if r.Stats.TotalDocumentCount != nil {
			doc["total_document_count"] = *r.Stats.TotalDocumentCount
		}
		meta := map[string]any{}
		for k, v := range r.Stats.Metadata {
			meta[k] = v
		}
		event := map[string]any{"at": now, "event": EventEnded, "status": string(r.Status), "instance": cur.Instance()}
		meta[MetaHistory] = cur.withEvent(event)
		switch {
		case r.Status != JobSuspended:
			// Only a suspended job is resumed; the others keep no resume point.
			meta[MetaResume] = nil
		case r.Stats.Resume != nil:
			rp, err := r.Stats.Resume.doc(now)
			if err != nil {
				return nil, err
			}
			meta[MetaResume] = rp
		}
		doc["metadata"] = meta
		return doc, nil
	})
	if err != nil {
		var no *NotOwnedError
		if errors.As(err, &no) {
			return r, err
		}
		return r, fmt.Errorf("cannot record the end of sync job %s: %w", j.ID, err)
	}
	return r, s.syncDone(ctx, j, r, now)
}

func (s *Store) syncDone(ctx context.Context, j *Job, r JobResult, now string) error {
	statusField, errField := syncStatusFields(j.JobType)
	doc := map[string]any{
		"last_synced": now,
		statusField:   r.Status,
		errField:      nilIfEmpty(r.Error),
	}
	if r.Status == JobError {
		msg := r.Error
		if msg == "" {
			msg = "unknown error"
		}
		doc["status"] = StatusError
		doc["error"] = msg
	} else {
		doc["status"] = StatusConnected
		doc["error"] = nil
	}
	if j.JobType.IsContent() && r.Status == JobCompleted {
		doc["sync_cursor"] = r.Cursor
	}
	if r.Status.Terminal() {
		doc["last_indexed_document_count"] = r.Stats.IndexedDocumentCount
		doc["last_deleted_document_count"] = r.Stats.DeletedDocumentCount
	}
	err := s.PatchConnector(ctx, j.Connector.ID, doc)
	if errors.Is(err, ErrNotFound) {
		return nil // connector deleted meanwhile: nothing to summarise
	}
	return err
}

// DeleteJob removes a job document.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	err := s.es.Request(ctx, "DELETE", "/"+JobsAlias+"/_doc/"+url.PathEscape(id), nil, nil)
	if es.IsNotFound(err) {
		return nil
	}
	return err
}

// SetJobCanceling asks a running job to stop (what Kibana's cancel does).
func (s *Store) SetJobCanceling(ctx context.Context, j *Job) error {
	if j.Status == JobPending || j.Status == JobSuspended {
		now := FormatTime(s.now())
		_, _, err := s.update(ctx, JobsAlias, j.ID, map[string]any{
			"status": JobCanceled, "cancelation_requested_at": now, "canceled_at": now, "completed_at": now,
		}, true, j.SeqNo, j.PrimaryTerm)
		return err
	}
	_, _, err := s.update(ctx, JobsAlias, j.ID, map[string]any{
		"status": JobCanceling, "cancelation_requested_at": FormatTime(s.now()),
	}, true, j.SeqNo, j.PrimaryTerm)
	return err
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// activeFiltering returns the job's filtering snapshot for a connector: the
// DEFAULT domain's active rules, or an empty set.
func activeFiltering(c *Connector) any {
	var entries []map[string]any
	if len(c.Filtering) > 0 && json.Unmarshal(c.Filtering, &entries) == nil {
		for _, e := range entries {
			if d, _ := e["domain"].(string); d == "DEFAULT" || d == "" {
				if a, ok := e["active"]; ok && a != nil {
					return a
				}
			}
		}
	}
	return map[string]any{"advanced_snippet": map[string]any{}, "rules": []any{}}
}

// ReapJob fails a job whose worker is gone. The write is conditional on
// the job not having changed since j was read, so a job that just
// heartbeated is left alone (ErrConflict). With summarize, the connector's
// last-sync fields are updated too, which also releases its sync lock.
func (s *Store) ReapJob(ctx context.Context, j *Job, msg string, summarize bool) error {
	now := FormatTime(s.now())
	_, _, err := s.update(ctx, JobsAlias, j.ID, map[string]any{
		"status": JobError, "error": msg, "completed_at": now, "last_seen": now,
	}, true, j.SeqNo, j.PrimaryTerm)
	if err != nil {
		return err
	}
	if !summarize {
		return nil
	}
	return s.syncDone(ctx, j, JobResult{Status: JobError, Error: msg, Stats: JobStats{
		IndexedDocumentCount: j.IndexedDocumentCount, DeletedDocumentCount: j.DeletedDocumentCount,
	}}, now)
}
