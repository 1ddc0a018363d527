// Package e2e runs the real binary as separate processes against estest:
// the service's behaviour as an operator sees it, in both protocol modes.
package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/testproc"
)

var binary string

func TestMain(m *testing.M) {
	if os.Getenv("E2E_SKIP") != "" {
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "connectors-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "connectors")
	build := exec.Command("go", "build", "-o", binary, "./testbin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot build the test binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cluster struct {
	t      *testing.T
	srv    *estest.Server
	client *es.Client
	store  *protocol.Store
	mode   protocol.Mode
}

func newCluster(t *testing.T, mode protocol.Mode) *cluster {
	t.Helper()
	srv := estest.New(estest.Options{})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	cfg := config.Default().Elasticsearch
	cfg.Host = srv.URL()
	cfg.RetryInterval = 0.01
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	store, err := protocol.Open(context.Background(), client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{t: t, srv: srv, client: client, store: store, mode: mode}
}

func (c *cluster) do(method, path string, body, out any) {
	c.t.Helper()
	if err := c.client.Request(context.Background(), method, path, body, out); err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// connector creates a connector the way Kibana does: the connector API
// creates it, its configuration schema is written as the service's prepare
// step writes it (Elasticsearch's own parser refuses the original's
// `display: text`, so neither the original nor we send schemas through the
// API), and the user's values go through the API.
func (c *cluster) connector(id, serviceType, index string, values map[string]any) {
	c.t.Helper()
	c.do("PUT", "/_connector/"+id, map[string]any{"index_name": index, "service_type": serviceType, "name": id}, nil)
	var schema map[string]any
	out, err := exec.Command(binary, "source", "describe", serviceType, "--json").Output()
	if err != nil {
		c.t.Fatalf("source describe: %v", err)
	}
	if err := jsonUnmarshal(out, &schema); err != nil {
		c.t.Fatal(err)
	}
	if err := c.store.PatchConnector(context.Background(), id, map[string]any{
		"configuration": schema["configuration"], "features": schema["features"], "status": protocol.StatusNeedsConfiguration,
	}); err != nil {
		c.t.Fatal(err)
	}
	c.do("PUT", "/_connector/"+id+"/_configuration", map[string]any{"values": values}, nil)
}

func (c *cluster) startJob(connectorID string) string {
	c.t.Helper()
	var res struct {
		ID string `json:"id"`
	}
	c.do("POST", "/_connector/_sync_job", map[string]any{"id": connectorID, "job_type": "full"}, &res)
	return res.ID
}

func (c *cluster) job(id string) *protocol.Job {
	c.t.Helper()
	j, err := c.store.GetJob(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return j
}

func (c *cluster) waitJob(id string, timeout time.Duration, procs []*proc, want ...protocol.JobStatus) *protocol.Job {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := c.job(id)
		for _, w := range want {
			if j.Status == w {
				return j
			}
		}
		if time.Now().After(deadline) {
			for _, p := range procs {
				c.t.Logf("--- output of %s:\n%s", p.name, p.Out.String())
			}
			c.t.Fatalf("job %s is %s after %s, want %v (error %v)", id, j.Status, timeout, want, deref(j.Error))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) count(index string) int {
	c.t.Helper()
	c.do("POST", "/"+index+"/_refresh", nil, nil)
	var res struct {
		Count int `json:"count"`
	}
	c.do("GET", "/"+index+"/_count", nil, &res)
	return res.Count
}

// config writes a config.yml for the service processes.
func (c *cluster) config(connectors map[string]string, extra string) string {
	c.t.Helper()
	return c.configFor(c.srv.URL(), connectors, "", extra)
}

// configFor writes a config.yml for a service reaching the cluster at host;
// extraES is added to the elasticsearch section, extra to the service one.
func (c *cluster) configFor(host string, connectors map[string]string, extraES, extra string) string {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "elasticsearch:\n  host: %s\n  feature_use_connectors_api: %v\n  retry_interval: 0.1\n", host, c.mode == protocol.ModeAPI)
	b.WriteString(extraES)
	b.WriteString("service:\n  idling: 0.5\n  heartbeat: 1\n  job_cleanup_interval: 1\n  preflight_idle: 0.1\n")
	b.WriteString(extra)
	b.WriteString("sources:\n  slow: test\nconnectors:\n")
	for id, st := range connectors {
		fmt.Fprintf(&b, "  - connector_id: %s\n    service_type: %s\n", id, st)
	}
	p := filepath.Join(c.t.TempDir(), "config.yml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

type proc struct {
	*testproc.Proc
	name string
}

func start(t *testing.T, name, cfg string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run", "-c", cfg, "--log-level", "debug"}, args...)...)
	cmd.Env = append(os.Environ(), "ENV_FILE=/dev/null")
	return &proc{Proc: testproc.Start(t, cmd), name: name}
}

// stop sends SIGTERM and returns the exit code.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	if !p.Terminate(30 * time.Second) {
		t.Fatalf("%s did not stop after SIGTERM:\n%s", p.name, p.Out.String())
	}
	return p.Cmd.ProcessState.ExitCode()
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

var modes = []protocol.Mode{protocol.ModeAPI, protocol.ModeIndex}

func forModes(t *testing.T, f func(t *testing.T, c *cluster)) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			f(t, newCluster(t, mode))
		})
	}
}

func TestOnDemandSyncAndDeletion(t *testing.T) {
	forModes(t, func(t *testing.T, c *cluster) {
		folder := t.TempDir()
		for i := 0; i < 7; i++ {
			if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("note%d.md", i)), []byte(fmt.Sprintf("# Note %d\n\nbody %d", i, i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.connector("files", "dir", "search-files", map[string]any{"directory": folder})
		p := start(t, "service", c.config(map[string]string{"files": "dir"}, ""))
		procs := []*proc{p}

		j := c.waitJob(c.startJob("files"), 60*time.Second, procs, protocol.JobCompleted, protocol.JobError)
		if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != 7 || j.TotalDocumentCount == nil || *j.TotalDocumentCount != 7 {
			t.Fatalf("first job %s indexed %d total %v (%s)\n%s", j.Status, j.IndexedDocumentCount, j.TotalDocumentCount, deref(j.Error), p.Out.String())
		}
		if n := c.count("search-files"); n != 7 {
			t.Fatalf("index holds %d documents", n)
		}
		var doc struct {
			Source map[string]any `json:"_source"`
		}
		c.do("POST", "/search-files/_refresh", nil, nil)
		var hits struct {
			Hits struct {
				Hits []struct {
					Source map[string]any `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		c.do("POST", "/search-files/_search", map[string]any{"query": map[string]any{"match": map[string]any{"body": "note"}}}, &hits)
		if len(hits.Hits.Hits) == 0 || !strings.Contains(fmt.Sprint(hits.Hits.Hits[0].Source["body"]), "Note") {
			t.Fatalf("extracted body not searchable: %+v", hits)
		}
		_ = doc

		if err := os.Remove(filepath.Join(folder, "note2.md")); err != nil {
			t.Fatal(err)
		}
		j = c.waitJob(c.startJob("files"), 60*time.Second, procs, protocol.JobCompleted, protocol.JobError)
		if j.Status != protocol.JobCompleted || j.DeletedDocumentCount != 1 {
			t.Fatalf("second job %s deleted %d (%s)", j.Status, j.DeletedDocumentCount, deref(j.Error))
		}
		if n := c.count("search-files"); n != 6 {
			t.Fatalf("index holds %d documents after the deletion", n)
		}
		if code := p.stop(t); code != 0 {
			t.Fatalf("exit code %d after SIGTERM:\n%s", code, p.Out.String())
		}
	})
}

func TestScheduleAcrossThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a minute boundary")
	}
	forModes(t, func(t *testing.T, c *cluster) {
		c.connector("sched", "dir", "search-sched", map[string]any{"directory": t.TempDir()})
		c.do("PUT", "/_connector/sched/_scheduling", map[string]any{"scheduling": map[string]any{"full": map[string]any{"enabled": true, "interval": "* * * * * ?"}}}, nil)
		cfg := c.config(map[string]string{"sched": "dir"}, "")
		var procs []*proc
		for i := 0; i < 3; i++ {
			procs = append(procs, start(t, fmt.Sprintf("service-%d", i), cfg))
		}
		// Wait past the next minute boundary (the first due time after the
		// processes started), then long enough for every process to poll.
		now := time.Now()
		boundary := now.Truncate(time.Minute).Add(time.Minute)
		time.Sleep(time.Until(boundary) + 12*time.Second)
		c.do("POST", "/"+protocol.JobsAlias+"/_refresh", nil, nil)
		jobs, err := c.store.ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{"sched"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 {
			for _, p := range procs {
				t.Logf("--- %s:\n%s", p.name, p.Out.String())
			}
			t.Fatalf("%d jobs for one due time", len(jobs))
		}
		j := c.waitJob(jobs[0].ID, 30*time.Second, procs, protocol.JobCompleted, protocol.JobError)
		if j.Status != protocol.JobCompleted || j.TriggerMethod != protocol.TriggerScheduled {
			t.Fatalf("job %s %s (%s)", j.Status, j.TriggerMethod, deref(j.Error))
		}
		for _, p := range procs {
			if code := p.stop(t); code != 0 {
				t.Fatalf("%s exit %d", p.name, code)
			}
		}
	})
}

func TestSigtermSuspendsAndAnotherProcessResumes(t *testing.T) {
	forModes(t, func(t *testing.T, c *cluster) {
		c.connector("slow", "slow", "search-slow", map[string]any{"docs": 40, "delay_ms": 100})
		cfg := c.config(map[string]string{"slow": "slow"}, "")
		a := start(t, "a", cfg)
		id := c.startJob("slow")
		c.waitJob(id, 30*time.Second, []*proc{a}, protocol.JobInProgress)
		time.Sleep(500 * time.Millisecond)
		if code := a.stop(t); code != 0 {
			t.Fatalf("exit %d:\n%s", code, a.Out.String())
		}
		if j := c.job(id); j.Status != protocol.JobSuspended {
			t.Fatalf("after SIGTERM the job is %s:\n%s", j.Status, a.Out.String())
		}
		b := start(t, "b", cfg)
		j := c.waitJob(id, 60*time.Second, []*proc{b}, protocol.JobCompleted, protocol.JobError)
		if j.Status != protocol.JobCompleted || c.count("search-slow") != 40 {
			t.Fatalf("resumed job %s (%s)", j.Status, deref(j.Error))
		}
		b.stop(t)
	})
}

// TestKilledWorkerIsReapedAndSlowOneIsNot: with a short idle_job_threshold (issue 17 point 2),
// another instance's cleanup leaves a slow but live job alone (it reports progress a third of
// the threshold apart) and hands on the job of a killed worker.
func TestKilledWorkerIsReapedAndSlowOneIsNot(t *testing.T) {
	forModes(t, func(t *testing.T, c *cluster) {
		extra := "  idle_job_threshold: 3\n"
		// A slow but live job: 30 documents at 200 ms each outlive the 3 s threshold twice over,
		// while another instance runs only the cleanup.
		c.connector("slow", "slow", "search-slow", map[string]any{"docs": 30, "delay_ms": 200})
		cfg := c.config(map[string]string{"slow": "slow"}, extra)
		live := start(t, "live", cfg, "--action", "sync_content")
		watcher := start(t, "watcher", cfg, "--action", "cleanup")
		j := c.waitJob(c.startJob("slow"), 60*time.Second, []*proc{live, watcher}, protocol.JobCompleted, protocol.JobError, protocol.JobSuspended)
		if j.Status != protocol.JobCompleted || len(j.History()) != 2 {
			t.Fatalf("slow job %s (%s), history %v\n%s", j.Status, deref(j.Error), j.History(), watcher.Out.String())
		}
		live.stop(t)
		watcher.stop(t)

		// A worker killed mid-job, with resumption off: another instance fails the job, as the
		// original does.
		c.connector("doomed", "slow", "search-doomed", map[string]any{"docs": 1000, "delay_ms": 100})
		cfg2 := c.config(map[string]string{"doomed": "slow"}, extra+"  resume_crashed_jobs: false\n")
		victim := start(t, "victim", cfg2)
		id := c.startJob("doomed")
		c.waitJob(id, 30*time.Second, []*proc{victim}, protocol.JobInProgress)
		_ = victim.Cmd.Process.Kill()
		<-victim.Done
		reaper := start(t, "reaper", cfg2, "--action", "cleanup")
		j = c.waitJob(id, 30*time.Second, []*proc{reaper}, protocol.JobError)
		if deref(j.Error) != "The job has not seen any update for some time." {
			t.Fatalf("reaped with %q", deref(j.Error))
		}
		// The job is written first, the connector's summary right after.
		var conn *protocol.Connector
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if conn, err = c.store.GetConnector(context.Background(), "doomed"); err == nil && conn.SyncStatus(protocol.JobFull) == protocol.JobError {
				break
			}
		}
		if err != nil || conn.LastSyncStatus == nil || *conn.LastSyncStatus != protocol.JobError {
			t.Fatalf("connector after reaping: %+v %v", conn, err)
		}
		reaper.stop(t)
	})
}

// TestKilledWorkersJobIsResumedByAnotherProcess: kill -9 of the worker; another instance takes
// the job over and completes it, and the job's history names both.
func TestKilledWorkersJobIsResumedByAnotherProcess(t *testing.T) {
	forModes(t, func(t *testing.T, c *cluster) {
		c.connector("files", "slow", "search-files", map[string]any{"docs": 60, "delay_ms": 50})
		cfg := c.config(map[string]string{"files": "slow"}, "  idle_job_threshold: 3\n")
		victim := start(t, "victim", cfg, "--action", "sync_content")
		id := c.startJob("files")
		c.waitJob(id, 30*time.Second, []*proc{victim}, protocol.JobInProgress)
		time.Sleep(time.Second)
		_ = victim.Cmd.Process.Kill()
		<-victim.Done
		killed := time.Now()
		heir := start(t, "heir", cfg)
		j := c.waitJob(id, 60*time.Second, []*proc{heir}, protocol.JobCompleted, protocol.JobError)
		if j.Status != protocol.JobCompleted || c.count("search-files") != 60 || j.IndexedDocumentCount != 60 {
			t.Fatalf("job %s (%s), indexed %d, index %d\n%s", j.Status, deref(j.Error), j.IndexedDocumentCount, c.count("search-files"), heir.Out.String())
		}
		var events []string
		for _, ev := range j.History() {
			events = append(events, fmt.Sprint(ev["event"]))
		}
		if strings.Join(events, ",") != "claimed,worker_lost,claimed,ended" {
			t.Fatalf("history %v", j.History())
		}
		// Each process logs under its own instance name, and the history says which one did what.
		for i, p := range map[int]*proc{0: victim, 2: heir} {
			m := regexp.MustCompile(`instance=(\S+)`).FindStringSubmatch(p.Out.String())
			if m == nil || j.History()[i]["instance"] != m[1] {
				t.Fatalf("%s logs as %v, the history says %v", p.name, m, j.History()[i]["instance"])
			}
		}
		if j.History()[0]["instance"] == j.History()[2]["instance"] {
			t.Fatal("two processes on one host share an instance name")
		}
		t.Logf("resumed %s after the kill", time.Since(killed).Round(time.Millisecond))
		heir.stop(t)
	})
}

func TestCancelFromTheAPI(t *testing.T) {
	forModes(t, func(t *testing.T, c *cluster) {
		c.connector("slow", "slow", "search-slow", map[string]any{"docs": 1000, "delay_ms": 50})
		p := start(t, "service", c.config(map[string]string{"slow": "slow"}, ""))
		id := c.startJob("slow")
		c.waitJob(id, 30*time.Second, []*proc{p}, protocol.JobInProgress)
		c.do("PUT", "/_connector/_sync_job/"+id+"/_cancel", nil, nil)
		j := c.waitJob(id, 15*time.Second, []*proc{p}, protocol.JobCanceled, protocol.JobError, protocol.JobCompleted)
		if j.Status != protocol.JobCanceled {
			t.Fatalf("job %s (%s)", j.Status, deref(j.Error))
		}
		p.stop(t)
	})
}

// TestOutageKeepsTheServiceRunning is issue 17 point 5 as an operator sees it: with idling 1 and
// a small error budget, an outage far beyond the budget followed by 401s leaves the process
// running and not ready; it is ready again and syncs once Elasticsearch answers.
func TestOutageKeepsTheServiceRunning(t *testing.T) {
	c := newCluster(t, protocol.ModeAPI)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c.connector("slow", "slow", "search-slow", map[string]any{"docs": 5, "delay_ms": 1})
	cfg := c.config(map[string]string{"slow": "slow"}, "  max_errors: 2\n  metrics_addr: "+addr+"\n")
	p := start(t, "service", cfg)
	readyz := func() int {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) || p.Exited() {
				t.Fatalf("%s (exited %v):\n%s", what, p.Exited(), p.Out.String())
			}
		}
	}
	waitFor("never ready", func() bool { return readyz() == 200 })
	drop := c.srv.Faults().Add(estest.Fault{Drop: true})
	waitFor("still ready during the outage", func() bool { return readyz() == 503 })
	time.Sleep(7 * time.Second)
	c.srv.Faults().Remove(drop)
	denied := c.srv.Faults().Add(estest.Fault{Status: 401, ErrorType: "security_exception", Reason: "unable to authenticate user"})
	time.Sleep(3 * time.Second)
	c.srv.Faults().Remove(denied)
	waitFor("not ready after the outage", func() bool { return readyz() == 200 })
	j := c.waitJob(c.startJob("slow"), 60*time.Second, []*proc{p}, protocol.JobCompleted, protocol.JobError)
	if j.Status != protocol.JobCompleted {
		t.Fatalf("job after the outage %s (%s)", j.Status, deref(j.Error))
	}
	out := p.Out.String()
	if n := strings.Count(out, "Elasticsearch is unavailable"); n < 1 || n > 2 {
		t.Fatalf("%d unavailability messages for one outage (and its 401 tail):\n%s", n, out)
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
}
