package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/ftest"
	"github.com/connectors-go/connectors/internal/protocol"
)

// row is one line of the table.
type row struct {
	run, es   string
	docs      int
	seconds   float64
	cpu       float64 // the measured process's CPU seconds (the engine's, or the service's)
	rss       int64
	serverCPU float64 // the Elasticsearch process's CPU seconds; < 0 when unknown
	note      string
}

// server is an Elasticsearch the rows run against.
type server struct {
	name, url string
	pid       int
	stop      func()
}

// startChildServer runs this binary as a server (estest or the discard endpoint).
func startChildServer(role string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-role", role, "-addr", addr)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			return &server{name: role, url: u, pid: cmd.Process.Pid, stop: stop}, nil
		}
	}
	stop()
	return nil, fmt.Errorf("%s did not start", role)
}

// measure runs one child measurement and takes the server's CPU time around it.
func measure(srv *server, run string, args ...string) (row, error) {
	cpu0, err0 := ftest.ProcessCPU(srv.pid)
	r, err := child(args...)
	if err != nil {
		return row{}, err
	}
	out := row{run: run, es: srv.name, docs: r.Docs, seconds: r.Seconds, cpu: r.CPUSeconds, rss: r.MaxRSS, serverCPU: -1, note: r.Extra}
	if cpu1, err1 := ftest.ProcessCPU(srv.pid); err0 == nil && err1 == nil {
		out.serverCPU = cpu1 - cpu0
	}
	return out, nil
}

func orchestrate(list string, servers []string, realN int, ftestBin, ftestSize string) error {
	var sizes []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-n: %w", err)
		}
		sizes = append(sizes, n)
	}
	want := map[string]bool{}
	for _, s := range servers {
		want[strings.TrimSpace(s)] = true
	}
	var rows []row
	var notes []string
	add := func(r row, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "syncbench: %s on %s: %d docs in %.2fs\n", r.run, r.es, r.docs, r.seconds)
		rows = append(rows, r)
		return nil
	}
	var rss []int64

	// estest in its own process: the raw _bulk ceiling, the engine, the engine's re-sync.
	if want["estest"] {
		srv, err := startChildServer("es")
		if err != nil {
			return err
		}
		srv.name = "estest"
		client, err := newClient(srv.url)
		if err != nil {
			srv.stop()
			return err
		}
		for _, n := range sizes {
			docs := strconv.Itoa(n)
			steps := []struct{ run, index string }{{"raw _bulk (ceiling)", "raw"}, {"engine sync", "sync"}, {"engine re-sync (diff)", "sync"}}
			for i, st := range steps {
				role := "sync"
				if i == 0 {
					role = "raw"
				}
				r, err := measure(srv, st.run, "-role", role, "-url", srv.url, "-index", st.index, "-docs", docs)
				if err := add(r, err); err != nil {
					srv.stop()
					return err
				}
				if i > 0 {
					rss = append(rss, r.rss)
				}
			}
			_ = client.Request(context.Background(), "DELETE", "/raw", nil, nil)
			_ = client.Request(context.Background(), "DELETE", "/sync", nil, nil)
		}
		srv.stop()
	}

	// The discard endpoint: the engine's own ceiling.
	{
		srv, err := startChildServer("discard")
		if err != nil {
			return err
		}
		srv.name = "discard"
		for _, n := range sizes {
			if err := add(measure(srv, "engine sync (discard ceiling)", "-role", "sync", "-url", srv.url, "-index", "discard", "-docs", strconv.Itoa(n))); err != nil {
				srv.stop()
				return err
			}
		}
		srv.stop()
	}

	// The real node, at one size (it indexes an order of magnitude slower).
	if want["real"] {
		cl, err := ftest.StartCluster(context.Background(), ftest.Options{ES: ftest.ESReal, Out: os.Stderr})
		if err != nil {
			notes = append(notes, "No real-node rows: "+err.Error())
		} else {
			srv := &server{name: "real node", url: cl.URL, pid: cl.PID}
			docs := strconv.Itoa(realN)
			// Such a node lacks the ent-search module: give it the default pipeline the way the
			// service does before its first sync.
			err := prepareBareNode(cl.URL)
			if err == nil {
				err = add(measure(srv, "raw _bulk (ceiling)", "-role", "raw", "-url", cl.URL, "-index", "raw", "-docs", docs))
			}
			if err == nil {
				err = add(measure(srv, "engine sync", "-role", "sync", "-url", cl.URL, "-index", "sync", "-docs", docs))
			}
			cl.Stop()
			if err != nil {
				return err
			}
		}
	}

	// The service binary through make ftest, every fixture.
	if ftestBin != "" {
		for _, es := range []string{"estest", "real"} {
			if !want[es] {
				continue
			}
			rs, err := runFtest(ftestBin, es, ftestSize)
			if err != nil {
				notes = append(notes, fmt.Sprintf("ftest on %s: %v", es, err))
			}
			rows = append(rows, rs...)
		}
	}

	printTable(rows, notes)
	if len(rss) >= 4 {
		first := max(rss[0], rss[1])
		last := max(rss[len(rss)-1], rss[len(rss)-2])
		fmt.Printf("\nEngine peak RSS from %d to %d documents: %.1f → %.1f MB (%+.1f%%).\n", sizes[0], sizes[len(sizes)-1], mb(first), mb(last), (float64(last)/float64(first)-1)*100)
	}
	return nil
}

// runFtest runs every fixture through the ftest binary and reads its JSON results.
func runFtest(bin, es, size string) ([]row, error) {
	tmp, err := os.MkdirTemp("", "syncbench-ftest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "results.jsonl")
	cmd := exec.Command(bin, "-name", "all", "-size", size, "-es", es, "-json", out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), "ES_URL=")
	runErr := cmd.Run()
	data, err := os.ReadFile(out)
	if err != nil {
		if runErr != nil {
			return nil, runErr
		}
		return nil, err
	}
	var rows []row
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r ftest.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return rows, err
		}
		if r.Skipped != "" {
			continue // its backend is not installed here
		}
		name := map[string]string{"estest": "estest", "real": "real node", "given": "ES_URL"}[r.ES]
		verdict := "PASS"
		if !r.Passed() {
			verdict = "FAIL"
		}
		rows = append(rows, row{run: fmt.Sprintf("ftest %s %s (service binary)", r.Source, r.Size), es: name, docs: r.First.Docs,
			seconds: r.First.Seconds, cpu: r.First.CPUSeconds, rss: r.First.PeakRSS, serverCPU: r.First.ESCPUSeconds, note: verdict})
	}
	if runErr != nil {
		return rows, runErr
	}
	return rows, nil
}

func printTable(rows []row, notes []string) {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	commit, _ := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	fmt.Printf("\n%s, %d cores (GOMAXPROCS %d), %s, %s/%s, commit %s, %s\n\n", model, runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(commit)), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Println("| run | Elasticsearch | docs | seconds | docs/s | CPU s | CPU µs/doc | peak RSS MiB | server CPU s | notes |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		rate, perDoc := 0.0, 0.0
		if r.seconds > 0 {
			rate = float64(r.docs) / r.seconds
		}
		if r.docs > 0 {
			perDoc = r.cpu * 1e6 / float64(r.docs)
		}
		server := "–"
		if r.serverCPU >= 0 {
			server = fmt.Sprintf("%.2f", r.serverCPU)
		}
		fmt.Printf("| %s | %s | %d | %.2f | %.0f | %.2f | %.0f | %.1f | %s | %s |\n",
			r.run, r.es, r.docs, r.seconds, rate, r.cpu, perDoc, mb(r.rss), server, r.note)
	}
	for _, n := range notes {
		fmt.Println("\n" + n)
	}
}

// prepareBareNode creates the connector indices and the default pipeline on a cluster without
// the ent-search module, as the service's preflight does.
func prepareBareNode(url string) error {
	client, err := newClient(url)
	if err != nil {
		return err
	}
	ctx := context.Background()
	info, err := client.Info(ctx)
	if err != nil {
		return err
	}
	major, _ := strconv.Atoi(strings.SplitN(info.Version.Number, ".", 2)[0])
	return protocol.EnsureSystemIndices(ctx, client, protocol.BootstrapOptions{Major: major, Serverless: info.Serverless(),
		Log: slog.New(slog.DiscardHandler)})
}
