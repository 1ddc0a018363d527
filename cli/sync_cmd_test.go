package cli

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/protocol"
)

// syncSetup makes a cluster with a clitest connector emitting docs
// documents, and a service config.yml for it; it returns the connector id
// and the config path.
func syncSetup(t *testing.T, modeExtra string, docs int, serviceExtra string) (*cluster, string, string) {
	t.Helper()
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, modeExtra)
	values := writeJSONFile(t, `{"host": "h", "password": "p", "docs": `+strconv.Itoa(docs)+`}`)
	r := runIn(t, "", nil, "connector", "create", "--index-name", "search-s", "--service-type", "clitest", "--name", "s",
		"--index-language", "en", "--from-file", values)
	r.expect(t, 0)
	id, _ := created(t, r)
	cfg := serviceConfigFor(t, c, modeExtra+serviceExtra+"sources:\n  clitest: test source\n")
	return c, id, cfg
}

var syncedRE = regexp.MustCompile(`Sync job (\S+) (\S+) after \S+: (\d+) documents indexed \(\d+ MiB\), (\d+) deleted, (\d+) in index search-s\.`)

func TestSyncRunsOneJob(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c, id, cfg := syncSetup(t, m.extra, 5, "")
			r := runIn(t, "", nil, "sync", "-c", cfg, "--connector-id", id)
			r.expect(t, 0, "Created a sync job")
			got := syncedRE.FindStringSubmatch(r.stdout)
			if got == nil || got[2] != "completed" || got[3] != "5" || got[5] != "5" {
				t.Fatalf("summary %q", r.stdout)
			}
			j := c.job(got[1])
			if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 5 || j.TriggerMethod != protocol.TriggerOnDemand {
				t.Fatalf("job %+v", j)
			}
			if conn := c.connector(id); conn.LastSyncStatus == nil || *conn.LastSyncStatus != protocol.JobCompleted {
				t.Fatalf("connector last_sync_status %v", conn.LastSyncStatus)
			}
			if n := c.count("search-s"); n != 5 {
				t.Fatalf("%d documents in the index", n)
			}

			// A waiting job is taken rather than a new one created.
			pending := startJobCLI(t, "-i", id, "-t", "full")
			c.refresh()
			r = runIn(t, "", nil, "sync", "-c", cfg, "--connector-id", id, "--job-type", "full")
			r.expect(t, 0, "Taking the connector's waiting job", "Sync job "+pending+" completed")
		})
	}
}

func TestSyncFailures(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *cluster, id string) []string
		code    int
		want    []string
	}{
		{"source fails", func(t *testing.T, c *cluster, id string) []string {
			c.do("PUT", "/_connector/d1", map[string]any{"index_name": "search-d", "service_type": "dir", "name": "d"}, nil)
			conf, err := testDirConfiguration("/nonexistent/folder")
			if err != nil {
				t.Fatal(err)
			}
			c.do("PUT", "/_connector/d1/_configuration", map[string]any{"configuration": conf}, nil)
			return []string{"--connector-id", "d1"}
		}, 1, []string{" error after ", "Error: ", "/nonexistent/folder"}},
		{"unknown connector", func(t *testing.T, c *cluster, id string) []string {
			return []string{"--connector-id", "nope"}
		}, 1, []string{"connector nope not found"}},
		{"already running elsewhere", func(t *testing.T, c *cluster, id string) []string {
			job := startJobCLI(t, "-i", id, "-t", "full")
			c.setJobStatus(job, protocol.JobInProgress)
			c.do("POST", "/"+protocol.ConnectorsAlias+"/_update/"+id+"?refresh=true", map[string]any{"doc": map[string]any{"last_sync_status": "in_progress"}}, nil)
			return []string{"--connector-id", id}
		}, 1, []string{"is already running (job "}},
		{"bad job type", func(t *testing.T, c *cluster, id string) []string {
			return []string{"--connector-id", id, "-t", "everything"}
		}, 2, []string{`unknown job type "everything"`}},
		{"connector id required", func(t *testing.T, c *cluster, id string) []string { return nil }, 2, []string{`"connector-id" not set`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, id, cfg := syncSetup(t, "", 3, "")
			args := append([]string{"sync", "-c", cfg}, tt.prepare(t, c, id)...)
			runIn(t, "", nil, args...).expect(t, tt.code, tt.want...)
			if tt.name == "already running elsewhere" {
				c.refresh()
				jobs, err := c.store().ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{id}})
				if err != nil || len(jobs) != 1 {
					t.Fatalf("%d jobs (%v), want only the running one", len(jobs), err)
				}
			}
		})
	}
}

// testDirConfiguration is the dir source's configuration for a folder.
func testDirConfiguration(folder string) (map[string]any, error) {
	f, ok := connector.Lookup("dir")
	if !ok {
		return nil, errors.New("dir is not registered")
	}
	return f.ConfigurationWith(map[string]any{"directory": folder})
}

func TestSyncSignalSuspendsAndRerunResumes(t *testing.T) {
	// Small bulks, so progress shows before the interruption.
	c, id, cfg := syncSetup(t, "", 400, "  bulk:\n    chunk_size: 10\n")
	testDelay.Store(int64(20 * time.Millisecond))
	defer testDelay.Store(0)
	oldEvery := syncProgressEvery
	syncProgressEvery = 50 * time.Millisecond
	defer func() { syncProgressEvery = oldEvery }()

	sigs := make(chan os.Signal, 2)
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			jobs, err := c.store().ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{id}})
			if err == nil && len(jobs) == 1 {
				if j, err := c.store().GetJob(context.Background(), jobs[0].ID); err == nil && j.Status == protocol.JobInProgress && j.IndexedDocumentCount > 0 {
					time.Sleep(300 * time.Millisecond) // let a progress line or two out
					sigs <- syscall.SIGINT
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	r := runIn(t, "", func(a *App) { a.Signals = sigs }, "sync", "-c", cfg, "--connector-id", id)
	r.expect(t, 1, "Sync progress", "suspended after", "run the same command again to resume it")
	first := syncedRE.FindStringSubmatch(r.stdout)
	if first == nil {
		t.Fatalf("summary %q", r.stdout)
	}
	if j := c.job(first[1]); j.Status != protocol.JobSuspended {
		t.Fatalf("job is %s after SIGINT", j.Status)
	}

	testDelay.Store(0)
	c.refresh()
	r = runIn(t, "", nil, "sync", "-c", cfg, "--connector-id", id)
	r.expect(t, 0, "Taking the connector's waiting job")
	second := syncedRE.FindStringSubmatch(r.stdout)
	if second == nil || second[1] != first[1] || second[2] != "completed" || second[5] != "400" {
		t.Fatalf("resumed run: %q (first job %s)", r.stdout, first[1])
	}
}
