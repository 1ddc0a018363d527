package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/version"
)

type loginOptions struct {
	host, method, username string
	passwordStdin          bool
	apiKeyStdin            bool
	yes                    bool
}

func (a *App) loginCommand() *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Check credentials against Elasticsearch and save them in .cli/config.yml",
		Long: `Asks for the Elasticsearch address and credentials (a user name and password, or an
API key), checks them with GET /, and writes them to .cli/config.yml in the working
directory (mode 0600), which the connector, index and job commands read when -c is not
given. Secrets are read without echo on a terminal; --password-stdin and --api-key-stdin
read them from standard input for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.login(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "", "Elasticsearch URL, e.g. https://localhost:9200 (prompted when absent)")
	f.StringVar(&o.method, "method", "basic", "authentication method: basic or apikey")
	f.StringVar(&o.username, "username", "", "user name for --method basic (prompted when absent)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&o.apiKeyStdin, "api-key-stdin", false, "read the API key from standard input (implies --method apikey)")
	f.BoolVarP(&o.yes, "yes", "y", false, "overwrite an existing .cli/config.yml without asking")
	return cmd
}

func (a *App) login(cmd *cobra.Command, o loginOptions) error {
	method := strings.ToLower(o.method)
	if o.apiKeyStdin {
		if cmd.Flags().Changed("method") && method != "apikey" {
			return usagef("--api-key-stdin needs --method apikey")
		}
		method = "apikey"
	}
	switch method {
	case "basic":
		if o.apiKeyStdin {
			return usagef("--api-key-stdin needs --method apikey")
		}
	case "apikey":
		if o.passwordStdin || o.username != "" {
			return usagef("--username and --password-stdin need --method basic")
		}
	default:
		return usagef("--method: unknown method %q (use basic or apikey)", o.method)
	}
	p := a.prompter(cmd)
	if _, err := os.Stat(cliConfigPath); err == nil && !o.yes {
		if o.passwordStdin || o.apiKeyStdin {
			return fmt.Errorf("%s already exists: pass --yes to overwrite it (standard input holds the secret, not an answer)", cliConfigPath)
		}
		ok, err := p.confirm(fmt.Sprintf("%s already exists. Overwrite it?", cliConfigPath))
		if err != nil {
			return err
		}
		if !ok {
			return a.aborted()
		}
	}
	host := o.host
	if host == "" {
		var err error
		if host, err = p.ask("Elastic host", "http://localhost:9200"); err != nil {
			return err
		}
	}
	section := map[string]any{"host": host}
	esCfg := config.Default().Elasticsearch
	esCfg.Host = host
	if method == "apikey" {
		key, err := a.readSecret(cmd, p, "API key", o.apiKeyStdin)
		if err != nil {
			return err
		}
		esCfg.APIKey = &key
		section["api_key"] = key
	} else {
		user := o.username
		if user == "" {
			var err error
			if user, err = p.ask("Username", "elastic"); err != nil {
				return err
			}
		}
		pass, err := a.readSecret(cmd, p, "Password", o.passwordStdin)
		if err != nil {
			return err
		}
		esCfg.Username, esCfg.Password = user, pass
		section["username"], section["password"] = user, pass
	}

	client, err := es.New(es.Options{Config: esCfg, Version: version.Version, Face: "cli"})
	if err != nil {
		return err
	}
	if _, err := client.WithoutRetries().Info(context.Background()); err != nil {
		fmt.Fprintln(a.Stderr, "Authentication failed. Please check your credentials.")
		fmt.Fprintf(a.Stderr, "(%v)\n", err)
		return &exitError{code: ExitError}
	}
	if err := writeCLIConfig(cliConfigPath, map[string]any{"elasticsearch": section}); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "Authentication successful. Credentials saved in %s.\n", cliConfigPath)
	return nil
}

// readSecret reads a password or API key: one line of standard input with
// the *-stdin flags, else a prompt without echo.
func (a *App) readSecret(cmd *cobra.Command, p *prompter, label string, fromStdin bool) (string, error) {
	flag := "--password-stdin"
	if label == "API key" {
		flag = "--api-key-stdin"
	}
	if fromStdin {
		line, err := p.readLine()
		if errors.Is(err, errNoInput) || (err == nil && line == "") {
			return "", fmt.Errorf("%s: standard input holds no %s", flag, strings.ToLower(label))
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimSpace(line), nil
	}
	s, ok, err := p.secret(label, false)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no %s given (type it at the prompt, or pass %s)", strings.ToLower(label), flag)
	}
	return s, nil
}

// writeCLIConfig writes the file readable by its owner only, since it holds
// credentials.
func writeCLIConfig(path string, doc map[string]any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	out := []byte(b.String())
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
