package protocol

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
)

var modes = []Mode{ModeAPI, ModeIndex}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func client(t testing.TB, url string) *es.Client {
	t.Helper()
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	cfg.RetryInterval = 0.01
	c, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startES(t *testing.T) (*estest.Server, *es.Client) {
	t.Helper()
	srv := estest.New(estest.Options{})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, client(t, srv.URL())
}

func open(t testing.TB, c *es.Client, mode Mode) *Store {
	t.Helper()
	s, err := Open(context.Background(), c, Options{Force: mode, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seed creates connectors through the connector API (as Kibana does) and
// pending jobs through the store under test.
func seed(t *testing.T, c *es.Client, s *Store, connectors, jobsEach int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := 0; i < connectors; i++ {
		id := fmt.Sprintf("c%d", i)
		if err := c.Request(ctx, "PUT", "/_connector/"+id, map[string]any{"index_name": "search-" + id, "service_type": "dir", "name": id}, nil); err != nil {
			t.Fatal(err)
		}
		conn, err := s.GetConnector(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < jobsEach; j++ {
			jid, err := s.CreateJob(ctx, conn, JobFull, TriggerOnDemand)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, jid)
		}
	}
	if err := c.Request(ctx, "POST", "/"+JobsAlias+"/_refresh", nil, nil); err != nil {
		t.Fatal(err)
	}
	return ids
}

// claimAll claims and completes pending jobs until none is left, calling
// claimed for each job this worker won.
func claimAll(ctx context.Context, s *Store, worker string, claimed func(id string)) error {
	idle := 0
	for idle < 20 {
		jobs, err := s.ListJobs(ctx, JobQuery{Statuses: []JobStatus{JobPending, JobSuspended}})
		if err != nil {
			return err
		}
		if len(jobs) == 0 {
			idle++
			time.Sleep(20 * time.Millisecond)
			continue
		}
		idle = 0
		progress := false
		for _, j := range jobs {
			got, err := s.Claim(ctx, j, Worker{Hostname: worker})
			var nc *NotClaimableError
			if errors.As(err, &nc) {
				continue
			}
			if err != nil {
				return fmt.Errorf("claim %s: %w", j.ID, err)
			}
			progress = true
			claimed(got.ID)
			if got.Status != JobInProgress || got.WorkerHostname == nil || *got.WorkerHostname != worker {
				return fmt.Errorf("claimed job %s is %s on %v", got.ID, got.Status, got.WorkerHostname)
			}
			if _, err := s.FinishJob(ctx, got, JobResult{Status: JobCompleted}); err != nil {
				return err
			}
		}
		if !progress {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

func TestClaimExactlyOnceAcrossGoroutines(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			ids := seed(t, c, open(t, c, mode), 10, 10)
			var mu gosync.Mutex
			claims := map[string][]string{}
			var wg gosync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				worker := fmt.Sprintf("w%d", w)
				store := open(t, c, mode) // each worker its own store, as separate instances would
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- claimAll(context.Background(), store, worker, func(id string) {
						mu.Lock()
						claims[id] = append(claims[id], worker)
						mu.Unlock()
					})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			checkExactlyOnce(t, ids, claims)
		})
	}
}

func checkExactlyOnce(t *testing.T, ids []string, claims map[string][]string) {
	t.Helper()
	for _, id := range ids {
		if n := len(claims[id]); n != 1 {
			t.Errorf("job %s claimed %d times by %v", id, n, claims[id])
		}
	}
	if len(claims) != len(ids) {
		t.Errorf("%d jobs claimed, %d created", len(claims), len(ids))
	}
}

// TestHelperClaimer is run as a child process by the cross-process test.
func TestHelperClaimer(t *testing.T) {
	url := os.Getenv("CLAIMER_ES_URL")
	if url == "" {
		t.Skip("helper process for TestClaimExactlyOnceAcrossProcesses")
	}
	s := open(t, client(t, url), Mode(os.Getenv("CLAIMER_MODE")))
	worker := os.Getenv("CLAIMER_NAME")
	err := claimAll(context.Background(), s, worker, func(id string) { fmt.Printf("CLAIMED %s\n", id) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestClaimExactlyOnceAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			srv, c := startES(t)
			ids := seed(t, c, open(t, c, mode), 10, 10)
			claims := map[string][]string{}
			var mu gosync.Mutex
			var wg gosync.WaitGroup
			for p := 0; p < 3; p++ {
				name := fmt.Sprintf("proc%d", p)
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperClaimer$", "-test.v")
				cmd.Env = append(os.Environ(), "CLAIMER_ES_URL="+srv.URL(), "CLAIMER_MODE="+string(mode), "CLAIMER_NAME="+name)
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					sc := bufio.NewScanner(out)
					var lines []string
					for sc.Scan() {
						line := sc.Text()
						lines = append(lines, line)
						if id, ok := strings.CutPrefix(line, "CLAIMED "); ok {
							mu.Lock()
							claims[id] = append(claims[id], name)
							mu.Unlock()
						}
					}
					if err := cmd.Wait(); err != nil {
						t.Errorf("%s failed: %v\n%s\n%s", name, err, strings.Join(lines, "\n"), stderr.String())
					}
				}()
			}
			wg.Wait()
			checkExactlyOnce(t, ids, claims)
			workers := map[string]int{}
			for _, w := range claims {
				workers[w[0]]++
			}
			keys := make([]string, 0)
			for k := range workers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			t.Logf("claims per process: %v", workers)
		})
	}
}

func TestClaimRefusesRunningAndTakesOverStaleLock(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			s := open(t, c, mode)
			ids := seed(t, c, s, 1, 2)
			ctx := context.Background()
			j1, _ := s.GetJob(ctx, ids[0])
			j2, _ := s.GetJob(ctx, ids[1])
			if _, err := s.Claim(ctx, j1, Worker{Hostname: "a"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.Claim(ctx, j2, Worker{Hostname: "b"})
			var nc *NotClaimableError
			if !errors.As(err, &nc) || !strings.Contains(nc.Why, "already running") {
				t.Fatalf("second claim while the first runs: %v", err)
			}
			// j1 disappears without finishing (its worker crashed and the job
			// was deleted); the connector still says in_progress.
			if err := s.DeleteJob(ctx, j1.ID); err != nil {
				t.Fatal(err)
			}
			if err := c.Request(ctx, "POST", "/"+JobsAlias+"/_refresh", nil, nil); err != nil {
				t.Fatal(err)
			}
			if conn, _ := s.GetConnector(ctx, "c0"); conn.SyncStatus(JobFull) != JobInProgress {
				t.Fatal("expected a stale lock")
			}
			got, err := s.Claim(ctx, j2, Worker{Hostname: "b"})
			if err != nil {
				t.Fatalf("stale lock should be taken over: %v", err)
			}
			// A job that is no longer pending is not claimed, and the lock is released.
			if _, err := s.FinishJob(ctx, got, JobResult{Status: JobCompleted}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Claim(ctx, j2, Worker{Hostname: "c"}); !errors.As(err, &nc) {
				t.Fatalf("claiming a completed job: %v", err)
			}
			if conn, _ := s.GetConnector(ctx, "c0"); conn.SyncStatus(JobFull) != JobCompleted {
				t.Fatalf("lock not released: %s", conn.SyncStatus(JobFull))
			}
		})
	}
}

func TestJobLifecycleDocuments(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			s := open(t, c, mode)
			ctx := context.Background()
			if err := c.Request(ctx, "PUT", "/_connector/c1", map[string]any{"index_name": "search-c1", "service_type": "dir", "name": "c1"}, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Request(ctx, "PUT", "/_connector/c1/_pipeline", map[string]any{"pipeline": map[string]any{"name": "my-pipe", "extract_binary_content": false, "reduce_whitespace": true, "run_ml_inference": false}}, nil); err != nil {
				t.Fatal(err)
			}
			conn, err := s.GetConnector(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Heartbeat(ctx, conn); err != nil {
				t.Fatal(err)
			}
			acl, err := s.CreateJob(ctx, conn, JobAccessControl, TriggerScheduled)
			if err != nil {
				t.Fatal(err)
			}
			j, err := s.GetJob(ctx, acl)
			if err != nil {
				t.Fatal(err)
			}
			if j.Connector.IndexName != ".search-acl-filter-search-c1" || j.Status != JobPending || j.TriggerMethod != TriggerScheduled || j.Pipeline().Name != "my-pipe" || j.Pipeline().ExtractBinaryContent {
				t.Fatalf("job snapshot %+v", j)
			}
			claimed, err := s.Claim(ctx, j, Worker{Hostname: "h"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateJobStats(ctx, claimed, JobStats{IndexedDocumentCount: 5, IndexedDocumentVolume: 1, DeletedDocumentCount: 2}); err != nil {
				t.Fatal(err)
			}
			total := int64(9)
			if _, err := s.FinishJob(ctx, claimed, JobResult{Status: JobError, Error: "boom", Stats: JobStats{IndexedDocumentCount: 6, DeletedDocumentCount: 2, TotalDocumentCount: &total}}); err != nil {
				t.Fatal(err)
			}
			j, _ = s.GetJob(ctx, acl)
			if j.Status != JobError || deref(j.Error) != "boom" || j.IndexedDocumentCount != 6 || j.CompletedAt == nil || *j.TotalDocumentCount != 9 {
				t.Fatalf("finished job %+v", j)
			}
			conn, _ = s.GetConnector(ctx, "c1")
			if conn.Status != StatusError || deref(conn.Error) != "boom" || conn.LastAccessControlSyncStatus == nil || *conn.LastAccessControlSyncStatus != JobError || conn.LastSeen == nil || conn.LastSyncStatus != nil {
				t.Fatalf("connector after an ACL job error: %+v", conn)
			}
		})
	}
}

func TestOpenProbesTheConnectorAPI(t *testing.T) {
	_, c := startES(t)
	s, err := Open(context.Background(), c, Options{UseAPI: true, Log: quiet()})
	if err != nil || s.Mode() != ModeAPI {
		t.Fatalf("mode %v err %v", s.Mode(), err)
	}
	s, err = Open(context.Background(), c, Options{UseAPI: false, Log: quiet()})
	if err != nil || s.Mode() != ModeIndex {
		t.Fatalf("mode %v err %v", s.Mode(), err)
	}
}

func TestTimestamps(t *testing.T) {
	for _, in := range []string{"2026-08-20T15:22:52.123456+00:00", "2023-05-25T12:30:00.000Z", "2023-12-04T08:45:50.567149Z", "2026-01-02T03:04:05", "2026-01-02"} {
		if _, err := ParseTime(in); err != nil {
			t.Errorf("ParseTime(%q): %v", in, err)
		}
	}
	ts := FormatTime(time.Date(2026, 8, 20, 15, 22, 52, 123456789, time.UTC))
	if ts != "2026-08-20T15:22:52.123456+00:00" {
		t.Errorf("FormatTime = %s", ts)
	}
}

// claimOne seeds one connector with one job and claims it for worker.
func claimOne(t *testing.T, c *es.Client, s *Store, worker string) *Job {
	t.Helper()
	ids := seed(t, c, s, 1, 1)
	j, err := s.GetJob(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(context.Background(), j, Worker{Hostname: "host", Instance: worker})
	if err != nil {
		t.Fatal(err)
	}
	if got.ClaimID() == "" || got.Instance() != worker || deref(got.WorkerHostname) != "host" {
		t.Fatalf("claim metadata %v, worker_hostname %s", got.Metadata, deref(got.WorkerHostname))
	}
	return got
}

// TestWritesOfAnEndedJobAreRefused is issue 17 point 1 at the document
// level: once a job was failed or taken over by another instance, neither
// the progress nor the final write of its old worker lands, and the
// connector keeps the summary of what really happened.
func TestWritesOfAnEndedJobAreRefused(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			s := open(t, c, mode)
			ctx := context.Background()
			mine := claimOne(t, c, s, "worker-a")
			if err := s.UpdateJobStats(ctx, mine, JobStats{IndexedDocumentCount: 3}); err != nil {
				t.Fatal(err)
			}

			// Another instance finds the job silent and fails it.
			reaper := open(t, c, mode)
			seen, _ := reaper.GetJob(ctx, mine.ID)
			if st, err := reaper.ReleaseLostJob(ctx, seen, LostWorker{By: Worker{Instance: "reaper"}, Message: "gone"}); err != nil || st != JobError {
				t.Fatalf("release: %s %v", st, err)
			}

			var no *NotOwnedError
			if err := s.UpdateJobStats(ctx, mine, JobStats{IndexedDocumentCount: 4}); !errors.As(err, &no) || no.Status != JobError {
				t.Fatalf("progress write after the job failed: %v", err)
			}
			res, err := s.FinishJob(ctx, mine, JobResult{Status: JobSuspended, Stats: JobStats{IndexedDocumentCount: 30500}})
			if !errors.As(err, &no) {
				t.Fatalf("suspend after the job failed: %v (%s)", err, res.Status)
			}
			j, _ := s.GetJob(ctx, mine.ID)
			if j.Status != JobError || deref(j.Error) != "gone" || j.IndexedDocumentCount != 3 {
				t.Fatalf("the failed job came back: %s %q indexed %d", j.Status, deref(j.Error), j.IndexedDocumentCount)
			}
			conn, _ := s.GetConnector(ctx, "c0")
			if conn.SyncStatus(JobFull) != JobError {
				t.Fatalf("connector summary %s", conn.SyncStatus(JobFull))
			}
			hist := j.History()
			if len(hist) != 2 || hist[0]["event"] != EventClaimed || hist[1]["event"] != EventWorkerLost || hist[1]["detected_by"] != "reaper" || hist[1]["instance"] != "worker-a" {
				t.Fatalf("history %v", hist)
			}
		})
	}
}

// TestTakenOverJobIsNotTheOldWorkers: a job released for resumption and
// claimed again is in_progress once more, but under a new claim, so the old
// worker's writes are still refused.
func TestTakenOverJobIsNotTheOldWorkers(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			s := open(t, c, mode)
			ctx := context.Background()
			old := claimOne(t, c, s, "worker-a")
			rp := &ResumePoint{Checkpoint: map[string]any{"path": "d/f0042"}, Indexed: 42, VolumeBytes: 4200}
			if err := s.UpdateJobStats(ctx, old, JobStats{IndexedDocumentCount: 50, Resume: rp}); err != nil {
				t.Fatal(err)
			}
			seen, _ := s.GetJob(ctx, old.ID)
			if st, err := s.ReleaseLostJob(ctx, seen, LostWorker{By: Worker{Instance: "b"}, Resume: true}); err != nil || st != JobSuspended {
				t.Fatalf("release: %s %v", st, err)
			}
			if conn, _ := s.GetConnector(ctx, "c0"); conn.SyncStatus(JobFull) != JobSuspended {
				t.Fatalf("lock not released: %s", conn.SyncStatus(JobFull))
			}
			suspended, _ := s.GetJob(ctx, old.ID)
			if suspended.Takeovers() != 1 {
				t.Fatalf("takeovers %d", suspended.Takeovers())
			}
			next, err := s.Claim(ctx, suspended, Worker{Hostname: "host", Instance: "b"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := next.Resume()
			if err != nil || got == nil || got.Checkpoint["path"] != "d/f0042" || got.Indexed != 42 || got.VolumeBytes != 4200 {
				t.Fatalf("resume point %+v %v", got, err)
			}
			hist := next.History()
			if last := hist[len(hist)-1]; last["event"] != EventClaimed || last["resumed_from"] != ResumedFromCheck || last["instance"] != "b" {
				t.Fatalf("history %v", hist)
			}

			var no *NotOwnedError
			if _, err := s.FinishJob(ctx, old, JobResult{Status: JobCompleted}); !errors.As(err, &no) || no.Status != JobInProgress || no.Instance != "b" {
				t.Fatalf("old worker's end after the takeover: %v", err)
			}
			if _, err := s.FinishJob(ctx, next, JobResult{Status: JobCompleted, Stats: JobStats{IndexedDocumentCount: 100}}); err != nil {
				t.Fatal(err)
			}
			done, _ := s.GetJob(ctx, old.ID)
			if done.Status != JobCompleted || done.IndexedDocumentCount != 100 || done.Metadata[MetaResume] != nil {
				t.Fatalf("completed job %s indexed %d resume %v", done.Status, done.IndexedDocumentCount, done.Metadata[MetaResume])
			}
		})
	}
}

// TestCancelRequestDoesNotBreakTheClaim: a cancellation request changes
// the job under its worker; the worker's writes go on, and a suspend
// becomes canceled so that the request is honoured.
func TestCancelRequestDoesNotBreakTheClaim(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			_, c := startES(t)
			s := open(t, c, mode)
			ctx := context.Background()
			mine := claimOne(t, c, s, "a")
			other := open(t, c, mode)
			seen, _ := other.GetJob(ctx, mine.ID)
			if err := other.SetJobCanceling(ctx, seen); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateJobStats(ctx, mine, JobStats{IndexedDocumentCount: 1}); err != nil {
				t.Fatalf("progress after a cancel request: %v", err)
			}
			res, err := s.FinishJob(ctx, mine, JobResult{Status: JobSuspended})
			if err != nil || res.Status != JobCanceled {
				t.Fatalf("end after a cancel request: %s %v", res.Status, err)
			}
			if j, _ := s.GetJob(ctx, mine.ID); j.Status != JobCanceled || j.CanceledAt == nil {
				t.Fatalf("job %s", j.Status)
			}
		})
	}
}
