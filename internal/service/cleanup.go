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
	stale, err := s.Store.ListJobs(ctx, protocol.JobQuery{
		ConnectorIDs:   ids,
		Statuses:       []protocol.JobStatus{protocol.JobInProgress, protocol.JobCanceling},
		LastSeenBefore: s.Now().Add(-threshold),
	})
	if err != nil {
		return err
	}
	marked := 0
	for _, j := range stale {
		if s.isRunning(j.ID) {
			continue // ours and alive: its heartbeat is merely late in the index
		}
		// Re-read in real time: a heartbeat may have landed since the search.
		fresh, err := s.Store.GetJob(ctx, j.ID)
		if err != nil {
			continue
		}
		if fresh.Status != protocol.JobInProgress && fresh.Status != protocol.JobCanceling {
			continue
		}
		if seen := fresh.LastSeenTime(); !seen.IsZero() && s.Now().Sub(seen) < threshold {
			continue
		}
		if err := s.Store.ReapJob(ctx, fresh, idleJobMessage, true); err != nil {
			if !errors.Is(err, protocol.ErrConflict) {
				s.log.Error("Cannot fail an idle job", logging.SyncJobID, j.ID, "error", err.Error())
			}
			continue
		}
		marked++
		s.log.Warn("Marked a job whose worker stopped reporting as failed", logging.SyncJobID, j.ID, logging.ConnectorID, j.Connector.ID, "last_seen", fresh.LastSeenTime().Format(time.RFC3339))
	}
	if len(stale) > 0 {
		s.log.Info(fmt.Sprintf("Successfully marked #%d out of #%d idle jobs as error.", marked, len(stale)))
	}
	return nil
}
