package service

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/metrics"
	"github.com/connectors-go/connectors/internal/protocol"
)

// ckptSource emits n documents d-0 … d-(n-1), one per delay, saving a checkpoint every `every`
// documents; given a checkpoint it starts after it. It records where each run started.
type ckptSource struct {
	n, every int
	delay    time.Duration
	starts   *startLog
}

type startLog struct {
	mu     gosync.Mutex
	starts []int
}

func (l *startLog) add(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.starts = append(l.starts, i)
}

func (l *startLog) get() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int(nil), l.starts...)
}

func (s *ckptSource) Ping(context.Context) error { return nil }
func (s *ckptSource) Close() error               { return nil }
func (s *ckptSource) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	start := 0
	if next, ok := req.Checkpoint["next"].(float64); ok {
		start = int(next)
	}
	s.starts.add(start)
	for i := start; i < s.n; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.delay):
		}
		if err := emit(connector.Document{ID: fmt.Sprintf("d-%d", i), Fields: map[string]any{"i": i}}); err != nil {
			return err
		}
		if (i+1)%s.every == 0 {
			req.SaveCheckpoint(map[string]any{"next": i + 1})
		}
	}
	return nil
}

func withCkpt(n, every int, delay time.Duration, starts *startLog) func(*Deps) {
	f := connector.Factory{
		ServiceType: "slow",
		DisplayName: "Checkpointing",
		Fields:      []connector.Field{{Key: "note", Label: "Note", Optional: true}},
		New: func(*connector.Config, connector.Env) (connector.Source, error) {
			return &ckptSource{n: n, every: every, delay: delay, starts: starts}, nil
		},
	}
	return func(d *Deps) {
		d.Sources = func(st string) (connector.Factory, bool) {
			if st == "slow" {
				return f, true
			}
			return connector.Lookup(st)
		}
	}
}

func (e *env) store() *protocol.Store {
	e.t.Helper()
	st, err := protocol.Open(context.Background(), e.client, protocol.Options{Force: e.mode, Log: quiet()})
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// TestReapedJobIsNotResurrectedByShutdown is issue 17 point 1: a job failed by another instance
// while its worker is alive (a reaper with too short a threshold, a network partition) must stay
// failed when that worker later suspends it on SIGTERM.
func TestReapedJobIsNotResurrectedByShutdown(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			// The worker neither reports nor checks the job before its shutdown, so the race is
			// decided by the final write alone.
			s := e.service("alive", func(d *Deps) {
				withSlow(5*time.Millisecond, 100000)(d)
				d.StatsInterval, d.CancelCheckInterval = time.Hour, time.Hour
			})
			e.createSlowConnector(s, "c1")
			stop := runService(t, s, ActionSyncContent)
			id := e.startJob("c1", protocol.JobFull)
			e.waitJob(id, 10*time.Second, protocol.JobInProgress)
			time.Sleep(100 * time.Millisecond)

			reaper := e.store()
			seen, err := reaper.GetJob(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := reaper.ReleaseLostJob(context.Background(), seen, protocol.LostWorker{By: protocol.Worker{Instance: "reaper"}, Message: idleJobMessage}); err != nil || st != protocol.JobError {
				t.Fatalf("reaping: %s %v", st, err)
			}
			stop() // SIGTERM: the worker tries to record the job as suspended

			j := e.job(id)
			if j.Status != protocol.JobError || deref(j.Error) != idleJobMessage {
				t.Fatalf("after the worker's shutdown the reaped job is %s (%s)", j.Status, deref(j.Error))
			}
			if c := e.connector("c1"); c.SyncStatus(protocol.JobFull) != protocol.JobError {
				t.Fatalf("connector summary overwritten: %s", c.SyncStatus(protocol.JobFull))
			}
			for _, ev := range j.History() {
				if ev["event"] == protocol.EventEnded {
					t.Fatalf("the refused worker recorded an end: %v", j.History())
				}
			}
		})
	}
}

// TestReapedJobStopsItsLiveWorker: the worker learns at its next progress write that the job is
// no longer its own, and stops.
func TestReapedJobStopsItsLiveWorker(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			var logs bytes.Buffer
			s := e.service("alive", func(d *Deps) {
				withSlow(5*time.Millisecond, 100000)(d)
				d.CancelCheckInterval = time.Hour
				d.Log = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
			})
			e.createSlowConnector(s, "c1")
			stop := runService(t, s, ActionSyncContent)
			defer stop()
			id := e.startJob("c1", protocol.JobFull)
			e.waitJob(id, 10*time.Second, protocol.JobInProgress)
			reaper := e.store()
			seen, _ := reaper.GetJob(context.Background(), id)
			if _, err := reaper.ReleaseLostJob(context.Background(), seen, protocol.LostWorker{By: protocol.Worker{Instance: "reaper"}, Message: idleJobMessage}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for s.isRunning(id) {
				if time.Now().After(deadline) {
					t.Fatal("the worker still runs a job that was failed by another instance")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if j := e.job(id); j.Status != protocol.JobError {
				t.Fatalf("job %s", j.Status)
			}
			if !strings.Contains(logs.String(), "taken over by another instance; this worker stops it") {
				t.Fatalf("the refusal is not logged:\n%s", logs.String())
			}
		})
	}
}

type syncWriter struct {
	mu gosync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// claimAsDeadWorker claims a job as a worker that then dies after persisting progress and a
// checkpoint: what a kill -9 leaves behind.
func (e *env) claimAsDeadWorker(id string, indexed int, checkpoint map[string]any) {
	e.t.Helper()
	st := e.store()
	j, err := st.GetJob(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	claimed, err := st.Claim(context.Background(), j, protocol.Worker{Hostname: "host", Instance: "dead"})
	if err != nil {
		e.t.Fatal(err)
	}
	stats := protocol.JobStats{IndexedDocumentCount: int64(indexed)}
	if checkpoint != nil {
		stats.Resume = &protocol.ResumePoint{Checkpoint: checkpoint, Indexed: int64(indexed)}
	}
	if err := st.UpdateJobStats(context.Background(), claimed, stats); err != nil {
		e.t.Fatal(err)
	}
}

// TestDeadWorkersJobIsResumedFromItsCheckpoint is issue 17 point 4: a job whose worker died is
// taken over by a live instance and continued from the source's last checkpoint; its history
// tells what happened and its counts are those of the whole job.
func TestDeadWorkersJobIsResumedFromItsCheckpoint(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			e.cfg.Service.IdleJobThreshold = 0.5
			starts := &startLog{}
			s := e.service("live", withCkpt(100, 10, time.Millisecond, starts))
			e.createSlowConnector(s, "c1")
			// The dead worker had written d-0 … d-39 and saved the checkpoint after d-39.
			for i := range 40 {
				e.do("PUT", fmt.Sprintf("/search-slow/_doc/d-%d", i), map[string]any{"i": i}, nil)
			}
			id := e.startJob("c1", protocol.JobFull)
			e.claimAsDeadWorker(id, 40, map[string]any{"next": 40})
			e.refreshJobs()

			stop := runService(t, s, ActionSyncContent, ActionCleanup)
			defer stop()
			j := e.waitJob(id, 30*time.Second, protocol.JobCompleted, protocol.JobError)
			if j.Status != protocol.JobCompleted {
				t.Fatalf("job %s (%s)", j.Status, deref(j.Error))
			}
			if got := starts.get(); len(got) != 1 || got[0] != 40 {
				t.Fatalf("the source started at %v, want once at the checkpoint 40", got)
			}
			if j.IndexedDocumentCount != 100 || e.count("search-slow") != 100 {
				t.Fatalf("indexed %d, index holds %d; want 100", j.IndexedDocumentCount, e.count("search-slow"))
			}
			var events []string
			for _, ev := range j.History() {
				events = append(events, fmt.Sprintf("%s:%v:%v", ev["event"], ev["instance"], ev["resumed_from"]))
			}
			want := []string{"claimed:dead:<nil>", "worker_lost:dead:<nil>", "claimed:" + s.Instance + ":checkpoint", "ended:" + s.Instance + ":<nil>"}
			if strings.Join(events, " ") != strings.Join(want, " ") {
				t.Fatalf("history %v, want %v", events, want)
			}
			if j.Takeovers() != 1 || j.Metadata[protocol.MetaResume] != nil {
				t.Fatalf("takeovers %d, resume point left %v", j.Takeovers(), j.Metadata[protocol.MetaResume])
			}
			// The ids listed before the checkpoint are unknown: the job says it deleted nothing stale.
			if r, _ := j.Metadata["resumed_from_checkpoint"].(map[string]any); r["deletions_skipped"] != true {
				t.Fatalf("metadata.resumed_from_checkpoint %v", j.Metadata["resumed_from_checkpoint"])
			}
			if c := e.connectorAfter("c1", protocol.JobFull, protocol.JobCompleted); c.LastIndexedDocumentCount == nil || *c.LastIndexedDocumentCount != 100 {
				t.Fatalf("connector summary %v", c.LastIndexedDocumentCount)
			}
		})
	}
}

// TestDeadWorkersJobWithoutCheckpointRestarts: a source without checkpoints starts over, and
// the full sync's deletion of stale documents still happens.
func TestDeadWorkersJobWithoutCheckpointRestarts(t *testing.T) {
	e := newEnv(t, protocol.ModeIndex)
	e.cfg.Service.IdleJobThreshold = 0.5
	s := e.service("live", withSlow(time.Millisecond, 30))
	e.createSlowConnector(s, "c1")
	e.do("PUT", "/search-slow/_doc/stale", map[string]any{"x": 1}, nil)
	id := e.startJob("c1", protocol.JobFull)
	e.claimAsDeadWorker(id, 12, nil)
	e.refreshJobs()
	stop := runService(t, s, ActionSyncContent, ActionCleanup)
	defer stop()
	j := e.waitJob(id, 30*time.Second, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 30 || j.DeletedDocumentCount != 1 || e.count("search-slow") != 30 {
		t.Fatalf("job %s indexed %d deleted %d, index %d", j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount, e.count("search-slow"))
	}
	hist := j.History()
	if hist[2]["resumed_from"] != protocol.ResumedFromStart {
		t.Fatalf("history %v", hist)
	}
	if r, ok := j.Metadata["resumed_from_checkpoint"]; !ok || r != nil {
		t.Fatalf("metadata.resumed_from_checkpoint %v (present %v), want null for a restart", r, ok)
	}
}

// TestLostWorkerOutcomes: resumption is bounded by service.max_job_resumes and can be turned
// off; a job whose cancellation was requested ends canceled.
func TestLostWorkerOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		resume    bool
		takeovers int
		cancel    bool
		want      protocol.JobStatus
	}{
		{"resumed", true, 0, false, protocol.JobSuspended},
		{"resumed up to the limit", true, 2, false, protocol.JobSuspended},
		{"limit reached", true, 3, false, protocol.JobError},
		{"resumption off", false, 0, false, protocol.JobError},
		{"cancel requested", true, 0, true, protocol.JobCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, protocol.ModeIndex)
			e.cfg.Service.IdleJobThreshold = 0.3
			e.cfg.Service.ResumeCrashedJobs = tt.resume
			s := e.service("reaper", withSlow(time.Millisecond, 1))
			e.createSlowConnector(s, "c1")
			id := e.startJob("c1", protocol.JobFull)
			e.claimAsDeadWorker(id, 0, nil)
			st := e.store()
			if tt.takeovers > 0 {
				e.do("POST", "/"+protocol.JobsAlias+"/_update/"+id, map[string]any{"doc": map[string]any{"metadata": map[string]any{protocol.MetaTakeovers: tt.takeovers}}}, nil)
			}
			if tt.cancel {
				j, _ := st.GetJob(context.Background(), id)
				if err := st.SetJobCanceling(context.Background(), j); err != nil {
					t.Fatal(err)
				}
			}
			e.refreshJobs()
			deadline := time.Now().Add(10 * time.Second)
			for e.job(id).Status == protocol.JobInProgress || e.job(id).Status == protocol.JobCanceling {
				if time.Now().After(deadline) {
					t.Fatal("the lost worker was not noticed")
				}
				if err := s.cleanupOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			j := e.job(id)
			if j.Status != tt.want {
				t.Fatalf("job %s (%s), want %s", j.Status, deref(j.Error), tt.want)
			}
			if c := e.connectorAfter("c1", protocol.JobFull, tt.want); c.SyncStatus(protocol.JobFull) != tt.want {
				t.Fatalf("connector %s", c.SyncStatus(protocol.JobFull))
			}
		})
	}
}

// TestLiveJobIsNotTakenOverAfterAnOutage: during an outage no worker can report; the cleanup
// loop must not take the silence for death once Elasticsearch is back.
func TestLiveJobIsNotTakenOverAfterAnOutage(t *testing.T) {
	e := newEnv(t, protocol.ModeIndex)
	e.cfg.Service.IdleJobThreshold = 0.5
	s := e.service("reaper", withSlow(time.Millisecond, 1))
	e.createSlowConnector(s, "c1")
	id := e.startJob("c1", protocol.JobFull)
	e.claimAsDeadWorker(id, 0, nil) // "dead" for this test: it does not report during the outage
	e.refreshJobs()
	if err := s.cleanupOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// An outage longer than the threshold.
	s.esFailed(&es.ConnError{Host: "http://es", Msg: "connection refused"}, time.Now())
	time.Sleep(600 * time.Millisecond)
	s.avail.answered(time.Now())
	if err := s.cleanupOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if j := e.job(id); j.Status != protocol.JobInProgress {
		t.Fatalf("right after an outage the job was taken over: %s", j.Status)
	}
	// Watched for the threshold with Elasticsearch up, it is.
	time.Sleep(600 * time.Millisecond)
	if err := s.cleanupOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if j := e.job(id); j.Status != protocol.JobSuspended {
		t.Fatalf("job %s", j.Status)
	}
}

// TestOutageDoesNotStopTheService is issue 17 point 5: an outage far longer than the error
// budget allows leaves the service running, not ready, logging the change of state once; when
// Elasticsearch answers again it is ready and syncs.
// TestOutageShorterThanTheRetryBudgetIsSeen: with retries on, a loop's call retries through an
// outage for up to elasticsearch.retry_budget before it fails; the outage must still show at once
// (not ready, logged once) and end when Elasticsearch answers, and the watch over other
// instances' jobs must start over. Measured before: /readyz said 200 for the first 95 s of an
// outage with the default settings, and nothing but retry warnings was logged.
func TestOutageShorterThanTheRetryBudgetIsSeen(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI, "c1")
	e.cfg.Service.Idling = 0.02
	var logs syncWriter
	logs.w = &bytes.Buffer{}
	m := metrics.New("test")
	m.SetReady(true)
	s := e.service("h", func(d *Deps) {
		cfg := e.cfg.Elasticsearch
		initial, most, budget := 0.01, 0.05, 120.0
		cfg.RetryBackoffInitial, cfg.RetryBackoffMax, cfg.RetryBudget = initial, &most, &budget
		client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		store, err := protocol.Open(context.Background(), client, protocol.Options{Force: protocol.ModeAPI, Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		d.Client, d.Store, d.Metrics = client, store, m
		d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ready := func() int {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, nil) }()
	time.Sleep(200 * time.Millisecond)
	_, before := s.avail.state()

	id := e.srv.Faults().Add(estest.Fault{Status: 503})
	deadline := time.Now().Add(5 * time.Second)
	for ready() == 200 {
		if time.Now().After(deadline) {
			t.Fatalf("still ready 5 s into an outage that the client's retries hide (retry_budget 120 s):\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, outages := s.avail.state(); outages != before+1 {
		t.Errorf("outages %d, want %d: the watch over other instances' jobs would not start over", outages, before+1)
	}
	time.Sleep(500 * time.Millisecond)
	e.srv.Faults().Remove(id)
	deadline = time.Now().Add(10 * time.Second)
	for ready() != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the outage:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("service ended with %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "Elasticsearch is unavailable"); n != 1 {
		t.Fatalf("%d unavailability messages for one outage:\n%s", n, out)
	}
	if n := strings.Count(out, "Elasticsearch answers again"); n != 1 {
		t.Fatalf("%d recovery messages for one outage:\n%s", n, out)
	}
}

func TestOutageDoesNotStopTheService(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI, "c1")
	e.cfg.Service.MaxErrors = 1
	e.cfg.Service.Idling = 0.02
	e.cfg.Elasticsearch.MaxRetries = 1
	var logs syncWriter
	logs.w = &bytes.Buffer{}
	m := metrics.New("test")
	m.SetReady(true)
	s := e.service("h", func(d *Deps) {
		d.Metrics = m
		d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	e.createDirConnector(s, "c1", "search-files", writeFiles(t, 5))
	ready := func() int {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, nil) }()
	for _, fault := range []estest.Fault{{Drop: true}, {Status: 503}, {Status: 401, ErrorType: "security_exception", Reason: "unable to authenticate"}} {
		id := e.srv.Faults().Add(fault)
		deadline := time.Now().Add(10 * time.Second)
		for ready() == 200 {
			if time.Now().After(deadline) {
				t.Fatalf("still ready during an outage (%+v)", fault)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond) // many loop ticks, far beyond max_errors
		select {
		case err := <-done:
			t.Fatalf("the service stopped during an outage: %v", err)
		default:
		}
		e.srv.Faults().Remove(id)
		deadline = time.Now().Add(15 * time.Second)
		for ready() != 200 {
			if time.Now().After(deadline) {
				t.Fatalf("not ready after the outage (%+v):\n%s", fault, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	j := e.waitJob(e.startJob("c1", protocol.JobFull), 30*time.Second, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted {
		t.Fatalf("job after the outages: %s (%s)", j.Status, deref(j.Error))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("service ended with %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "Elasticsearch is unavailable"); n != 3 {
		t.Fatalf("%d unavailability messages for 3 outages:\n%s", n, out)
	}
	if n := strings.Count(out, "Elasticsearch answers again"); n != 3 {
		t.Fatalf("%d recovery messages for 3 outages:\n%s", n, out)
	}
}

// TestInstancesAreToldApart is issue 17 point 6: two processes on one host write the same
// worker_hostname, as the original does, but different instance names.
func TestInstancesAreToldApart(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI)
	a := e.service("same-host", withSlow(time.Millisecond, 3))
	b := e.service("same-host", withSlow(time.Millisecond, 3))
	if a.Instance == b.Instance || !strings.HasPrefix(a.Instance, "same-host-") {
		t.Fatalf("instances %q and %q", a.Instance, b.Instance)
	}
	e.cfg.Service.InstanceName = "blue"
	if c := e.service("same-host", nil); c.Instance != "blue" {
		t.Fatalf("configured name ignored: %q", c.Instance)
	}
	e.cfg.Service.InstanceName = ""
	e.createSlowConnector(a, "c1")
	var ids []string
	for _, s := range []*Service{a, b} {
		id := e.startJob("c1", protocol.JobFull)
		if _, err := s.RunJob(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for i, s := range []*Service{a, b} {
		j := e.job(ids[i])
		if deref(j.WorkerHostname) != "same-host" || j.Instance() != s.Instance {
			t.Fatalf("job %d: worker_hostname %s, instance %q, want %q", i, deref(j.WorkerHostname), j.Instance(), s.Instance)
		}
	}
	m := metrics.New("test")
	e.service("same-host", func(d *Deps) { d.Metrics = m; d.Instance = "green" })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `connectors_instance_info{hostname="same-host",instance_name="green"} 1`) {
		t.Fatalf("metrics lack the instance:\n%s", rec.Body.String())
	}
}

// TestJobSuspendedByAnOutageResumes: bulk writes failing for good because Elasticsearch is
// unavailable suspend the job instead of failing it; it resumes, from its checkpoint, once
// Elasticsearch answers.
func TestJobSuspendedByAnOutageResumes(t *testing.T) {
	e := newEnv(t, protocol.ModeIndex)
	e.cfg.Elasticsearch.Bulk.ChunkSize = 20
	starts := &startLog{}
	s := e.service("h", withCkpt(200, 10, 5*time.Millisecond, starts))
	e.createSlowConnector(s, "c1")
	stop := runService(t, s, ActionSyncContent)
	defer stop()
	id := e.startJob("c1", protocol.JobFull)
	e.waitJob(id, 10*time.Second, protocol.JobInProgress)
	time.Sleep(400 * time.Millisecond)
	fault := e.srv.Faults().Add(estest.Fault{Path: "/_bulk", Status: 503, ErrorType: "cluster_block_exception", Reason: "state not recovered"})
	j := e.waitJob(id, 20*time.Second, protocol.JobSuspended, protocol.JobError, protocol.JobCompleted)
	if j.Status != protocol.JobSuspended {
		t.Fatalf("job %s (%s) after bulk writes failed with 503", j.Status, deref(j.Error))
	}
	e.srv.Faults().Remove(fault)
	j = e.waitJob(id, 20*time.Second, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 200 || e.count("search-slow") != 200 {
		t.Fatalf("resumed job %s indexed %d, index %d", j.Status, j.IndexedDocumentCount, e.count("search-slow"))
	}
	// While the fault lasts the job may be resumed and suspended again; every run after the
	// first starts at a checkpoint.
	got := starts.get()
	if len(got) < 2 || got[0] != 0 || slices.Contains(got[1:], 0) {
		t.Fatalf("source runs started at %v; every resumed run should start at a checkpoint", got)
	}
}
