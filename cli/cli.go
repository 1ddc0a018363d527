// Package cli is the connectors command line: the long-running service
// (`connectors run`), the operator commands, and the `elastic-ingest` face that
// answers the Python service's flags. It is public so that a custom build —
// our sources plus a user's own, compiled into one binary — can reuse the
// whole command tree from its own main package:
//
//	func main() { os.Exit(cli.Main(os.Args)) }
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/version"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitError  = 1
	ExitUsage  = 2
	ExitForced = 130
)

// usageError marks mistakes in the command line itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit code with an already printed message.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// App holds what every command shares.
type App struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Signals, when set, replaces OS signal delivery (tests).
	Signals <-chan os.Signal
	// Exit is called when a second signal forces the process down.
	Exit func(code int)

	configPath string
	logLevel   string
	logFormat  string
	output     string
	// tty, when set, overrides terminal detection (tests).
	tty *bool
	// stdinTTY, when set, overrides the detection of a terminal on
	// standard input (tests).
	stdinTTY *bool
}

func newApp() *App {
	return &App{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Exit: os.Exit}
}

// Main runs the program for the given os.Args and returns the exit code.
// Invoked as elastic-ingest (a symlink or copy), it speaks the original
// service's flags.
func Main(args []string) int {
	return newApp().Run(args)
}

// Run is Main on an App, so tests can capture output.
func (a *App) Run(args []string) int {
	name := "connectors"
	if len(args) > 0 {
		name = filepath.Base(args[0])
	}
	var err error
	if strings.HasPrefix(name, "elastic-ingest") {
		err = a.runIngest(args[1:])
	} else {
		root := a.rootCommand()
		root.SetArgs(args[1:])
		err = root.Execute()
	}
	return a.report(name, err)
}

func (a *App) report(name string, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return ExitOK // stopped by a signal before finishing: a clean stop
	}
	fmt.Fprintf(a.Stderr, "%s: %s\n", name, err)
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return ExitUsage
	}
	return ExitError
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "flag needs an argument", "invalid argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "connectors",
		Short: "Sync third-party data into Elasticsearch (a Go connector service compatible with Elastic's)",
		Long: `connectors syncs data from databases, file shares, object stores and SaaS apps into
Elasticsearch. It reads the same config.yml and writes the same connector and sync-job
documents as Elastic's Python connector service, so Kibana manages it unchanged.

Start with:  connectors run -c config.yml      (or: connectors dev, with no cluster at all)`,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetVersionTemplate(version.Info() + "\n")
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", "config.yml", "path to config.yml")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (default: service.log_level)")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format: text or json (ECS)")
	pf.StringVarP(&a.output, "output", "o", "text", "output format of commands that print data: text or json")
	// The original CLI names it --format on the commands that have it.
	root.SetGlobalNormalizationFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "format" {
			name = "output"
		}
		return pflag.NormalizedName(name)
	})
	root.CompletionOptions.HiddenDefaultCmd = false
	root.AddCommand(a.loginCommand(), a.connectorCommand(), a.indexCommand(), a.jobCommand(), a.syncCommand())
	root.AddCommand(
		a.runCommand(),
		a.configCommand(),
		a.devCommand(),
		a.devEsCommand(),
		a.sourceCommand(),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				asJSON, err := a.jsonOutput()
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a, map[string]string{"version": version.Version, "commit": version.Commit, "date": version.Date})
				}
				fmt.Fprintln(a.Stdout, version.Info())
				return nil
			},
		},
	)
	return root
}

// loadConfig reads the configuration file named by -c.
func (a *App) loadConfig() (*config.Config, error) {
	return config.Load(a.configPath, config.LoadOptions{})
}

// logger builds the logger from flags and configuration: the flag wins over
// service.log_level, which wins over INFO.
func (a *App) logger(cfg *config.Config) (*slog.Logger, error) {
	levelName := a.logLevel
	if levelName == "" && cfg != nil {
		levelName = cfg.Service.LogLevel
	}
	if levelName == "" {
		levelName = "INFO"
	}
	level, err := logging.ParseLevel(levelName)
	if err != nil {
		return nil, usagef("--log-level: %v", err)
	}
	color := false
	if f, ok := a.Stderr.(*os.File); ok && a.logFormat != "json" {
		color = logging.IsTerminal(f)
	}
	log, err := logging.New(a.Stderr, logging.Options{Level: level, Format: a.logFormat, Version: version.Version, Color: color})
	if err != nil {
		return nil, usagef("--log-format: %v", err)
	}
	return log, nil
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// forces the process to exit at once.
func (a *App) signalContext(log *slog.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := a.Signals
	var stopNotify func()
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		sigs = ch
		stopNotify = func() { signal.Stop(ch) }
	}
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			log.Info("Signal received, shutting down (send it again to force exit)", "signal", fmt.Sprint(sig))
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			log.Error("Second signal received, exiting now", "signal", fmt.Sprint(sig))
			a.Exit(ExitForced)
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		cancel()
		if stopNotify != nil {
			stopNotify()
		}
	}
}
