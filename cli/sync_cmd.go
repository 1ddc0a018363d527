package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/preflight"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/service"
	"github.com/connectors-go/connectors/internal/version"
)

// syncProgressEvery is how often a one-shot sync reports progress.
var syncProgressEvery = 2 * time.Second

func (a *App) syncCommand() *cobra.Command {
	var connectorID, jobType string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one sync of a connector now, in this process, without the service",
		Long: `Runs one sync job of a connector to its end with the service's own job runner, then
exits: 0 when the job completed, 1 otherwise. It takes the connector's oldest pending
(or suspended) job of that type, or creates one, claims it like a service instance would
(so it never runs a job a service is running), reports progress, and prints the final
counts. SIGINT or SIGTERM suspends the job, as a service shutdown does; running the
command again resumes it.

Uses the service's config.yml (-c, default ./config.yml); the connector does not need
to be listed in it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runOneSync(connectorID, jobType)
		},
	}
	cmd.Flags().StringVar(&connectorID, "connector-id", "", "connector to sync (required)")
	cmd.Flags().StringVarP(&jobType, "job-type", "t", "full", "job type: full, incremental or access_control")
	_ = cmd.MarkFlagRequired("connector-id")
	return cmd
}

func (a *App) runOneSync(connectorID, jobType string) error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	t, err := protocol.ParseJobType(jobType)
	if err != nil {
		return usagef("--job-type: %v", err)
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	log, err := a.logger(cfg)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	ctx, stop := a.signalContext(log)
	defer stop()

	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: version.Version, Logger: log})
	if err != nil {
		return err
	}
	pre, err := preflight.Run(ctx, preflight.Params{Config: cfg, Client: client, Version: version.Version, Log: log, Getenv: a.Getenv, SkipServiceChecks: true})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		log.Log(ctx, slog.Level(12), "Preflight check failed", "error", err.Error())
		return &exitError{code: ExitError}
	}
	cfg.Elasticsearch.Serverless = pre.Serverless
	store, err := protocol.Open(ctx, client, protocol.Options{UseAPI: cfg.Elasticsearch.FeatureUseConnectorsAPI, Log: log})
	if err != nil {
		return err
	}
	c, err := store.GetConnector(ctx, connectorID)
	if errors.Is(err, protocol.ErrNotFound) {
		return fmt.Errorf("connector %s not found", connectorID)
	}
	if err != nil {
		return err
	}
	jobID, err := pendingOrNewJob(ctx, store, c, t, log)
	if err != nil {
		return err
	}
	extractors, err := newExtractors(cfg)
	if err != nil {
		return err
	}
	defer extractors.Close()
	svc, err := service.New(service.Deps{
		Config:        cfg,
		Client:        client,
		Store:         store,
		Extractors:    extractors,
		Log:           log,
		Version:       version.Version,
		StatsInterval: syncProgressEvery,
	})
	if err != nil {
		return err
	}

	progressDone := make(chan struct{})
	progressCtx, stopProgress := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(progressDone)
		reportProgress(progressCtx, store, jobID, log)
	}()
	started := time.Now()
	res, err := svc.RunJob(ctx, jobID)
	stopProgress()
	<-progressDone
	if err != nil {
		var nc *protocol.NotClaimableError
		if errors.As(err, &nc) {
			return fmt.Errorf("%v (is a service or another sync already running it?)", err)
		}
		return err
	}
	took := time.Since(started).Round(time.Millisecond)
	if asJSON {
		out := map[string]any{
			"job_id": jobID, "connector_id": c.ID, "index_name": c.Index(), "job_status": res.Status, "took_seconds": took.Seconds(),
			"documents_indexed": res.Stats.IndexedDocumentCount, "volume_documents_indexed": res.Stats.IndexedDocumentVolume,
			"documents_deleted": res.Stats.DeletedDocumentCount, "total_document_count": res.Stats.TotalDocumentCount,
		}
		if res.Status == protocol.JobError {
			out["error"] = res.Error
		}
		if err := writeJSON(a, out); err != nil {
			return err
		}
		if res.Status == protocol.JobCompleted {
			return nil
		}
		return &exitError{code: ExitError}
	}
	total := ""
	if res.Stats.TotalDocumentCount != nil {
		total = fmt.Sprintf(", %d in index %s", *res.Stats.TotalDocumentCount, c.Index())
	}
	fmt.Fprintf(a.Stdout, "Sync job %s %s after %s: %d documents indexed (%d MiB), %d deleted%s.\n",
		jobID, res.Status, took, res.Stats.IndexedDocumentCount, res.Stats.IndexedDocumentVolume, res.Stats.DeletedDocumentCount, total)
	switch res.Status {
	case protocol.JobCompleted:
		return nil
	case protocol.JobSuspended:
		fmt.Fprintln(a.Stdout, "The job was suspended; run the same command again to resume it.")
	case protocol.JobError:
		fmt.Fprintf(a.Stdout, "Error: %s\n", res.Error)
	}
	return &exitError{code: ExitError}
}

// pendingOrNewJob takes the connector's oldest pending or suspended job of
// the type, or creates one.
func pendingOrNewJob(ctx context.Context, store *protocol.Store, c *protocol.Connector, t protocol.JobType, log *slog.Logger) (string, error) {
	jobs, err := store.ListJobs(ctx, protocol.JobQuery{
		ConnectorIDs: []string{c.ID},
		Statuses:     []protocol.JobStatus{protocol.JobPending, protocol.JobSuspended},
		Types:        []protocol.JobType{t},
	})
	if err != nil {
		return "", fmt.Errorf("cannot list the jobs of connector %s: %w", c.ID, err)
	}
	kinds := []protocol.JobType{t}
	if t.IsContent() {
		kinds = []protocol.JobType{protocol.JobFull, protocol.JobIncremental}
	}
	running, err := store.ListJobs(ctx, protocol.JobQuery{
		ConnectorIDs: []string{c.ID},
		Statuses:     []protocol.JobStatus{protocol.JobInProgress, protocol.JobCanceling},
		Types:        kinds,
	})
	if err != nil {
		return "", fmt.Errorf("cannot list the jobs of connector %s: %w", c.ID, err)
	}
	if len(running) > 0 {
		// Claim would refuse anyway; saying so before creating a job
		// leaves no stray pending job behind.
		return "", fmt.Errorf("a %s sync of connector %s is already running (job %s, %s on %s)", running[0].JobType, c.ID, running[0].ID, running[0].Status, orDash(running[0].WorkerHostname))
	}
	// The search may be a moment behind: a job it shows as waiting can have
	// been taken and finished since, so each is read again in real time.
	for _, j := range jobs {
		fresh, err := store.GetJob(ctx, j.ID)
		if err != nil || (fresh.Status != protocol.JobPending && fresh.Status != protocol.JobSuspended) {
			continue
		}
		log.Info("Taking the connector's waiting job", "sync_job_id", fresh.ID, "status", string(fresh.Status))
		return fresh.ID, nil
	}
	id, err := store.CreateJob(ctx, c, t, protocol.TriggerOnDemand)
	if err != nil {
		return "", err
	}
	log.Info("Created a sync job", "sync_job_id", id, "job_type", string(t))
	return id, nil
}

// reportProgress logs the job's counters whenever they change.
func reportProgress(ctx context.Context, store *protocol.Store, jobID string, log *slog.Logger) {
	tick := time.NewTicker(syncProgressEvery)
	defer tick.Stop()
	var last [3]int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		j, err := store.GetJob(ctx, jobID)
		if err != nil || j.Status != protocol.JobInProgress {
			continue
		}
		now := [3]int64{j.IndexedDocumentCount, j.DeletedDocumentCount, j.IndexedDocumentVolume}
		if now != last {
			last = now
			log.Info("Sync progress", "indexed", now[0], "deleted", now[1], "volume_mib", now[2])
		}
	}
}
