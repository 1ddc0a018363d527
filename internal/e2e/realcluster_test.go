package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
)

// TestServiceAgainstRealElasticsearch runs the service binary against a
// real cluster when ES_URL is set (scripts/es-up.sh starts one built from
// Maven Central jars). Such a node lacks the ent-search plugin, so the test
// first installs what that plugin would provide — the connector indices'
// template with their aliases, and the search-default-ingestion pipeline —
// and the service runs in direct-index mode, as it does on any cluster
// without the _connector API.
func TestServiceAgainstRealElasticsearch(t *testing.T) {
	url := os.Getenv("ES_URL")
	if url == "" {
		t.Skip("ES_URL not set (scripts/es-up.sh starts a real node)")
	}
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	cfg.Username, cfg.Password = os.Getenv("ES_USER"), os.Getenv("ES_PASSWORD")
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
	installEntSearchStandIns(t, do)
	suffix := fmt.Sprint(time.Now().UnixNano())
	connectorID, index := "real-"+suffix, "search-real-"+suffix

	folder := t.TempDir()
	for i := 0; i < 5; i++ {
		if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("page%d.html", i)), []byte(fmt.Sprintf("<html><body><h1>Page %d</h1><p>hello real cluster</p></body></html>", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var schema map[string]any
	out, err := execOutput(binary, "source", "describe", "dir", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(out, &schema); err != nil {
		t.Fatal(err)
	}
	conf := schema["configuration"].(map[string]any)
	conf["directory"].(map[string]any)["value"] = folder

	cfgPath := filepath.Join(t.TempDir(), "config.yml")
	yml := fmt.Sprintf("elasticsearch:\n  host: %s\n  username: %q\n  password: %q\n  retry_interval: 0.5\nservice:\n  idling: 0.5\n  preflight_idle: 0.5\nconnectors:\n  - connector_id: %s\n    service_type: dir\n",
		url, cfg.Username, cfg.Password, connectorID)
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	// Maven Central's newest nodes (9.5.3, 8.19.21) are older than this
	// service's 9.6 target; the original's ftests allow that the same way.
	t.Setenv("ALLOW_ES_VERSION_MISMATCH", "true")
	p := start(t, "service", cfgPath)
	// Preflight creates the connector indices; the template gives them their aliases.
	store, err := protocol.Open(ctx, client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for client.Request(ctx, "HEAD", "/"+protocol.ConnectorsAlias, nil, nil) != nil {
		if p.Exited() {
			t.Fatalf("the service exited:\n%s", p.Out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("preflight did not create the connector indices:\n%s", p.Out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	now := protocol.Now()
	do("PUT", "/"+protocol.ConnectorsAlias+"/_doc/"+connectorID+"?refresh=true", map[string]any{
		"name": "real cluster test", "index_name": index, "service_type": "dir", "status": "configured",
		"is_native": false, "deleted": false, "configuration": conf, "features": schema["features"],
		"scheduling": map[string]any{"full": map[string]any{"enabled": false, "interval": "0 0 0 * * ?"}},
		"pipeline":   map[string]any{"name": "search-default-ingestion", "extract_binary_content": true, "reduce_whitespace": true, "run_ml_inference": true},
		"created_at": now,
	}, nil)
	conn, err := store.GetConnector(ctx, connectorID)
	if err != nil {
		t.Fatal(err)
	}
	runJob := func() *protocol.Job {
		t.Helper()
		id, err := store.CreateJob(ctx, conn, protocol.JobFull, protocol.TriggerOnDemand)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			j, err := store.GetJob(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status.Terminal() {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s:\n%s", id, j.Status, p.Out.String())
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
	var hits struct {
		Hits struct {
			Hits []struct {
				Source map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	do("POST", "/"+index+"/_search", map[string]any{"query": map[string]any{"match": map[string]any{"body": "cluster"}}}, &hits)
	if len(hits.Hits.Hits) != 5 || !strings.Contains(fmt.Sprint(hits.Hits.Hits[0].Source["body"]), "hello real cluster") {
		t.Fatalf("extracted text not searchable on the real cluster: %+v", hits)
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

// installEntSearchStandIns gives a cluster without the ent-search plugin
// what it would have: templates that attach the aliases to the connector
// indices (with the fields the service queries mapped), and the default
// ingest pipeline (empty: such a node has no ingest-common processors).
func installEntSearchStandIns(t *testing.T, do func(method, path string, body, out any)) {
	kw := map[string]any{"type": "keyword"}
	date := map[string]any{"type": "date"}
	boolean := map[string]any{"type": "boolean"}
	do("PUT", "/_index_template/test-elastic-connectors", map[string]any{
		"index_patterns": []string{".elastic-connectors-v1"},
		"priority":       500,
		"template": map[string]any{
			"settings": map[string]any{"hidden": true, "number_of_replicas": 0},
			"aliases":  map[string]any{protocol.ConnectorsAlias: map[string]any{}},
			"mappings": map[string]any{"dynamic": false, "properties": map[string]any{
				"deleted": boolean, "is_native": boolean, "service_type": kw, "index_name": kw, "status": kw, "last_seen": date,
			}},
		},
	}, nil)
	do("PUT", "/_index_template/test-elastic-connectors-sync-jobs", map[string]any{
		"index_patterns": []string{".elastic-connectors-sync-jobs-v1"},
		"priority":       500,
		"template": map[string]any{
			"settings": map[string]any{"hidden": true, "number_of_replicas": 0},
			"aliases":  map[string]any{protocol.JobsAlias: map[string]any{}},
			"mappings": map[string]any{"dynamic": false, "properties": map[string]any{
				"status": kw, "job_type": kw, "created_at": date, "last_seen": date,
				"connector": map[string]any{"properties": map[string]any{"id": kw}},
			}},
		},
	}, nil)
	do("PUT", "/_ingest/pipeline/search-default-ingestion", map[string]any{"description": "stand-in for the ent-search pipeline", "processors": []any{}}, nil)
}
