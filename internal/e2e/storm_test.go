package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/faultproxy"
	"github.com/connectors-go/connectors/internal/protocol"
)

// stormFiles is the size of the storm test's folder; STORM_FILES overrides
// it for a quick local run.
func stormFiles(t *testing.T) int {
	if v := os.Getenv("STORM_FILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("STORM_FILES=%q: want a number of at least 100", v)
		}
		return n
	}
	return 10000
}

// stormSeeds are the fault sequences every CI run replays; STORM_SEEDS
// (a count) runs seeds 1..n instead.
func stormSeeds(t *testing.T) []uint64 {
	n := 3
	if v := os.Getenv("STORM_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("STORM_SEEDS=%q: want a count", v)
		}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

// makeTree writes n small text files into 100 folders.
func makeTree(t *testing.T, n int) string {
	t.Helper()
	root := t.TempDir()
	for i := 0; i < n; i++ {
		sub := filepath.Join(root, fmt.Sprintf("d%02d", i%100))
		if i < 100 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d.txt", i)), []byte(fmt.Sprintf("file %d of the storm test\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// stormConfig is the storm test's retry tuning: short waits so that CI stays
// fast, a budget far above what the storm needs. Production defaults are
// untouched (docs/configuration.md).
const stormConfig = "  retry_backoff_initial: 0.01\n  retry_backoff_max: 0.2\n  retry_budget: 60\n  request_timeout: 30\n"

// stormEnv is where a storm test runs: estest, or a real node.
type stormEnv struct {
	mode   protocol.Mode
	store  *protocol.Store // reaches the cluster directly, never through the proxy
	client *es.Client
	// connector creates a dir connector syncing folder into index and
	// returns its id.
	connector func(t *testing.T, index, folder string) string
	// config writes config.yml for a service reaching the cluster at host.
	config func(t *testing.T, host string, connectors map[string]string, extraES string) string
	// startJob creates a full sync job as Kibana does.
	startJob func(t *testing.T, id string) string
}

func (e *stormEnv) count(t *testing.T, index string) int {
	t.Helper()
	ctx := context.Background()
	if err := e.client.Request(ctx, "POST", "/"+index+"/_refresh", nil, nil); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Count int `json:"count"`
	}
	if err := e.client.Request(ctx, "GET", "/"+index+"/_count", nil, &res); err != nil {
		t.Fatal(err)
	}
	return res.Count
}

// runJob starts a full sync job and waits for its end.
func (e *stormEnv) runJob(t *testing.T, id string, p *proc) *protocol.Job {
	t.Helper()
	ctx := context.Background()
	jobID := e.startJob(t, id)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		j, err := e.store.GetJob(ctx, jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Terminal() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 5 minutes:\n%s", jobID, j.Status, tail(p.Out.String(), 60))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// estestStorm is a storm environment on a fresh estest.
func estestStorm(t *testing.T, mode protocol.Mode) *stormEnv {
	c := newCluster(t, mode)
	return &stormEnv{
		mode: mode, store: c.store, client: c.client,
		connector: func(t *testing.T, index, folder string) string {
			c.connector("storm", "dir", index, map[string]any{"directory": folder})
			return "storm"
		},
		config: func(t *testing.T, host string, connectors map[string]string, extraES string) string {
			return c.configFor(host, connectors, extraES, "")
		},
		startJob: func(t *testing.T, id string) string { return c.startJob(id) },
	}
}

// TestStormSlowsSyncsDown runs the service binary behind a fault-injecting
// proxy (30% of _bulk answered 429, 10% of all calls 503, 5% of answers cut
// after the cluster applied the request): every job must complete with exact
// counts and the connector must never be put in error.
func TestStormSlowsSyncsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("the storm test syncs 10,000 documents per seed")
	}
	n := stormFiles(t)
	root := makeTree(t, n)
	type run struct {
		name string
		mix  faultproxy.Mix
		seed uint64
		mode protocol.Mode
	}
	var runs []run
	for i, seed := range stormSeeds(t) {
		runs = append(runs, run{fmt.Sprintf("seed%d-%s", seed, modes[i%len(modes)]), faultproxy.Storm, seed, modes[i%len(modes)]})
	}
	// The same storm with connections dropped before forwarding and
	// answers that arrive whole but are not JSON.
	harsh := faultproxy.Storm
	harsh.Drop, harsh.Garble = 0.03, 0.03
	runs = append(runs, run{"harsh-seed1-api", harsh, 1, protocol.ModeAPI})
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			env := estestStorm(t, r.mode)
			runStorm(t, env, env.client.Host(), root, n, r.mix, r.seed, "")
		})
	}
}

// runStorm copies the tree at root into a fresh folder and syncs it twice
// through a fault proxy in front of the cluster at target: everything, then
// after a hundredth of the files were deleted. extraES is added to the
// elasticsearch section of config.yml.
func runStorm(t *testing.T, env *stormEnv, target, root string, n int, mix faultproxy.Mix, seed uint64, extraES string) {
	t.Helper()
	folder := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(folder, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.New(target, mix, seed)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)

	index := fmt.Sprint("search-storm-", time.Now().UnixNano())
	id := env.connector(t, index, folder)
	p := start(t, "service", env.config(t, front.URL, map[string]string{id: "dir"}, stormConfig+extraES))

	// Kibana's view: the connector must never show an error.
	var mu sync.Mutex
	var connectorErrors []string
	ctx, stop := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ctx.Err() == nil {
			if conn, err := env.store.GetConnector(ctx, id); err == nil && (conn.Status == protocol.StatusError || conn.SyncStatus(protocol.JobFull) == protocol.JobError) {
				mu.Lock()
				connectorErrors = append(connectorErrors, fmt.Sprintf("status %s, last_sync_status %s: %s", conn.Status, conn.SyncStatus(protocol.JobFull), deref(conn.Error)))
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	defer func() { stop(); <-watched }()

	started := time.Now()
	j := env.runJob(t, id, p)
	first := time.Since(started)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != int64(n) || j.DeletedDocumentCount != 0 {
		t.Fatalf("first sync: %s, indexed %d, deleted %d, want completed, %d, 0 (error %s); proxy: %s\n%s",
			j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount, n, deref(j.Error), proxy.Stats(), tail(p.Out.String(), 40))
	}
	if got := env.count(t, index); got != n {
		t.Fatalf("first sync: the index holds %d documents, want %d", got, n)
	}

	removed := 0
	for i := 0; i < n; i += 100 {
		if err := os.Remove(filepath.Join(folder, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d.txt", i))); err != nil {
			t.Fatal(err)
		}
		removed++
	}
	started = time.Now()
	j = env.runJob(t, id, p)
	second := time.Since(started)
	if j.Status != protocol.JobCompleted || j.IndexedDocumentCount != int64(n-removed) || j.DeletedDocumentCount != int64(removed) {
		t.Fatalf("second sync: %s, indexed %d, deleted %d, want completed, %d, %d (error %s); proxy: %s\n%s",
			j.Status, j.IndexedDocumentCount, j.DeletedDocumentCount, n-removed, removed, deref(j.Error), proxy.Stats(), tail(p.Out.String(), 40))
	}
	if got := env.count(t, index); got != n-removed {
		t.Fatalf("second sync: the index holds %d documents, want %d", got, n-removed)
	}
	stop()
	<-watched
	mu.Lock()
	if len(connectorErrors) > 0 {
		t.Errorf("the connector was put in error %d times during the storm, first: %s", len(connectorErrors), connectorErrors[0])
	}
	mu.Unlock()
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM:\n%s", code, tail(p.Out.String(), 40))
	}
	st := proxy.Stats()
	if st.Faults() == 0 {
		t.Errorf("the proxy injected no faults: %s", st)
	}
	t.Logf("syncs took %s and %s; proxy: %s", first.Round(time.Millisecond), second.Round(time.Millisecond), st)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			lines++
			if lines > n {
				return s[i+1:]
			}
		}
	}
	return s
}

// TestStormAgainstRealElasticsearch is the storm test against a real node
// (ES_URL; make test-real-es starts one): the service in direct-index mode,
// as on any cluster without the connector API.
func TestStormAgainstRealElasticsearch(t *testing.T) {
	url := os.Getenv("ES_URL")
	if url == "" {
		t.Skip("ES_URL not set (scripts/es-up.sh starts a real node)")
	}
	cfg := config.Default().Elasticsearch
	cfg.Host = url
	cfg.Username, cfg.Password = os.Getenv("ES_USER"), os.Getenv("ES_PASSWORD")
	client, err := es.New(es.Options{Config: cfg, Version: "9.6.0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.Request(ctx, "GET", "/_connector?size=0", nil, nil); err == nil {
		t.Skip("this cluster has the connector API; the estest-based storm covers that mode")
	}
	store, err := protocol.Open(ctx, client, protocol.Options{Force: protocol.ModeIndex})
	if err != nil {
		t.Fatal(err)
	}
	// Maven Central's newest nodes are older than this service's target;
	// the original's ftests allow that the same way.
	t.Setenv("ALLOW_ES_VERSION_MISMATCH", "true")
	env := &stormEnv{
		mode: protocol.ModeIndex, store: store, client: client,
		// As a user would on a cluster without the connector API: the
		// CLI creates the connector indices, the connector and its index.
		connector: func(t *testing.T, index, folder string) string {
			dir := t.TempDir()
			values := filepath.Join(dir, "values.json")
			direct := filepath.Join(dir, "config.yml")
			if err := os.WriteFile(values, []byte(fmt.Sprintf(`{"directory": %q}`, folder)), 0o644); err != nil {
				t.Fatal(err)
			}
			yml := fmt.Sprintf("elasticsearch:\n  host: %s\n  username: %q\n  password: %q\nconnectors: []\n", url, cfg.Username, cfg.Password)
			if err := os.WriteFile(direct, []byte(yml), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, "-c", direct, "connector", "create", "--service-type", "dir", "--index-name", index,
				"--name", "storm test", "--index-language", "en", "--from-file", values)
			cmd.Env = append(os.Environ(), "ENV_FILE=/dev/null")
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			m := regexp.MustCompile(`ID: ([^,]+),`).FindStringSubmatch(string(out))
			if err != nil || m == nil {
				t.Fatalf("connector create: %v\n%s", err, out)
			}
			t.Cleanup(func() { _ = client.Request(context.Background(), "DELETE", "/"+index, nil, nil) })
			return m[1]
		},
		config: func(t *testing.T, host string, connectors map[string]string, extraES string) string {
			var b strings.Builder
			fmt.Fprintf(&b, "elasticsearch:\n  host: %s\n  username: %q\n  password: %q\n  retry_interval: 0.1\n", host, cfg.Username, cfg.Password)
			b.WriteString(extraES)
			b.WriteString("service:\n  idling: 0.5\n  heartbeat: 1\n  job_cleanup_interval: 1\n  preflight_idle: 0.1\nconnectors:\n")
			for id, st := range connectors {
				fmt.Fprintf(&b, "  - connector_id: %s\n    service_type: %s\n", id, st)
			}
			p := filepath.Join(t.TempDir(), "config.yml")
			if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		},
		startJob: func(t *testing.T, id string) string {
			conn, err := store.GetConnector(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			jobID, err := store.CreateJob(ctx, conn, protocol.JobFull, protocol.TriggerOnDemand)
			if err != nil {
				t.Fatal(err)
			}
			return jobID
		},
	}
	n := stormFiles(t)
	root := makeTree(t, n)
	for _, seed := range stormSeeds(t) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			runStorm(t, env, url, root, n, faultproxy.Storm, seed, "")
		})
	}
}
