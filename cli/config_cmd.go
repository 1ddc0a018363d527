package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/config"
)

func (a *App) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check and show config.yml",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Check config.yml and print every problem with its key path",
		Long: `Loads config.yml exactly as the service does (environment and .env interpolation,
dotted keys, defaults) and prints every problem with its key path, every unknown key
and every setting that works against another. Exits 1 when the service would refuse
to start with this file, or when a configured connector cannot run: its service_type
is missing or not compiled into this binary, or its connector_id is listed twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.validateConfig()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (defaults filled in, secrets hidden)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := a.jsonOutput()
			if err != nil {
				return err
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a, cfg.Map(true))
			}
			out, err := yaml.Marshal(cfg.Map(true))
			if err != nil {
				return err
			}
			_, err = a.Stdout.Write(out)
			return err
		},
	})
	return cmd
}

func (a *App) validateConfig() error {
	asJSON, err := a.jsonOutput()
	if err != nil {
		return err
	}
	cfg, err := a.loadConfig()
	var cerr *config.Error
	if err != nil && !errors.As(err, &cerr) {
		return err
	}
	var problems []config.Problem
	if cerr != nil {
		problems = append(problems, cerr.Problems...)
	}
	var warnings []string
	if cfg != nil {
		warnings = append(warnings, cfg.Warnings...)
		if cerr == nil {
			problems = append(problems, cfg.ServiceProblems()...)
			problems = append(problems, cfg.ConnectorProblems(compiledIn)...)
			warnings = append(warnings, cfg.ServiceWarnings()...)
		}
	}
	if asJSON {
		type problem struct {
			Key     string `json:"key,omitempty"`
			Message string `json:"message"`
			Origin  string `json:"origin,omitempty"`
		}
		out := struct {
			Path     string    `json:"path"`
			Valid    bool      `json:"valid"`
			Errors   []problem `json:"errors"`
			Warnings []string  `json:"warnings"`
		}{Path: a.configPath, Valid: len(problems) == 0, Errors: []problem{}, Warnings: append([]string{}, warnings...)}
		for _, p := range problems {
			out.Errors = append(out.Errors, problem{p.Key, p.Message, p.Origin})
		}
		if err := writeJSON(a, out); err != nil {
			return err
		}
		if len(problems) > 0 {
			return &exitError{code: ExitError}
		}
		return nil
	}
	for _, w := range warnings {
		fmt.Fprintf(a.Stdout, "warning: %s\n", w)
	}
	for _, p := range problems {
		fmt.Fprintf(a.Stdout, "error: %s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(a.Stdout, "%s: %d error(s), %d warning(s)\n", a.configPath, len(problems), len(warnings))
		return &exitError{code: ExitError}
	}
	fmt.Fprintf(a.Stdout, "%s: valid (%d warning(s))\n", a.configPath, len(warnings))
	return nil
}

// compiledIn reports whether a source of that service type is compiled
// into this binary.
func compiledIn(serviceType string) bool {
	_, ok := connector.Lookup(serviceType)
	return ok
}
