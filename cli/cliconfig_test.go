package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"

	"github.com/connectors-go/connectors/internal/testproc"
)

// runIn runs the command line with the given standard input, from the
// current working directory (tests chdir into a temporary one).
func runIn(t *testing.T, stdin string, prepare func(*App), args ...string) result {
	t.Helper()
	var out, errb testproc.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Exit: func(code int) { t.Errorf("unexpected forced exit %d", code) }}
	if prepare != nil {
		prepare(a)
	}
	root := a.rootCommand()
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	code := a.report("connectors", root.Execute())
	r := result{code, out.String(), errb.String()}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Errorf("stack trace in output: %s", r.stderr)
	}
	return r
}

// expect checks the exit code and that each want appears in stdout+stderr.
func (r result) expect(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, r.stdout, r.stderr)
		}
	}
}

// cluster is an estest server plus what the tests need to look inside it.
type cluster struct {
	t      *testing.T
	srv    *estest.Server
	client *es.Client
}

func newCluster(t *testing.T, opts estest.Options) *cluster {
	t.Helper()
	srv := estest.New(opts)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := config.Default().Elasticsearch
	cfg.Host = srv.URL()
	cfg.RetryInterval = 0.01
	for u, p := range opts.Users {
		cfg.Username, cfg.Password = u, p
	}
	if len(opts.Users) == 0 && len(opts.APIKeys) > 0 {
		cfg.APIKey = &opts.APIKeys[0]
	}
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{t: t, srv: srv, client: client}
}

func (c *cluster) do(method, path string, body any, out any) {
	c.t.Helper()
	if err := c.client.Request(context.Background(), method, path, body, out); err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// store reads connector documents directly, whatever the CLI used.
func (c *cluster) store() *protocol.Store {
	s, err := protocol.Open(context.Background(), c.client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

func (c *cluster) connector(id string) *protocol.Connector {
	c.t.Helper()
	conn, err := c.store().GetConnector(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return conn
}

func (c *cluster) job(id string) *protocol.Job {
	c.t.Helper()
	j, err := c.store().GetJob(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return j
}

func (c *cluster) exists(index string) bool {
	err := c.client.Request(context.Background(), "HEAD", "/"+index, nil, nil)
	if err != nil && !es.IsNotFound(err) {
		c.t.Fatal(err)
	}
	return err == nil
}

func (c *cluster) refresh() {
	c.t.Helper()
	c.do("POST", "/_refresh?expand_wildcards=all", nil, nil)
}

// inTempDir moves the test into an empty working directory, where
// .cli/config.yml is looked for.
func inTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Chdir(d)
	return d
}

// writeCLIConfigFor writes .cli/config.yml for a cluster.
func writeCLIConfigFor(t *testing.T, c *cluster, extra string) {
	t.Helper()
	if err := os.MkdirAll(".cli", 0o700); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("elasticsearch:\n  host: %s\n%s", c.srv.URL(), extra)
	if err := os.WriteFile(filepath.Join(".cli", "config.yml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serviceConfigFor writes a service config.yml for a cluster and returns its path.
func serviceConfigFor(t *testing.T, c *cluster, extra string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yml")
	body := fmt.Sprintf("# service configuration\nelasticsearch:\n  host: %s\n  retry_interval: 0.01\n  max_wait_duration: 2\n%s", c.srv.URL(), extra)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOperatorConfigLookup(t *testing.T) {
	c := newCluster(t, estest.Options{})
	tests := []struct {
		name    string
		cli     string // content of .cli/config.yml; "" = absent
		args    []string
		code    int
		want    string
		notWant string
	}{
		{"no file", "", []string{"connector", "list"}, 1,
			".cli/config.yml was not found. Make sure that the config is either present at the default location (.cli/config.yml) or it's passed via the '-c' or '--config' option.", ""},
		{"-c names a missing file", "", []string{"index", "list", "-c", "/nonexistent/x.yml"}, 1,
			"/nonexistent/x.yml was not found", ""},
		{"no elasticsearch mapping", "service: {}\n", []string{"job", "list", "c1"}, 1,
			"has no elasticsearch mapping", ""},
		{"bad value names its key", "elasticsearch:\n  host: " + c.srv.URL() + "\n  max_retries: lots\n", []string{"index", "list"}, 1,
			"elasticsearch.max_retries", ""},
		{"broken yaml", "elasticsearch: [\n", []string{"index", "list"}, 1, "cannot parse .cli/config.yml", ""},
		{"working file", "elasticsearch:\n  host: " + c.srv.URL() + "\n  password: pa$$word\n", []string{"connector", "list"}, 0,
			"No connectors found", "pa$$word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			if tt.cli != "" {
				if err := os.MkdirAll(".cli", 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(".cli/config.yml", []byte(tt.cli), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := runIn(t, "", nil, tt.args...)
			r.expect(t, tt.code, tt.want)
			if tt.notWant != "" && strings.Contains(r.stdout+r.stderr, tt.notWant) {
				t.Fatalf("output shows %q", tt.notWant)
			}
		})
	}
}

func TestCLIConfigIsNotInterpolated(t *testing.T) {
	inTempDir(t)
	t.Setenv("ES_PASS", "from-env")
	if err := os.MkdirAll(".cli", 0o700); err != nil {
		t.Fatal(err)
	}
	const file = "elasticsearch:\n  host: http://es.example:9200\n  username: ops\n  password: \"$ES_PASS$$x\"\n"
	if err := os.WriteFile(".cli/config.yml", []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadCLIConfig(cliConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Elasticsearch.Password != "$ES_PASS$$x" || cfg.Elasticsearch.Username != "ops" || cfg.Elasticsearch.Host != "http://es.example:9200" {
		t.Fatalf("got %+v", cfg.Elasticsearch)
	}
	// Settings the file leaves out keep the service's defaults, except
	// the retry policy, which is short for a command line tool.
	if cfg.Elasticsearch.RequestTimeout != 240 || cfg.Elasticsearch.MaxRetries != 2 || !cfg.Elasticsearch.FeatureUseConnectorsAPI {
		t.Fatalf("defaults: %+v", cfg.Elasticsearch)
	}
}

func TestServiceConfigWorksWithDashC(t *testing.T) {
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	t.Setenv("CLI_TEST_ES_HOST", c.srv.URL())
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte("elasticsearch:\n  host: ${CLI_TEST_ES_HOST}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runIn(t, "", nil, "connector", "list", "-c", p).expect(t, 0, "No connectors found")
}
