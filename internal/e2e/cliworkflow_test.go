package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/testproc"
)

// cliEnv runs the connectors binary as an operator would: from a working
// directory of its own, against one cluster, with -c config.yml.
type cliEnv struct {
	t      *testing.T
	dir    string
	config string
	env    []string
}

// run runs one command and returns its output (stdout, then stderr) and
// exit code.
func (e *cliEnv) run(stdin string, args ...string) (string, int) {
	stdout, stderr, code := e.run2(stdin, args...)
	return stdout + stderr, code
}

func (e *cliEnv) run2(stdin string, args ...string) (string, string, int) {
	e.t.Helper()
	// -c goes first: after "--" it would be an argument.
	cmd := exec.Command(binary, append([]string{"-c", e.config}, args...)...)
	cmd.Dir = e.dir
	cmd.Env = append(append(os.Environ(), "ENV_FILE=/dev/null"), e.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("connectors %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// must runs a command that has to exit with code and print every want.
func (e *cliEnv) must(code int, args []string, wants ...string) string {
	e.t.Helper()
	out, got := e.run("", args...)
	if got != code {
		e.t.Fatalf("connectors %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			e.t.Fatalf("connectors %s: output lacks %q\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

var (
	createdID = regexp.MustCompile(`ID: (\S+), service_type: dir`)
	jobID     = regexp.MustCompile(`The job (\S+) has been started\.`)
)

// cliWorkflow is the seed's workflow driven from the command line only:
// create a dir connector, configure it, set a schedule, start a full sync
// and wait for it, see the count in index list, cancel a second job, clean
// the index. esSection is the elasticsearch mapping of config.yml.
func cliWorkflow(t *testing.T, esSection string, env ...string) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "docs")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	const files = 500
	for i := 0; i < files; i++ {
		body := fmt.Sprintf("<html><body><h1>Page %d</h1><p>written for the CLI workflow</p></body></html>", i)
		if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("page%04d.html", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yml")
	yml := esSection + "service:\n  idling: 0.5\n  preflight_idle: 0.5\n  job_cleanup_interval: 1\nconnectors: []\n"
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &cliEnv{t: t, dir: dir, config: cfg, env: env}
	index := fmt.Sprintf("search-cli-%d", time.Now().UnixNano())

	// Create the connector; standard input is empty, so every question
	// takes its default, and the connector is added to config.yml.
	out, code := e.run("", "connector", "create", "--service-type", "dir", "--index-name", index, "--name", "CLI workflow",
		"--index-language", "en", "--update-config", "--connector-service-config", cfg)
	if code != 0 {
		t.Fatalf("connector create: exit %d\n%s", code, out)
	}
	m := createdID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no connector id in:\n%s", out)
	}
	id := m[1]

	// Configure it, then check what was stored.
	e.must(0, []string{"connector", "update", id, "--set", "directory=" + folder}, "configuration (directory)")
	out, stderr, code := e.run2("", "connector", "get", id, "-o", "json")
	if code != 0 {
		t.Fatalf("connector get: exit %d\n%s%s", code, out, stderr)
	}
	var doc struct {
		Status        string                    `json:"status"`
		Configuration map[string]map[string]any `json:"configuration"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Configuration["directory"]["value"] != folder || doc.Status != "configured" {
		t.Fatalf("connector get: %v\n%s", err, out)
	}

	// A schedule that is valid and never fires during the test.
	e.must(0, []string{"connector", "schedule", id, "--full", "0 0 0 1 1 ? 2099"}, "have been updated", "2099-01-01 00:00")
	e.must(2, []string{"connector", "schedule", id, "--full", "0 0 0 31 2 ? 2099 extra"})

	// The service, as listed in config.yml by connector create.
	startService := func() *proc {
		service := exec.Command(binary, "run", "-c", cfg, "--log-level", "debug")
		service.Dir = dir
		service.Env = append(append(os.Environ(), "ENV_FILE=/dev/null"), env...)
		p := &proc{Proc: testproc.Start(t, service), name: "service"}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("--- service output:\n%s", p.Out.String())
			}
		})
		return p
	}
	p := startService()

	// A full sync, followed until it completes.
	out = e.must(0, []string{"job", "start", "-i", id, "-t", "full", "--wait", "--timeout", "5m", "--interval", "200ms"},
		fmt.Sprintf("completed: %d documents indexed", files))
	if !jobID.MatchString(out) {
		t.Fatalf("job start --wait did not name the job:\n%s", out)
	}
	e.must(0, []string{"index", "list"}, index)
	countRow := regexp.MustCompile(regexp.QuoteMeta(index) + `\s*│\s*(\d+)`)
	if m := countRow.FindStringSubmatch(e.must(0, []string{"index", "list"})); m == nil || m[1] != fmt.Sprint(files) {
		t.Fatalf("index list does not show %d documents in %s: %v", files, index, m)
	}

	// A second job, canceled while it waits (the service is stopped so that
	// it cannot finish first: a sync of these files takes well under a
	// second); once the service is back, it stays canceled and job wait
	// says so. The cancellation of a running job is covered by the
	// service's and the CLI's own tests.
	if code := p.stop(t); code != 0 {
		t.Fatalf("service exit code %d after SIGTERM", code)
	}
	out = e.must(0, []string{"job", "start", "-i", id, "-t", "full"})
	second := jobID.FindStringSubmatch(out)[1]
	e.must(0, []string{"job", "cancel", "-y", "--", second}, "The job "+second+" has been canceled.")
	p = startService()
	e.must(1, []string{"job", "wait", "--timeout", "2m", "--interval", "200ms", "--", second}, "ended canceled")
	e.must(0, []string{"job", "list", id}, "Showing 2 jobs", "completed", "canceled")

	// Clean the index.
	e.must(0, []string{"index", "clean", index, "-y"}, "The index has been cleaned")
	if m := countRow.FindStringSubmatch(e.must(0, []string{"index", "list"})); m == nil || m[1] != "0" {
		t.Fatalf("index list after clean: %v", m)
	}

	if code := p.stop(t); code != 0 {
		t.Fatalf("service exit code %d after SIGTERM", code)
	}
}

// TestCLIWorkflow runs the workflow against estest: with the _connector
// API, with direct index access, and on a bare cluster without the
// ent-search module (like the real node of make test-real-es), where the
// CLI must create the connector indices itself.
func TestCLIWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		useAPI      bool
		noEntSearch bool
	}{
		{"connector API", true, false},
		{"direct index access", false, false},
		{"bare cluster", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := estest.New(estest.Options{NoEntSearch: tc.noEntSearch})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			cliWorkflow(t, fmt.Sprintf("elasticsearch:\n  host: %s\n  feature_use_connectors_api: %v\n  retry_interval: 0.1\n", srv.URL(), tc.useAPI))
		})
	}
}

// TestCLIWorkflowAgainstRealElasticsearch runs it against a real node
// (make test-real-es; scripts/es-up.sh starts one). That node has no
// _connector API, so every command works in direct-index mode.
func TestCLIWorkflowAgainstRealElasticsearch(t *testing.T) {
	url := os.Getenv("ES_URL")
	if url == "" {
		t.Skip("ES_URL not set (scripts/es-up.sh starts a real node)")
	}
	section := fmt.Sprintf("elasticsearch:\n  host: %s\n  username: %q\n  password: %q\n  retry_interval: 0.5\n", url, os.Getenv("ES_USER"), os.Getenv("ES_PASSWORD"))
	// Maven Central's newest nodes are older than this service's minor
	// version; the original's ftests allow that the same way.
	cliWorkflow(t, section, "ALLOW_ES_VERSION_MISMATCH=true")
}
