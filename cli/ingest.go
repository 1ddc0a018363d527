package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/connectors-go/connectors/internal/version"
)

// runIngest answers the Python service's command line (elastic-ingest), so
// existing Docker and systemd setups keep working when they call our binary
// by that name.
func (a *App) runIngest(args []string) error {
	// The original image has no entrypoint and is run as
	// `docker run IMAGE /app/bin/elastic-ingest -c …`; ours has
	// elastic-ingest as its entrypoint, so that command line repeats it.
	if len(args) > 0 && filepath.Base(args[0]) == "elastic-ingest" {
		args = args[1:]
	}
	fs := pflag.NewFlagSet("elastic-ingest", pflag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	var (
		showVersion bool
		actions     []string
		serviceType string
		debug       bool
		filebeat    bool
		uvloop      bool
	)
	fs.BoolVarP(&showVersion, "version", "v", false, "print the version and exit")
	fs.StringArrayVar(&actions, "action", nil, "what to run (repeatable): schedule, sync_content, sync_access_control, cleanup, list, config")
	fs.StringVarP(&a.configPath, "config-file", "c", "config.yml", "path to config.yml")
	fs.StringVar(&a.logLevel, "log-level", "", "DEBUG, INFO, WARNING, ERROR or CRITICAL")
	fs.BoolVar(&debug, "debug", false, "same as --log-level DEBUG")
	fs.BoolVar(&filebeat, "filebeat", false, "log ECS JSON for Filebeat")
	fs.StringVar(&serviceType, "service-type", "", "service type, with --action config")
	fs.BoolVar(&uvloop, "uvloop", false, "accepted for compatibility; has no effect")
	// Asked-for help goes to stdout (so it can be paged or grepped); the
	// usage after a wrong flag goes to stderr with the error.
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: elastic-ingest [options]\n\nRuns the connector service with the Python service's flags (same as `connectors run`).")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			usage(a.Stdout)
			return nil
		}
		usage(a.Stderr)
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if showVersion {
		fmt.Fprintln(a.Stdout, version.Version)
		return nil
	}
	if debug {
		a.logLevel = "DEBUG"
	}
	a.logFormat = "text"
	if filebeat {
		a.logFormat = "json"
	}
	for i, act := range actions {
		actions[i] = strings.ToLower(act)
	}
	oneShot := contains(actions, "list") || contains(actions, "config")
	if oneShot && len(actions) > 1 {
		return usagef("--action list and --action config cannot be combined with other actions")
	}
	switch {
	case len(actions) == 0:
		return a.runService(allActions)
	case actions[0] == "list":
		return a.listSources()
	case actions[0] == "config":
		if serviceType == "" {
			return usagef("--action config needs --service-type")
		}
		return a.printDefaultConfiguration(serviceType)
	default:
		return a.runService(actions)
	}
}
