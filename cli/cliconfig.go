package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/version"
)

// cliConfigPath is where `connectors login` writes and the operator commands
// read, relative to the working directory, as in the original CLI.
var cliConfigPath = filepath.Join(".cli", "config.yml")

// operatorConfigHelp ends the help of the commands that read it.
const operatorConfigHelp = `Connects with the file given by -c (a service config.yml, read as the service reads
it), else with .cli/config.yml in the working directory (written by 'connectors login').`

// operatorEnv is what the operator commands (connector, index, job) share:
// the configuration, a client speaking as the CLI, and, on demand, the
// connector store.
type operatorEnv struct {
	cfg    *config.Config
	client *es.Client
	log    *slog.Logger
	store  *protocol.Store
}

// message is an error whose text is a sentence kept from the original
// CLI, capital letter and full stop included.
type message string

func (m message) Error() string { return string(m) }

// configNotFound is the original CLI's message for a missing configuration.
func configNotFound(path string) error {
	return message(fmt.Sprintf("%s was not found. Make sure that the config is either present at the default location (%s) or it's passed via the '-c' or '--config' option.", path, cliConfigPath))
}

// operatorConfig reads the configuration of the operator commands: the file
// given with -c (a service config.yml, loaded as the service loads it), else
// .cli/config.yml.
func (a *App) operatorConfig(cmd *cobra.Command) (*config.Config, error) {
	if cmd.Flags().Changed("config") {
		if _, err := os.Stat(a.configPath); errors.Is(err, os.ErrNotExist) {
			return nil, configNotFound(a.configPath)
		}
		return a.loadConfig()
	}
	return loadCLIConfig(cliConfigPath)
}

// loadCLIConfig reads the original CLI's file: plain YAML (no environment
// interpolation) holding an elasticsearch mapping. That mapping is decoded by
// the service's loader, so keys and types are checked the same way and every
// other setting keeps its default.
func loadCLIConfig(path string) (*config.Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, configNotFound(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("cannot parse %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	section, ok := doc["elasticsearch"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s has no elasticsearch mapping (run `connectors login`, or pass a config.yml with -c)", path)
	}
	text, err := yaml.Marshal(map[string]any{"elasticsearch": section})
	if err != nil {
		return nil, err
	}
	// The file is not interpolated; doubling every $ makes the service
	// loader's interpolation give each one back unchanged.
	escaped := strings.ReplaceAll(string(text), "$", "$$")
	cfg, err := config.Parse(path, []byte(escaped), config.LoadOptions{Environ: []string{}, NoEnvFile: true})
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			// Line numbers would point into the re-encoded text, not the file.
			for i := range cerr.Problems {
				cerr.Problems[i].Origin = ""
			}
		}
		return nil, err
	}
	// A command line tool should fail in seconds on a cluster that is down,
	// not after the service's 100 s of retries.
	if _, ok := section["max_retries"]; !ok {
		cfg.Elasticsearch.MaxRetries = 2
	}
	if _, ok := section["retry_interval"]; !ok {
		cfg.Elasticsearch.RetryInterval = 1
	}
	return cfg, nil
}

// operator loads the configuration and builds the client.
func (a *App) operator(cmd *cobra.Command) (*operatorEnv, error) {
	cfg, err := a.operatorConfig(cmd)
	if err != nil {
		return nil, err
	}
	log, err := a.logger(cfg)
	if err != nil {
		return nil, err
	}
	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: version.Version, Face: "cli", Logger: log})
	if err != nil {
		return nil, err
	}
	// The product check first, so that a server that is not Elasticsearch,
	// or none at all, is named as such instead of failing a later request
	// in a puzzling way. Other refusals (a key without the monitor
	// privilege) are left to the command's own requests to report.
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := client.Info(ctx); err != nil {
		var notES *es.NotElasticsearchError
		var conn *es.ConnError
		if errors.As(err, &notES) || errors.As(err, &conn) {
			return nil, err
		}
	}
	return &operatorEnv{cfg: cfg, client: client, log: log}, nil
}

// Store opens the connector store once: the _connector API when the
// configuration allows it and the cluster has it, else the indices.
func (e *operatorEnv) Store(ctx context.Context) (*protocol.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	// Which protocol is used is news for a service's log, not for every
	// command a person types: only warnings and errors of the store show.
	quiet := slog.New(minLevel{Handler: e.log.Handler(), min: slog.LevelWarn})
	s, err := protocol.Open(ctx, e.client, protocol.Options{UseAPI: e.cfg.Elasticsearch.FeatureUseConnectorsAPI, Log: quiet})
	if err != nil {
		return nil, err
	}
	e.store = s
	return s, nil
}

// usesAPIKey reports whether the CLI authenticates with an API key.
func (e *operatorEnv) usesAPIKey() bool { return e.cfg.Elasticsearch.APIKey != nil }

// ensureSystemIndices makes the connector indices usable for direct index
// access, as preflight does for the service: created with their mappings
// and aliases on a cluster without the ent-search module, checked for a
// wrong mapping everywhere (protocol.EnsureSystemIndices).
func (e *operatorEnv) ensureSystemIndices(ctx context.Context) error {
	info, err := e.client.Info(ctx)
	if err != nil {
		return err
	}
	major := 0
	fmt.Sscanf(info.Version.Number, "%d", &major)
	return protocol.EnsureSystemIndices(ctx, e.client, protocol.BootstrapOptions{Major: major, Serverless: info.Serverless(), Log: e.log})
}

// refresh makes what was written a moment ago searchable before a list,
// which reads through search: a job just started shows in job list. Best
// effort: a cluster that refuses it only lists a second late.
func (e *operatorEnv) refresh(ctx context.Context, index string) {
	if err := e.client.Request(ctx, http.MethodPost, "/"+index+"/_refresh?ignore_unavailable=true", nil, nil); err != nil {
		e.log.Debug("Refresh before listing failed", "index", index, "error", err.Error())
	}
}

// indexExists answers HEAD /<index>.
func (e *operatorEnv) indexExists(ctx context.Context, index string) (bool, error) {
	err := e.client.Request(ctx, http.MethodHead, "/"+index, nil, nil)
	switch {
	case err == nil:
		return true, nil
	case es.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("cannot check index %s: %w", index, err)
}

// newID makes a 20-character URL-safe id, the shape Elasticsearch
// generates, but never starting with '-' or '_', so that it can be typed as
// a command-line argument without "--".
func newID() string {
	b := make([]byte, 15)
	for {
		_, _ = rand.Read(b)
		id := base64.RawURLEncoding.EncodeToString(b)
		if id[0] != '-' && id[0] != '_' {
			return id
		}
	}
}

// prompter asks questions on stderr and reads answers from the command's
// input. One prompter per command, so buffered input is never lost between
// questions.
type prompter struct {
	in  io.Reader
	r   *bufio.Reader
	out io.Writer
	eof bool
	// quiet: answers are read without writing the questions, for input
	// that is not a terminal (a script's, a pipe's).
	quiet bool
}

func (a *App) prompter(cmd *cobra.Command) *prompter {
	in := cmd.InOrStdin()
	return &prompter{in: in, r: bufio.NewReader(in), out: a.Stderr}
}

// stdinIsTerminal reports whether the command's standard input is a
// terminal; tests set a.stdinTTY.
func (a *App) stdinIsTerminal(cmd *cobra.Command) bool {
	if a.stdinTTY != nil {
		return *a.stdinTTY
	}
	f, ok := cmd.InOrStdin().(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// errNoInput means standard input ended before an answer.
var errNoInput = errors.New("standard input ended")

func (p *prompter) terminal() (int, bool) {
	f, ok := p.in.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// readLine reads one answer. When the input is not a terminal nothing
// echoes the answer's newline, so it is written here to keep one question
// per line.
func (p *prompter) readLine() (string, error) {
	if p.eof {
		return "", errNoInput
	}
	s, err := p.r.ReadString('\n')
	if _, term := p.terminal(); !term && !p.quiet {
		fmt.Fprintln(p.out)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			p.eof = true
			if s == "" {
				return "", errNoInput
			}
		} else {
			return "", err
		}
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// ask prompts for a value; an empty answer, or none because input ended,
// takes def.
func (p *prompter) ask(label, def string) (string, error) {
	switch {
	case p.quiet:
	case def != "":
		fmt.Fprintf(p.out, "%s [%s]: ", label, def)
	default:
		fmt.Fprintf(p.out, "%s: ", label)
	}
	s, err := p.readLine()
	if errors.Is(err, errNoInput) {
		return def, nil
	}
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	return s, nil
}

// secret prompts for a value without echoing it on a terminal. hasDefault
// says whether an empty answer keeps a current value (which is never shown).
func (p *prompter) secret(label string, hasDefault bool) (string, bool, error) {
	switch {
	case p.quiet:
	case hasDefault:
		fmt.Fprintf(p.out, "%s [********]: ", label)
	default:
		fmt.Fprintf(p.out, "%s: ", label)
	}
	var s string
	if fd, ok := p.terminal(); ok {
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(p.out)
		if err != nil {
			return "", false, err
		}
		s = string(b)
	} else {
		line, err := p.readLine()
		if errors.Is(err, errNoInput) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		s = line
	}
	if s == "" {
		return "", false, nil
	}
	return s, true, nil
}

// confirm asks a yes/no question; no answer (input ended) is an error, so
// nothing destructive happens by accident in a script.
func (p *prompter) confirm(question string) (bool, error) {
	fmt.Fprintf(p.out, "%s [y/N]: ", question)
	s, err := p.readLine()
	if errors.Is(err, errNoInput) {
		return false, errors.New("no answer to the confirmation: standard input ended (pass --yes to confirm without a prompt)")
	}
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// errAborted is returned when the user declines a confirmation.
var errAborted = &exitError{code: ExitError}

// aborted prints the original's word for a declined confirmation.
func (a *App) aborted() error {
	fmt.Fprintln(a.Stderr, "Aborted!")
	return errAborted
}

// tableWidthCache is how many cell texts the table library remembers the display width of. Its
// own default presizes a map of 8,192 entries (about 650 KB) in every process that links it, the
// service included, which draws no table; the CLI's tables have a few hundred cells.
const tableWidthCache = 512

func init() { twwidth.SetCacheCapacity(tableWidthCache) }

// newTable makes a table whose headers are printed as written (the
// library's default upper-cases them and splits words around brackets).
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
}

// jsonOutput reports whether -o/--output (alias --format) asks for JSON,
// refusing values other than text and json.
func (a *App) jsonOutput() (bool, error) {
	switch strings.ToLower(a.output) {
	case "text", "":
		return false, nil
	case "json":
		return true, nil
	}
	return false, usagef("-o/--output: unknown format %q (use text or json)", a.output)
}

// minLevel drops records below min (and below the handler's own level).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
