package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/exepages"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/metrics"
	"github.com/connectors-go/connectors/internal/preflight"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/service"
	"github.com/connectors-go/connectors/internal/version"
)

// The service parts a run can include, named as the original's --action
// values.
var allActions = service.AllActions

func (a *App) runCommand() *cobra.Command {
	var actions []string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the connector service (what elastic-ingest does)",
		Long: `Runs the connector service: waits for Elasticsearch, checks versions and configuration,
then schedules and runs sync jobs for the configured connectors until stopped with
SIGINT or SIGTERM (a second signal forces exit).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runService(actions)
		},
	}
	cmd.Flags().StringSliceVar(&actions, "action", allActions, "service parts to run: schedule, sync_content, sync_access_control, cleanup")
	return cmd
}

// runService is `connectors run` and the default elastic-ingest action.
func (a *App) runService(actions []string) error {
	for _, act := range actions {
		if !contains(allActions, act) {
			return usagef("--action: unknown value %q (use %v)", act, allActions)
		}
	}
	tuneGC(a.Getenv)
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	log, err := a.logger(cfg)
	if err != nil {
		return err
	}
	hostname := service.Hostname()
	instance := service.InstanceName(cfg, hostname)
	log = log.With(logging.Instance, instance)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	for _, p := range cfg.ConnectorProblems(compiledIn) {
		log.Error("A configured connector cannot run: "+p.Message, "key", p.Key)
	}
	log.Info("Running connector service", "version", version.Version, "hostname", hostname)
	ctx, stop := a.signalContext(log)
	defer stop()

	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: version.Version, Logger: log})
	if err != nil {
		return err
	}
	// Health checks answer from the start: /healthz says the process is up
	// while preflight waits for Elasticsearch, /readyz stays 503 until the
	// service runs (so an orchestrator neither kills a waiting pod nor
	// sends it work).
	m := serveMetrics(ctx, cfg, log)
	res, err := preflight.Run(ctx, preflight.Params{Config: cfg, Client: client, Version: version.Version, Log: log, Getenv: a.Getenv})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		log.Log(ctx, slog.Level(12), "Preflight check failed", "error", err.Error())
		return &exitError{code: ExitError}
	}
	cfg.Elasticsearch.Serverless = res.Serverless
	return a.startServices(ctx, cfg, client, log, actions, protocol.Worker{Hostname: hostname, Instance: instance}, m)
}

// serveMetrics starts the listener of service.metrics_addr, if set.
func serveMetrics(ctx context.Context, cfg *config.Config, log *slog.Logger) *metrics.Metrics {
	addr := cfg.Service.MetricsAddr
	if addr == "" {
		return nil
	}
	m := metrics.New(version.Version)
	// Bound before preflight starts, so the health checks answer from then on.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("Cannot serve metrics and health checks: service.metrics_addr cannot be used", "addr", addr, "error", err.Error())
		return m
	}
	go func() {
		if err := m.ServeListener(ctx, ln); err != nil {
			log.Error("Metrics and health checks stopped", "addr", addr, "error", err.Error())
		}
	}()
	log.Info("Serving metrics and health checks", "addr", addr, "paths", "/metrics /healthz /readyz")
	return m
}

// startServices runs the service loops until ctx ends; m is the metrics
// listener already serving, or nil.
func (a *App) startServices(ctx context.Context, cfg *config.Config, client *es.Client, log *slog.Logger, actions []string, w protocol.Worker, m *metrics.Metrics) error {
	store, err := protocol.Open(ctx, client, protocol.Options{UseAPI: cfg.Elasticsearch.FeatureUseConnectorsAPI, Log: log})
	if err != nil {
		return err
	}
	log.Info("Connector protocol chosen", "mode", string(store.Mode()))
	extractors, err := newExtractors(cfg)
	if err != nil {
		return err
	}
	defer extractors.Close()
	svc, err := service.New(service.Deps{
		Config:     cfg,
		Client:     client,
		Store:      store,
		Extractors: extractors,
		Log:        log,
		Version:    version.Version,
		Metrics:    m,
		Hostname:   w.Hostname,
		Instance:   w.Instance,
	})
	if err != nil {
		return err
	}
	m.SetReady(true)
	defer m.SetReady(false)
	releaseStartupPages(a.Getenv, log)
	return svc.Run(ctx, actions)
}

// releaseStartupPages gives back the executable's pages that start-up touched (every linked
// package's initialiser, the command line, preflight): the service runs on, and what its loops and
// syncs use faults back in from the page cache. CONNECTORS_RELEASE_STARTUP_PAGES=false keeps them
// (docs/performance.md measures both).
func releaseStartupPages(getenv func(string) string, log *slog.Logger) {
	if !exepages.Enabled(getenv) {
		return
	}
	n, err := exepages.Release()
	if err != nil {
		log.Debug("Could not release the executable's start-up pages", "error", err.Error())
		return
	}
	log.Debug("Released the executable's start-up pages", "mapped_bytes", n)
}

// newExtractors builds the content extractors config.yml asks for.
func newExtractors(cfg *config.Config) (*extract.Selector, error) {
	mode, err := extract.ParseMode(cfg.Service.ExtractionMode)
	if err != nil {
		return nil, fmt.Errorf("service.extraction_mode: %w", err)
	}
	ec := extract.Config{Mode: mode, MaxFileSize: cfg.Service.MaxFileDownloadSize}
	if x := cfg.ExtractionService; x != nil {
		ec.Service = &extract.ServiceConfig{
			Host:            x.Host,
			Timeout:         config.Seconds(x.Timeout),
			UseFilePointers: x.UseFilePointers,
			StreamChunkSize: x.StreamChunkSize,
			SharedVolumeDir: x.SharedVolumeDir,
		}
	}
	return extract.New(ec)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
