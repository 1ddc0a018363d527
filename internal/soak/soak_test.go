// Package soak kills service processes with SIGKILL at random points of `dir` syncs and checks
// that the job lifecycle recovers on its own: every sync ends completed, the index equals the
// folder, no job runs twice, none is left pending or running, and every job's counts are true.
//
// The service binary and estest run as real processes. `go test` runs a short version;
// `make soak` a long one (SOAK_KILLS, SOAK_FILES, SOAK_SEED tune it). Recovery times (kill to
// the job running again) are printed.
package soak

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/testproc"
)

var connectorsBin, estestBin string

func TestMain(m *testing.M) {
	if os.Getenv("E2E_SKIP") != "" {
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "connectors-soak")
	if err != nil {
		panic(err)
	}
	connectorsBin = filepath.Join(dir, "connectors")
	estestBin = filepath.Join(dir, "estest")
	for out, pkg := range map[string]string{connectorsBin: "../../cmd/connectors", estestBin: "../../cmd/estest"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "soak: cannot build", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// params are the soak's size; the defaults are the short version run by `go test`.
type params struct {
	kills int // SIGKILLs per run (one run with one instance, one with three)
	files int
	seed  uint64
	// bulkDelay slows every _bulk request down (estest's delay fault), with chunks of bulkChunk
	// documents: unslowed, the short version's 1,500 files sync in a tenth of a second and the
	// long version's 40,000 in about one, before or at the first progress report, so no kill
	// would meet a recorded count or checkpoint.
	bulkDelay time.Duration
	bulkChunk int
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func getParams() params {
	p := params{kills: envInt("SOAK_KILLS", 3), files: envInt("SOAK_FILES", 1500), seed: uint64(time.Now().UnixNano())}
	if v, err := strconv.ParseUint(os.Getenv("SOAK_SEED"), 10, 64); err == nil {
		p.seed = v
	}
	if os.Getenv("SOAK_FILES") == "" {
		p.bulkDelay, p.bulkChunk = 150*time.Millisecond, 50
	} else {
		// About 80 bulks whatever the size: 40,000 files sync in about 3.5 s, over several
		// progress reports.
		p.bulkDelay, p.bulkChunk = 100*time.Millisecond, max(p.files/80, 50)
	}
	return p
}

func TestSoakKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills service processes for a minute or more")
	}
	p := getParams()
	t.Logf("soak: %d kills per run, %d files, seed %d (SOAK_SEED to replay)", p.kills, p.files, p.seed)
	folder := writeFolder(t, p.files)
	for _, run := range []struct {
		instances int
		mode      protocol.Mode
	}{{1, protocol.ModeAPI}, {3, protocol.ModeIndex}} {
		t.Run(fmt.Sprintf("%d-instances-%s", run.instances, run.mode), func(t *testing.T) {
			s := newSoak(t, p, folder, run.instances, run.mode)
			s.run()
			s.verify()
			s.report()
		})
	}
}

// writeFolder creates the source: files spread over nested folders, each a line of text.
func writeFolder(t *testing.T, n int) string {
	t.Helper()
	root := t.TempDir()
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i%23), fmt.Sprintf("e%d", i%7))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d.txt", i)), []byte(fmt.Sprintf("document %d of the soak\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type instance struct {
	*testproc.Proc
	name   string
	killed bool
}

type kill struct {
	job      string
	instance string
	at       time.Time
}

type soak struct {
	t         *testing.T
	p         params
	rng       *rand.Rand
	folder    string
	instances int
	mode      protocol.Mode
	url       string
	client    *es.Client
	store     *protocol.Store
	procs     []*instance // live ones, by slot
	all       []*instance
	starts    int
	jobs      []string
	kills     []kill
	syncTime  time.Duration // an undisturbed sync, to pick kill points within
}

const connectorID = "soak"
const index = "search-soak"

func newSoak(t *testing.T, p params, folder string, instances int, mode protocol.Mode) *soak {
	s := &soak{t: t, p: p, rng: rand.New(rand.NewPCG(p.seed, uint64(instances))), folder: folder, instances: instances, mode: mode}
	srv := testproc.Start(t, exec.Command(estestBin, "-addr", "127.0.0.1:0"))
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for deadline := time.Now().Add(30 * time.Second); s.url == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(srv.Out.String()); m != nil {
			s.url = m[1]
		}
		if time.Now().After(deadline) || srv.Exited() {
			t.Fatalf("estest did not start:\n%s", srv.Out.String())
		}
	}
	s.client = newClient(t, s.url)
	s.do("POST", "/_estest/faults", map[string]any{"path": "/_bulk", "delay": p.bulkDelay.String()}, nil)
	store, err := protocol.Open(context.Background(), s.client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		t.Fatal(err)
	}
	s.store = store
	s.createConnector()
	for range instances {
		s.procs = append(s.procs, s.start())
	}
	return s
}

func newClient(t *testing.T, url string) *es.Client {
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	cfg.RetryInterval = 0.05
	c, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *soak) do(method, path string, body, out any) {
	s.t.Helper()
	if err := s.client.Request(context.Background(), method, path, body, out); err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// createConnector creates the connector as Kibana does: through the connector API, with the
// schema the service would write and the folder as the user's value.
func (s *soak) createConnector() {
	s.do("PUT", "/_connector/"+connectorID, map[string]any{"index_name": index, "service_type": "dir", "name": connectorID}, nil)
	out, err := exec.Command(connectorsBin, "source", "describe", "dir", "--json").Output()
	if err != nil {
		s.t.Fatalf("source describe: %v", err)
	}
	var schema map[string]any
	if err := json.Unmarshal(out, &schema); err != nil {
		s.t.Fatal(err)
	}
	if err := s.store.PatchConnector(context.Background(), connectorID, map[string]any{
		"configuration": schema["configuration"], "features": schema["features"], "status": protocol.StatusNeedsConfiguration,
	}); err != nil {
		s.t.Fatal(err)
	}
	s.do("PUT", "/_connector/"+connectorID+"/_configuration", map[string]any{"values": map[string]any{"directory": s.folder, "pattern": "**/*.txt"}}, nil)
}

// start runs one more service process under a name of its own.
func (s *soak) start() *instance {
	s.starts++
	name := fmt.Sprintf("soak-%d", s.starts)
	bulk := fmt.Sprintf("  bulk:\n    chunk_size: %d\n", s.p.bulkChunk)
	cfg := fmt.Sprintf(`elasticsearch:
  host: %s
  feature_use_connectors_api: %v
  retry_interval: 0.1
%sservice:
  idling: 0.5
  heartbeat: 1
  job_cleanup_interval: 0.5
  preflight_idle: 0.1
  idle_job_threshold: 3
  max_job_resumes: 1000
  instance_name: %s
connectors:
  - connector_id: %s
    service_type: dir
`, s.url, s.mode == protocol.ModeAPI, bulk, name, connectorID)
	path := filepath.Join(s.t.TempDir(), name+".yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(connectorsBin, "run", "-c", path, "--log-level", "info")
	cmd.Env = append(os.Environ(), "ENV_FILE=/dev/null")
	in := &instance{Proc: testproc.Start(s.t, cmd), name: name}
	s.all = append(s.all, in)
	return in
}

func (s *soak) job(id string) *protocol.Job {
	s.t.Helper()
	j, err := s.store.GetJob(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return j
}

func (s *soak) live(name string) bool {
	for _, in := range s.procs {
		if in.name == name {
			return true
		}
	}
	return false
}

func (s *soak) checkAlive() {
	s.t.Helper()
	for _, in := range s.procs {
		if in.Exited() {
			s.dump()
			s.t.Fatalf("%s exited on its own: %v", in.name, in.Err)
		}
	}
}

func (s *soak) dump() {
	for _, in := range s.all {
		out := in.Out.String()
		if len(out) > 20000 {
			out = "…" + out[len(out)-20000:]
		}
		s.t.Logf("--- %s (killed %v):\n%s", in.name, in.killed, out)
	}
}

// waitRunning waits until the job is claimed (in_progress) by a live process and returns it.
func (s *soak) waitRunning(id string, timeout time.Duration) (*protocol.Job, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s.checkAlive()
		j := s.job(id)
		switch j.Status {
		case protocol.JobInProgress:
			if s.live(j.Instance()) {
				return j, true
			}
		case protocol.JobCompleted:
			return j, false
		case protocol.JobError, protocol.JobCanceled:
			s.dump()
			s.t.Fatalf("job %s ended %s: %s", id, j.Status, deref(j.Error))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.dump()
	s.t.Fatalf("job %s not running after %s", id, timeout)
	return nil, false
}

func (s *soak) waitDone(id string) *protocol.Job {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		s.checkAlive()
		j := s.job(id)
		switch j.Status {
		case protocol.JobCompleted:
			return j
		case protocol.JobError, protocol.JobCanceled:
			s.dump()
			s.t.Fatalf("job %s ended %s: %s", id, j.Status, deref(j.Error))
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.dump()
	s.t.Fatalf("job %s did not complete", id)
	return nil
}

func (s *soak) trigger() string {
	var res struct {
		ID string `json:"id"`
	}
	s.do("POST", "/_connector/_sync_job", map[string]any{"id": connectorID, "job_type": "full"}, &res)
	s.jobs = append(s.jobs, res.ID)
	return res.ID
}

// run does an undisturbed sync to learn how long one takes, then syncs with kills at random
// points until the planned number of kills is done.
func (s *soak) run() {
	id := s.trigger()
	j := s.waitDone(id)
	started, _ := protocol.ParseTime(deref(j.StartedAt))
	done, _ := protocol.ParseTime(deref(j.CompletedAt))
	s.syncTime = done.Sub(started)
	s.t.Logf("an undisturbed sync of %d files takes %s", s.p.files, s.syncTime.Round(time.Millisecond))

	// The first kill of a run waits for a recorded checkpoint, so that every run, the short one
	// too, resumes a job from a checkpoint and checks the counts carried with it.
	needCheckpoint, tries := true, 0
	for len(s.kills) < s.p.kills {
		id := s.trigger()
		for n := 1 + s.rng.IntN(2); n > 0 && len(s.kills) < s.p.kills; n-- {
			if _, running := s.waitRunning(id, 2*time.Minute); !running {
				break
			}
			if needCheckpoint {
				if tries++; tries > 3 {
					s.dump()
					s.t.Fatalf("3 syncs ended before recording a checkpoint: the soak cannot test resumption (sync %s)", s.syncTime)
				}
				j, ok := s.waitCheckpoint(id)
				if !ok {
					break
				}
				needCheckpoint = false
				s.killWorker(j)
				continue
			}
			// A random point of what is left of the sync, from the claim on.
			time.Sleep(time.Duration(s.rng.Int64N(int64(s.syncTime) + 1)))
			j := s.job(id)
			if j.Status != protocol.JobInProgress || !s.live(j.Instance()) {
				continue
			}
			s.killWorker(j)
		}
		s.waitDone(id)
	}
	// Every process, killed or not, stops cleanly at the end.
	for _, in := range s.procs {
		if !in.Terminate(30 * time.Second) {
			s.dump()
			s.t.Fatalf("%s did not stop on SIGTERM", in.name)
		}
	}
}

// waitCheckpoint waits until the running job has recorded a checkpoint with its progress and
// returns it; false when the job ended first or moved to a process that was killed.
func (s *soak) waitCheckpoint(id string) (*protocol.Job, bool) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.checkAlive()
		j := s.job(id)
		if j.Status != protocol.JobInProgress {
			return nil, false
		}
		if rp, err := j.Resume(); err == nil && rp != nil && s.live(j.Instance()) {
			return j, true
		}
	}
	return nil, false
}

// killWorker sends SIGKILL to the process running the job and starts a replacement after a
// random pause.
func (s *soak) killWorker(j *protocol.Job) {
	for slot, in := range s.procs {
		if in.name != j.Instance() {
			continue
		}
		if err := in.Cmd.Process.Kill(); err != nil {
			s.t.Fatal(err)
		}
		<-in.Done
		in.killed = true
		s.kills = append(s.kills, kill{job: j.ID, instance: in.name, at: time.Now()})
		s.t.Logf("kill %d/%d: %s, running job %s at %d documents", len(s.kills), s.p.kills, in.name, j.ID, j.IndexedDocumentCount)
		time.Sleep(time.Duration(s.rng.IntN(1500)) * time.Millisecond)
		s.procs[slot] = s.start()
		return
	}
	s.dump()
	s.t.Fatalf("job %s runs on %q, which is none of the live processes", j.ID, j.Instance())
}

// verify checks the end state against the folder.
func (s *soak) verify() {
	s.do("POST", "/"+protocol.JobsAlias+"/_refresh", nil, nil)
	jobs, err := s.store.ListJobs(context.Background(), protocol.JobQuery{ConnectorIDs: []string{connectorID}})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(jobs) != len(s.jobs) {
		s.t.Errorf("%d jobs for %d syncs", len(jobs), len(s.jobs))
	}
	for _, j := range jobs {
		if j.Status != protocol.JobCompleted {
			s.t.Errorf("job %s is %s", j.ID, j.Status)
		}
		if j.IndexedDocumentCount != int64(s.p.files) || j.DeletedDocumentCount != 0 || j.TotalDocumentCount == nil || *j.TotalDocumentCount != int64(s.p.files) {
			s.t.Errorf("job %s counts: indexed %d, deleted %d, total %v; want %d, 0, %d", j.ID, j.IndexedDocumentCount, j.DeletedDocumentCount, j.TotalDocumentCount, s.p.files, s.p.files)
		}
		s.checkHistory(j)
	}
	if n := s.count(); n != s.p.files {
		s.t.Errorf("the index holds %d documents, the folder %d files", n, s.p.files)
	}
	// Every file is in the index under the original's id (the MD5 of its path); with equal
	// counts, the index is the folder.
	var ids []string
	_ = filepath.WalkDir(s.folder, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			sum := md5.Sum([]byte(path))
			ids = append(ids, hex.EncodeToString(sum[:]))
		}
		return err
	})
	for batch := range slices.Chunk(ids, 1000) {
		var res struct {
			Docs []struct {
				ID    string `json:"_id"`
				Found bool   `json:"found"`
			} `json:"docs"`
		}
		s.do("POST", "/"+index+"/_mget?_source=false", map[string]any{"ids": batch}, &res)
		for _, d := range res.Docs {
			if !d.Found {
				s.t.Errorf("file with id %s is not in the index", d.ID)
			}
		}
	}
}

func (s *soak) count() int {
	s.do("POST", "/"+index+"/_refresh", nil, nil)
	var res struct {
		Count int `json:"count"`
	}
	s.do("GET", "/"+index+"/_count", nil, &res)
	return res.Count
}

// checkHistory asserts that the job ran once: claims follow each other only after the previous
// worker was found lost, and it ended once, completed.
func (s *soak) checkHistory(j *protocol.Job) {
	var trail []string
	open := false
	for _, ev := range j.History() {
		trail = append(trail, fmt.Sprintf("%v@%v", ev["event"], ev["instance"]))
		switch ev["event"] {
		case protocol.EventClaimed:
			if open {
				s.t.Errorf("job %s was claimed while a worker still held it: %v", j.ID, trail)
			}
			open = true
		case protocol.EventWorkerLost:
			if !open {
				s.t.Errorf("job %s lost a worker it did not have: %v", j.ID, trail)
			}
			open = false
		case protocol.EventEnded:
			if !open || ev["status"] != string(protocol.JobCompleted) {
				s.t.Errorf("job %s ended %v out of turn: %v", j.ID, ev["status"], trail)
			}
			open = false
		}
	}
	if len(trail) == 0 || !strings.HasPrefix(trail[len(trail)-1], protocol.EventEnded) {
		s.t.Errorf("job %s history does not end with its completion: %v", j.ID, trail)
	}
}

// report prints, per kill, how long the job took to be noticed and to run again.
func (s *soak) report() {
	var detect, back []time.Duration
	fromCheckpoint := 0
	for _, id := range s.jobs {
		for _, ev := range s.job(id).History() {
			if ev["resumed_from"] == protocol.ResumedFromCheck {
				fromCheckpoint++
			}
		}
	}
	for _, k := range s.kills {
		j := s.job(k.job)
		hist := j.History()
		for i, ev := range hist {
			if ev["event"] != protocol.EventWorkerLost || ev["instance"] != k.instance {
				continue
			}
			lost, _ := protocol.ParseTime(fmt.Sprint(ev["at"]))
			detect = append(detect, lost.Sub(k.at))
			for _, next := range hist[i+1:] {
				if next["event"] == protocol.EventClaimed {
					at, _ := protocol.ParseTime(fmt.Sprint(next["at"]))
					back = append(back, at.Sub(k.at))
					break
				}
			}
		}
	}
	if len(back) != len(s.kills) {
		s.t.Errorf("%d kills, %d recoveries found in the job histories", len(s.kills), len(back))
	}
	if fromCheckpoint == 0 {
		s.t.Errorf("no job was resumed from a checkpoint")
	}
	line := fmt.Sprintf("soak %d instance(s), %s mode, %d files, %d kills (sync %s, %d resumed from a checkpoint): worker lost after %s; job running again after %s",
		s.instances, s.mode, s.p.files, len(s.kills), s.syncTime.Round(100*time.Millisecond), fromCheckpoint, summary(detect), summary(back))
	s.t.Log(line)
	fmt.Println(line)
}

func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n/a"
	}
	slices.Sort(ds)
	r := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	return fmt.Sprintf("min %s / median %s / max %s", r(ds[0]), r(ds[len(ds)/2]), r(ds[len(ds)-1]))
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
