package ftest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connectors-go/connectors/internal/testbackend"
)

// ES choices for Options.ES.
const (
	ESAuto   = "auto"   // the real node when scripts/es-up.sh can start one, else estest
	ESReal   = "real"   // the real node, or fail
	ESEstest = "estest" // estest in its own process
)

// cluster is the Elasticsearch a run talks to, and how to stop it.
type cluster struct {
	URL         string
	User, Pass  string
	Description string // printed: which Elasticsearch, and why
	Kind        string // "real", "estest" or "given", for the summary line
	stop        func()
}

func (c *cluster) Stop() {
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
}

// startCluster provides the Elasticsearch chosen by opts: ES_URL from the environment when set
// (a node someone already runs), else per opts.ES.
func startCluster(ctx context.Context, opts Options) (*cluster, error) {
	if u := os.Getenv("ES_URL"); u != "" && opts.ES != ESEstest {
		return &cluster{URL: u, User: os.Getenv("ES_USER"), Pass: os.Getenv("ES_PASSWORD"), Kind: "given",
			Description: "the Elasticsearch at ES_URL=" + u}, nil
	}
	switch opts.ES {
	case ESReal:
		return startRealNode(ctx, opts)
	case ESEstest:
		return startEstest(ctx, opts, "chosen with FTEST_ES=estest")
	case ESAuto, "":
		c, err := startRealNode(ctx, opts)
		if err == nil {
			return c, nil
		}
		return startEstest(ctx, opts, "no real node: "+firstLine(err.Error()))
	}
	return nil, fmt.Errorf("FTEST_ES=%q: use auto, real or estest", opts.ES)
}

// startRealNode runs scripts/es-up.sh on a free port (other worktrees may run a node on the
// script's default port) and scripts/es-down.sh to stop it.
func startRealNode(ctx context.Context, opts Options) (*cluster, error) {
	root, err := testbackend.RepoRoot()
	if err != nil {
		return nil, err
	}
	check := exec.CommandContext(ctx, filepath.Join(root, "scripts", "es-up.sh"))
	check.Env = append(os.Environ(), "ES_CHECK_JDK=1")
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("scripts/es-up.sh finds no JDK 21+: %s", strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		return nil, errors.New("no mvn on PATH to build tools/es-runner")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "ES_PORT="+strconv.Itoa(port))
	opts.logf("elasticsearch: starting a real node with scripts/es-up.sh on port %d", port)
	up := exec.CommandContext(ctx, filepath.Join(root, "scripts", "es-up.sh"))
	up.Env = env
	var stderr strings.Builder
	up.Stderr = &stderr
	out, err := up.Output()
	down := func() {
		d := exec.Command(filepath.Join(root, "scripts", "es-down.sh"))
		d.Env = env
		_ = d.Run()
	}
	if err != nil {
		down()
		return nil, fmt.Errorf("scripts/es-up.sh failed: %v: %s", err, lastLines(stderr.String(), 5))
	}
	url := testbackend.ParseValues(out)["ES_URL"]
	if url == "" {
		down()
		return nil, errors.New("scripts/es-up.sh printed no ES_URL")
	}
	return &cluster{URL: url, Kind: "real", Description: "a real Elasticsearch node (tools/es-runner) at " + url, stop: down}, nil
}

// startEstest runs estest as its own process, so that its CPU and memory are not the service's.
func startEstest(ctx context.Context, opts Options, why string) (*cluster, error) {
	bin := opts.EstestBinary
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("estest binary %s: %w (make ftest builds it)", bin, err)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.SysProcAttr = childAttr()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	urlc := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " listening on "); ok && !sent {
				urlc <- strings.TrimSpace(u)
				sent = true
			}
		}
		_ = cmd.Wait()
	}()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case u := <-urlc:
		return &cluster{URL: u, Kind: "estest", Description: fmt.Sprintf("estest in its own process (pid %d) at %s, %s", cmd.Process.Pid, u, why), stop: stop}, nil
	case <-done:
		return nil, errors.New("estest exited before it listened")
	case <-time.After(30 * time.Second):
		stop()
		return nil, errors.New("estest did not start within 30s")
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
