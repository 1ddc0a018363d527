//go:build unix

package examples_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/testproc"
)

// exampleDir is the example module, relative to this package's folder (the test's working
// directory).
const exampleDir = "custom-connector"

const (
	serviceType = "csv_file"
	connectorID = "notes-csv"
	indexName   = "search-notes"
)

// Generous bounds for a loaded two-core machine; they only decide when to give up.
const (
	syncTimeout = 90 * time.Second
	stopTimeout = 30 * time.Second
)

// TestCustomConnector builds examples/custom-connector (a separate module that adds the csv_file
// source to the service) and checks, as a user would, that the binary lists the source and syncs
// a CSV file into Elasticsearch, with the connector created both ways the service supports.
func TestCustomConnector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example's binary and runs a sync")
	}
	bin := buildExample(t)

	t.Run("source list", func(t *testing.T) {
		out, err := exec.Command(bin, "source", "list").CombinedOutput()
		if err != nil {
			t.Fatalf("%s source list: %v\n%s", bin, err, out)
		}
		for _, want := range []string{"dir", "System Directory", serviceType, "CSV File"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("source list does not show %q:\n%s", want, out)
			}
		}
	})

	notes, err := filepath.Abs(filepath.Join(exampleDir, "testdata", "notes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := readRows(t, notes)

	tests := []struct {
		name string
		// useAPI is elasticsearch.feature_use_connectors_api: with it the connector is created
		// through the _connector API as Kibana does; without it the documents are written
		// directly into the connector indices, as the original's CLI and older services do.
		useAPI bool
		// typeFromConfig creates the connector without a service type, as Kibana's
		// "Customized connector" does; the service then takes it from config.yml.
		typeFromConfig bool
	}{
		{"direct index", false, false},
		{"connector API", true, false},
		{"connector API, service type from config.yml", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Elasticsearch 9 serves the connector indices only to Kibana and the connector
			// service, which identify themselves with X-elastic-product-origin.
			srv := estest.New(estest.Options{RequireProductOrigin: true})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			es := &esClient{t: t, url: srv.URL()}
			dir := t.TempDir()
			cfgPath := writeConfig(t, dir, srv.URL(), tt.useAPI)

			if out, err := exec.Command(bin, "config", "validate", "-c", cfgPath).CombinedOutput(); err != nil {
				t.Fatalf("config validate: %v\n%s", err, out)
			}
			values := map[string]any{"path": notes, "id_column": "id", "timestamp_column": "updated_at"}

			var svc *service
			var jobID string
			if tt.useAPI {
				// Kibana's order: create the connector, let the service write its configuration
				// schema, fill in the values, then ask for a sync.
				create := map[string]any{"index_name": indexName, "name": "Team notes", "is_native": false}
				if !tt.typeFromConfig {
					create["service_type"] = serviceType
				}
				es.must("PUT", "/_connector/"+connectorID, create)
				svc = startService(t, bin, dir, cfgPath)
				svc.waitFor("the service to write the csv_file configuration schema", func() bool {
					c := es.doc(".elastic-connectors", connectorID)
					cfg, _ := c["configuration"].(map[string]any)
					return cfg["path"] != nil && cfg["id_column"] != nil
				})
				if c := es.doc(".elastic-connectors", connectorID); c["service_type"] != serviceType || c["status"] != "needs_configuration" {
					svc.fatalf("connector after the service prepared it: service_type %v, status %v", c["service_type"], c["status"])
				}
				es.must("PUT", "/_connector/"+connectorID+"/_configuration", map[string]any{"values": values})
				res := es.must("POST", "/_connector/_sync_job", map[string]any{
					"id": connectorID, "job_type": "full", "trigger_method": "on_demand",
				})
				jobID, _ = res["id"].(string)
			} else {
				// The connector document as the original's CLI writes it, its configuration
				// being the schema the binary prints with values filled in.
				configuration := describe(t, bin, values)
				es.must("PUT", "/.elastic-connectors-v1", nil)
				es.must("PUT", "/.elastic-connectors-sync-jobs-v1", nil)
				conn := connectorDoc(configuration)
				es.must("PUT", "/.elastic-connectors/_doc/"+connectorID+"?refresh=true", conn)
				svc = startService(t, bin, dir, cfgPath)
				res := es.must("POST", "/.elastic-connectors-sync-jobs/_doc?refresh=true", jobDoc(conn))
				jobID, _ = res["_id"].(string)
			}
			if jobID == "" {
				svc.fatalf("creating the sync job returned no id")
			}

			job := svc.waitJob(es, jobID)
			if job["status"] != "completed" {
				svc.fatalf("sync job %s ended %v: %v", jobID, job["status"], job["error"])
			}
			if got := num(job["indexed_document_count"]); got != len(want) {
				svc.fatalf("sync job %s indexed %d documents, want %d (one per row)", jobID, got, len(want))
			}
			if got := num(job["deleted_document_count"]); got != 0 {
				svc.fatalf("sync job %s deleted %d documents, want 0", jobID, got)
			}

			got := es.search(indexName)
			if !reflect.DeepEqual(keys(got), keys(want)) {
				svc.fatalf("index %s holds ids %v, want one document per row: %v", indexName, keys(got), keys(want))
			}
			for id, row := range want {
				doc := got[id]
				for _, col := range []string{"title", "body", "tags", "updated_at"} {
					got, _ := doc[col].(string)
					if col == "body" {
						// The connector's default ingest pipeline (search-default-ingestion,
						// reduce_whitespace) collapses runs of white space in body.
						got, row[col] = squeeze(got), squeeze(row[col])
					}
					if got != row[col] {
						svc.fatalf("document %s: %s = %q, want %q", id, col, doc[col], row[col])
					}
				}
				if doc["id"] != id {
					svc.fatalf("document %s: id field %v", id, doc["id"])
				}
				wantTS := strings.TrimSuffix(row["updated_at"], "Z") + "+00:00"
				if doc["_timestamp"] != wantTS {
					svc.fatalf("document %s: _timestamp %v, want %s", id, doc["_timestamp"], wantTS)
				}
			}
			// The job is written first, the connector's summary right after.
			c := es.doc(".elastic-connectors", connectorID)
			for deadline := time.Now().Add(10 * time.Second); c["last_sync_status"] != "completed" && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
				c = es.doc(".elastic-connectors", connectorID)
			}
			if c["last_sync_status"] != "completed" || c["status"] != "connected" {
				svc.fatalf("connector after the sync: status %v, last_sync_status %v, error %v", c["status"], c["last_sync_status"], c["error"])
			}

			svc.stop()
		})
	}
}

// buildExample builds the example module's binary with the go command running this test. The
// build cache is shared with every other build, so only the example's own packages and the link
// cost time once the repository has been built.
func buildExample(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("cannot find the go command to build %s: %v", exampleDir, err)
	}
	bin := filepath.Join(t.TempDir(), "custom-connector")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = exampleDir
	// The example is its own module; a go.work somewhere above must not fold it into another.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		hint := ""
		if bytes.Contains(out, []byte("go.mod")) || bytes.Contains(out, []byte("go.sum")) {
			hint = "\nThe example's go.mod no longer matches the repository's dependencies: run `go mod tidy` in examples/custom-connector."
		}
		t.Fatalf("building examples/%s: %v\n%s%s", exampleDir, err, out, hint)
	}
	return bin
}

// readRows reads the sample file the way the source is configured to: rows by id.
func readRows(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			row[col] = rec[i]
		}
		out[row["id"]] = row
	}
	if len(out) < 2 {
		t.Fatalf("%s has %d rows; the test needs a few", path, len(out))
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeConfig writes the config.yml of the test's service. Short idling keeps the test fast;
// everything else is what a user writes.
func writeConfig(t *testing.T, dir, esURL string, useAPI bool) string {
	t.Helper()
	cfg := fmt.Sprintf(`elasticsearch:
  host: %s
  username: elastic
  password: changeme
  feature_use_connectors_api: %t
  retry_interval: 0.1
service:
  idling: 0.2
  log_level: DEBUG
connectors:
  - connector_id: %s
    service_type: %s
sources:
  %s: example.com/custom-connector/csvfile
`, esURL, useAPI, connectorID, serviceType, serviceType)
	p := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// describe returns the binary's default configuration for the source with values filled in.
func describe(t *testing.T, bin string, values map[string]any) map[string]any {
	t.Helper()
	out, err := exec.Command(bin, "source", "describe", serviceType, "--json").Output()
	if err != nil {
		t.Fatalf("source describe %s --json: %v\n%s", serviceType, err, out)
	}
	var schema struct {
		Configuration map[string]any `json:"configuration"`
	}
	if err := json.Unmarshal(out, &schema); err != nil {
		t.Fatalf("source describe %s --json printed no JSON object: %v\n%s", serviceType, err, out)
	}
	cfg := schema.Configuration
	for k, v := range values {
		field, ok := cfg[k].(map[string]any)
		if !ok {
			t.Fatalf("source describe %s --json has no field %q:\n%s", serviceType, k, out)
		}
		field["value"] = v
	}
	return cfg
}

var defaultRule = map[string]any{
	"id": "DEFAULT", "order": 0, "policy": "include", "field": "_", "rule": "regex", "value": ".*",
	"created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
}

func filteringRules() map[string]any {
	return map[string]any{
		"advanced_snippet": map[string]any{"value": map[string]any{}, "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00"},
		"rules":            []any{defaultRule},
		"validation":       map[string]any{"state": "valid", "errors": []any{}},
	}
}

var defaultPipeline = map[string]any{
	"name": "search-default-ingestion", "extract_binary_content": true, "reduce_whitespace": true, "run_ml_inference": true,
}

// connectorDoc is a configured connector document (service-spec §4.4 "CLI connector doc").
func connectorDoc(configuration map[string]any) map[string]any {
	never := map[string]any{"enabled": false, "interval": "0 0 0 * * ?"}
	return map[string]any{
		"api_key_id": nil, "api_key_secret_id": nil,
		"configuration": configuration,
		"index_name":    indexName, "name": "Team notes", "service_type": serviceType,
		"status": "configured", "is_native": false, "language": nil,
		"last_access_control_sync_error": nil, "last_access_control_sync_scheduled_at": nil, "last_access_control_sync_status": nil,
		"last_sync_status": nil, "last_sync_error": nil, "last_sync_scheduled_at": nil, "last_synced": nil, "last_seen": nil,
		"filtering":                   []any{map[string]any{"domain": "DEFAULT", "active": filteringRules(), "draft": filteringRules()}},
		"scheduling":                  map[string]any{"access_control": never, "full": never, "incremental": never},
		"custom_scheduling":           map[string]any{},
		"pipeline":                    defaultPipeline,
		"last_indexed_document_count": 0, "last_deleted_document_count": 0,
	}
}

// jobDoc is a pending on-demand full sync of the connector (service-spec §4.4 "Direct job doc").
func jobDoc(conn map[string]any) map[string]any {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00")
	active := conn["filtering"].([]any)[0].(map[string]any)["active"]
	return map[string]any{
		"connector": map[string]any{
			"id": connectorID, "filtering": active, "index_name": indexName, "language": nil,
			"pipeline": defaultPipeline, "service_type": serviceType, "configuration": conn["configuration"],
		},
		"trigger_method": "on_demand", "job_type": "full", "status": "pending",
		"indexed_document_count": 0, "indexed_document_volume": 0, "deleted_document_count": 0,
		"created_at": now, "last_seen": now,
	}
}

// esClient makes the REST calls a user would make with curl.
type esClient struct {
	t   *testing.T
	url string
}

func (c *esClient) do(method, path string, body any) (int, map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// The test stands in for Kibana, which may read and write the connector indices.
	req.Header.Set("X-elastic-product-origin", "kibana")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return res.StatusCode, nil, fmt.Errorf("%s %s: answer is not a JSON object: %s", method, path, raw)
		}
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, out, fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode, out, nil
}

func (c *esClient) must(method, path string, body any) map[string]any {
	c.t.Helper()
	_, out, err := c.do(method, path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// doc returns a document's _source, nil when it does not exist.
func (c *esClient) doc(index, id string) map[string]any {
	c.t.Helper()
	status, out, err := c.do("GET", "/"+index+"/_doc/"+id, nil)
	if status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	src, _ := out["_source"].(map[string]any)
	return src
}

// search returns every document of an index by _id.
func (c *esClient) search(index string) map[string]map[string]any {
	c.t.Helper()
	c.must("POST", "/"+index+"/_refresh", nil)
	out := c.must("POST", "/"+index+"/_search", map[string]any{"size": 1000, "query": map[string]any{"match_all": map[string]any{}}})
	hits, _ := out["hits"].(map[string]any)["hits"].([]any)
	docs := map[string]map[string]any{}
	for _, h := range hits {
		hit := h.(map[string]any)
		docs[hit["_id"].(string)], _ = hit["_source"].(map[string]any)
	}
	return docs
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// service is the running binary.
type service struct {
	*testproc.Proc
	t *testing.T
}

func startService(t *testing.T, bin, dir, cfgPath string) *service {
	t.Helper()
	cmd := exec.Command(bin, "run", "-c", cfgPath)
	cmd.Dir = dir // no stray .env from the repository
	return &service{Proc: testproc.Start(t, cmd), t: t}
}

// fatalf fails the test with the service's output, which usually says why.
func (s *service) fatalf(format string, args ...any) {
	s.t.Helper()
	state := "still running"
	if s.Exited() {
		state = fmt.Sprintf("exited: %v", s.Err)
	}
	s.t.Fatalf("%s\n--- custom-connector run (%s) ---\n%s", fmt.Sprintf(format, args...), state, s.Out.String())
}

// waitFor polls cond until it holds, the service exits, or syncTimeout passes.
func (s *service) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(syncTimeout)
	for !cond() {
		select {
		case <-s.Done:
			s.fatalf("the service exited while waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.fatalf("gave up after %s waiting for %s", syncTimeout, what)
		}
	}
}

// waitJob waits until the job has ended and returns its document.
func (s *service) waitJob(es *esClient, id string) map[string]any {
	s.t.Helper()
	var job map[string]any
	s.waitFor("sync job "+id+" to end", func() bool {
		job = es.doc(".elastic-connectors-sync-jobs", id)
		switch job["status"] {
		case "completed", "error", "canceled", "suspended":
			return true
		}
		return false
	})
	return job
}

// stop sends SIGTERM and expects a clean exit.
func (s *service) stop() {
	s.t.Helper()
	if !s.Terminate(stopTimeout) {
		s.fatalf("the service did not exit within %s of SIGTERM", stopTimeout)
	}
	if s.Err != nil {
		s.fatalf("after SIGTERM the service exited with %v, want status 0", s.Err)
	}
}
