package storetest

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// GoldenBody is a document's body as the golden files hold it: encoded the way the service
// sends it to Elasticsearch and decoded again, with "(content)" naming the content the
// document carries ("none" when it has none). body is the document's Body() after the test
// has replaced the values the emulator makes up per run.
func GoldenBody(t *testing.T, body map[string]any, content *connector.Content) map[string]any {
	t.Helper()
	name := "none"
	if content != nil {
		name = content.Name
	}
	body["(content)"] = name
	data, err := connector.MarshalJSON(body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// CompareGolden checks every field of every document in got against the golden file at path
// (rewritten first with -update); label is the field that names a document in failures.
func CompareGolden(t *testing.T, path, label string, got []map[string]any) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantData, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	if err := json.Unmarshal(wantData, &want); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d documents, golden has %d", len(got), len(want))
	}
	for i := range want {
		for k, wv := range want[i] {
			if gv, ok := got[i][k]; !ok || fmt.Sprint(gv) != fmt.Sprint(wv) {
				t.Errorf("document %d (%v): %s = %#v, golden %#v", i, want[i][label], k, got[i][k], wv)
			}
		}
		for k := range got[i] {
			if _, ok := want[i][k]; !ok {
				t.Errorf("document %d (%v): field %s is not in the golden file", i, want[i][label], k)
			}
		}
	}
}
