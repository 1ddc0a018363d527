package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/rules"
)

// manageCluster is a cluster with a configured clitest connector, made by
// the CLI in one of the two protocol modes; it returns its id.
func manageCluster(t *testing.T, extra string) (*cluster, string) {
	t.Helper()
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, extra)
	values := writeJSONFile(t, `{"host": "db.example", "port": 5433, "password": "hunter2"}`)
	r := runIn(t, "", nil, "connector", "create", "--index-name", "search-m", "--service-type", "clitest",
		"--name", "M", "--index-language", "en", "--from-file", values)
	r.expect(t, 0, "has been created!")
	id, _ := created(t, r)
	return c, id
}

func TestConnectorGet(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			r := runIn(t, "", nil, "connector", "get", id)
			r.expect(t, 0, "Configuration host", "db.example", "Schedule full", "off, 0 0 0 * * ?", "search-default-ingestion", "0 basic rule(s) besides the default")
			if strings.Contains(r.stdout, "hunter2") {
				t.Fatalf("a sensitive value was printed:\n%s", r.stdout)
			}
			r = runIn(t, "", nil, "connector", "get", id, "-o", "json")
			r.expect(t, 0)
			var doc map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, r.stdout)
			}
			conf := doc["configuration"].(map[string]any)
			if doc["id"] != id || doc["index_name"] != "search-m" || conf["password"].(map[string]any)["value"] != "<redacted>" || conf["port"].(map[string]any)["value"] != float64(5433) {
				t.Fatalf("JSON %v", doc)
			}
			runIn(t, "", nil, "connector", "list", "-o", "json").expect(t, 0, `"id": "`+id+`"`, `"value": "<redacted>"`)
			runIn(t, "", nil, "connector", "get", "nope").expect(t, 1, "connector nope not found")
			if c.connector(id).Name != "M" {
				t.Fatal("get changed the connector")
			}
		})
	}
}

func TestConnectorUpdate(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			runIn(t, "", nil, "connector", "update", id, "--name", "New", "--description", "about", "--set", "port=6000", "--set", "host=h2").
				expect(t, 0, "Connector "+id+" updated: name, configuration (host, port).")
			conn := c.connector(id)
			if conn.Name != "New" || deref(conn.Description) != "about" || configValue(conn, "port") != float64(6000) || configValue(conn, "host") != "h2" || configValue(conn, "password") != "hunter2" {
				t.Fatalf("connector %+v, configuration %v", conn, conn.Configuration)
			}
			if conn.Status != protocol.StatusConfigured {
				t.Fatalf("status %s", conn.Status)
			}

			r := runIn(t, "s3cret\n", nil, "connector", "update", id, "--set-stdin", "password")
			r.expect(t, 0, "configuration (password)")
			if strings.Contains(r.stdout+r.stderr, "s3cret") || configValue(c.connector(id), "password") != "s3cret" {
				t.Fatalf("secret from stdin: stored %v, output %s%s", configValue(c.connector(id), "password"), r.stdout, r.stderr)
			}

			// The source's validation runs before anything is written.
			runIn(t, "", nil, "connector", "update", id, "--set", "port=70000", "--name", "Other").expect(t, 1, "port:")
			if configValue(c.connector(id), "port") != float64(6000) {
				t.Fatal("an invalid value was written")
			}
			runIn(t, "", nil, "connector", "update", id, "--set", "nope=1").expect(t, 2, "nope are not configuration fields of clitest")
			runIn(t, "", nil, "connector", "update", id, "--set", "port").expect(t, 2, "write KEY=VALUE")
			runIn(t, "", nil, "connector", "update", id).expect(t, 2, "nothing to change")

			c.do("PUT", "/_connector/other", map[string]any{"index_name": "search-other", "service_type": "dir", "name": "other"}, nil)
			runIn(t, "", nil, "connector", "update", id, "--index-name", "search-other").expect(t, 1, "index search-other already belongs to connector other")
			runIn(t, "", nil, "connector", "update", id, "--index-name", "search-n", "--index-language", "de").expect(t, 0, "index name, language")
			if conn := c.connector(id); conn.Index() != "search-n" || deref(conn.Language) != "de" {
				t.Fatalf("index %s language %v", conn.Index(), conn.Language)
			}
			runIn(t, "", nil, "connector", "update", id, "--name", "J", "-o", "json").expect(t, 0, `"name": "J"`)
		})
	}
}

func TestConnectorSchedule(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			runIn(t, "", nil, "connector", "schedule", id).expect(t, 0, "Sync type", "full", "no")
			r := runIn(t, "", nil, "connector", "schedule", id, "--full", "0 30 2 * * ?", "--incremental", "0 0/15 * * * ?")
			r.expect(t, 0, "have been updated", "0 30 2 * * ?", ":30")
			s := c.connector(id).Scheduling
			if !s.Full.Enabled || s.Full.Interval != "0 30 2 * * ?" || !s.Incremental.Enabled || s.Incremental.Interval != "0 0/15 * * * ?" || s.AccessControl.Enabled {
				t.Fatalf("scheduling %+v", s)
			}
			runIn(t, "", nil, "connector", "schedule", id, "--full", "off").expect(t, 0)
			if s := c.connector(id).Scheduling; s.Full.Enabled || s.Full.Interval != "0 30 2 * * ?" {
				t.Fatalf("off should keep the interval: %+v", s.Full)
			}
			runIn(t, "", nil, "connector", "schedule", id, "--full", "on").expect(t, 0)
			if !c.connector(id).Scheduling.Full.Enabled {
				t.Fatal("on did not enable")
			}
			runIn(t, "", nil, "connector", "schedule", id, "--full", "0 0 25 * * ?").expect(t, 2, `--full "0 0 25 * * ?"`)
			runIn(t, "", nil, "connector", "schedule", id, "--full", "0 0 0 * * *").expect(t, 2, "--full")
			runIn(t, "", nil, "connector", "schedule", id, "--access-control", "0 0 * * * ?").expect(t, 1, "document-level security off")

			r = runIn(t, "", nil, "connector", "schedule", id, "-o", "json")
			r.expect(t, 0)
			var out struct {
				Scheduling map[string]scheduleView `json:"scheduling"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			if full := out.Scheduling["full"]; !full.Enabled || len(full.Next) != 3 || !strings.HasSuffix(full.Next[0], "02:30") {
				t.Fatalf("full schedule %+v", full)
			}

			// A source without incremental syncs cannot have them scheduled.
			values := writeJSONFile(t, `{"directory": "/tmp"}`)
			r = runIn(t, "", nil, "connector", "create", "--index-name", "search-d", "--service-type", "dir", "--name", "d", "--index-language", "en", "--from-file", values)
			dirID, _ := created(t, r)
			runIn(t, "", nil, "connector", "schedule", dirID, "--incremental", "0 0 * * * ?").expect(t, 1, "does not support incremental syncs")
		})
	}
}

func TestConnectorRules(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			runIn(t, "", nil, "connector", "rules", id).expect(t, 0, "Active rules (valid)", "DEFAULT (default)")

			r := runIn(t, "", nil, "connector", "rules", id, "--rule", "exclude title contains top secret", "--rule", "include title starts_with doc")
			r.expect(t, 0, "valid and active", "top secret")
			_, entry, err := filteringOf(c.connector(id))
			if err != nil {
				t.Fatal(err)
			}
			got := entry.Active.Rules
			if len(got) != 3 || got[0].Policy != "exclude" || got[0].Value != "top secret" || got[1].Rule != "starts_with" || !got[2].IsDefault() || got[2].Order != 2 {
				t.Fatalf("active rules %+v", got)
			}
			if entry.Draft.State() != rules.StateValid || !sameRules(entry.Active, entry.Draft) {
				t.Fatalf("draft %+v", entry.Draft)
			}

			// Invalid rules are shown and nothing is written.
			r = runIn(t, "", nil, "connector", "rules", id, "--rule", "include title regex .*", "--rule", "exclude title regex (unclosed")
			r.expect(t, 1, "not valid; nothing was saved")
			_, after, _ := filteringOf(c.connector(id))
			if len(after.Active.Rules) != 3 || len(after.Draft.Rules) != 3 {
				t.Fatalf("invalid rules were written: %+v", after)
			}
			runIn(t, "", nil, "connector", "rules", id, "--rule", "exclude title").expect(t, 2, "POLICY FIELD RULE VALUE")
			runIn(t, "", nil, "connector", "rules", id, "--advanced", `{"q": 1}`).expect(t, 1, "does not support advanced sync rules")

			file := writeJSONFile(t, `[{"policy": "exclude", "field": "n", "rule": ">", "value": "5"}]`)
			runIn(t, "", nil, "connector", "rules", id, "--from-file", file, "-o", "json").expect(t, 0, `"field": "n"`, `"value": "5"`)
			runIn(t, "", nil, "connector", "rules", id, "--clear").expect(t, 0)
			if _, e, _ := filteringOf(c.connector(id)); len(e.Active.Rules) != 1 {
				t.Fatalf("--clear left %+v", e.Active.Rules)
			}
		})
	}
}

func TestConnectorPipeline(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			runIn(t, "", nil, "connector", "pipeline", id).expect(t, 0, "search-default-ingestion", "extract_binary_content")
			r := runIn(t, "", nil, "connector", "pipeline", id, "--name", "my-pipe", "--extract-binary-content=false")
			r.expect(t, 0, "have been updated", "ingest pipeline my-pipe does not exist")
			p := c.connector(id).EffectivePipeline()
			if p.Name != "my-pipe" || p.ExtractBinaryContent || !p.ReduceWhitespace || !p.RunMLInference {
				t.Fatalf("pipeline %+v", p)
			}
			runIn(t, "", nil, "connector", "pipeline", id, "-o", "json").expect(t, 0, `"extract_binary_content": false`)
		})
	}
}

func TestConnectorAPIKey(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			old := deref(c.connector(id).APIKeyID)
			r := runIn(t, "", nil, "connector", "api-key", id)
			r.expect(t, 0, "API key", "created for connector "+id, "previous key "+old+" has been invalidated", "connectors:\n    - api_key: ", "connector_id: "+id, "service_type: clitest")
			now := deref(c.connector(id).APIKeyID)
			if now == "" || now == old {
				t.Fatalf("api_key_id %q (was %q)", now, old)
			}
			var keys struct {
				APIKeys []struct {
					ID          string `json:"id"`
					Invalidated bool   `json:"invalidated"`
				} `json:"api_keys"`
			}
			c.do("GET", "/_security/api_key?name=search-m-connector", nil, &keys)
			state := map[string]bool{}
			for _, k := range keys.APIKeys {
				state[k.ID] = k.Invalidated
			}
			if !state[old] || state[now] {
				t.Fatalf("keys %+v: the old one should be invalidated, the new one not", keys.APIKeys)
			}
			r = runIn(t, "", nil, "connector", "api-key", id, "--keep-old", "-o", "json")
			r.expect(t, 0, `"encoded": "`, `"connectors": [`)
		})
	}
	t.Run("refused with an API key", func(t *testing.T) {
		c := newCluster(t, estest.Options{APIKeys: []string{"kid:ksecret"}})
		inTempDir(t)
		writeCLIConfigFor(t, c, "  api_key: kid:ksecret\n")
		c.do("PUT", "/_connector/k1", map[string]any{"index_name": "search-k", "service_type": "dir", "name": "k"}, nil)
		runIn(t, "", nil, "connector", "api-key", "k1").expect(t, 1, "sign in with a user name and password")
	})
}

func TestConnectorDelete(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			job := startJobCLI(t, "-i", id, "-t", "full")
			runIn(t, "n\n", nil, "connector", "delete", id).expect(t, 1, "Aborted!")
			r := runIn(t, "", nil, "connector", "delete", id, "--delete-sync-jobs", "--delete-index", "-y")
			r.expect(t, 0, "The connector "+id+" has been deleted.", "Index search-m has been deleted.")
			if m.name == "index" && !strings.Contains(r.stdout, "1 sync jobs deleted.") {
				t.Fatalf("jobs not deleted:\n%s", r.stdout)
			}
			runIn(t, "", nil, "connector", "get", id).expect(t, 1, "not found")
			if c.exists("search-m") {
				t.Fatal("the index is still there")
			}
			c.refresh()
			runIn(t, "", nil, "job", "view", job).expect(t, 1, "not found")
			runIn(t, "", nil, "connector", "list").expect(t, 0, "No connectors found")
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// advSource has advanced rules and checks them: {"tables": [...]} only.
var advSource = connector.Factory{
	ServiceType: "clitest_adv",
	DisplayName: "CLI test source with advanced rules",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true},
	Fields:      []connector.Field{{Key: "host", Label: "Host", Order: 1}},
	New: func(cfg *connector.Config, env connector.Env) (connector.Source, error) {
		return &advDocs{}, nil
	},
}

func init() { connector.Register(advSource) }

type advDocs struct{ testDocs }

func (advDocs) ValidateAdvancedRules(_ context.Context, value any) ([]string, error) {
	m, ok := value.(map[string]any)
	if !ok {
		return []string{"advanced rules must be an object"}, nil
	}
	var out []string
	for k := range m {
		if k != "tables" {
			out = append(out, fmt.Sprintf("unknown key %q: only \"tables\" is allowed", k))
		}
	}
	return out, nil
}

func TestConnectorAdvancedRules(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, m.extra)
			values := writeJSONFile(t, `{"host": "h"}`)
			id, _ := created(t, runIn(t, "", nil, "connector", "create", "--index-name", "search-adv", "--service-type", "clitest_adv",
				"--name", "adv", "--index-language", "en", "--from-file", values))
			runIn(t, "", nil, "connector", "rules", id, "--advanced", `{"views": ["v"]}`).
				expect(t, 1, "not valid; nothing was saved", `advanced_snippet: unknown key "views"`)
			file := filepath.Join(t.TempDir(), "adv.json")
			if err := os.WriteFile(file, []byte(`{"tables": ["a", "b"]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			runIn(t, "", nil, "connector", "rules", id, "--advanced", "@"+file).expect(t, 0, `Advanced rules: {"tables":["a","b"]}`)
			_, e, err := filteringOf(c.connector(id))
			if err != nil || !e.Active.HasAdvancedRules() || len(e.Active.Rules) != 1 {
				t.Fatalf("active rules %+v (%v)", e.Active, err)
			}
		})
	}
}
