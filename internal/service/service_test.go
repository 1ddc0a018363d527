package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/sources/dir"
)

var modes = []protocol.Mode{protocol.ModeAPI, protocol.ModeIndex}

type env struct {
	t      *testing.T
	srv    *estest.Server
	client *es.Client
	cfg    *config.Config
	mode   protocol.Mode
}

func quiet() *slog.Logger {
	if os.Getenv("SERVICE_TEST_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t *testing.T, mode protocol.Mode, connectorIDs ...string) *env {
	t.Helper()
	srv := estest.New(estest.Options{})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Elasticsearch.Host = srv.URL()
	cfg.Elasticsearch.RetryInterval = 0.01
	cfg.Service.Idling = 0.05
	cfg.Service.JobCleanupInterval = 0.1
	for _, id := range connectorIDs {
		cfg.Connectors = append(cfg.Connectors, config.ConnectorEntry{ConnectorID: id, ServiceType: dir.ServiceType})
	}
	client, err := es.New(es.Options{Config: cfg.Elasticsearch, Version: "9.6.0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, client: client, cfg: cfg, mode: mode}
}

func (e *env) service(hostname string, mutate func(*Deps)) *Service {
	e.t.Helper()
	store, err := protocol.Open(context.Background(), e.client, protocol.Options{Force: e.mode, Log: quiet()})
	if err != nil {
		e.t.Fatal(err)
	}
	d := Deps{Config: e.cfg, Client: e.client, Store: store, Log: quiet().With("host", hostname), Hostname: hostname, Version: "9.6.0",
		StatsInterval: 50 * time.Millisecond, CancelCheckInterval: 50 * time.Millisecond}
	if mutate != nil {
		mutate(&d)
	}
	s, err := New(d)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) do(method, path string, body any, out any) {
	e.t.Helper()
	if err := e.client.Request(context.Background(), method, path, body, out); err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// createDirConnector creates a connector the way Kibana does (through the
// connector API), lets the service write its schema, then sets the folder.
func (e *env) createDirConnector(s *Service, id, index, folder string) {
	e.t.Helper()
	e.do("PUT", "/_connector/"+id, map[string]any{"index_name": index, "service_type": "dir", "name": id}, nil)
	if err := s.scheduleOnce(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.do("PUT", "/_connector/"+id+"/_configuration", map[string]any{"values": map[string]any{"directory": folder}}, nil)
}

func (e *env) job(id string) *protocol.Job {
	e.t.Helper()
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	j, err := store.GetJob(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

func (e *env) connector(id string) *protocol.Connector {
	e.t.Helper()
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	c, err := store.GetConnector(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// connectorAfter waits for the connector's summary of a finished job: the
// job document is written first, the connector right after.
func (e *env) connectorAfter(id string, t protocol.JobType, want protocol.JobStatus) *protocol.Connector {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := e.connector(id)
		if c.SyncStatus(t) == want || time.Now().After(deadline) {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) startJob(connectorID string, t protocol.JobType) string {
	e.t.Helper()
	var res struct {
		ID string `json:"id"`
	}
	e.do("POST", "/_connector/_sync_job", map[string]any{"id": connectorID, "job_type": t}, &res)
	e.refreshJobs()
	return res.ID
}

func (e *env) waitJob(id string, timeout time.Duration, want ...protocol.JobStatus) *protocol.Job {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := e.job(id)
		for _, w := range want {
			if j.Status == w {
				return j
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s is %s after %s, want %v (error: %v)", id, j.Status, timeout, want, deref(j.Error))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) count(index string) int {
	e.t.Helper()
	e.do("POST", "/"+index+"/_refresh", nil, nil)
	var res struct {
		Count int `json:"count"`
	}
	e.do("GET", "/"+index+"/_count", nil, &res)
	return res.Count
}

// refreshJobs makes new jobs searchable; before the first job the index
// does not exist, which is fine.
func (e *env) refreshJobs() {
	e.t.Helper()
	if err := e.client.Request(context.Background(), "POST", "/"+protocol.JobsAlias+"/_refresh?ignore_unavailable=true", nil, nil); err != nil && !es.IsNotFound(err) {
		e.t.Fatal(err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func writeFiles(t *testing.T, n int) string {
	t.Helper()
	d := t.TempDir()
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("file%02d.txt", i)), []byte(fmt.Sprintf("content of file %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func runService(t *testing.T, s *Service, actions ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, actions) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("service ended with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("service did not stop")
		}
	}
}

func TestOnDemandSyncEndToEnd(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode, "c1")
			folder := writeFiles(t, 12)
			s := e.service("host-a", nil)
			e.createDirConnector(s, "c1", "search-files", folder)
			c := e.connector("c1")
			if c.Status != protocol.StatusConfigured || c.Configuration["directory"].(map[string]any)["value"] != folder {
				t.Fatalf("connector after configuration: status %s", c.Status)
			}
			stop := runService(t, s)
			defer stop()

			job := e.waitJob(e.startJob("c1", protocol.JobFull), 30*time.Second, protocol.JobCompleted, protocol.JobError)
			if job.Status != protocol.JobCompleted {
				t.Fatalf("job ended %s: %s", job.Status, deref(job.Error))
			}
			if got := e.count("search-files"); got != 12 {
				t.Fatalf("index holds %d docs, want 12", got)
			}
			if job.IndexedDocumentCount != 12 || job.DeletedDocumentCount != 0 || job.TotalDocumentCount == nil || *job.TotalDocumentCount != 12 {
				t.Fatalf("job stats: indexed %d deleted %d total %v", job.IndexedDocumentCount, job.DeletedDocumentCount, job.TotalDocumentCount)
			}
			if job.WorkerHostname == nil || *job.WorkerHostname != "host-a" || job.StartedAt == nil || job.CompletedAt == nil {
				t.Fatalf("job bookkeeping: %+v", job)
			}
			c = e.connectorAfter("c1", protocol.JobFull, protocol.JobCompleted)
			if c.Status != protocol.StatusConnected || c.LastSyncStatus == nil || *c.LastSyncStatus != protocol.JobCompleted || c.LastIndexedDocumentCount == nil || *c.LastIndexedDocumentCount != 12 || c.LastSynced == nil {
				t.Fatalf("connector after sync: %+v", c)
			}

			if err := os.Remove(filepath.Join(folder, "file03.txt")); err != nil {
				t.Fatal(err)
			}
			job = e.waitJob(e.startJob("c1", protocol.JobFull), 30*time.Second, protocol.JobCompleted, protocol.JobError)
			if job.Status != protocol.JobCompleted || job.DeletedDocumentCount != 1 || job.IndexedDocumentCount != 11 {
				t.Fatalf("second job: %s indexed %d deleted %d (%s)", job.Status, job.IndexedDocumentCount, job.DeletedDocumentCount, deref(job.Error))
			}
			if got := e.count("search-files"); got != 11 {
				t.Fatalf("index holds %d docs after the deletion, want 11", got)
			}
		})
	}
}

func TestJobErrorsAreUnderstandable(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(e *env, s *Service) string
		want    string
	}{
		{"folder missing", func(e *env, s *Service) string {
			e.createDirConnector(s, "c1", "search-x", filepath.Join(t.TempDir(), "nope"))
			return e.startJob("c1", protocol.JobFull)
		}, "nope"},
		{"unknown source", func(e *env, s *Service) string {
			e.do("PUT", "/_connector/c1", map[string]any{"index_name": "search-x", "service_type": "mystery", "name": "c1"}, nil)
			return e.startJob("c1", protocol.JobFull)
		}, "mystery"},
		{"incremental not enabled", func(e *env, s *Service) string {
			e.createDirConnector(s, "c1", "search-x", t.TempDir())
			return e.startJob("c1", protocol.JobIncremental)
		}, "incremental sync is not enabled"},
		{"bad configuration", func(e *env, s *Service) string {
			e.createDirConnector(s, "c1", "search-x", "")
			return e.startJob("c1", protocol.JobFull)
		}, "cannot be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, protocol.ModeAPI, "c1")
			s := e.service("h", nil)
			id := tt.prepare(e, s)
			stop := runService(t, s, ActionSyncContent)
			defer stop()
			j := e.waitJob(id, 20*time.Second, protocol.JobError, protocol.JobCompleted)
			if j.Status != protocol.JobError || !strings.Contains(deref(j.Error), tt.want) {
				t.Fatalf("job %s error %q, want error containing %q", j.Status, deref(j.Error), tt.want)
			}
			c := e.connectorAfter("c1", protocol.JobFull, protocol.JobError)
			if c.Status != protocol.StatusError || c.LastSyncStatus == nil || *c.LastSyncStatus != protocol.JobError {
				t.Fatalf("connector status %s", c.Status)
			}
		})
	}
}

// slowSource emits documents slowly and counts how many it produced.
type slowSource struct {
	delay   time.Duration
	n       int
	emitted *atomic.Int64
}

func (s *slowSource) Ping(context.Context) error { return nil }
func (s *slowSource) Close() error               { return nil }
func (s *slowSource) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < s.n; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.delay):
		}
		if err := emit(connector.Document{ID: fmt.Sprint(i), Fields: map[string]any{"i": i}}); err != nil {
			return err
		}
		s.emitted.Add(1)
	}
	return nil
}

var slowEmitted atomic.Int64

func slowFactory(delay time.Duration, n int) connector.Factory {
	return connector.Factory{
		ServiceType: "slow",
		DisplayName: "Slow",
		Features:    connector.Features{BasicRules: true},
		Fields:      []connector.Field{{Key: "note", Label: "Note", Optional: true}},
		New: func(*connector.Config, connector.Env) (connector.Source, error) {
			return &slowSource{delay: delay, n: n, emitted: &slowEmitted}, nil
		},
	}
}

func withSlow(delay time.Duration, n int) func(*Deps) {
	f := slowFactory(delay, n)
	return func(d *Deps) {
		d.Sources = func(st string) (connector.Factory, bool) {
			if st == "slow" {
				return f, true
			}
			return connector.Lookup(st)
		}
	}
}

func (e *env) createSlowConnector(s *Service, id string) {
	e.t.Helper()
	e.cfg.Sources["slow"] = "test"
	e.cfg.Connectors = []config.ConnectorEntry{{ConnectorID: id, ServiceType: "slow"}}
	e.do("PUT", "/_connector/"+id, map[string]any{"index_name": "search-slow", "service_type": "slow", "name": id}, nil)
	if err := s.scheduleOnce(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.do("PUT", "/_connector/"+id+"/_configuration", map[string]any{"values": map[string]any{"note": "x"}}, nil)
}

func TestCancelStopsTheJob(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			s := e.service("h", withSlow(20*time.Millisecond, 100000))
			e.createSlowConnector(s, "c1")
			stop := runService(t, s, ActionSyncContent)
			defer stop()
			id := e.startJob("c1", protocol.JobFull)
			e.waitJob(id, 10*time.Second, protocol.JobInProgress)
			time.Sleep(200 * time.Millisecond)
			e.do("PUT", "/_connector/_sync_job/"+id+"/_cancel", nil, nil)
			start := time.Now()
			j := e.waitJob(id, 10*time.Second, protocol.JobCanceled, protocol.JobError, protocol.JobCompleted)
			if j.Status != protocol.JobCanceled {
				t.Fatalf("job %s (%s)", j.Status, deref(j.Error))
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("cancel took %s", time.Since(start))
			}
			if c := e.connectorAfter("c1", protocol.JobFull, protocol.JobCanceled); c.LastSyncStatus == nil || *c.LastSyncStatus != protocol.JobCanceled || c.Status != protocol.StatusConnected {
				t.Fatalf("connector after cancel: %s %v", c.Status, c.LastSyncStatus)
			}
		})
	}
}

func TestShutdownSuspendsAndNextStartResumes(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode)
			s := e.service("h1", withSlow(10*time.Millisecond, 60))
			e.createSlowConnector(s, "c1")
			stop := runService(t, s, ActionSyncContent)
			id := e.startJob("c1", protocol.JobFull)
			e.waitJob(id, 10*time.Second, protocol.JobInProgress)
			time.Sleep(100 * time.Millisecond)
			stop()
			j := e.job(id)
			if j.Status != protocol.JobSuspended {
				t.Fatalf("after shutdown the job is %s (%s)", j.Status, deref(j.Error))
			}
			if c := e.connector("c1"); c.LastSyncStatus == nil || *c.LastSyncStatus != protocol.JobSuspended {
				t.Fatalf("connector last_sync_status %v", c.LastSyncStatus)
			}
			e.refreshJobs()
			s2 := e.service("h2", withSlow(time.Millisecond, 60))
			stop2 := runService(t, s2, ActionSyncContent)
			defer stop2()
			j = e.waitJob(id, 20*time.Second, protocol.JobCompleted, protocol.JobError)
			if j.Status != protocol.JobCompleted || deref(j.WorkerHostname) != "h2" {
				t.Fatalf("resumed job %s on %s (%s)", j.Status, deref(j.WorkerHostname), deref(j.Error))
			}
			if got := e.count("search-slow"); got != 60 {
				t.Fatalf("%d docs", got)
			}
		})
	}
}

func TestSlowSourceIsNotReapedButDeadWorkerIs(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI)
	e.cfg.Service.IdleJobThreshold = 1
	// A live job from a slow source: heartbeats every 50ms keep it alive
	// through cleanups that run every 100ms with a 1s threshold.
	s := e.service("live", withSlow(300*time.Millisecond, 12))
	e.createSlowConnector(s, "c1")
	stop := runService(t, s, ActionSyncContent, ActionCleanup)
	id := e.startJob("c1", protocol.JobFull)
	j := e.waitJob(id, 30*time.Second, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted {
		t.Fatalf("slow job ended %s: %s", j.Status, deref(j.Error))
	}
	stop()

	// A job claimed by a worker that then died: with resumption off, another
	// instance's cleanup fails it once it has not changed for the
	// threshold, as the original does.
	e.cfg.Service.ResumeCrashedJobs = false
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	dead := e.startJob("c1", protocol.JobFull)
	jd, err := store.GetJob(context.Background(), dead)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Claim(context.Background(), jd, protocol.Worker{Hostname: "dead-worker"}); err != nil {
		t.Fatal(err)
	}
	other := e.service("other", withSlow(time.Millisecond, 1))
	stop2 := runService(t, other, ActionCleanup)
	defer stop2()
	j = e.waitJob(dead, 20*time.Second, protocol.JobError)
	if deref(j.Error) != idleJobMessage {
		t.Fatalf("reaped job error %q", deref(j.Error))
	}
	if c := e.connectorAfter("c1", protocol.JobFull, protocol.JobError); c.LastSyncStatus == nil || *c.LastSyncStatus != protocol.JobError {
		t.Fatalf("connector lock not released: %v", c.LastSyncStatus)
	}
}

// fakeClock is shared by several service instances in one test.
type fakeClock struct {
	mu  gosync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestScheduleFiresOncePerDueTimeAcrossInstances(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode, "c1")
			clock := &fakeClock{now: time.Date(2026, 11, 23, 10, 0, 10, 0, time.UTC)}
			var instances []*Service
			for i := 0; i < 3; i++ {
				instances = append(instances, e.service(fmt.Sprintf("host-%d", i), func(d *Deps) { d.Now = clock.Now }))
			}
			e.createDirConnector(instances[0], "c1", "search-sched", writeFiles(t, 2))
			e.do("PUT", "/_connector/c1/_scheduling", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "* * * * * ?"}}}, nil)
			// Each instance polls every 20 fake seconds, all at the same
			// moments, for 5 fake minutes: due times 10:01 … 10:05.
			for step := 0; step < 15; step++ {
				clock.Add(20 * time.Second)
				var wg gosync.WaitGroup
				for _, s := range instances {
					wg.Add(1)
					go func(s *Service) {
						defer wg.Done()
						if err := s.scheduleOnce(context.Background()); err != nil {
							t.Error(err)
						}
					}(s)
				}
				wg.Wait()
				// Jobs are run between polls so that each due time finds no
				// pending job of the same kind.
				e.refreshJobs()
				store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
				pending, _ := store.ListJobs(context.Background(), protocol.JobQuery{Statuses: []protocol.JobStatus{protocol.JobPending}})
				for _, j := range pending {
					claimed, err := store.Claim(context.Background(), j, protocol.Worker{Hostname: "runner"})
					if err != nil {
						t.Fatal(err)
					}
					if _, err := store.FinishJob(context.Background(), claimed, protocol.JobResult{Status: protocol.JobCompleted}); err != nil {
						t.Fatal(err)
					}
				}
			}
			e.refreshJobs()
			store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
			jobs, err := store.ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{"c1"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 5 {
				t.Fatalf("%d scheduled jobs over 5 due times", len(jobs))
			}
			for _, j := range jobs {
				if j.TriggerMethod != protocol.TriggerScheduled || j.Status != protocol.JobCompleted {
					t.Fatalf("job %s: %s %s", j.ID, j.TriggerMethod, j.Status)
				}
			}
		})
	}
}

func TestMissedRunsCollapseIntoOne(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI, "c1")
	clock := &fakeClock{now: time.Date(2026, 11, 23, 10, 0, 10, 0, time.UTC)}
	s := e.service("h", func(d *Deps) { d.Now = clock.Now })
	e.createDirConnector(s, "c1", "search-sched", writeFiles(t, 1))
	e.do("PUT", "/_connector/c1/_scheduling", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "0 0 * * * ?"}}}, nil)
	clock.Add(time.Hour) // 11:00:10: the 11:00 run is due
	if err := s.scheduleOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// That job runs and completes before the service goes down.
	e.refreshJobs()
	st, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	first, _ := st.ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{"c1"}})
	if len(first) != 1 {
		t.Fatalf("%d jobs at 11:00", len(first))
	}
	claimed, err := st.Claim(context.Background(), first[0], protocol.Worker{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.FinishJob(context.Background(), claimed, protocol.JobResult{Status: protocol.JobCompleted}); err != nil {
		t.Fatal(err)
	}
	// The service is down for 5 hours; a new process starts at 16:30.
	clock.Add(5*time.Hour + 30*time.Minute)
	s2 := e.service("h2", func(d *Deps) { d.Now = clock.Now })
	for i := 0; i < 3; i++ {
		if err := s2.scheduleOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
	}
	e.refreshJobs()
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	jobs, _ := store.ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{"c1"}})
	if len(jobs) != 2 {
		t.Fatalf("want the 11:00 job and one catch-up job, got %d jobs", len(jobs))
	}
	c := e.connector("c1")
	last, _ := c.LastScheduledAt(protocol.JobFull)
	if last.Hour() != 16 {
		t.Fatalf("last_sync_scheduled_at = %v", last)
	}
}

func TestInvalidScheduleSetsConnectorError(t *testing.T) {
	e := newEnv(t, protocol.ModeIndex, "c1")
	s := e.service("h", nil)
	e.createDirConnector(s, "c1", "search-x", writeFiles(t, 1))
	// Written directly: the API would refuse it, an old document may hold it.
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	if err := store.PatchConnector(context.Background(), "c1", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "0 0 25 * * ?"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.scheduleOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.connector("c1")
	if c.Status != protocol.StatusError || !strings.Contains(deref(c.Error), "invalid full sync schedule") {
		t.Fatalf("status %s error %q", c.Status, deref(c.Error))
	}
}

func TestPrepareWritesSchemaAndKeepsValues(t *testing.T) {
	e := newEnv(t, protocol.ModeAPI, "c1")
	s := e.service("h", nil)
	e.do("PUT", "/_connector/c1", map[string]any{"index_name": "search-x", "name": "c1"}, nil)
	if err := s.scheduleOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.connector("c1")
	if c.Status != protocol.StatusNeedsConfiguration || c.Type() != "dir" || len(c.Configuration) != 2 || !c.FeatureEnabled("sync_rules.basic.enabled") {
		t.Fatalf("after prepare: status %s type %q config %v features %v", c.Status, c.Type(), c.Configuration, c.Features)
	}
	e.do("PUT", "/_connector/c1/_configuration", map[string]any{"values": map[string]any{"directory": "/data", "pattern": "*.md"}}, nil)
	// An old document lacking a property and holding a stale label.
	store, _ := protocol.Open(context.Background(), e.client, protocol.Options{Force: protocol.ModeIndex})
	cfg := e.connector("c1").Configuration
	p := cfg["pattern"].(map[string]any)
	delete(p, "tooltip")
	p["label"] = "old label"
	if err := store.PatchConnector(context.Background(), "c1", map[string]any{"configuration": map[string]any{"pattern": p}}); err != nil {
		t.Fatal(err)
	}
	if err := s.scheduleOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	c = e.connector("c1")
	pattern := c.Configuration["pattern"].(map[string]any)
	if pattern["value"] != "*.md" || pattern["label"] == "old label" || pattern["tooltip"] == nil {
		t.Fatalf("pattern after upgrade: %v", pattern)
	}
	if c.Configuration["directory"].(map[string]any)["value"] != "/data" {
		t.Fatal("user value lost")
	}
}

func TestDraftRulesValidatedAndActivated(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, mode, "c1")
			s := e.service("h", nil)
			e.createDirConnector(s, "c1", "search-x", writeFiles(t, 1))
			e.do("PUT", "/_connector/c1/_filtering", map[string]any{"rules": []any{
				map[string]any{"id": "r1", "field": "path", "policy": "exclude", "rule": "ends_with", "value": ".log", "order": 0},
			}}, nil)
			if err := s.scheduleOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Filtering []struct {
					Active struct {
						Rules []map[string]any `json:"rules"`
					} `json:"active"`
					Draft struct {
						Validation struct {
							State string `json:"state"`
						} `json:"validation"`
					} `json:"draft"`
				} `json:"filtering"`
			}
			e.do("GET", "/_connector/c1", nil, &got)
			if got.Filtering[0].Draft.Validation.State != "valid" || len(got.Filtering[0].Active.Rules) != 2 {
				t.Fatalf("filtering after validation: %+v", got.Filtering)
			}
			// An invalid draft stays a draft, marked invalid.
			e.do("PUT", "/_connector/c1/_filtering", map[string]any{"rules": []any{
				map[string]any{"id": "r2", "field": "path", "policy": "include", "rule": "regex", "value": ".*", "order": 0},
			}}, nil)
			if err := s.scheduleOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.do("GET", "/_connector/c1", nil, &got)
			if got.Filtering[0].Draft.Validation.State != "invalid" || got.Filtering[0].Active.Rules[0]["id"] != "r1" {
				t.Fatalf("invalid draft: %+v", got.Filtering)
			}
		})
	}
}

func TestErrorBudget(t *testing.T) {
	now := time.Unix(0, 0)
	b := errorBudget{max: 2, span: time.Minute, now: func() time.Time { return now }}
	for i := 0; i < 2; i++ {
		if b.spend() {
			t.Fatalf("error %d is within the budget", i+1)
		}
	}
	if !b.spend() {
		t.Fatal("third error within the span must exceed a budget of 2")
	}
	now = now.Add(2 * time.Minute)
	if b.spend() {
		t.Fatal("the budget restarts after a quiet span")
	}
}

var _ = errors.New

func TestMissingConnectorIsLoggedEveryPass(t *testing.T) {
	e := newEnv(t, protocol.ModeIndex, "c1", "ghost")
	var logs testLog
	s := e.service("h", func(d *Deps) { d.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.createDirConnector(s, "c1", "search-x", writeFiles(t, 1))
	before := strings.Count(logs.String(), "connector_id=ghost") // set-up polls too
	for pass := 1; pass <= 2; pass++ {
		if err := s.scheduleOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logs.String(), "connector_id=ghost") - before; n != pass {
			t.Fatalf("after pass %d the missing connector was logged %d times:\n%s", pass, n, logs.String())
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "does not exist in Elasticsearch") && strings.Contains(line, "connector_id=c1") {
			t.Errorf("an existing connector was reported missing: %s", line)
		}
	}
}

// testLog collects log output from concurrent goroutines.
type testLog struct {
	mu gosync.Mutex
	b  strings.Builder
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
