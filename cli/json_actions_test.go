package cli

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/protocol"
)

// oneJSONDocument decodes stdout as exactly one JSON document: what -o json
// promises to scripts (docs/cli.md). Messages may go to stderr.
func oneJSONDocument(t *testing.T, r result) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(r.stdout)))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	if d.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", r.stdout)
	}
	return v
}

func wantJSON(t *testing.T, got map[string]any, want map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(got)
	var g, w any
	_ = json.Unmarshal(raw, &g)
	wraw, _ := json.Marshal(want)
	_ = json.Unmarshal(wraw, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON output %s, want %s", raw, wraw)
	}
}

// TestActionsPrintJSON: the commands that change something and report what
// they did (index clean and delete, job cancel, connector delete) print one
// JSON document with -o json, not their text message, like every other
// command that prints data.
func TestActionsPrintJSON(t *testing.T) {
	t.Run("index clean and delete", func(t *testing.T) {
		c := newCluster(t, estest.Options{})
		inTempDir(t)
		writeCLIConfigFor(t, c, "")
		c.seed("search-x", 4)
		r := runIn(t, "", nil, "index", "clean", "search-x", "-y", "-o", "json")
		r.expect(t, 0)
		wantJSON(t, oneJSONDocument(t, r), map[string]any{"index": "search-x", "documents_deleted": 4})
		r = runIn(t, "", nil, "index", "delete", "search-x", "-y", "-o", "json")
		r.expect(t, 0)
		wantJSON(t, oneJSONDocument(t, r), map[string]any{"index": "search-x", "deleted": true})
		if c.exists("search-x") {
			t.Fatal("the index is still there")
		}
	})

	for _, m := range cliModes {
		t.Run("job cancel/"+m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			for _, tt := range []struct {
				from, want protocol.JobStatus
			}{
				{protocol.JobPending, protocol.JobCanceled},
				{protocol.JobInProgress, protocol.JobCanceling},
				{protocol.JobCanceling, protocol.JobCanceling},
			} {
				id := startJobCLI(t, "-i", "c1", "-t", "full")
				if tt.from != protocol.JobPending {
					c.setJobStatus(id, tt.from)
				}
				r := runIn(t, "", nil, "job", "cancel", "-y", "-o", "json", "--", id)
				r.expect(t, 0)
				wantJSON(t, oneJSONDocument(t, r), map[string]any{"job_id": id, "previous_status": tt.from, "job_status": tt.want})
				if got := c.job(id).Status; got != tt.want {
					t.Fatalf("job is %s, want %s", got, tt.want)
				}
			}
		})

		t.Run("connector delete/"+m.name, func(t *testing.T) {
			c, id := manageCluster(t, m.extra)
			startJobCLI(t, "-i", id, "-t", "full")
			r := runIn(t, "", nil, "connector", "delete", id, "--delete-sync-jobs", "--delete-index", "-y", "-o", "json")
			r.expect(t, 0)
			want := map[string]any{"connector_id": id, "deleted": true, "index_deleted": "search-m", "sync_jobs_deleted": true}
			if m.name == "index" {
				// Without the _connector API the CLI deletes the jobs itself
				// and knows how many.
				want["sync_jobs_deleted_count"] = 1
			}
			wantJSON(t, oneJSONDocument(t, r), want)
			if c.exists("search-m") {
				t.Fatal("the index is still there")
			}
			_, id2 := manageConnectorAgain(t)
			r = runIn(t, "", nil, "connector", "delete", id2, "-y", "-o", "json")
			r.expect(t, 0)
			wantJSON(t, oneJSONDocument(t, r), map[string]any{"connector_id": id2, "deleted": true, "sync_jobs_deleted": false})
			if !c.exists("search-m2") {
				t.Fatal("the index was deleted without --delete-index")
			}
		})
	}
}

// manageConnectorAgain creates a second connector in the cluster of the
// current directory's .cli/config.yml.
func manageConnectorAgain(t *testing.T) (result, string) {
	t.Helper()
	values := writeJSONFile(t, `{"host": "db.example", "port": 5433, "password": "hunter2"}`)
	r := runIn(t, "", nil, "connector", "create", "--index-name", "search-m2", "--service-type", "clitest",
		"--name", "M2", "--index-language", "en", "--from-file", values)
	r.expect(t, 0, "has been created!")
	id, _ := created(t, r)
	return r, id
}
