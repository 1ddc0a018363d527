package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/preflight"
	"github.com/connectors-go/connectors/internal/version"
)

// The service parts a run can include, named as the original's --action
// values.
var allActions = []string{"schedule", "sync_content", "sync_access_control", "cleanup"}

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
	log.Info("Running connector service", "version", version.Version)
	ctx, stop := a.signalContext(log)
	defer stop()

	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: version.Version, Logger: log})
	if err != nil {
		return err
	}
	res, err := preflight.Run(ctx, preflight.Params{Config: cfg, Client: client, Version: version.Version, Log: log, Getenv: a.Getenv})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		log.Log(ctx, slog.Level(12), "Preflight check failed", "error", err.Error())
		return &exitError{code: ExitError}
	}
	cfg.Elasticsearch.Serverless = res.Serverless
	return a.startServices(ctx, cfg, client, log, actions)
}

// startServices runs the service loops until ctx ends.
func (a *App) startServices(ctx context.Context, cfg *config.Config, client *es.Client, log *slog.Logger, actions []string) error {
	_ = ctx
	_ = cfg
	_ = client
	_ = actions
	log.Error("Preflight passed, but this build has no sync service yet")
	return fmt.Errorf("the sync service is not part of this build yet")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
