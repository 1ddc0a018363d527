package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/protocol"
	syncer "github.com/connectors-go/connectors/internal/sync"
	"github.com/connectors-go/connectors/internal/testproc"
)

// jobCluster is a cluster with connector c1 (index search-j, source dir)
// and connector bare (no index), and the CLI configured for a mode.
func jobCluster(t *testing.T, modeExtra string) *cluster {
	t.Helper()
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, modeExtra)
	c.do("PUT", "/_connector/c1", map[string]any{"index_name": "search-j", "service_type": "dir", "name": "c1"}, nil)
	c.do("PUT", "/_connector/bare", map[string]any{"service_type": "dir", "name": "bare"}, nil)
	return c
}

var startedRE = regexp.MustCompile(`The job (\S+) has been started\.`)

func startJobCLI(t *testing.T, args ...string) string {
	t.Helper()
	r := runIn(t, "", nil, append([]string{"job", "start"}, args...)...)
	r.expect(t, 0)
	m := startedRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no job id in %q", r.stdout)
	}
	return m[1]
}

func (c *cluster) setJobStatus(id string, st protocol.JobStatus) {
	c.t.Helper()
	c.do("POST", "/"+protocol.JobsAlias+"/_update/"+id+"?refresh=true", map[string]any{"doc": map[string]any{"status": st}}, nil)
}

func TestJobStart(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			tests := []struct {
				name string
				args []string
				code int
				want string
				kind protocol.JobType
			}{
				{"text", []string{"-i", "c1", "-t", "full"}, 0, "has been started.", protocol.JobFull},
				{"json", []string{"-i", "c1", "-t", "ACCESS_CONTROL", "-o", "json"}, 0, "{\n    \"id\": \"", protocol.JobAccessControl},
				{"long flags", []string{"--connector-id", "c1", "--job-type", "incremental", "--format", "text"}, 0, "has been started.", protocol.JobIncremental},
				{"unknown connector", []string{"-i", "nope", "-t", "full"}, 1, "connector nope not found", ""},
				{"connector without index", []string{"-i", "bare", "-t", "full"}, 1, "index", ""},
				{"bad type", []string{"-i", "c1", "-t", "partial"}, 2, `unknown job type "partial"`, ""},
				{"bad format", []string{"-i", "c1", "-t", "full", "-o", "yaml"}, 2, `unknown format "yaml"`, ""},
				{"type required", []string{"-i", "c1"}, 2, `required flag(s) "job-type" not set`, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := runIn(t, "", nil, append([]string{"job", "start"}, tt.args...)...)
					r.expect(t, tt.code, tt.want)
					if tt.code != 0 {
						if strings.Contains(r.stdout, "started") {
							t.Fatalf("claims success on failure: %s", r.stdout)
						}
						return
					}
					var id string
					if m := startedRE.FindStringSubmatch(r.stdout); m != nil {
						id = m[1]
					} else {
						var out map[string]string
						if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
							t.Fatalf("not JSON: %q", r.stdout)
						}
						id = out["id"]
					}
					j := c.job(id)
					wantIndex := "search-j"
					if tt.kind == protocol.JobAccessControl {
						wantIndex = ".search-acl-filter-search-j"
					}
					if j.Status != protocol.JobPending || j.JobType != tt.kind || j.TriggerMethod != protocol.TriggerOnDemand || j.Connector.ID != "c1" || j.Connector.IndexName != wantIndex {
						t.Fatalf("job %+v", j)
					}
				})
			}
		})
	}
}

func TestJobList(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			r := runIn(t, "", nil, "job", "list", "c1")
			r.expect(t, 0, "No jobs found")
			if strings.Contains(r.stdout, "Showing") {
				t.Fatalf("says both: %s", r.stdout)
			}
			first := startJobCLI(t, "-i", "c1", "-t", "full")
			// created_at is a date with millisecond precision: keep the two
			// creations apart so the order is defined.
			time.Sleep(3 * time.Millisecond)
			second := startJobCLI(t, "-i", "c1", "-t", "incremental")
			c.do("PUT", "/_connector/c2", map[string]any{"index_name": "search-other", "service_type": "dir", "name": "c2"}, nil)
			other := startJobCLI(t, "-i", "c2", "-t", "full")
			c.setJobStatus(first, protocol.JobCompleted)
			c.refresh()
			r = runIn(t, "", nil, "job", "list", "c1")
			r.expect(t, 0, "Showing 2 jobs", "Job id", "Volume documents indexed (MiB)", "completed", "pending", "incremental")
			if a, b := strings.Index(r.stdout, first), strings.Index(r.stdout, second); a < 0 || b < a {
				t.Fatalf("not oldest first:\n%s", r.stdout)
			}
			if strings.Contains(r.stdout, other) {
				t.Fatalf("lists another connector's job:\n%s", r.stdout)
			}
		})
	}
}

// takenOverJob runs job id through what the service records in its
// metadata, with the protocol's own writes: a claim by host-a-1, which stops
// reporting; host-b-7 finds it lost and suspends it (a takeover), claims it
// again, and ends it in error with part of the listing unread.
func (c *cluster) takenOverJob(id string) {
	c.t.Helper()
	ctx := context.Background()
	store := c.store()
	a := protocol.Worker{Hostname: "host-a", Instance: "host-a-1"}
	b := protocol.Worker{Hostname: "host-b", Instance: "host-b-7"}
	if _, err := store.Claim(ctx, c.job(id), a); err != nil {
		c.t.Fatal(err)
	}
	if st, err := store.ReleaseLostJob(ctx, c.job(id), protocol.LostWorker{By: b, Resume: true, Silent: 320 * time.Second}); err != nil || st != protocol.JobSuspended {
		c.t.Fatalf("release: %s %v", st, err)
	}
	j, err := store.Claim(ctx, c.job(id), b)
	if err != nil {
		c.t.Fatal(err)
	}
	inc := syncer.IncompleteListing{Count: 3, DeletionsSkipped: true, Parts: []syncer.IncompletePart{
		{Scope: "folder /private", Error: "permission denied"}, {Scope: "folder /tmp", Error: "vanished"}}}
	if _, err := store.FinishJob(ctx, j, protocol.JobResult{Status: protocol.JobError, Error: "Incomplete sync",
		Stats: protocol.JobStats{IndexedDocumentCount: 12, Metadata: map[string]any{"incomplete_listing": inc}}}); err != nil {
		c.t.Fatal(err)
	}
	c.refresh()
}

func TestJobLifecycleShown(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			id := startJobCLI(t, "-i", "c1", "-t", "full")
			plain := startJobCLI(t, "-i", "c1", "-t", "incremental")
			c.setJobStatus(plain, protocol.JobCanceled)
			c.takenOverJob(id)

			text := runIn(t, "", nil, "job", "view", "--", id)
			text.expect(t, 0, "Worker instance", "host-b-7", "Takeovers", "Incomplete listing",
				"3 part(s) could not be read (the first 2 listed); no document was deleted",
				"Unread", "folder /private: permission denied", "folder /tmp: vanished",
				"History", "claimed", "host-a-1", "host host-a,", "worker_lost", "silent for 320 s", "detected by host-b-7", "outcome suspended",
				"resumed from start", "ended", "status error")
			if a, b := strings.Index(text.stdout, "worker_lost"), strings.Index(text.stdout, "ended"); a < 0 || b < a {
				t.Fatalf("history not in order:\n%s", text.stdout)
			}

			r := runIn(t, "", nil, "job", "view", "-o", "json", "--", id)
			r.expect(t, 0)
			var v jobView
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatal(err)
			}
			if v.WorkerInstance == nil || *v.WorkerInstance != "host-b-7" || v.Takeovers != 1 {
				t.Errorf("instance %v, takeovers %d:\n%s", v.WorkerInstance, v.Takeovers, r.stdout)
			}
			if inc := v.IncompleteListing; inc == nil || inc.Count != 3 || !inc.DeletionsSkipped || len(inc.Parts) != 2 || inc.Parts[0].Scope != "folder /private" {
				t.Errorf("incomplete_listing %+v", inc)
			}
			var events []string
			for _, e := range v.History {
				events = append(events, e.Event+"@"+e.Instance)
			}
			if got, want := strings.Join(events, " "), "claimed@host-a-1 worker_lost@host-a-1 claimed@host-b-7 ended@host-b-7"; got != want {
				t.Fatalf("history %s, want %s:\n%s", got, want, r.stdout)
			}
			lost, again, end := v.History[1], v.History[2], v.History[3]
			if lost.DetectedBy != "host-b-7" || lost.SilentSeconds == nil || *lost.SilentSeconds != 320 || lost.Outcome != "suspended" ||
				again.ResumedFrom != "start" || end.Status != "error" || end.At == "" {
				t.Errorf("event details lost %+v, claim %+v, end %+v", lost, again, end)
			}

			// A job nothing happened to: nulls and an empty history, no extra text rows.
			r = runIn(t, "", nil, "job", "view", "-o", "json", "--", plain)
			r.expect(t, 0, `"worker_instance": null`, `"takeovers": 0`, `"incomplete_listing": null`, `"history": []`)
			text = runIn(t, "", nil, "job", "view", "--", plain)
			text.expect(t, 0, "Worker instance")
			for _, absent := range []string{"Takeovers", "Incomplete listing", "History"} {
				if strings.Contains(text.stdout, absent) {
					t.Errorf("%q shown for a job without it:\n%s", absent, text.stdout)
				}
			}

			list := runIn(t, "", nil, "job", "list", "c1")
			list.expect(t, 0, "Worker instance", "Takeovers", "Unread parts", "host-b-7", "3 (no deletions)")
			list = runIn(t, "", nil, "job", "list", "c1", "-o", "json")
			list.expect(t, 0)
			var views []jobView
			if err := json.Unmarshal([]byte(list.stdout), &views); err != nil || len(views) != 2 {
				t.Fatalf("%v: %s", err, list.stdout)
			}
			found := false
			for _, v := range views {
				if v.JobID == id {
					found = true
					if v.Takeovers != 1 || len(v.History) != 4 || v.IncompleteListing == nil {
						t.Errorf("list -o json does not carry the lifecycle: %+v", v)
					}
				}
			}
			if !found {
				t.Errorf("job %s not listed:\n%s", id, list.stdout)
			}
		})
	}
}

// TestJobResumedFromCheckpointShown: a job whose last run resumed from a
// source's checkpoint and so skipped the deletion of stale documents says so
// in job view, as text and JSON; a job without it shows null and no row.
func TestJobResumedFromCheckpointShown(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			id := startJobCLI(t, "-i", "c1", "-t", "full")
			plain := startJobCLI(t, "-i", "c1", "-t", "full")
			ctx := context.Background()
			store := c.store()
			j, err := store.Claim(ctx, c.job(id), protocol.Worker{Hostname: "host-b", Instance: "host-b-7"})
			if err != nil {
				t.Fatal(err)
			}
			md := map[string]any{"resumed_from_checkpoint": &syncer.ResumedFromCheckpoint{DeletionsSkipped: true}}
			if _, err := store.FinishJob(ctx, j, protocol.JobResult{Status: protocol.JobCompleted,
				Stats: protocol.JobStats{IndexedDocumentCount: 12, Metadata: md}}); err != nil {
				t.Fatal(err)
			}
			c.refresh()

			text := runIn(t, "", nil, "job", "view", "--", id)
			text.expect(t, 0, "Resumed from checkpoint", "no stale document was deleted")
			r := runIn(t, "", nil, "job", "view", "-o", "json", "--", id)
			r.expect(t, 0, `"resumed_from_checkpoint": {`, `"deletions_skipped": true`)
			var v jobView
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatal(err)
			}
			if v.ResumedFromCheckpoint == nil || !v.ResumedFromCheckpoint.DeletionsSkipped {
				t.Errorf("resumed_from_checkpoint %+v:\n%s", v.ResumedFromCheckpoint, r.stdout)
			}

			r = runIn(t, "", nil, "job", "view", "-o", "json", "--", plain)
			r.expect(t, 0, `"resumed_from_checkpoint": null`)
			text = runIn(t, "", nil, "job", "view", "--", plain)
			text.expect(t, 0, "Worker instance")
			if strings.Contains(text.stdout, "Resumed from checkpoint") {
				t.Errorf("shown for a job without it:\n%s", text.stdout)
			}
		})
	}
}

func TestJobCancel(t *testing.T) {
	tests := []struct {
		name   string
		from   protocol.JobStatus
		args   []string
		stdin  string
		code   int
		want   string
		status protocol.JobStatus // afterwards
	}{
		{"pending is canceled at once", protocol.JobPending, []string{"--yes"}, "", 0, "has been canceled.", protocol.JobCanceled},
		{"suspended is canceled at once", protocol.JobSuspended, []string{"-y"}, "", 0, "has been canceled.", protocol.JobCanceled},
		{"running is asked to stop", protocol.JobInProgress, nil, "y\n", 0, "is being canceled", protocol.JobCanceling},
		{"already canceling", protocol.JobCanceling, []string{"--yes"}, "", 0, "already being canceled", protocol.JobCanceling},
		{"finished job", protocol.JobCompleted, []string{"--yes"}, "", 1, "is already completed: there is nothing to cancel", protocol.JobCompleted},
		{"failed job", protocol.JobError, []string{"--yes"}, "", 1, "is already error", protocol.JobError},
		{"declined", protocol.JobPending, nil, "n\n", 1, "Aborted!", protocol.JobPending},
		{"no answer", protocol.JobInProgress, nil, "", 1, "pass --yes", protocol.JobInProgress},
	}
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c := jobCluster(t, m.extra)
					id := startJobCLI(t, "-i", "c1", "-t", "full")
					if tt.from != protocol.JobPending {
						c.setJobStatus(id, tt.from)
					}
					runIn(t, tt.stdin, nil, append(append([]string{"job", "cancel"}, tt.args...), "--", id)...).expect(t, tt.code, tt.want)
					j := c.job(id)
					if j.Status != tt.status {
						t.Fatalf("job is %s, want %s", j.Status, tt.status)
					}
					if tt.status == protocol.JobCanceled && (j.CanceledAt == nil || j.CompletedAt == nil || j.CancelationRequestedAt == nil) {
						t.Fatalf("canceled job lacks timestamps: %+v", j)
					}
					if tt.status == protocol.JobCanceling && tt.from != protocol.JobCanceling && j.CancelationRequestedAt == nil {
						t.Fatal("no cancelation_requested_at")
					}
				})
			}
			t.Run("missing job", func(t *testing.T) {
				jobCluster(t, m.extra)
				runIn(t, "", nil, "job", "cancel", "nope", "--yes").expect(t, 1, "sync job nope not found")
			})
		})
	}
}

func TestJobView(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := jobCluster(t, m.extra)
			id := startJobCLI(t, "-i", "c1", "-t", "full")
			c.do("POST", "/"+protocol.JobsAlias+"/_update/"+id, map[string]any{"doc": map[string]any{
				"status": "error", "error": "disk full", "indexed_document_count": 12, "indexed_document_volume": 3, "deleted_document_count": 1,
			}}, nil)

			// Generated ids can start with '-': "--" ends the flags.
			text := runIn(t, "", nil, "job", "view", "--", id)
			text.expect(t, 0, "Job id", id, "Job status", "error", "Documents indexed", "12", "Volume documents indexed (MiB)", "Error", "disk full")

			r := runIn(t, "", nil, "job", "view", "-o", "json", "--", id)
			r.expect(t, 0)
			order := []string{"job_id", "connector_id", "index_name", "job_status", "job_type", "documents_indexed", "volume_documents_indexed", "documents_deleted"}
			last := -1
			for _, k := range order {
				i := strings.Index(r.stdout, `    "`+k+`": `)
				if i < last {
					t.Fatalf("key %s missing or out of order:\n%s", k, r.stdout)
				}
				last = i
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"job_id": id, "connector_id": "c1", "index_name": "search-j", "job_status": "error", "job_type": "full",
				"documents_indexed": float64(12), "volume_documents_indexed": float64(3), "documents_deleted": float64(1), "error": "disk full"}
			for k, w := range want {
				if v[k] != w {
					t.Errorf("%s = %#v, want %#v", k, v[k], w)
				}
			}

			runIn(t, "", nil, "job", "view", "nope").expect(t, 1, "sync job nope not found")
			runIn(t, "", nil, "job", "view", "nope", "-o", "json").expect(t, 1, "sync job nope not found")
		})
	}
}

// runAsync runs the command line in the background; the result arrives on
// the channel, and out/errb can be watched meanwhile.
func runAsync(t *testing.T, prepare func(*App), args ...string) (out, errb *testproc.Buffer, done <-chan result) {
	t.Helper()
	out, errb = &testproc.Buffer{}, &testproc.Buffer{}
	a := &App{Stdout: out, Stderr: errb, Getenv: func(string) string { return "" }, Exit: func(code int) { t.Errorf("unexpected forced exit %d", code) }}
	if prepare != nil {
		prepare(a)
	}
	root := a.rootCommand()
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	ch := make(chan result, 1)
	go func() {
		code := a.report("connectors", root.Execute())
		ch <- result{code, out.String(), errb.String()}
	}()
	return out, errb, ch
}

// waitFor blocks until the buffer holds want (the command's own output is
// the event the test reacts to), failing after a generous bound.
func waitFor(t *testing.T, b *testproc.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q:\n%s", want, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestJobWait(t *testing.T) {
	update := func(c *cluster, id string, doc map[string]any) {
		c.do("POST", "/"+protocol.JobsAlias+"/_update/"+id+"?refresh=true", map[string]any{"doc": doc}, nil)
	}
	tests := []struct {
		name  string
		end   map[string]any
		code  int
		wants []string
	}{
		{"completed", map[string]any{"status": "completed", "indexed_document_count": 10, "completed_at": protocol.Now()}, 0,
			[]string{"in_progress: 4 documents indexed, 0 deleted", "completed: 10 documents indexed", "Job status", "completed"}},
		{"error", map[string]any{"status": "error", "error": "the source went away", "completed_at": protocol.Now()}, 1,
			[]string{"error: 4 documents indexed", "the source went away", "ended error"}},
		{"canceled", map[string]any{"status": "canceled", "completed_at": protocol.Now()}, 1, []string{"ended canceled"}},
	}
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c := jobCluster(t, m.extra)
					id := startJobCLI(t, "-i", "c1", "-t", "full")
					out, _, done := runAsync(t, nil, "job", "wait", "--interval", "10ms", "--", id)
					waitFor(t, out, "pending")
					update(c, id, map[string]any{"status": "in_progress", "started_at": protocol.Now(), "indexed_document_count": 4})
					waitFor(t, out, "in_progress: 4 documents indexed")
					update(c, id, tt.end)
					r := <-done
					r.expect(t, tt.code, tt.wants...)
					if n := strings.Count(r.stdout, "in_progress: 4"); n != 1 {
						t.Errorf("a plain line per change, not per poll: %d lines for one state\n%s", n, r.stdout)
					}
				})
			}
		})
	}

	t.Run("live line on a terminal", func(t *testing.T) {
		c := jobCluster(t, "")
		id := startJobCLI(t, "-i", "c1", "-t", "full")
		tty := true
		out, _, done := runAsync(t, func(a *App) { a.tty = &tty }, "job", "wait", "--interval", "10ms", "--", id)
		waitFor(t, out, "pending")
		update(c, id, map[string]any{"status": "completed", "indexed_document_count": 3, "started_at": protocol.Now(), "completed_at": protocol.Now()})
		r := <-done
		r.expect(t, 0, "\r\x1b[KSync job "+id+" completed: 3 documents indexed")
	})

	t.Run("timeout", func(t *testing.T) {
		jobCluster(t, "")
		id := startJobCLI(t, "-i", "c1", "-t", "full")
		runIn(t, "", nil, "job", "wait", "--timeout", "50ms", "--interval", "10ms", "--", id).expect(t, ExitTimeout, "Gave up waiting", "it is still pending")
	})

	t.Run("json", func(t *testing.T) {
		c := jobCluster(t, "")
		id := startJobCLI(t, "-i", "c1", "-t", "full")
		update(c, id, map[string]any{"status": "completed", "indexed_document_count": 7})
		r := runIn(t, "", nil, "job", "wait", "-o", "json", "--", id)
		r.expect(t, 0)
		var v map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["documents_indexed"] != float64(7) {
			t.Fatalf("stdout is not the job's JSON (%v):\n%s", err, r.stdout)
		}
	})

	t.Run("start --wait", func(t *testing.T) {
		c := jobCluster(t, "")
		out, errb, done := runAsync(t, nil, "job", "start", "-i", "c1", "-t", "full", "--wait", "--interval", "10ms")
		waitFor(t, errb, "has been started")
		id := startedRE.FindStringSubmatch(errb.String())[1]
		waitFor(t, out, "pending")
		update(c, id, map[string]any{"status": "completed", "indexed_document_count": 2})
		(<-done).expect(t, 0, "completed: 2 documents indexed")
	})

	t.Run("missing job", func(t *testing.T) {
		jobCluster(t, "")
		runIn(t, "", nil, "job", "wait", "nope").expect(t, 1, "sync job nope not found")
	})
}
