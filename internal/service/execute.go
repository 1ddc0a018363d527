package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
	syncer "github.com/connectors-go/connectors/internal/sync"
)

// Causes that end a running job other than finishing.
var (
	errCanceled = errors.New("the sync job was canceled")
)

// jobNotRunningError: someone else moved the job out of in_progress.
type jobNotRunningError struct {
	id     string
	status protocol.JobStatus
}

func (e *jobNotRunningError) Error() string {
	return fmt.Sprintf("sync job %s is not running but in status %s", e.id, e.status)
}

// executeOnce is one pass of an execution service: claim what is pending
// for our connectors, as far as free slots allow.
func (s *Service) executeOnce(ctx context.Context, acl bool) error {
	sel := s.Selection()
	if sel.Empty() {
		return nil
	}
	conns, err := s.Store.ListConnectors(ctx, sel)
	if err != nil {
		return fmt.Errorf("cannot list connectors: %w", err)
	}
	if len(conns) == 0 {
		return nil
	}
	byID := map[string]*protocol.Connector{}
	ids := make([]string, 0, len(conns))
	for _, c := range conns {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	types := []protocol.JobType{protocol.JobFull, protocol.JobIncremental}
	slots := s.contentSlots
	if acl {
		types = []protocol.JobType{protocol.JobAccessControl}
		slots = s.aclSlots
	}
	jobs, err := s.Store.ListJobs(ctx, protocol.JobQuery{
		ConnectorIDs: ids,
		Statuses:     []protocol.JobStatus{protocol.JobPending, protocol.JobSuspended},
		Types:        types,
	})
	if err != nil {
		return fmt.Errorf("cannot list pending jobs: %w", err)
	}
	lic := &licenseCache{client: s.Client}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.isRunning(j.ID) || s.kindRunning(j.Connector.ID, j.JobType) {
			continue
		}
		c := byID[j.Connector.ID]
		if c != nil && c.SyncStatus(j.JobType) == protocol.JobInProgress && s.kindRunning(c.ID, j.JobType) {
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			return nil // all slots busy: the rest wait for the next poll
		}
		claimed, err := s.Store.Claim(ctx, j, s.worker())
		if err != nil {
			<-slots
			var nc *protocol.NotClaimableError
			if errors.As(err, &nc) {
				s.log.Debug("Job not claimed", logging.SyncJobID, j.ID, "reason", nc.Why)
				continue
			}
			s.log.Error("Cannot claim job", logging.SyncJobID, j.ID, "error", err.Error())
			continue
		}
		s.start(claimed, slots, lic)
	}
	return nil
}

func (s *Service) isRunning(jobID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.running[jobID]
	return ok
}

func (s *Service) kindRunning(connectorID string, t protocol.JobType) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.running {
		if r.connectorID == connectorID && r.jobType.IsContent() == t.IsContent() {
			return true
		}
	}
	return false
}

// start runs a claimed job in its own goroutine. Its context is not the
// poll's: only the job's own cancellation or the service's shutdown end it.
func (s *Service) start(j *protocol.Job, slots chan struct{}, lic *licenseCache) {
	ctx, cancel := context.WithCancelCause(context.Background())
	s.mu.Lock()
	s.running[j.ID] = &runningJob{connectorID: j.Connector.ID, jobType: j.JobType, cancel: cancel}
	s.mu.Unlock()
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		defer func() { <-slots }()
		defer func() {
			s.mu.Lock()
			delete(s.running, j.ID)
			s.mu.Unlock()
			cancel(nil)
		}()
		s.runJob(ctx, j, lic)
	}()
}

func (s *Service) jobLog(j *protocol.Job) *slog.Logger {
	return s.log.With(logging.ConnectorID, j.Connector.ID, logging.SyncJobID, j.ID, logging.IndexName, j.Connector.IndexName, logging.ServiceType, j.Connector.ServiceType)
}

// RunJob claims one pending or suspended job and runs it in the calling
// goroutine, the way the execution services run the jobs they claim: for
// one-shot syncs without the service loops. Ending ctx stops the job as a
// service shutdown does, so it is recorded as suspended and can resume
// later. The result is what was recorded as the job's end.
func (s *Service) RunJob(ctx context.Context, jobID string) (protocol.JobResult, error) {
	j, err := s.Store.GetJob(ctx, jobID)
	if err != nil {
		return protocol.JobResult{}, err
	}
	claimed, err := s.Store.Claim(ctx, j, s.worker())
	if err != nil {
		return protocol.JobResult{}, err
	}
	jobCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(errShutdown) })
	defer stop()
	return s.runJob(jobCtx, claimed, &licenseCache{client: s.Client}), nil
}

// runJob executes a claimed job and always records how it ended.
func (s *Service) runJob(ctx context.Context, j *protocol.Job, lic *licenseCache) protocol.JobResult {
	log := s.jobLog(j)
	started := s.Now()
	attrs := []any{"job_type", string(j.JobType), "trigger_method", string(j.TriggerMethod)}
	if hist := j.History(); len(hist) > 0 {
		if from, ok := hist[len(hist)-1]["resumed_from"].(string); ok {
			attrs = append(attrs, "resumed_from", from, "takeovers", j.Takeovers())
		}
	}
	log.Info("Sync job started", attrs...)
	s.Metrics.JobStarted(string(j.JobType))
	res := s.execute(ctx, j, log, lic)
	defer func() {
		failed := int64(0)
		if c, ok := res.Stats.Metadata["sync_counters"].(map[string]any); ok {
			failed, _ = c["bulk_item_errors"].(int64)
		}
		s.Metrics.JobEnded(string(j.JobType), string(res.Status), s.Now().Sub(started), res.Stats.IndexedDocumentCount, res.Stats.DeletedDocumentCount, failed)
	}()
	// Final writes must happen even when the job was stopped by shutdown.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	finishing := s.Now()
	recorded, err := s.Store.FinishJob(fctx, j, res)
	var lost *protocol.NotOwnedError
	switch {
	case errors.As(err, &lost):
		// Another instance failed or took over the job while this worker
		// still ran it; writing our end now would bring a finished job
		// back to life.
		log.Warn("The job is no longer this worker's; its end is not recorded here", "status_now", string(lost.Status), "held_by", lost.Instance, "would_have_recorded", string(res.Status))
		res.Status, res.Error = lost.Status, lost.Error()
	case err != nil:
		s.esFailed(err, finishing)
		log.Error("Cannot record the end of the job", "error", err.Error())
	default:
		res = recorded
	}
	attrs = []any{"status", string(res.Status), "indexed", res.Stats.IndexedDocumentCount, "deleted", res.Stats.DeletedDocumentCount, "took", s.Now().Sub(started).Round(time.Millisecond).String()}
	if res.Error != "" {
		attrs = append(attrs, "error", res.Error)
	}
	if res.Status == protocol.JobError {
		log.Error("Sync job ended", attrs...)
	} else {
		log.Info("Sync job ended", attrs...)
	}
	return res
}

// execute runs the job and turns its outcome into a JobResult.
func (s *Service) execute(ctx context.Context, j *protocol.Job, log *slog.Logger, lic *licenseCache) protocol.JobResult {
	var engine *syncer.Engine
	var src connector.Source
	resume, err := jobResume(j)
	if err != nil {
		log.Warn("The job's checkpoint cannot be read; it starts from the beginning", "error", err.Error())
	}
	result := func(err error) protocol.JobResult {
		if cause := context.Cause(ctx); err != nil && errors.Is(cause, errShutdown) {
			err = errShutdown // whatever failed, it failed because we are stopping
		}
		r := protocol.JobResult{Status: protocol.JobCompleted}
		switch {
		case engine != nil:
			p := engine.Progress()
			r.Stats = protocol.JobStats{IndexedDocumentCount: p.Indexed, IndexedDocumentVolume: syncer.VolumeMiB(p.VolumeBytes), DeletedDocumentCount: p.Deleted}
			r.Stats.Metadata = jobMetadata(engine)
			r.Stats.Resume = resumePoint(engine.Checkpoint())
		case resume != nil:
			// Stopped before the engine started: the counts stay those of
			// the resume point.
			p := resume.Progress
			r.Stats = protocol.JobStats{IndexedDocumentCount: p.Indexed, IndexedDocumentVolume: syncer.VolumeMiB(p.VolumeBytes), DeletedDocumentCount: p.Deleted}
		}
		switch {
		case err == nil:
			if inc, ok := src.(connector.IncrementalSource); ok && j.JobType.IsContent() {
				r.Cursor = inc.SyncCursor()
			}
		case errors.Is(err, errCanceled):
			r.Status = protocol.JobCanceled
		case errors.Is(err, errShutdown):
			r.Status = protocol.JobSuspended
		case esUnavailable(err) && es.StatusOf(err) != http.StatusUnauthorized:
			// The job resumes once Elasticsearch answers again, from its
			// last checkpoint, instead of failing for an outage. Refused
			// credentials fail it: a connector's own API key that no longer
			// works is for a person to replace.
			log.Warn("Elasticsearch is unavailable; suspending the job so that it resumes later", "error", err.Error())
			r.Status = protocol.JobSuspended
		default:
			r.Status = protocol.JobError
			r.Error = err.Error()
		}
		if total, ok := s.countDocuments(j); ok {
			r.Stats.TotalDocumentCount = &total
		}
		return r
	}

	f, err := s.lookupSource(j.Connector.ServiceType)
	if err != nil {
		return result(err)
	}
	conn, err := s.Store.GetConnector(ctx, j.Connector.ID)
	if err != nil {
		return result(fmt.Errorf("cannot read connector %s: %w", j.Connector.ID, err))
	}
	features := connector.ParseFeatures(conn.Features)
	cfg, err := f.NewConfig(j.Connector.Configuration)
	if err != nil {
		return result(err)
	}
	if err := cfg.MissingFields(); err != nil {
		return result(err)
	}
	if err := cfg.Validate(); err != nil {
		return result(err)
	}
	src, err = f.New(cfg, connector.Env{Logger: log, MaxFileSize: s.cfg.Service.MaxFileDownloadSize, Features: features})
	if err != nil {
		return result(err)
	}
	defer src.Close()
	if cd, ok := src.(connector.ChangeDetector); ok {
		changed, err := cd.Changed(ctx)
		if err != nil {
			return result(err)
		}
		if !changed {
			log.Info("No change in the remote source, skipping the sync")
			return result(nil)
		}
	}
	if v, ok := src.(connector.ConfigValidator); ok {
		if err := v.ValidateConfig(ctx); err != nil {
			return result(err)
		}
	}
	if err := src.Ping(ctx); err != nil {
		return result(err)
	}
	client, err := s.contentClient(j.Connector.ID)
	if err != nil {
		return result(err)
	}

	spec := syncer.Spec{
		JobType:   j.JobType,
		Index:     j.Connector.IndexName,
		Pipeline:  j.Pipeline(),
		Source:    src,
		Downloads: s.cfg.Elasticsearch.Bulk.ConcurrentDownloads,
		Resume:    resume,
	}
	if lim, ok := src.(connector.DownloadConcurrencyLimiter); ok && lim.MaxConcurrentDownloads() > 0 {
		spec.Downloads = lim.MaxConcurrentDownloads()
	}
	if j.JobType.IsContent() {
		if j.JobType == protocol.JobIncremental && !features.IncrementalSync {
			return result(fmt.Errorf("incremental sync is not enabled for connector %s", conn.ID))
		}
		if features.SyncRulesEnabled() {
			filter, advanced, err := s.Rules.JobFilter(ctx, j.Connector.Filtering, src, features)
			if err != nil {
				return result(err)
			}
			spec.Filter = filter
			spec.Request.AdvancedRules = advanced
			if advanced != nil {
				spec.Request.AdvancedRulesJSON = rules.AdvancedSnippetJSON(j.Connector.Filtering)
			}
		}
		if j.JobType == protocol.JobIncremental {
			if _, ok := src.(connector.IncrementalSource); ok {
				spec.Cursor = cursorMap(j.Connector.SyncCursor)
			} else {
				spec.SkipUnchanged = true
			}
		}
		if err := ensureIndex(ctx, client, j.Connector.IndexName); err != nil {
			return result(err)
		}
		useService := cfg.Has("use_text_extraction_service") && cfg.Bool("use_text_extraction_service")
		if s.Extractors != nil && (useService || spec.Pipeline.ExtractBinaryContent) {
			spec.Extractor = s.Extractors.For(useService)
		}
	} else {
		if !features.DocumentLevelSecurity {
			return result(fmt.Errorf("document level security is not enabled for connector %s", conn.ID))
		}
		if ok, why := lic.atLeast(ctx, "platinum"); !ok {
			return result(errors.New(why))
		}
	}

	engine = syncer.New(syncer.Options{
		Client: client,
		Bulk:   s.cfg.Elasticsearch.Bulk,
		Log:    log,
		Now:    s.Now,
	}, spec)
	engineCtx, stopEngine := context.WithCancelCause(ctx)
	defer stopEngine(nil)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		s.watchJob(engineCtx, j, engine, stopEngine, log)
	}()
	err = engine.Run(engineCtx)
	// The cause of a stop (cancel request, job moved away, shutdown)
	// explains the end better than the context error the engine saw.
	if cause := context.Cause(engineCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	stopEngine(nil)
	<-watchDone
	return result(err)
}

// watchJob reports progress (which also keeps the job's last_seen fresh,
// and persists the source's durable checkpoint) and watches for
// cancellation, on its own tickers, however slow the source. A progress
// write refused because the job is no longer this worker's stops the job.
func (s *Service) watchJob(ctx context.Context, j *protocol.Job, e *syncer.Engine, stop context.CancelCauseFunc, log *slog.Logger) {
	stats := time.NewTicker(s.StatsInterval)
	defer stats.Stop()
	check := time.NewTicker(s.CancelCheckInterval)
	defer check.Stop()
	var written *syncer.Checkpoint
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-stats.C:
			p := e.Progress()
			st := protocol.JobStats{IndexedDocumentCount: p.Indexed, IndexedDocumentVolume: syncer.VolumeMiB(p.VolumeBytes), DeletedDocumentCount: p.Deleted}
			cp := e.Checkpoint()
			if cp != nil && !sameCheckpoint(cp, written) {
				st.Resume = resumePoint(cp)
			}
			writing := s.Now()
			err := s.Store.UpdateJobStats(ctx, j, st)
			var lost *protocol.NotOwnedError
			switch {
			case errors.As(err, &lost):
				log.Warn("The job was ended or taken over by another instance; this worker stops it", "status_now", string(lost.Status), "held_by", lost.Instance)
				stop(err)
				return
			case err != nil && ctx.Err() == nil:
				s.esFailed(err, writing)
				if !failing {
					log.Warn("Cannot report job progress; will retry", "error", err.Error())
				}
				failing = true
			case err == nil:
				s.avail.answered(writing)
				if failing {
					log.Info("Job progress is reported again")
				}
				failing = false
				if st.Resume != nil {
					written = cp
				}
			}
		case <-check.C:
			checking := s.Now()
			fresh, err := s.Store.GetJob(ctx, j.ID)
			switch {
			case errors.Is(err, protocol.ErrNotFound):
				stop(fmt.Errorf("sync job %s was deleted while running", j.ID))
				return
			case err != nil:
				if ctx.Err() == nil {
					s.esFailed(err, checking)
					log.Debug("Cannot check the job's status; will retry", "error", err.Error())
				}
				continue
			case fresh.Status == protocol.JobCanceling:
				log.Info("Cancellation requested")
				stop(errCanceled)
				return
			case fresh.Status != protocol.JobInProgress:
				stop(&jobNotRunningError{id: j.ID, status: fresh.Status})
				return
			case fresh.ClaimID() != j.ClaimID():
				log.Warn("The job was taken over by another instance; this worker stops it", "held_by", fresh.Instance())
				stop(&protocol.NotOwnedError{JobID: j.ID, Status: fresh.Status, Instance: fresh.Instance()})
				return
			}
			if _, err := s.Store.GetConnector(ctx, j.Connector.ID); errors.Is(err, protocol.ErrNotFound) {
				stop(fmt.Errorf("connector %s was deleted while its sync was running", j.Connector.ID))
				return
			}
		}
	}
}

// jobResume reads where a resumed job starts again; nil for a job that
// starts from the beginning. Access-control syncs have no checkpoints.
func jobResume(j *protocol.Job) (*syncer.Resume, error) {
	if !j.JobType.IsContent() {
		return nil, nil
	}
	rp, err := j.Resume()
	if err != nil || rp == nil {
		return nil, err
	}
	return &syncer.Resume{Checkpoint: rp.Checkpoint, Progress: syncer.Progress{Indexed: rp.Indexed, VolumeBytes: rp.VolumeBytes, Deleted: rp.Deleted}}, nil
}

func resumePoint(c *syncer.Checkpoint) *protocol.ResumePoint {
	if c == nil {
		return nil
	}
	return &protocol.ResumePoint{Checkpoint: c.Value, Indexed: c.Progress.Indexed, VolumeBytes: c.Progress.VolumeBytes, Deleted: c.Progress.Deleted}
}

func sameCheckpoint(a, b *syncer.Checkpoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Progress == b.Progress && reflect.DeepEqual(a.Value, b.Value)
}

func jobMetadata(e *syncer.Engine) map[string]any {
	counters := map[string]any{}
	for k, v := range e.Counters() {
		counters[k] = v
	}
	md := map[string]any{"sync_counters": counters}
	if errs := e.ItemErrors(); len(errs) > 0 {
		list := make([]any, len(errs))
		for i, ie := range errs {
			list[i] = map[string]any{"op": ie.Op, "id": ie.ID, "status": ie.Status, "type": ie.Type, "reason": ie.Reason}
		}
		md["failed_documents"] = list
	}
	if inc := e.IncompleteListing(); inc != nil {
		md["incomplete_listing"] = inc
	}
	// Always written, null unless this run resumed from a checkpoint, so
	// that what an earlier run of the job recorded does not outlive it.
	md["resumed_from_checkpoint"] = e.ResumedFromCheckpoint()
	return md
}

func cursorMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// ensureIndex creates the content index when neither an index nor an
// alias of that name exists. Like the original since 8.17, it sends no
// mappings or settings: Kibana and Elasticsearch own index creation.
func ensureIndex(ctx context.Context, client *es.Client, index string) error {
	if index == "" {
		return errors.New("the connector has no index attached: set its index_name")
	}
	var existing map[string]struct {
		Aliases map[string]any `json:"aliases"`
	}
	err := client.Request(ctx, "GET", "/"+url.PathEscape(index)+"?ignore_unavailable=true", nil, &existing)
	if err != nil && !es.IsNotFound(err) {
		return fmt.Errorf("cannot check index %s: %w", index, err)
	}
	for name, v := range existing {
		if name == index {
			return nil
		}
		if _, ok := v.Aliases[index]; ok {
			return nil
		}
	}
	err = client.Request(ctx, "PUT", "/"+url.PathEscape(index), nil, nil)
	if err != nil && !strings.Contains(err.Error(), "already_exists") {
		if es.StatusOf(err) == 403 {
			return notAuthorizedError{index}
		}
		return fmt.Errorf("cannot create index %s: %w", index, err)
	}
	return nil
}

// notAuthorizedError is the original's message for a 403 on the content
// index, which Kibana users know.
type notAuthorizedError struct{ index string }

func (e notAuthorizedError) Error() string {
	return fmt.Sprintf("Connector is not authorized to access index [%s]. API key may need to be regenerated. Status code: [403].", e.index)
}

// countDocuments refreshes and counts the connector's content index, the
// job's total_document_count (the content index also for ACL jobs).
func (s *Service) countDocuments(j *protocol.Job) (int64, bool) {
	index := strings.TrimPrefix(j.Connector.IndexName, protocol.ACLIndexPrefix)
	if index == "" {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := s.contentClient(j.Connector.ID)
	if err != nil {
		return 0, false
	}
	path := "/" + url.PathEscape(index)
	if !s.cfg.Elasticsearch.Serverless {
		_ = client.Request(ctx, "POST", path+"/_refresh?ignore_unavailable=true", nil, nil)
	}
	var res struct {
		Count int64 `json:"count"`
	}
	if err := client.Request(ctx, "GET", path+"/_count?ignore_unavailable=true", nil, &res); err != nil {
		return 0, false
	}
	return res.Count, true
}
