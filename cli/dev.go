package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/preflight"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/service"
	"github.com/connectors-go/connectors/internal/version"
)

// devPattern is the dir source's default pattern. The cli package does not
// import the source (custom builds choose their sources), so it is repeated.
const devPattern = "**/*.*"

type devOptions struct {
	addr        string
	folder      string
	pattern     string
	index       string
	connectorID string
	once        bool
}

func (a *App) devCommand() *cobra.Command {
	var o devOptions
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the service on an embedded Elasticsearch-compatible server (no cluster needed)",
		Long: `Starts estest, the project's Elasticsearch-compatible server, in this process, creates a
System Directory (dir) connector over a folder (the repository's sample folder by default),
starts a full sync, and keeps the service running so you can search the index and add
files. Stop it with Ctrl-C; nothing is kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runDev(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:9200", "where the embedded server listens (a free port is used if this one is taken)")
	f.StringVar(&o.folder, "dir", "", "folder to sync (default: testdata/sample, the bundled sample)")
	f.StringVar(&o.pattern, "pattern", devPattern, "glob of the files to index, relative to the folder")
	f.StringVar(&o.index, "index", "search-sample", "index to sync into")
	f.StringVar(&o.connectorID, "connector-id", "sample-dir", "id of the connector to create")
	f.BoolVar(&o.once, "once", false, "exit after the first sync instead of serving")
	return cmd
}

func (a *App) devEsCommand() *cobra.Command {
	var addr, ver, flavor string
	cmd := &cobra.Command{
		Use:   "dev-es",
		Short: "Run only the embedded Elasticsearch-compatible server (estest), for tests and experiments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := a.logger(nil)
			if err != nil {
				return err
			}
			srv := estest.New(estest.Options{Version: ver, BuildFlavor: flavor})
			if err := srv.StartAddr(addr); err != nil {
				return fmt.Errorf("cannot listen on %s: %w", addr, err)
			}
			defer srv.Close()
			fmt.Fprintf(a.Stdout, "estest (Elasticsearch %s compatible) listening on %s\n", ver, srv.URL())
			ctx, stop := a.signalContext(log)
			defer stop()
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:9200", "listen address")
	cmd.Flags().StringVar(&ver, "version", version.Version, "Elasticsearch version to report")
	cmd.Flags().StringVar(&flavor, "flavor", "default", "build flavor to report: default or serverless")
	return cmd
}

func (a *App) runDev(o devOptions) error {
	log, err := a.logger(nil)
	if err != nil {
		return err
	}
	folder, err := devFolder(o.folder)
	if err != nil {
		return err
	}
	srv := estest.New(estest.Options{Version: version.Version})
	if err := srv.StartAddr(o.addr); err != nil {
		log.Warn("Address in use; picking a free port", "addr", o.addr)
		if err := srv.Start(); err != nil {
			return fmt.Errorf("cannot start the embedded server: %w", err)
		}
	}
	defer srv.Close()

	cfg := config.Default()
	cfg.Path = "(dev)"
	cfg.Elasticsearch.Host = srv.URL()
	cfg.Service.Idling = 2
	cfg.Connectors = []config.ConnectorEntry{{ConnectorID: o.connectorID, ServiceType: "dir"}}
	ctx, stop := a.signalContext(log)
	defer stop()

	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: version.Version, Logger: log})
	if err != nil {
		return err
	}
	if _, err := preflight.Run(ctx, preflight.Params{Config: cfg, Client: client, Version: version.Version, Log: log, Getenv: a.Getenv}); err != nil {
		return err
	}
	jobID, err := createDevConnector(ctx, client, o, folder)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "\nEmbedded Elasticsearch-compatible server: %s\nConnector %q syncs %s into index %q (job %s)\n\n", srv.URL(), o.connectorID, folder, o.index, jobID)

	svcCtx, cancelSvc := context.WithCancel(ctx)
	defer cancelSvc()
	done := make(chan error, 1)
	host := service.Hostname()
	go func() {
		done <- a.startServices(svcCtx, cfg, client, log, allActions, protocol.Worker{Hostname: host, Instance: service.InstanceName(cfg, host)}, nil)
	}()
	jobErr := make(chan error, 1)
	go func() { jobErr <- a.reportDevJob(svcCtx, client, srv.URL(), o, jobID, log, cancelSvc) }()
	err = <-done
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if err == nil && o.once {
		err = <-jobErr
	}
	return err
}

// devFolder picks the folder to sync: the flag, else the bundled sample
// (found from the working directory, as `make run` runs from the checkout).
func devFolder(flag string) (string, error) {
	candidates := []string{flag}
	if flag == "" {
		candidates = []string{"testdata/sample", filepath.Join("..", "testdata", "sample")}
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return filepath.Abs(c)
		}
	}
	if flag != "" {
		return "", fmt.Errorf("--dir: %s is not a folder", flag)
	}
	return "", errors.New("no folder to sync: run from the repository checkout (it has testdata/sample) or pass --dir")
}

// createDevConnector creates the connector through the connector API, the
// way Kibana does, writes its configuration schema with the folder filled in
// (as the service's prepare step would, directly in the connector index), and
// queues a first full sync.
func createDevConnector(ctx context.Context, client *es.Client, o devOptions, folder string) (string, error) {
	f, ok := connector.Lookup("dir")
	if !ok {
		return "", errors.New("the dir source is not compiled into this binary")
	}
	if err := client.Request(ctx, "PUT", "/_connector/"+o.connectorID, map[string]any{
		"index_name": o.index, "service_type": "dir", "name": "Sample folder",
	}, nil); err != nil {
		return "", fmt.Errorf("cannot create the connector: %w", err)
	}
	conf, err := f.ConfigurationWith(map[string]any{"directory": folder, "pattern": o.pattern})
	if err != nil {
		return "", err
	}
	store, err := protocol.Open(ctx, client, protocol.Options{UseAPI: true})
	if err != nil {
		return "", err
	}
	if err := store.PatchConnector(ctx, o.connectorID, map[string]any{
		"configuration": conf, "features": f.Features.Object(), "status": protocol.StatusConfigured,
	}); err != nil {
		return "", fmt.Errorf("cannot configure the connector: %w", err)
	}
	conn, err := store.GetConnector(ctx, o.connectorID)
	if err != nil {
		return "", err
	}
	return store.CreateJob(ctx, conn, protocol.JobFull, protocol.TriggerOnDemand)
}

// reportLeftOut names the files of the folder that are not in the index,
// so that a file the pattern does not match is not skipped silently.
func (a *App) reportLeftOut(ctx context.Context, client *es.Client, o devOptions) {
	folder, err := devFolder(o.folder)
	if err != nil {
		return
	}
	var files []string
	_ = filepath.WalkDir(folder, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	var res struct {
		Hits struct {
			Hits []struct {
				Source struct {
					Path string `json:"path"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	body := map[string]any{"size": 10000, "_source": []string{"path"}, "query": map[string]any{"match_all": map[string]any{}}}
	if err := client.Request(ctx, "POST", "/"+o.index+"/_search", body, &res); err != nil {
		return
	}
	indexed := map[string]bool{}
	for _, h := range res.Hits.Hits {
		indexed[h.Source.Path] = true
	}
	var left []string
	for _, f := range files {
		if !indexed[f] {
			rel, _ := filepath.Rel(folder, f)
			left = append(left, rel)
		}
	}
	if len(left) == 0 {
		return
	}
	sort.Strings(left)
	fmt.Fprintf(a.Stdout, "Not indexed: %d file(s) of the folder that the pattern %q does not match: %s\n", len(left), o.pattern, strings.Join(left, ", "))
	if o.pattern == devPattern {
		fmt.Fprintln(a.Stdout, "(the default pattern takes only names with a dot; --pattern '**/*' takes every file)")
	}
}

// reportDevJob waits for the first job and says what it indexed and how to
// look at it.
func (a *App) reportDevJob(ctx context.Context, client *es.Client, url string, o devOptions, jobID string, log *slog.Logger, stop func()) error {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return errors.New("stopped before the first sync ended")
		case <-t.C:
		}
		var job struct {
			Status  string  `json:"status"`
			Error   *string `json:"error"`
			Indexed int64   `json:"indexed_document_count"`
			Deleted int64   `json:"deleted_document_count"`
			Total   int64   `json:"total_document_count"`
		}
		if err := client.Request(ctx, "GET", "/_connector/_sync_job/"+jobID, nil, &job); err != nil {
			continue
		}
		switch job.Status {
		case "completed":
			fmt.Fprintf(a.Stdout, "\nSync completed: %d documents indexed into %q (%d in the index).\n", job.Indexed, o.index, job.Total)
			a.reportLeftOut(ctx, client, o)
			fmt.Fprintf(a.Stdout, "Search them:\n  curl -s '%s/%s/_search?q=body:*&size=3&pretty'\n", url, o.index)
			fmt.Fprintf(a.Stdout, "See the connector and its jobs:\n  curl -s '%s/_connector/%s?pretty'\n  curl -s '%s/_connector/_sync_job?connector_id=%s&pretty'\n", url, o.connectorID, url, o.connectorID)
			if o.once {
				stop()
				return nil
			}
			fmt.Fprintln(a.Stdout, "\nThe service keeps running (start another sync with the _sync_job API). Ctrl-C stops it.")
			return nil
		case "error", "canceled":
			msg := ""
			if job.Error != nil {
				msg = *job.Error
			}
			log.Error("The first sync did not complete", "status", job.Status, "error", msg)
			if o.once {
				stop()
			}
			return fmt.Errorf("the first sync ended %s: %s", job.Status, msg)
		}
	}
}
