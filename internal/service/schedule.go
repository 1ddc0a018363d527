package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/cron"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/protocol"
)

// scheduleOnce is one pass of the scheduling service over the connectors.
func (s *Service) scheduleOnce(ctx context.Context) error {
	sel := s.Selection()
	if sel.Empty() {
		s.log.Debug("No connectors configured")
		return nil
	}
	conns, err := s.Store.ListConnectors(ctx, sel)
	if err != nil {
		return fmt.Errorf("cannot list connectors: %w", err)
	}
	listed := map[string]string{}
	for _, e := range s.cfg.EffectiveConnectors() {
		listed[e.ConnectorID] = e.ServiceType
	}
	s.reportMissing(conns)
	s.schedMu.Lock()
	wake := s.lastWakeUp
	s.schedMu.Unlock()
	now := s.Now()
	lic := &licenseCache{client: s.Client}

	// The original skips connectors when its task pool is full; we wait
	// for a free slot instead, so no connector misses a cycle.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Service.MaxConcurrentSchedulingTasks)
	for _, c := range conns {
		serviceType, isListed := listed[c.ID]
		g.Go(func() error {
			s.scheduleConnector(gctx, c, serviceType, isListed, wake, lic)
			return nil
		})
	}
	_ = g.Wait()
	s.schedMu.Lock()
	s.lastWakeUp = now
	s.schedMu.Unlock()
	return ctx.Err()
}

// reportMissing logs, once per pass, every connector config.yml lists that
// Elasticsearch does not have (or has only as deleted): otherwise such a
// connector is silently never synced.
func (s *Service) reportMissing(found []*protocol.Connector) {
	have := make(map[string]bool, len(found))
	for _, c := range found {
		have[c.ID] = true
	}
	for _, e := range s.cfg.EffectiveConnectors() {
		if !have[e.ConnectorID] {
			s.log.Warn("Connector listed in config.yml does not exist in Elasticsearch (or was deleted): create it in Kibana or with `connectors connector create`, or fix its connector_id",
				logging.ConnectorID, e.ConnectorID, "service_type", e.ServiceType)
		}
	}
}

func (s *Service) connectorLog(c *protocol.Connector) *slog.Logger {
	return s.log.With(logging.ConnectorID, c.ID, logging.IndexName, c.Index(), logging.ServiceType, c.Type())
}

// scheduleConnector prepares, checks and schedules one connector. Problems
// are written on the connector (Kibana shows them) and logged; they never
// stop the service.
func (s *Service) scheduleConnector(ctx context.Context, c *protocol.Connector, serviceType string, listed bool, wake time.Time, lic *licenseCache) {
	log := s.connectorLog(c)
	c, f, err := s.prepare(ctx, c, serviceType, listed)
	if err != nil {
		if errors.Is(err, protocol.ErrNotFound) {
			log.Warn("Connector disappeared while being prepared")
			return
		}
		log.Error("Connector cannot be handled", "error", err.Error())
		return
	}
	s.heartbeat(ctx, c, log)
	switch c.Status {
	case protocol.StatusCreated:
		log.Info("Connector is waiting to be configured in Kibana")
		return
	case protocol.StatusNeedsConfiguration:
		log.Info("Connector needs configuration")
		return
	}
	if err := s.checkConnector(ctx, c, f, log); err != nil {
		msg := err.Error()
		log.Error("Connector check failed", "error", msg)
		if c.Status != protocol.StatusError || c.Error == nil || *c.Error != msg {
			if werr := s.Store.SetError(ctx, c.ID, msg); werr != nil {
				log.Error("Cannot record the connector's error", "error", werr.Error())
			}
		}
		return
	}
	// The original writes `connected` on every poll; we write only changes.
	if c.Status != protocol.StatusConnected || c.Error != nil {
		if err := s.Store.SetConnected(ctx, c.ID); err != nil {
			log.Error("Cannot record the connector as connected", "error", err.Error())
		}
	}
	features := connector.ParseFeatures(c.Features)
	if features.DocumentLevelSecurity {
		if ok, why := lic.atLeast(ctx, "platinum"); ok {
			s.trySchedule(ctx, c.ID, protocol.JobAccessControl, wake, log)
		} else if c.Scheduling.AccessControl.Enabled {
			log.Error("Access control syncs are not scheduled: " + why)
		}
	}
	if features.IncrementalSync && f.Features.IncrementalSync {
		s.trySchedule(ctx, c.ID, protocol.JobIncremental, wake, log)
	}
	s.trySchedule(ctx, c.ID, protocol.JobFull, wake, log)
}

func (s *Service) heartbeat(ctx context.Context, c *protocol.Connector, log *slog.Logger) {
	s.schedMu.Lock()
	force := s.heartbeatForce
	s.heartbeatForce = false
	s.schedMu.Unlock()
	due := force || c.LastSeen == nil
	if !due {
		last, err := protocol.ParseTime(*c.LastSeen)
		due = err != nil || s.Now().Sub(last) >= config.Seconds(s.cfg.Service.Heartbeat)
	}
	if !due {
		return
	}
	if err := s.Store.Heartbeat(ctx, c); err != nil {
		log.Error("Connector heartbeat failed", "error", err.Error())
	}
}

// checkConnector is the original's per-poll validation: configuration
// fields, the source's own checks and ping, and the draft sync rules.
func (s *Service) checkConnector(ctx context.Context, c *protocol.Connector, f connector.Factory, log *slog.Logger) error {
	cfg, err := f.NewConfig(c.Configuration)
	if err != nil {
		return err
	}
	if err := cfg.MissingFields(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	src, err := f.New(cfg, connector.Env{Logger: log, MaxFileSize: s.cfg.Service.MaxFileDownloadSize, Features: connector.ParseFeatures(c.Features)})
	if err != nil {
		return err
	}
	defer src.Close()
	if v, ok := src.(connector.ConfigValidator); ok {
		if err := v.ValidateConfig(ctx); err != nil {
			return err
		}
	}
	if err := src.Ping(ctx); err != nil {
		return err
	}
	if connector.ParseFeatures(c.Features).SyncRulesEnabled() {
		if err := s.validateDraft(ctx, c, src, log); err != nil {
			return err
		}
	}
	return nil
}

// trySchedule creates a scheduled job when one is due. The compare-and-set
// write of last_*_sync_scheduled_at is what makes exactly one instance
// create it.
//
// When a run is due: the next fire time after the last one written (or,
// for a connector never scheduled, after this process's previous poll, as
// in the original). Runs missed while no service was up collapse into a
// single job now, where the original drops them all and a naive catch-up
// would create one per missed run.
func (s *Service) trySchedule(ctx context.Context, connectorID string, t protocol.JobType, wake time.Time, log *slog.Logger) {
	for attempt := 1; attempt <= 3; attempt++ {
		c, err := s.Store.GetConnector(ctx, connectorID)
		if err != nil {
			log.Error("Cannot reload the connector to schedule it", "error", err.Error())
			return
		}
		sch := c.Scheduling.For(t)
		if !sch.Enabled {
			return
		}
		expr, err := cron.Parse(sch.Interval)
		if err != nil {
			msg := fmt.Sprintf("invalid %s sync schedule %q: %v", t, sch.Interval, err)
			log.Error(msg)
			_ = s.Store.SetError(ctx, c.ID, msg)
			return
		}
		now := s.Now()
		base := wake
		if last, ok := c.LastScheduledAt(t); ok {
			base = last.Add(time.Second)
		}
		due, ok := expr.Next(base)
		if !ok || now.Before(due) {
			return
		}
		stamp := due
		if again, ok := expr.Next(due.Add(time.Second)); ok && !again.After(now) {
			stamp = now.Truncate(time.Second)
			log.Info("Scheduled runs were missed while no service was running; running once now", "job_type", string(t), "first_missed", due.Format(time.RFC3339))
		}
		err = s.Store.UpdateConnector(ctx, c, map[string]any{protocol.ScheduledAtField(t): protocol.FormatTime(stamp)})
		if errors.Is(err, protocol.ErrConflict) {
			continue // another instance got there first; re-read and decide again
		}
		if err != nil {
			log.Error("Cannot record the scheduled run", "job_type", string(t), "error", err.Error())
			return
		}
		if pending, err := s.Store.FindJob(ctx, c.ID, []protocol.JobType{t}, protocol.JobPending); err == nil && pending != "" {
			log.Info("A job of this type is still pending; not queueing another", "job_type", string(t), logging.SyncJobID, pending)
			return
		}
		id, err := s.Store.CreateJob(ctx, c, t, protocol.TriggerScheduled)
		if err != nil {
			log.Error("Cannot create the scheduled job", "job_type", string(t), "error", err.Error())
			_ = s.Store.SetError(ctx, c.ID, err.Error())
			return
		}
		log.Info("Scheduled sync job created", "job_type", string(t), logging.SyncJobID, id)
		return
	}
}

// licenseCache reads the cluster licence once per poll.
type licenseCache struct {
	mu     gosync.Mutex
	client interface {
		Request(ctx context.Context, method, path string, body any, out any) error
	}
	loaded bool
	typ    string
	status string
	err    error
}

var licenseRank = map[string]int{"basic": 0, "standard": 0, "gold": 1, "platinum": 2, "enterprise": 3, "trial": 4}

// atLeast reports whether the cluster's licence is at least the given
// level, and if not, why (the original's message).
func (l *licenseCache) atLeast(ctx context.Context, level string) (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		var res struct {
			License struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"license"`
		}
		l.err = l.client.Request(ctx, "GET", "/_license", nil, &res)
		l.typ, l.status, l.loaded = res.License.Type, res.License.Status, true
	}
	if l.err != nil {
		return false, "cannot read the Elasticsearch license: " + l.err.Error()
	}
	actual := l.typ
	if l.status == "expired" {
		actual = "expired"
	}
	rank, known := licenseRank[actual]
	if !known || rank < licenseRank[level] {
		return false, fmt.Sprintf("Minimum required Elasticsearch license: '%s'. Actual license: '%s'.", level, actual)
	}
	return true, ""
}

// normalizeJSON makes values decoded from JSON and values built in Go
// comparable (numbers, typed slices and maps).
func normalizeJSON(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return v
	}
	return out
}
