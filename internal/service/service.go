// Package service owns time: it polls Elasticsearch for the connectors this
// process handles, keeps their documents current, creates scheduled jobs,
// claims and runs pending jobs, heartbeats, and cleans up after workers
// that died. Any number of processes can run it against the same
// connectors: every cross-process decision is a compare-and-set write.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/metrics"
	"github.com/connectors-go/connectors/internal/protocol"
)

// The parts of the service, named as the original's --action values.
const (
	ActionSchedule          = "schedule"
	ActionSyncContent       = "sync_content"
	ActionSyncAccessControl = "sync_access_control"
	ActionCleanup           = "cleanup"
)

// AllActions is the default set.
var AllActions = []string{ActionSchedule, ActionSyncContent, ActionSyncAccessControl, ActionCleanup}

// Deps are what a Service is built from.
type Deps struct {
	Config *config.Config
	Client *es.Client
	Store  *protocol.Store
	// Sources looks up a compiled-in source; nil means connector.Lookup.
	Sources func(serviceType string) (connector.Factory, bool)
	// Extractors picks a job's content extractor; nil disables extraction.
	Extractors *extract.Selector
	// Rules validates filtering and builds document filters; nil means the
	// default implementation.
	Rules RulesEngine
	Log   *slog.Logger
	// Hostname is written as worker_hostname; "" means os.Hostname.
	Hostname string
	// Instance names this process in logs, metrics and job metadata; ""
	// means InstanceName.
	Instance string
	// Version is the service version (for the content-writing clients).
	Version string
	// Now is replaced in tests.
	Now func() time.Time
	// Metrics records job and loop metrics; nil records nothing.
	Metrics *metrics.Metrics
	// Intervals override config for tests (zero keeps config).
	StatsInterval, CancelCheckInterval time.Duration
}

// Service runs the loops.
type Service struct {
	Deps
	cfg *config.Config
	log *slog.Logger

	contentSlots chan struct{}
	aclSlots     chan struct{}

	mu        gosync.Mutex
	running   map[string]*runningJob // by job id
	clients   map[string]*es.Client  // per-connector content clients
	errBudget errorBudget
	avail     availability
	observed  map[string]observation // cleanup's view of other workers' jobs

	jobs gosync.WaitGroup

	schedMu        gosync.Mutex
	lastWakeUp     time.Time
	heartbeatForce bool
}

type runningJob struct {
	connectorID string
	jobType     protocol.JobType
	cancel      context.CancelCauseFunc
}

// New builds a service.
func New(d Deps) (*Service, error) {
	if d.Config == nil || d.Client == nil || d.Store == nil {
		return nil, errors.New("service: config, client and store are required")
	}
	if d.Sources == nil {
		d.Sources = connector.Lookup
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Hostname == "" {
		d.Hostname = Hostname()
	}
	if d.Instance == "" {
		d.Instance = InstanceName(d.Config, d.Hostname)
	}
	if d.Rules == nil {
		d.Rules = defaultRules{}
	}
	if d.StatsInterval == 0 {
		d.StatsInterval = d.Config.Service.ProgressInterval()
	}
	if d.CancelCheckInterval == 0 {
		d.CancelCheckInterval = 5 * time.Second
	}
	cfg := d.Config
	s := &Service{
		Deps:           d,
		cfg:            cfg,
		log:            d.Log,
		contentSlots:   make(chan struct{}, cfg.Service.MaxConcurrentContentSyncs),
		aclSlots:       make(chan struct{}, cfg.Service.MaxConcurrentAccessControlSyncs),
		running:        map[string]*runningJob{},
		clients:        map[string]*es.Client{},
		heartbeatForce: true,
	}
	s.avail = availability{log: d.Log, metrics: d.Metrics, now: d.Now}
	// A call retrying through an outage tells of it long before it fails
	// for good (elasticsearch.retry_budget), so /readyz, the log and the
	// watch over other instances' jobs see outages of any length.
	d.Client.WatchAvailability(s.avail.watcher())
	s.observed = map[string]observation{}
	d.Metrics.SetInstance(d.Instance, d.Hostname)
	s.errBudget = errorBudget{max: cfg.Service.MaxErrors, span: config.Seconds(cfg.Service.MaxErrorsSpan), now: d.Now}
	s.lastWakeUp = d.Now()
	return s, nil
}

// Selection is the set of connectors this process handles.
func (s *Service) Selection() protocol.Selection {
	var sel protocol.Selection
	for _, e := range s.cfg.EffectiveConnectors() {
		sel.IDs = append(sel.IDs, e.ConnectorID)
	}
	// As in the original, service_types is honoured even without worker_mode.
	sel.ServiceTypes = append(sel.ServiceTypes, s.cfg.Service.ServiceTypes...)
	return sel
}

// Run runs the chosen loops until ctx ends. On the way out it waits for
// running jobs, which suspend themselves so another start can resume them.
func (s *Service) Run(ctx context.Context, actions []string) error {
	if len(actions) == 0 {
		actions = AllActions
	}
	idling := config.Seconds(s.cfg.Service.Idling)
	g, gctx := errgroup.WithContext(ctx)
	for _, a := range actions {
		switch a {
		case ActionSchedule:
			g.Go(func() error { return s.loop(gctx, "job_scheduling_service", idling, s.scheduleOnce) })
		case ActionSyncContent:
			g.Go(func() error {
				return s.loop(gctx, "content_sync_job_execution_service", idling, func(ctx context.Context) error {
					return s.executeOnce(ctx, false)
				})
			})
		case ActionSyncAccessControl:
			g.Go(func() error {
				return s.loop(gctx, "access_control_sync_job_execution_service", idling, func(ctx context.Context) error {
					return s.executeOnce(ctx, true)
				})
			})
		case ActionCleanup:
			g.Go(func() error {
				return s.loop(gctx, "job_cleanup_service", config.Seconds(s.cfg.Service.JobCleanupInterval), s.cleanupOnce)
			})
		default:
			return fmt.Errorf("unknown service action %q", a)
		}
	}
	err := g.Wait()
	s.stopJobs()
	s.jobs.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// loop runs f every interval. An Elasticsearch outage never stops it: the
// loop backs off (up to maxOutageBackoff) until Elasticsearch answers, and
// the change of state is logged once, not every try. Other errors count
// against the error budget, and the loop (so the service) stops once the
// budget is spent.
func (s *Service) loop(ctx context.Context, name string, every time.Duration, f func(context.Context) error) error {
	log := s.log.With("service_name", name)
	log.Info("Service started", "interval", every.String())
	var backoff time.Duration
	for {
		started := s.Now()
		err := f(ctx)
		switch {
		case err == nil:
			s.avail.answered(started)
			backoff = 0
		case ctx.Err() != nil:
			return ctx.Err()
		case esUnavailable(err):
			s.esFailed(err, started)
			s.Metrics.LoopError(name)
			log.Debug("Service loop waits for Elasticsearch", "error", err.Error())
			backoff = min(max(2*backoff, time.Second), maxOutageBackoff)
		default:
			log.Error("Service loop failed", "error", err.Error())
			s.Metrics.LoopError(name)
			if s.errBudget.spend() {
				return fmt.Errorf("%s stopped after more than %d errors within %s; last error: %w", name, s.cfg.Service.MaxErrors, config.Seconds(s.cfg.Service.MaxErrorsSpan), err)
			}
		}
		t := time.NewTimer(max(every, backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			log.Info("Service stopped")
			return ctx.Err()
		case <-t.C:
		}
	}
}

// errorBudget is the original's raise_if_spurious: more than max errors
// within span stops the service; the count restarts after a quiet span.
type errorBudget struct {
	mu    gosync.Mutex
	max   int
	span  time.Duration
	now   func() time.Time
	start time.Time
	count int
}

func (b *errorBudget) spend() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if b.start.IsZero() || now.Sub(b.start) > b.span {
		b.start, b.count = now, 0
	}
	b.count++
	return b.count > b.max
}

// errShutdown is the cause given to running jobs when the service stops.
var errShutdown = errors.New("the service is shutting down")

// stopJobs asks every running job to stop; they end suspended.
func (s *Service) stopJobs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.running {
		r.cancel(errShutdown)
	}
}

// contentClient returns the client that writes a connector's documents:
// the per-connector api_key from config.yml when there is one.
func (s *Service) contentClient(connectorID string) (*es.Client, error) {
	key, ok := s.cfg.ConnectorAPIKey(connectorID)
	if !ok {
		return s.Client, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[connectorID]; ok {
		return c, nil
	}
	c, err := es.New(es.Options{Config: s.cfg.Elasticsearch, Version: s.Version, APIKey: key, Logger: s.log})
	if err != nil {
		return nil, err
	}
	c.WatchAvailability(s.avail.watcher())
	s.clients[connectorID] = c
	return c, nil
}

// lookupSource finds the source of a service type among those compiled in.
// The original also requires the type in config.yml's sources map; since
// that map always holds the 31 built-in names (a user's map only adds to
// them), the check only ever tripped custom sources, so we drop it: a
// compiled-in source is enabled.
func (s *Service) lookupSource(serviceType string) (connector.Factory, error) {
	if serviceType == "" {
		return connector.Factory{}, errors.New("the connector has no service type")
	}
	f, ok := s.Sources(serviceType)
	if !ok {
		return connector.Factory{}, fmt.Errorf("service type %q is not supported by this build (see `connectors source list`)", serviceType)
	}
	return f, nil
}
