package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/sysindex"
)

// TestServiceAgainstRealElasticsearch runs the bare-cluster scenario below
// against a real cluster when ES_URL is set (scripts/es-up.sh starts one
// built from Maven Central jars, which lacks the ent-search module). Nothing
// is installed beforehand: the CLI and the service must make the connector
// indices usable themselves.
func TestServiceAgainstRealElasticsearch(t *testing.T) {
	url := os.Getenv("ES_URL")
	if url == "" {
		t.Skip("ES_URL not set (scripts/es-up.sh starts a real node)")
	}
	bareClusterScenario(t, url, os.Getenv("ES_USER"), os.Getenv("ES_PASSWORD"))
}

// TestServiceOnBareEstest runs the same scenario against estest serving a
// cluster without the ent-search module, so make test covers it too.
func TestServiceOnBareEstest(t *testing.T) {
	srv := estest.New(estest.Options{NoEntSearch: true})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	bareClusterScenario(t, srv.URL(), "", "")
}

// bareClusterScenario is what a user does on a cluster without the
// ent-search module, in direct-index mode: create a dir connector with the
// CLI, run the service, start a job with the CLI, see it complete and
// listed, then delete a file and see the next job remove its document.
// Measured before the fix: the indices got empty mappings and no aliases,
// the connector went to an auto-created .elastic-connectors index, jobs
// stayed pending and `job list` said "No jobs found".
func bareClusterScenario(t *testing.T, url, user, password string) {
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	cfg.Username, cfg.Password = user, password
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	do := func(method, path string, body, out any) {
		t.Helper()
		if err := client.Request(ctx, method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	if err := client.Request(ctx, "GET", "/_connector?size=0", nil, nil); err == nil {
		t.Skip("this cluster has the connector API; the estest-based tests cover that mode")
	}
	suffix := fmt.Sprint(time.Now().UnixNano())
	index := "search-bare-" + suffix

	dir := t.TempDir()
	folder := filepath.Join(dir, "files")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		page := fmt.Sprintf("<html><body><h1>Page %d</h1><p>hello   real\n cluster</p></body></html>", i)
		if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("page%d.html", i)), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	values := filepath.Join(dir, "values.json")
	if err := os.WriteFile(values, []byte(fmt.Sprintf(`{"directory": %q}`, folder)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf("elasticsearch:\n  host: %s\n  username: %q\n  password: %q\n  retry_interval: 0.5\nservice:\n  idling: 0.5\n  preflight_idle: 0.5\nconnectors: []\n",
		url, user, password)
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	// Maven Central's newest nodes (9.5.3, 8.19.21) are older than this
	// service's 9.6 target; the original's ftests allow that the same way.
	t.Setenv("ALLOW_ES_VERSION_MISMATCH", "true")
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"-c", cfgPath}, args...)...)
		cmd.Env = append(os.Environ(), "ENV_FILE=/dev/null")
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("connectors %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := cli("connector", "create", "--service-type", "dir", "--index-name", index, "--name", "bare cluster test",
		"--index-language", "en", "--from-file", values, "--update-config", "--connector-service-config", cfgPath)
	m := regexp.MustCompile(`ID: ([^,]+),`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no connector id in:\n%s", out)
	}
	connectorID := m[1]

	// The indices now have the module's mappings and their aliases.
	var got map[string]struct {
		Aliases  map[string]any `json:"aliases"`
		Mappings map[string]any `json:"mappings"`
	}
	do("GET", "/.elastic-connectors*?expand_wildcards=all", nil, &got)
	for _, idx := range sysindex.Indices {
		if _, ok := got[idx].Aliases[sysindex.AliasOf(idx)]; !ok {
			t.Fatalf("%s lacks its alias: %+v", idx, got[idx])
		}
		if p := sysindex.CheckMapping(idx, got[idx].Mappings); len(p) > 0 {
			t.Fatalf("%s: %v", idx, p)
		}
	}
	if _, ok := got[protocol.ConnectorsAlias]; ok {
		t.Fatalf("the connector went to an auto-created %s index", protocol.ConnectorsAlias)
	}

	p := start(t, "service", cfgPath)
	store, err := protocol.Open(ctx, client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		t.Fatal(err)
	}
	jobID := regexp.MustCompile(`The job (\S+) has been started`)
	runJob := func() *protocol.Job {
		t.Helper()
		out := cli("job", "start", "--connector-id", connectorID, "--job-type", "full")
		m := jobID.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no job id in:\n%s", out)
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			j, err := store.GetJob(ctx, m[1])
			if err != nil {
				t.Fatal(err)
			}
			if j.Status.Terminal() {
				return j
			}
			if p.Exited() || time.Now().After(deadline) {
				t.Fatalf("job %s still %s:\n%s", m[1], j.Status, p.Out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	count := func() int {
		do("POST", "/"+index+"/_refresh", nil, nil)
		var res struct {
			Count int `json:"count"`
		}
		do("GET", "/"+index+"/_count", nil, &res)
		return res.Count
	}
	j := runJob()
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 5 || count() != 5 {
		t.Fatalf("first job %s indexed %d (%s):\n%s", j.Status, j.IndexedDocumentCount, deref(j.Error), p.Out.String())
	}
	do("POST", "/"+protocol.JobsAlias+"/_refresh", nil, nil)
	if list := cli("job", "list", connectorID); !strings.Contains(list, j.ID) {
		t.Fatalf("job list does not show job %s:\n%s", j.ID, list)
	}
	var hits struct {
		Hits struct {
			Hits []struct {
				Source map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	do("POST", "/"+index+"/_search", map[string]any{"query": map[string]any{"match": map[string]any{"body": "cluster"}}}, &hits)
	if len(hits.Hits.Hits) != 5 || !strings.Contains(fmt.Sprint(hits.Hits.Hits[0].Source["body"]), "hello") {
		t.Fatalf("extracted text not searchable: %+v", hits)
	}
	// The default pipeline is the module's where the cluster can run it;
	// otherwise a reduced one, and the control fields stay in the documents.
	var pipe map[string]struct {
		Meta map[string]any `json:"_meta"`
	}
	do("GET", "/_ingest/pipeline/"+sysindex.DefaultPipeline, nil, &pipe)
	reduced := pipe[sysindex.DefaultPipeline].Meta["reduced"] == true
	_, kept := hits.Hits.Hits[0].Source["_reduce_whitespace"]
	if kept != reduced {
		t.Fatalf("control fields kept %v with a reduced pipeline %v: %+v", kept, reduced, hits.Hits.Hits[0].Source)
	}
	if err := os.Remove(filepath.Join(folder, "page3.html")); err != nil {
		t.Fatal(err)
	}
	j = runJob()
	if j.Status != protocol.JobCompleted || j.DeletedDocumentCount != 1 || count() != 4 {
		t.Fatalf("second job %s deleted %d (%s)", j.Status, j.DeletedDocumentCount, deref(j.Error))
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.Out.String())
	}
	do("DELETE", "/"+index, nil, nil)
}
