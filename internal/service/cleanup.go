package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/protocol"
)

// Messages written on jobs failed by cleanup.
const (
	idleJobMessage     = "The job has not seen any update for some time."
	orphanedJobMessage = "The connector of this job no longer exists."
)

// cleanupOnce fails jobs whose worker stopped heartbeating and jobs whose
// connector is gone, and removes pending jobs that can never run.
func (s *Service) cleanupOnce(ctx context.Context) error {
	var errs []error
	if err := s.cleanupOrphaned(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.cleanupIdle(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Service) cleanupOrphaned(ctx context.Context) error {
	all, err := s.Store.AllConnectors(ctx)
	if err != nil {
		return fmt.Errorf("cannot list connectors for cleanup: %w", err)
	}
	var existing, live []string
	for _, c := range all {
		existing = append(existing, c.ID)
		if !c.Deleted {
			live = append(live, c.ID)
		}
	}
	// Running jobs of connectors whose document is gone: failed, as in the
	// original (a soft-deleted connector still counts as existing here).
	running, err := s.Store.ListJobs(ctx, protocol.JobQuery{
		Statuses:        []protocol.JobStatus{protocol.JobInProgress, protocol.JobCanceling},
		NotConnectorIDs: existing,
	})
	if err != nil {
		return err
	}
	marked := 0
	for _, j := range running {
		if err := s.Store.ReapJob(ctx, j, orphanedJobMessage, false); err != nil {
			s.log.Error("Cannot fail an orphaned job", logging.SyncJobID, j.ID, "error", err.Error())
			continue
		}
		marked++
	}
	// Pending jobs of deleted (also soft-deleted) connectors can never run:
	// the original leaves them forever; we remove them.
	waiting, err := s.Store.ListJobs(ctx, protocol.JobQuery{
		Statuses:        []protocol.JobStatus{protocol.JobPending, protocol.JobSuspended},
		NotConnectorIDs: live,
	})
	if err != nil {
		return err
	}
	removed := 0
	for _, j := range waiting {
		if err := s.Store.DeleteJob(ctx, j.ID); err != nil {
			s.log.Error("Cannot remove an orphaned pending job", logging.SyncJobID, j.ID, "error", err.Error())
			continue
		}
		removed++
	}
	if len(running)+len(waiting) > 0 {
		s.log.Info(fmt.Sprintf("Successfully marked #%d out of #%d orphaned running jobs as error and removed #%d out of #%d orphaned pending jobs", marked, len(running), removed, len(waiting)))
	}
	return nil
}

// observation is what the cleanup loop last saw of a job run by another
// worker: the job's concurrency token, since when it has not changed, and
// how many Elasticsearch outages this process had seen by then.
type observation struct {
	seqNo, primaryTerm int64
	since              time.Time
	outages            uint64
}

// cleanupIdle finds running jobs whose worker stopped reporting and hands
// them on: resumed by the next instance that polls (the default), canceled
// when cancellation had been requested, or failed as in the original.
//
// A worker counts as lost when this process has watched its job not change
// at all for service.idle_job_threshold — not when the job's last_seen
// looks old, as the original decides. Watching needs no clock agreement
// between hosts, and it starts over after an outage of Elasticsearch, which
// kept every worker from reporting too; so does a freshly started process,
// which has watched nothing yet.
func (s *Service) cleanupIdle(ctx context.Context) error {
	sel := s.Selection()
	if sel.Empty() {
		return nil
	}
	conns, err := s.Store.ListConnectors(ctx, sel)
	if err != nil {
		return err
	}
	if len(conns) == 0 {
		return nil
	}
	ids := make([]string, len(conns))
	for i, c := range conns {
		ids[i] = c.ID
	}
	threshold := config.Seconds(s.cfg.Service.IdleJobThreshold)
	running, err := s.Store.ListJobs(ctx, protocol.JobQuery{
		ConnectorIDs: ids,
		Statuses:     []protocol.JobStatus{protocol.JobInProgress, protocol.JobCanceling},
	})
	if err != nil {
		return err
	}
	now := s.Now()
	_, outages := s.avail.state()
	current := map[string]bool{}
	var stale []*protocol.Job
	for _, j := range running {
		if s.isRunning(j.ID) {
			continue // ours and alive
		}
		current[j.ID] = true
		o, ok := s.observed[j.ID]
		if !ok || o.seqNo != j.SeqNo || o.primaryTerm != j.PrimaryTerm || o.outages != outages {
			s.observed[j.ID] = observation{seqNo: j.SeqNo, primaryTerm: j.PrimaryTerm, since: now, outages: outages}
			continue
		}
		if now.Sub(o.since) >= threshold {
			stale = append(stale, j)
		}
	}
	for id := range s.observed {
		if !current[id] {
			delete(s.observed, id)
		}
	}
	marked := 0
	for _, j := range stale {
		// Re-read in real time: the search can lag, and the release below is
		// a compare-and-set on exactly what was watched.
		fresh, err := s.Store.GetJob(ctx, j.ID)
		if err != nil {
			continue
		}
		if fresh.SeqNo != j.SeqNo || fresh.PrimaryTerm != j.PrimaryTerm {
			delete(s.observed, j.ID)
			continue
		}
		silent := now.Sub(s.observed[j.ID].since)
		lw := protocol.LostWorker{By: s.worker(), Message: idleJobMessage, Silent: silent}
		lw.Resume = s.cfg.Service.ResumeCrashedJobs && fresh.Takeovers() < s.cfg.Service.MaxJobResumes
		status, err := s.Store.ReleaseLostJob(ctx, fresh, lw)
		if err != nil {
			if !errors.Is(err, protocol.ErrConflict) {
				s.log.Error("Cannot release a job whose worker stopped reporting", logging.SyncJobID, j.ID, "error", err.Error())
			}
			continue
		}
		delete(s.observed, j.ID)
		marked++
		s.Metrics.WorkerLost(string(status))
		attrs := []any{logging.SyncJobID, j.ID, logging.ConnectorID, j.Connector.ID, "worker", fresh.Instance(), "worker_hostname", valueOf(fresh.WorkerHostname),
			"silent_for", silent.Round(time.Second).String(), "status", string(status)}
		switch {
		case status == protocol.JobSuspended:
			s.log.Warn("The worker of a job stopped reporting; the job is handed to the next instance that polls, from its last checkpoint", attrs...)
		case status == protocol.JobError && s.cfg.Service.ResumeCrashedJobs:
			s.log.Error(fmt.Sprintf("The worker of a job stopped reporting and the job was already resumed %d times (service.max_job_resumes); it is marked failed", fresh.Takeovers()), attrs...)
		default:
			s.log.Warn("The worker of a job stopped reporting; the job is marked as ended", attrs...)
		}
	}
	if len(stale) > 0 {
		s.log.Info(fmt.Sprintf("Successfully marked #%d out of #%d idle jobs.", marked, len(stale)))
	}
	return nil
}

func valueOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
