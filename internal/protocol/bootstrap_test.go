package protocol

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/sysindex"
)

func startBare(t *testing.T, version string) *es.Client {
	t.Helper()
	srv := estest.New(estest.Options{Version: version, NoEntSearch: true})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return client(t, srv.URL())
}

type indexView struct {
	Aliases  map[string]map[string]any `json:"aliases"`
	Mappings map[string]any            `json:"mappings"`
	Settings struct {
		Index struct {
			Hidden string `json:"hidden"`
		} `json:"index"`
	} `json:"settings"`
}

func getIndex(t *testing.T, c *es.Client, name string) indexView {
	t.Helper()
	var got map[string]indexView
	if err := c.Request(context.Background(), "GET", "/"+name+"?expand_wildcards=all", nil, &got); err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		return v
	}
	t.Fatalf("GET %s: empty answer", name)
	return indexView{}
}

func TestBootstrapBareCluster(t *testing.T) {
	for _, tt := range []struct {
		version, dynamic string
		hiddenAlias      bool
	}{{"9.6.0", "strict", true}, {"8.19.0", "false", false}} {
		t.Run(tt.version, func(t *testing.T) {
			c := startBare(t, tt.version)
			ctx := context.Background()
			major := int(tt.version[0] - '0')
			for i := 0; i < 2; i++ { // the second run finds everything in place
				if err := EnsureSystemIndices(ctx, c, BootstrapOptions{Major: major, Log: quiet()}); err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
			}
			for _, idx := range sysindex.Indices {
				v := getIndex(t, c, idx)
				alias, ok := v.Aliases[sysindex.AliasOf(idx)]
				if !ok {
					t.Fatalf("%s has no alias: %+v", idx, v.Aliases)
				}
				if (alias["is_hidden"] == true) != tt.hiddenAlias {
					t.Errorf("%s alias %v, want hidden %v", idx, alias, tt.hiddenAlias)
				}
				if v.Settings.Index.Hidden != "true" || v.Mappings["dynamic"] != tt.dynamic {
					t.Errorf("%s: hidden %q, dynamic %v", idx, v.Settings.Index.Hidden, v.Mappings["dynamic"])
				}
				if p := sysindex.CheckMapping(idx, v.Mappings); len(p) > 0 {
					t.Errorf("%s: %v", idx, p)
				}
			}
			var pipe map[string]any
			if err := c.Request(ctx, "GET", "/_ingest/pipeline/"+sysindex.DefaultPipeline, nil, &pipe); err != nil {
				t.Fatalf("default pipeline not installed: %v", err)
			}
			// The measured failure: a job written through the alias on a bare
			// cluster must be found by the service's own queries.
			s := open(t, c, ModeIndex)
			if err := c.Request(ctx, "PUT", "/"+ConnectorsAlias+"/_doc/c1?refresh=true", map[string]any{
				"service_type": "dir", "index_name": "search-c1", "status": "configured", "is_native": false, "deleted": false,
			}, nil); err != nil {
				t.Fatal(err)
			}
			conn, err := s.GetConnector(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			id, err := s.CreateJob(ctx, conn, JobFull, TriggerOnDemand)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Request(ctx, "POST", "/"+JobsAlias+"/_refresh", nil, nil); err != nil {
				t.Fatal(err)
			}
			jobs, err := s.ListJobs(ctx, JobQuery{ConnectorIDs: []string{"c1"}, Statuses: []JobStatus{JobPending}})
			if err != nil || len(jobs) != 1 || jobs[0].ID != id {
				t.Fatalf("pending jobs of c1: %v (err %v), want %s", jobs, err, id)
			}
		})
	}
}

func TestBootstrapWithEntSearchLeavesIndicesToElasticsearch(t *testing.T) {
	_, c := startES(t)
	ctx := context.Background()
	if err := EnsureSystemIndices(ctx, c, BootstrapOptions{Major: 9, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	// Created with an empty body: the module's definitions applied.
	v := getIndex(t, c, sysindex.JobsIndex)
	if _, ok := v.Aliases[JobsAlias]; !ok || v.Mappings["_meta"].(map[string]any)["created_by"] != nil {
		t.Fatalf("index not made by the cluster's own template: %+v", v)
	}
}

func TestBootstrapRefusesBrokenIndices(t *testing.T) {
	ctx := context.Background()
	kw := map[string]any{"type": "keyword"}
	tests := []struct {
		name    string
		prepare func(c *es.Client) error
		want    []string // substrings of the error
	}{
		{
			// What the service left behind before: empty mappings, no aliases,
			// and the connector written into an auto-created concrete index.
			name: "indices from an empty-body create and an auto-created alias name",
			prepare: func(c *es.Client) error {
				for _, idx := range sysindex.Indices {
					if err := c.Request(ctx, "PUT", "/"+idx, nil, nil); err != nil {
						return err
					}
				}
				return c.Request(ctx, "PUT", "/"+ConnectorsAlias+"/_doc/c1", map[string]any{"service_type": "dir"}, nil)
			},
			want: []string{".elastic-connectors is a concrete index", ".elastic-connectors-v1: index_name is not mapped (want keyword)",
				".elastic-connectors-sync-jobs-v1: connector.id is not mapped (want keyword)", "DELETE /.elastic-connectors,.elastic-connectors-v1,.elastic-connectors-sync-jobs-v1"},
		},
		{
			name: "connector.id mapped as text",
			prepare: func(c *es.Client) error {
				body := sysindex.CreateBody(sysindex.JobsIndex, 9)
				body["mappings"].(map[string]any)["properties"].(map[string]any)["connector"] = map[string]any{
					"properties": map[string]any{"id": map[string]any{"type": "text", "fields": map[string]any{"keyword": kw}}},
				}
				return c.Request(ctx, "PUT", "/"+sysindex.JobsIndex, body, nil)
			},
			want: []string{".elastic-connectors-sync-jobs-v1: connector.id is mapped as text (want keyword)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startBare(t, "9.6.0")
			if err := tt.prepare(c); err != nil {
				t.Fatal(err)
			}
			err := EnsureSystemIndices(ctx, c, BootstrapOptions{Major: 9, Log: quiet()})
			var bad *IndexProblemError
			if !errors.As(err, &bad) {
				t.Fatalf("err = %v, want *IndexProblemError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestBootstrapAddsMissingAlias(t *testing.T) {
	c := startBare(t, "9.6.0")
	ctx := context.Background()
	body := sysindex.CreateBody(sysindex.ConnectorsIndex, 9)
	delete(body, "aliases")
	if err := c.Request(ctx, "PUT", "/"+sysindex.ConnectorsIndex, body, nil); err != nil {
		t.Fatal(err)
	}
	if err := EnsureSystemIndices(ctx, c, BootstrapOptions{Major: 9, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	if v := getIndex(t, c, sysindex.ConnectorsIndex); v.Aliases[ConnectorsAlias] == nil {
		t.Fatalf("alias not added: %+v", v.Aliases)
	}
}
