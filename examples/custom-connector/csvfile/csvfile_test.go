package csvfile_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"

	"example.com/custom-connector/csvfile"
)

// writeFile writes content to a file in a fresh temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func rows(n int) string {
	var b strings.Builder
	b.WriteString("sku,name,price,updated\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "SKU-%03d,\"Item %d, boxed\",%d.50,2026-01-%02dT10:00:00Z\n", i, i, i, i%28+1)
	}
	return b.String()
}

func TestAcceptance(t *testing.T) {
	path := writeFile(t, "items.csv", rows(25))
	conflicting := writeFile(t, "conflict.csv", "sku,_id\nA,1\n")
	connectortest.Run(t, csvfile.Factory,
		map[string]any{"path": path, "id_column": "sku", "timestamp_column": "updated"},
		connectortest.ExpectDocs(25),
		connectortest.InvalidConfig(map[string]any{"path": filepath.Join(t.TempDir(), "missing.csv")}, "path"),
		connectortest.InvalidConfig(map[string]any{"path": t.TempDir()}, "path"),
		connectortest.InvalidConfig(map[string]any{"id_column": "id"}, "id_column"),
		connectortest.InvalidConfig(map[string]any{"timestamp_column": "modified"}, "timestamp_column"),
		connectortest.InvalidConfig(map[string]any{"columns": "name,colour"}, "columns"),
		connectortest.InvalidConfig(map[string]any{"path": conflicting}, "columns"),
		connectortest.InvalidConfig(map[string]any{"delimiter": ";"}, "delimiter"),
	)
}

// sync runs a full sync of content under the given configuration values.
func sync(t *testing.T, content string, values map[string]any) ([]connector.Document, error) {
	t.Helper()
	stored := csvfile.Factory.DefaultConfiguration()
	stored["path"].(map[string]any)["value"] = writeFile(t, "data.csv", content)
	for k, v := range values {
		stored[k].(map[string]any)["value"] = v
	}
	cfg, err := csvfile.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := csvfile.Factory.New(cfg, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var docs []connector.Document
	err = src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		docs = append(docs, d)
		return nil
	})
	return docs, err
}

func TestDocuments(t *testing.T) {
	tests := []struct {
		name    string
		content string
		values  map[string]any
		want    []connector.Document // Timestamp "file" stands for the file's modification time
	}{
		{
			name:    "id column named id is not repeated in the fields",
			content: "id,title\n1,One\n2,Two\n",
			want: []connector.Document{
				{ID: "1", Timestamp: "file", Fields: map[string]any{"title": "One"}},
				{ID: "2", Timestamp: "file", Fields: map[string]any{"title": "Two"}},
			},
		},
		{
			name:    "other id column stays a field; quoted delimiters and line breaks",
			content: "sku,note\nA-1,\"one, two\"\nA-2,\"line 1\nline 2\"\nA-3,\"say \"\"hi\"\"\"\n",
			values:  map[string]any{"id_column": "sku"},
			want: []connector.Document{
				{ID: "A-1", Timestamp: "file", Fields: map[string]any{"sku": "A-1", "note": "one, two"}},
				{ID: "A-2", Timestamp: "file", Fields: map[string]any{"sku": "A-2", "note": "line 1\nline 2"}},
				{ID: "A-3", Timestamp: "file", Fields: map[string]any{"sku": "A-3", "note": `say "hi"`}},
			},
		},
		{
			name:    "byte order mark before the first column",
			content: "\uFEFFid,title\n7,Seven\n",
			want:    []connector.Document{{ID: "7", Timestamp: "file", Fields: map[string]any{"title": "Seven"}}},
		},
		{
			name:    "timestamps are normalised; an empty cell falls back to the file's time",
			content: "id,changed\na,2026-02-03T04:05:06Z\nb,2026-02-03 04:05:06\nc,2026-02-03T05:05:06.5+01:00\nd,\n",
			values:  map[string]any{"timestamp_column": "changed"},
			want: []connector.Document{
				{ID: "a", Timestamp: "2026-02-03T04:05:06+00:00", Fields: map[string]any{"changed": "2026-02-03T04:05:06Z"}},
				{ID: "b", Timestamp: "2026-02-03T04:05:06+00:00", Fields: map[string]any{"changed": "2026-02-03 04:05:06"}},
				{ID: "c", Timestamp: "2026-02-03T04:05:06.500000+00:00", Fields: map[string]any{"changed": "2026-02-03T05:05:06.5+01:00"}},
				{ID: "d", Timestamp: "file", Fields: map[string]any{"changed": ""}},
			},
		},
		{
			name:    "a _timestamp column used as the timestamp column is not repeated",
			content: "id,_timestamp,x\na,2026-02-03T04:05:06Z,1\n",
			values:  map[string]any{"timestamp_column": "_timestamp"},
			want:    []connector.Document{{ID: "a", Timestamp: "2026-02-03T04:05:06+00:00", Fields: map[string]any{"x": "1"}}},
		},
		{
			name:    "selected columns only",
			content: "id,a,b,c\n1,x,y,z\n",
			values:  map[string]any{"columns": "c, a"},
			want:    []connector.Document{{ID: "1", Timestamp: "file", Fields: map[string]any{"a": "x", "c": "z"}}},
		},
		{
			name:    "semicolon",
			content: "id;a\n1;x,y\n",
			values:  map[string]any{"delimiter": csvfile.Semicolon},
			want:    []connector.Document{{ID: "1", Timestamp: "file", Fields: map[string]any{"a": "x,y"}}},
		},
		{
			name:    "tab",
			content: "id\ta\n1\tx y\n",
			values:  map[string]any{"delimiter": csvfile.Tab},
			want:    []connector.Document{{ID: "1", Timestamp: "file", Fields: map[string]any{"a": "x y"}}},
		},
		{
			name:    "pipe",
			content: "id|a\n1|x\n",
			values:  map[string]any{"delimiter": csvfile.Pipe},
			want:    []connector.Document{{ID: "1", Timestamp: "file", Fields: map[string]any{"a": "x"}}},
		},
		{
			name:    "header only",
			content: "id,a\n",
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := sync(t, tt.content, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			for i := range docs {
				if _, err := connector.ParseTime(docs[i].Timestamp); err != nil {
					t.Errorf("document %s: %v", docs[i].ID, err)
				}
			}
			for i := range tt.want {
				if tt.want[i].Timestamp == "file" && i < len(docs) {
					tt.want[i].Timestamp = docs[i].Timestamp // checked against the file below
				}
			}
			if !reflect.DeepEqual(docs, tt.want) {
				t.Fatalf("documents\n got %#v\nwant %#v", docs, tt.want)
			}
		})
	}
}

func TestFileTimeIsTheModificationTime(t *testing.T) {
	stored := csvfile.Factory.DefaultConfiguration()
	path := writeFile(t, "t.csv", "id\n1\n")
	mtime := time.Date(2025, 7, 8, 9, 10, 11, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	stored["path"].(map[string]any)["value"] = path
	cfg, err := csvfile.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, err := csvfile.New(cfg, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		got = d.Timestamp
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "2025-07-08T09:10:11+00:00" {
		t.Fatalf("timestamp %q, want the file's modification time", got)
	}
}

func TestDataErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		values  map[string]any
		want    []string // every string must appear in the error
	}{
		{"empty id", "id,a\n1,x\n,y\n", nil, []string{"line 3", `"id"`, "empty"}},
		{"duplicate id", "id,a\n1,x\n2,y\n1,z\n", nil, []string{"line 4", `"1"`, "line 2"}},
		{"bad timestamp", "id,t\n1,yesterday\n", map[string]any{"timestamp_column": "t"}, []string{"line 2", `"t"`, "yesterday"}},
		{"ragged row", "id,a\n1,x\n2\n", nil, []string{"data.csv", "line 3", "wrong number of fields"}},
		{"unterminated quote", "id,a\n1,\"x\n", nil, []string{"data.csv", "line 2"}},
		{"empty file", "", nil, []string{`configuration field "path"`, "empty"}},
		{"unnamed column", "id,,b\n1,2,3\n", nil, []string{`configuration field "path"`, "column 2"}},
		{"repeated column", "id,a,a\n1,2,3\n", nil, []string{`configuration field "path"`, `"a" twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sync(t, tt.content, tt.values)
			if err == nil {
				t.Fatal("sync succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPingAndValidateNameTheField(t *testing.T) {
	good := writeFile(t, "ok.csv", "id,title\n1,x\n")
	tests := []struct {
		name    string
		values  map[string]any
		ping    string // expected in Ping's error; "" means Ping succeeds
		validat string // expected in ValidateConfig's error; "" means it succeeds
	}{
		{"working", map[string]any{"path": good}, "", ""},
		{"missing file", map[string]any{"path": "/nonexistent/x.csv"}, `configuration field "path"`, `configuration field "path"`},
		{"directory", map[string]any{"path": t.TempDir()}, "not a regular file", "not a regular file"},
		{"unknown id column", map[string]any{"path": good, "id_column": "key"}, "", `configuration field "id_column": ` + good + ` has no column "key" (columns: id, title)`},
		{"unknown column", map[string]any{"path": good, "columns": "title,size"}, "", `configuration field "columns"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := csvfile.Factory.DefaultConfiguration()
			for k, v := range tt.values {
				stored[k].(map[string]any)["value"] = v
			}
			cfg, err := csvfile.Factory.NewConfig(stored)
			if err != nil {
				t.Fatal(err)
			}
			src, err := csvfile.New(cfg, connector.Env{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			check := func(what string, err error, want string) {
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: %v", what, err)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("%s: error %v, want one containing %q", what, err, want)
				}
			}
			check("Ping", src.Ping(context.Background()), tt.ping)
			check("ValidateConfig", src.(connector.ConfigValidator).ValidateConfig(context.Background()), tt.validat)
		})
	}
}

func TestCancelledContext(t *testing.T) {
	stored := csvfile.Factory.DefaultConfiguration()
	stored["path"].(map[string]any)["value"] = writeFile(t, "c.csv", rows(3))
	stored["id_column"].(map[string]any)["value"] = "sku"
	cfg, err := csvfile.Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, err := csvfile.New(cfg, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, err := range map[string]error{
		"Ping":           src.Ping(ctx),
		"ValidateConfig": src.(connector.ConfigValidator).ValidateConfig(ctx),
		"Docs":           src.Docs(ctx, connector.DocsRequest{}, func(connector.Document) error { return nil }),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
}
