package ftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/protocol"
	"github.com/connectors-go/connectors/internal/testbackend"
)

// Options configure a run.
type Options struct {
	// Size is the DATA_SIZE.
	Size Size
	// ES is ESAuto, ESReal or ESEstest; ES_URL in the environment overrides it with a running
	// cluster (ES_USER/ES_PASSWORD for its credentials).
	ES string
	// ServiceBinary is the connectors binary under test (bin/connectors).
	ServiceBinary string
	// EstestBinary is cmd/estest built (bin/estest), for ES = estest or auto without a real node.
	EstestBinary string
	// WorkDir holds each run's scratch folder, config.yml and service log (tmp/ftest).
	WorkDir string
	// Limits replace the defaults for every sync when set (FTEST_MAX_RSS_MB, FTEST_MAX_SECONDS).
	Limits *Limits
	// InduceFailure = "count" expects one document more than the fixture says in the first sync:
	// the run must then fail (it proves the checks can fail).
	InduceFailure string
	// Keep leaves the scratch folder, config and log in place.
	Keep bool
	// Out receives progress and the summary line.
	Out io.Writer
}

func (o Options) logf(format string, args ...any) {
	fmt.Fprintf(o.Out, "ftest: "+format+"\n", args...)
}

// DefaultLimits are the bounds a sync of the service must stay within unless the fixture or the
// caller says otherwise. The RSS bound is the project's goal for the real service binary (48 MiB),
// file-backed pages included: the service gives back the pages of the binary that start-up touched
// (internal/exepages), so the drivers every binary links no longer count against it (measured in
// docs/performance.md). The durations are generous for a shared 2-core machine and catch a
// regression of an order of magnitude, not noise.
func DefaultLimits(s Size) Limits {
	d := map[Size]time.Duration{Small: time.Minute, Medium: 3 * time.Minute, Large: 10 * time.Minute, XLarge: time.Hour}[s]
	return Limits{MaxRSSBytes: 48 << 20, MaxDuration: d}
}

// SyncResult is one sync's measurements and verdict.
type SyncResult struct {
	Docs       int     `json:"docs"`
	Created    int64   `json:"created"`
	Updated    int64   `json:"updated"`
	Deleted    int64   `json:"deleted"`
	Seconds    float64 `json:"seconds"`     // the job's started_at to completed_at
	CPUSeconds float64 `json:"cpu_seconds"` // the service process's user+system CPU during the sync
	// ESCPUSeconds is the Elasticsearch process's CPU during the sync when the harness started it
	// (it shares the machine's cores with the service); -1 when unknown.
	ESCPUSeconds float64  `json:"es_cpu_seconds"`
	PeakRSS      int64    `json:"peak_rss_bytes"`
	Problems     []string `json:"problems,omitempty"`
}

// DocsPerSecond is the sync's throughput.
func (r SyncResult) DocsPerSecond() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Docs) / r.Seconds
}

// Result is one run: the first (measured) sync, the second, and the verdict.
type Result struct {
	Source string      `json:"source"`
	Size   Size        `json:"size"`
	ES     string      `json:"es"`
	Mode   string      `json:"protocol_mode"`
	First  SyncResult  `json:"first"`
	Second *SyncResult `json:"second,omitempty"`
	Limits Limits      `json:"-"`
	Err    string      `json:"error,omitempty"` // a failure before or between the syncs
	// Skipped says why the run did not run: its backend is not installed here (and
	// CONNECTORS_REQUIRE_BACKENDS is not 1).
	Skipped string    `json:"skipped,omitempty"`
	Started time.Time `json:"started"`
}

// Passed reports whether every check and limit held.
func (r *Result) Passed() bool {
	return r.Skipped == "" && r.Err == "" && len(r.First.Problems) == 0 && r.Second != nil && len(r.Second.Problems) == 0
}

// Failed reports a run that ran and did not pass (a skipped run did not run).
func (r *Result) Failed() bool { return r.Skipped == "" && !r.Passed() }

// Summary is the one line a run prints.
func (r *Result) Summary() string {
	if r.Skipped != "" {
		return fmt.Sprintf("FTEST source=%s size=%s SKIP (%s)", r.Source, r.Size, r.Skipped)
	}
	var b strings.Builder
	f := r.First
	fmt.Fprintf(&b, "FTEST source=%s size=%s es=%s docs=%d seconds=%.2f docs/s=%.0f cpu_s=%.2f cpu_us/doc=%.0f peak_rss_mib=%.1f",
		r.Source, r.Size, r.ES, f.Docs, f.Seconds, f.DocsPerSecond(), f.CPUSeconds, perDocMicros(f.CPUSeconds, f.Docs), mib(f.PeakRSS))
	if f.ESCPUSeconds >= 0 {
		fmt.Fprintf(&b, " es_cpu_s=%.2f", f.ESCPUSeconds)
	}
	if s := r.Second; s != nil {
		changes := fmt.Sprintf("+%d ~%d -%d", s.Created, s.Updated, s.Deleted)
		if s.Created < 0 {
			changes = fmt.Sprintf("-%d", s.Deleted) // a service that does not report bulk outcomes
		}
		fmt.Fprintf(&b, " second_sync=(docs=%d %s seconds=%.2f cpu_s=%.2f peak_rss_mib=%.1f)",
			s.Docs, changes, s.Seconds, s.CPUSeconds, mib(s.PeakRSS))
	}
	if r.Passed() {
		b.WriteString(" PASS")
		return b.String()
	}
	var why []string
	if r.Err != "" {
		why = append(why, r.Err)
	}
	why = append(why, r.First.Problems...)
	if r.Second != nil {
		for _, p := range r.Second.Problems {
			why = append(why, "second sync: "+p)
		}
	}
	fmt.Fprintf(&b, " FAIL (%d problems: %s)", len(why), firstLine(why[0]))
	return b.String()
}

// report prints every problem, before the summary line that names only the first.
func (r *Result) report(opts Options) {
	if r.Err != "" {
		opts.logf("%s: FAIL: %s", r.Source, r.Err)
	}
	for _, p := range r.First.Problems {
		opts.logf("%s: FAIL first sync: %s", r.Source, p)
	}
	if r.Second != nil {
		for _, p := range r.Second.Problems {
			opts.logf("%s: FAIL second sync: %s", r.Source, p)
		}
	}
}

func perDocMicros(sec float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return sec * 1e6 / float64(n)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// Run runs one fixture: backend, data, Elasticsearch (unless cl is given), service, two syncs,
// checks. It returns a Result whenever the run got far enough to have one; the error is for runs
// that could not start.
func Run(ctx context.Context, fx Fixture, cl *Cluster, opts Options) (*Result, error) {
	res := &Result{Source: fx.ServiceType(), Size: opts.Size, Started: time.Now().UTC()}
	r := &runner{opts: opts, fx: fx, res: res}
	err := r.run(ctx, cl)
	if err != nil {
		res.Err = err.Error()
	}
	return res, nil
}

// RunNamed starts the Elasticsearch, runs the named fixtures one after another against it at
// opts.Size, prints each summary line, and reports whether all passed.
func RunNamed(ctx context.Context, names []string, opts Options) ([]*Result, error) {
	var fxs []Fixture
	for _, n := range names {
		fx, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		fxs = append(fxs, fx)
	}
	defer testbackend.Stop()
	cl, err := StartCluster(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot start an Elasticsearch: %w", err)
	}
	defer cl.Stop()
	opts.logf("elasticsearch: %s", cl.Description)
	var out []*Result
	for _, fx := range fxs {
		res, err := Run(ctx, fx, cl, opts)
		if err != nil {
			return out, err
		}
		res.report(opts)
		fmt.Fprintln(opts.Out, res.Summary())
		out = append(out, res)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

type runner struct {
	opts   Options
	fx     Fixture
	res    *Result
	env    *Env
	client *es.Client
	store  *protocol.Store
	svc    *service
	index  string
	connID string
	limits Limits
	esPID  int
}

func (r *runner) logf(format string, args ...any) {
	r.opts.logf(r.fx.ServiceType()+": "+format, args...)
}

func (r *runner) run(ctx context.Context, cl *Cluster) (err error) {
	name := r.fx.ServiceType()
	r.res.ES = cl.Kind
	r.esPID = cl.PID
	r.connID = "ftest-" + name
	r.index = "search-" + name

	// The backend.
	values := map[string]string{}
	if b := r.fx.Backend(); b.Name != "" {
		r.logf("backend: scripts/backends/%s.sh", b.Name)
		values, err = testbackend.Get(b.Name, b.Keys...)
		var ni *testbackend.NotInstalledError
		if errors.As(err, &ni) && os.Getenv(testbackend.EnvRequire) != "1" {
			// As in the tests: a server that is not installed here skips the run, except where
			// CONNECTORS_REQUIRE_BACKENDS=1 (CI) makes it a failure.
			r.res.Skipped = err.Error()
			return nil
		}
		if err != nil {
			return fmt.Errorf("backend %s: %w", b.Name, err)
		}
	}

	// The data.
	runDir := filepath.Join(r.opts.WorkDir, fmt.Sprintf("%s-%s", name, r.opts.Size))
	if err := os.RemoveAll(runDir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(runDir, "scratch"), 0o755); err != nil {
		return err
	}
	// Fixtures get an absolute, symlink-free folder: what they expect (a dir document's path)
	// must not depend on where the harness was started from.
	if abs, err := filepath.Abs(runDir); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			runDir = real
		}
	}
	if !r.opts.Keep {
		defer os.RemoveAll(runDir)
	}
	r.env = &Env{Size: r.opts.Size, Backend: values, Dir: filepath.Join(runDir, "scratch"), Logf: r.logf}
	setup, err := r.fx.Load(ctx, r.env)
	defer func() {
		if cerr := r.fx.Clean(context.WithoutCancel(ctx), r.env); cerr != nil {
			r.logf("cleaning up the backend: %v", cerr)
		}
	}()
	if err != nil {
		return fmt.Errorf("loading the data set: %w", err)
	}
	r.limits = DefaultLimits(r.opts.Size)
	if setup.Limits != nil {
		r.limits = *setup.Limits
	}
	if r.opts.Limits != nil {
		r.limits = *r.opts.Limits
	}
	r.res.Limits = r.limits

	// Elasticsearch, the service and the connector.
	if err := r.connect(ctx, cl); err != nil {
		return err
	}
	_ = r.client.Request(ctx, "DELETE", "/"+r.index+"?ignore_unavailable=true", nil, nil)
	cfgPath := filepath.Join(runDir, "config.yml")
	if err := r.writeConfig(cfgPath, cl); err != nil {
		return err
	}
	bin, err := installCopy(r.opts.ServiceBinary, filepath.Join(runDir, "connectors"))
	if err != nil {
		return err
	}
	r.svc, err = startService(bin, cfgPath, filepath.Join(runDir, "service.log"), setup.Env)
	if err != nil {
		return err
	}
	defer func() {
		if code := r.svc.stop(); code != 0 && err == nil && r.res.Passed() {
			err = fmt.Errorf("the service exited with status %d after SIGTERM (log: %s)", code, r.svc.logPath)
		}
		if !r.res.Passed() {
			r.logf("last lines of the service log (%s):\n%s", r.svc.logPath, r.svc.tail(30))
		}
	}()
	if err := r.waitPreflight(ctx); err != nil {
		return err
	}
	r.res.Mode = string(r.store.Mode())
	if err := r.createConnector(ctx, setup.Config); err != nil {
		return err
	}

	// First sync.
	exp := setup.Expect
	if r.opts.InduceFailure == "count" {
		exp.Count++
		r.logf("induced failure: expecting %d documents instead of %d", exp.Count, exp.Count-1)
	}
	r.logf("first sync: %d documents expected", exp.Count)
	r.res.First = r.sync(ctx, exp)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Second sync.
	exp2, err := r.fx.Mutate(ctx, r.env)
	if err != nil {
		return fmt.Errorf("changing the data set for the second sync: %w", err)
	}
	r.logf("second sync: %d documents, %d new, %d deleted expected", exp2.Count, exp2.Created, exp2.Deleted)
	second := r.sync(ctx, *exp2)
	r.res.Second = &second
	_ = r.client.Request(context.WithoutCancel(ctx), "DELETE", "/"+r.index+"?ignore_unavailable=true", nil, nil)
	return ctx.Err()
}

func (r *runner) connect(ctx context.Context, cl *Cluster) error {
	cfg := config.Default().Elasticsearch
	cfg.Host, cfg.Username, cfg.Password = cl.URL, cl.User, cl.Pass
	cfg.RetryInterval = 0.2
	client, err := es.New(es.Options{Config: cfg, Version: "ftest", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	r.client = client
	// Nothing is installed on a cluster without the ent-search plugin: the service creates the
	// connector indices and the default pipeline itself (protocol.EnsureSystemIndices).
	return nil
}

func (r *runner) writeConfig(path string, cl *Cluster) error {
	var b strings.Builder
	fmt.Fprintf(&b, "elasticsearch:\n  host: %q\n", cl.URL)
	if cl.User != "" {
		fmt.Fprintf(&b, "  username: %q\n  password: %q\n", cl.User, cl.Pass)
	}
	// idling is how often the service looks for pending jobs: short, so that the time to pick a
	// job up is not mistaken for the harness's. Everything else keeps the service's defaults.
	b.WriteString("service:\n  idling: 0.5\n  preflight_idle: 0.5\n")
	fmt.Fprintf(&b, "connectors:\n  - connector_id: %s\n    service_type: %s\n", r.connID, r.fx.ServiceType())
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// waitPreflight waits until the service has created the connector indices.
func (r *runner) waitPreflight(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for r.client.Request(ctx, "HEAD", "/"+protocol.ConnectorsAlias, nil, nil) != nil ||
		r.client.Request(ctx, "HEAD", "/"+protocol.JobsAlias, nil, nil) != nil {
		if r.svc.exited() {
			return fmt.Errorf("the service exited during start-up:\n%s", r.svc.tail(20))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not create the connector indices within 2 minutes:\n%s", r.svc.tail(20))
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	store, err := protocol.Open(ctx, r.client, protocol.Options{UseAPI: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	r.store = store
	return nil
}

// createConnector does what Kibana does: it creates the connector through the _connector API
// (or, without one, writes its document), with the configuration schema the service publishes
// (`connectors source describe --json`) and the fixture's values.
func (r *runner) createConnector(ctx context.Context, values map[string]any) error {
	out, err := exec.CommandContext(ctx, r.opts.ServiceBinary, "source", "describe", r.fx.ServiceType(), "--json").Output()
	if err != nil {
		return fmt.Errorf("%s source describe %s: %w", r.opts.ServiceBinary, r.fx.ServiceType(), err)
	}
	var schema struct {
		Configuration map[string]map[string]any `json:"configuration"`
		Features      map[string]any            `json:"features"`
	}
	if err := json.Unmarshal(out, &schema); err != nil {
		return fmt.Errorf("source describe: %w", err)
	}
	for k := range values {
		if _, ok := schema.Configuration[k]; !ok {
			return fmt.Errorf("the fixture sets configuration field %q, which source %s does not have", k, r.fx.ServiceType())
		}
	}
	// Leftovers of an earlier run.
	_ = r.client.Request(ctx, "DELETE", "/"+protocol.ConnectorsAlias+"/_doc/"+url.PathEscape(r.connID)+"?refresh=true", nil, nil)

	if r.store.Mode() == protocol.ModeAPI {
		if err := r.client.Request(ctx, "PUT", "/_connector/"+url.PathEscape(r.connID), map[string]any{
			"index_name": r.index, "service_type": r.fx.ServiceType(), "name": r.fx.ServiceType() + "-functional-test",
		}, nil); err != nil {
			return fmt.Errorf("creating connector %s: %w", r.connID, err)
		}
		// Elasticsearch's parser refuses some of the original's schema values, so the schema is
		// written the way the service's own preparation writes it; the values go through the API.
		if err := r.store.PatchConnector(ctx, r.connID, map[string]any{
			"configuration": schema.Configuration, "features": schema.Features, "status": protocol.StatusNeedsConfiguration,
		}); err != nil {
			return fmt.Errorf("writing the configuration schema of connector %s: %w", r.connID, err)
		}
		if err := r.client.Request(ctx, "PUT", "/_connector/"+url.PathEscape(r.connID)+"/_configuration", map[string]any{"values": values}, nil); err != nil {
			return fmt.Errorf("setting the configuration of connector %s: %w", r.connID, err)
		}
		return nil
	}
	for k, v := range values {
		schema.Configuration[k]["value"] = v
	}
	p := protocol.DefaultPipeline
	return r.client.Request(ctx, "PUT", "/"+protocol.ConnectorsAlias+"/_doc/"+url.PathEscape(r.connID)+"?refresh=true", map[string]any{
		"name": r.fx.ServiceType() + "-functional-test", "index_name": r.index, "service_type": r.fx.ServiceType(),
		"status": protocol.StatusConfigured, "is_native": false, "deleted": false,
		"configuration": schema.Configuration, "features": schema.Features,
		"scheduling": map[string]any{"full": map[string]any{"enabled": false, "interval": "0 0 0 * * ?"}},
		"pipeline": map[string]any{"name": p.Name, "extract_binary_content": p.ExtractBinaryContent,
			"reduce_whitespace": p.ReduceWhitespace, "run_ml_inference": p.RunMLInference},
		// No created_at: the 9.x mapping of the connector index is strict and has no such field.
	}, nil)
}

// sync runs one full sync and checks it against exp.
func (r *runner) sync(ctx context.Context, exp Expect) SyncResult {
	res := SyncResult{Docs: exp.Count, ESCPUSeconds: -1}
	fail := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	pid := r.svc.pid()
	conn, err := r.store.GetConnector(ctx, r.connID)
	if err != nil {
		fail("reading connector %s: %v", r.connID, err)
		return res
	}
	if err := resetPeakRSS(pid); err != nil {
		fail("cannot reset the service's peak RSS: %v", err)
	}
	cpu0, err := procCPU(pid)
	if err != nil {
		fail("reading the service's CPU time: %v", err)
	}
	esCPU0, esErr := -1.0, error(nil)
	if r.esPID > 0 {
		esCPU0, esErr = procCPU(r.esPID)
	}
	jobID, err := r.store.CreateJob(ctx, conn, protocol.JobFull, protocol.TriggerOnDemand)
	if err != nil {
		fail("creating a full sync job for connector %s: %v", r.connID, err)
		return res
	}
	// VmHWM gives the peak; sampling says what it is made of (heap and stacks, or the binary's
	// pages), which is what to look at when the peak is too high.
	sampleDone, sampled := make(chan struct{}), make(chan struct{})
	var maxAnon, maxFile int64
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampleDone:
				return
			case <-t.C:
				if a, err := procStatusKB(pid, "RssAnon"); err == nil && a > maxAnon {
					maxAnon = a
				}
				if f, err := procStatusKB(pid, "RssFile"); err == nil && f > maxFile {
					maxFile = f
				}
			}
		}
	}()
	timeout := 3 * r.limits.MaxDuration
	if timeout == 0 {
		timeout = 2 * time.Hour
	}
	timeout += time.Minute // the service's poll and start-up
	job, err := r.waitJob(ctx, jobID, timeout)
	close(sampleDone)
	<-sampled
	if cpu1, cerr := procCPU(pid); cerr == nil {
		res.CPUSeconds = cpu1 - cpu0
	}
	if r.esPID > 0 && esErr == nil {
		if c, err := procCPU(r.esPID); err == nil {
			res.ESCPUSeconds = c - esCPU0
		}
	}
	if rss, rerr := procPeakRSS(pid); rerr == nil {
		res.PeakRSS = rss
	}
	r.logf("job %s: peak RSS %.1f MiB; sampled every 50 ms, at most %.1f MiB anonymous (heap, stacks) and %.1f MiB file-backed (the binary)",
		jobID, mib(res.PeakRSS), mib(maxAnon), mib(maxFile))
	if err != nil {
		fail("%v", err)
		return res
	}
	if job.Status != protocol.JobCompleted {
		fail("job %s ended %s: %s", jobID, job.Status, deref(job.Error))
		return res
	}
	if job.StartedAt != nil && job.CompletedAt != nil {
		t0, e0 := time.Parse(time.RFC3339Nano, *job.StartedAt)
		t1, e1 := time.Parse(time.RFC3339Nano, *job.CompletedAt)
		if e0 == nil && e1 == nil {
			res.Seconds = t1.Sub(t0).Seconds()
		}
	}
	counters, _ := job.Metadata["sync_counters"].(map[string]any)
	res.Created, res.Updated = counter(counters, "bulk_item_results_created"), counter(counters, "bulk_item_results_updated")
	res.Deleted = job.DeletedDocumentCount
	res.Docs = int(job.IndexedDocumentCount)

	// The job's own account.
	if job.IndexedDocumentCount != int64(exp.Count) {
		fail("job %s indexed %d documents, want %d", jobID, job.IndexedDocumentCount, exp.Count)
	}
	switch {
	case counters == nil:
		// The Python original (which this harness can also run) writes no bulk outcomes.
		r.logf("job %s has no sync_counters: creates and updates not checked", jobID)
	default:
		if res.Created != int64(exp.Created) {
			fail("job %s created %d documents, want %d", jobID, res.Created, exp.Created)
		}
		if want := int64(exp.Count - exp.Created); res.Updated != want {
			fail("job %s updated %d documents, want %d", jobID, res.Updated, want)
		}
	}
	if res.Deleted != int64(exp.Deleted) {
		fail("job %s deleted %d documents, want %d", jobID, res.Deleted, exp.Deleted)
	}
	// The index.
	if err := r.client.Request(ctx, "POST", "/"+r.index+"/_refresh", nil, nil); err != nil {
		fail("refreshing %s: %v", r.index, err)
	}
	var count struct {
		Count int `json:"count"`
	}
	if err := r.client.Request(ctx, "GET", "/"+r.index+"/_count", nil, &count); err != nil {
		fail("counting %s: %v", r.index, err)
	} else if count.Count != exp.Count {
		fail("index %s holds %d documents, want %d", r.index, count.Count, exp.Count)
	}
	res.Problems = append(res.Problems, r.checkDocs(ctx, exp)...)
	// The limits.
	if l := r.limits.MaxRSSBytes; l > 0 && res.PeakRSS > l {
		fail("peak RSS %.1f MiB is over the %.1f MiB limit", mib(res.PeakRSS), mib(l))
	}
	if l := r.limits.MaxDuration; l > 0 && res.Seconds > l.Seconds() {
		fail("the sync took %.1fs, over the %s limit", res.Seconds, l)
	}
	return res
}

func (r *runner) waitJob(ctx context.Context, id string, timeout time.Duration) (*protocol.Job, error) {
	deadline := time.Now().Add(timeout)
	for {
		j, err := r.store.GetJob(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading job %s: %w", id, err)
		}
		if j.Status.Terminal() {
			return j, nil
		}
		if r.svc.exited() {
			return nil, fmt.Errorf("the service exited while job %s was %s", id, j.Status)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("job %s is still %s after %s", id, j.Status, timeout)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// checkDocs compares the sampled documents field by field and checks that absent ones are.
func (r *runner) checkDocs(ctx context.Context, exp Expect) []string {
	var problems []string
	ids := make([]string, 0, len(exp.Docs))
	for id := range exp.Docs {
		ids = append(ids, id)
	}
	sortStrings(ids)
	for _, id := range ids {
		var got struct {
			Source json.RawMessage `json:"_source"`
		}
		if err := r.client.Request(ctx, "GET", "/"+r.index+"/_doc/"+url.PathEscape(id), nil, &got); err != nil {
			problems = append(problems, fmt.Sprintf("document %s: %v", id, err))
			continue
		}
		problems = append(problems, compareFields(id, exp.Docs[id], got.Source)...)
	}
	for _, id := range exp.Absent {
		err := r.client.Request(ctx, "GET", "/"+r.index+"/_doc/"+url.PathEscape(id), nil, nil)
		switch {
		case err == nil:
			problems = append(problems, fmt.Sprintf("document %s is still in the index; it should have been deleted", id))
		case !es.IsNotFound(err):
			problems = append(problems, fmt.Sprintf("document %s: %v", id, err))
		}
	}
	return problems
}

func counter(m map[string]any, k string) int64 {
	switch v := m[k].(type) {
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case int64:
		return v
	}
	return -1
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// service is the service binary running as a child process.
type service struct {
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
}

// installCopy copies the service binary the way an installation does (plain writes), and the
// run uses the copy. The binary's pages count in its RSS once mapped, and how many are mapped
// for the code the service actually runs depends on how the file sits in the page cache: a
// binary fresh from the Go linker (written through a memory map, so cached in large folios)
// shows about 6 MiB more file-backed RSS than the same bytes written by cp, tar or a package
// manager. Measuring the copy measures the service, not the linker.
func installCopy(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("service binary %s: %w (make ftest builds it)", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 64<<10)
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, buf); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return dst, nil
}

func startService(bin, cfgPath, logPath string, env map[string]string) (*service, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("service binary %s: %w (make ftest builds it)", bin, err)
	}
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "-c", cfgPath)
	// The Maven-built node is older than the service's target version; the original's ftests
	// allow the mismatch the same way. ENV_FILE keeps a developer's .env out of the run.
	cmd.Env = append(os.Environ(), "ALLOW_ES_VERSION_MISMATCH=true", "ENV_FILE=/dev/null")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	s := &service{cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

func (s *service) pid() int { return s.cmd.Process.Pid }

func (s *service) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to 30 s (then kills) and returns the exit status.
func (s *service) stop() int {
	if !s.exited() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	s.logFile.Close()
	return s.cmd.ProcessState.ExitCode()
}

func (s *service) tail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	return lastLines(string(b), n)
}
