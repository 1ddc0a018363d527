// Package testbackend gives tests the address of a real backend server (PostgreSQL, MariaDB, Redis,
// Samba, object-store emulators, …) started by scripts/backends/<name>.sh.
//
// CI starts every backend once and exports what the scripts print, so all test packages share one
// server per backend; a developer running one package's tests gets a server started for that test
// binary and stopped when it exits (see [Main]).
package testbackend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// EnvRequire makes a backend that cannot be started a test failure instead of a skip. .ci/run
// sets it: integration tests are never silently skipped in CI.
const EnvRequire = "CONNECTORS_REQUIRE_BACKENDS"

// exitNotInstalled is the start script's exit status when the server is not installed here.
const exitNotInstalled = 3

var (
	mu      sync.Mutex
	started = map[string]*backend{}
)

type backend struct {
	values  map[string]string
	err     error
	notHere bool
	state   string // BACKEND_STATE_DIR given to start and stop; set when this process started it
}

// Require returns the values of keys for the named backend: from the environment when every key
// is set there, else from starting scripts/backends/<name>.sh once for this test binary. It skips
// the test when the server is not installed (fails under CONNECTORS_REQUIRE_BACKENDS=1) and fails
// it when the server is installed but does not start.
func Require(t testing.TB, name string, keys ...string) map[string]string {
	t.Helper()
	vals, err := Get(name, keys...)
	if err == nil {
		return vals
	}
	var ni *NotInstalledError
	if errors.As(err, &ni) && os.Getenv(EnvRequire) != "1" {
		t.Skipf("%v (set %s=1 to make this a failure)", err, EnvRequire)
	}
	t.Fatalf("backend %s: %v", name, err)
	return nil
}

// NotInstalledError says the backend's server is not installed on this machine.
type NotInstalledError struct {
	Name   string
	Detail string
}

func (e *NotInstalledError) Error() string {
	msg := fmt.Sprintf("backend %s is not installed here (run scripts/backends/%s.sh install)", e.Name, e.Name)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Get is Require without a test: for TestMain, tools and the ftest harness.
func Get(name string, keys ...string) (map[string]string, error) {
	if vals, ok := fromEnv(keys); ok {
		return vals, nil
	}
	mu.Lock()
	defer mu.Unlock()
	b, ok := started[name]
	if !ok {
		b = start(name)
		started[name] = b
	}
	if b.err != nil {
		if b.notHere {
			return nil, &NotInstalledError{Name: name, Detail: b.err.Error()}
		}
		return nil, b.err
	}
	for _, k := range keys {
		if _, ok := b.values[k]; !ok {
			return nil, fmt.Errorf("scripts/backends/%s.sh start did not print %s", name, k)
		}
	}
	return b.values, nil
}

func fromEnv(keys []string) (map[string]string, bool) {
	if len(keys) == 0 {
		return nil, false
	}
	vals := map[string]string{}
	for _, k := range keys {
		v, ok := os.LookupEnv(k)
		if !ok {
			return nil, false
		}
		vals[k] = v
	}
	return vals, true
}

func start(name string) *backend {
	script, err := Script(name)
	if err != nil {
		return &backend{err: err}
	}
	root, err := RepoRoot()
	if err != nil {
		return &backend{err: err}
	}
	// Test binaries run in parallel: each starts its own server in its own folder.
	state := filepath.Join(root, "tmp", "backends", fmt.Sprintf("%s-%d", name, os.Getpid()))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(script, "start")
	cmd.Env = append(os.Environ(), "BACKEND_STATE_DIR="+state)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == exitNotInstalled {
		return &backend{notHere: true, err: errors.New(strings.TrimSpace(stderr.String()))}
	}
	if err != nil {
		stopScript(script, state)
		return &backend{err: fmt.Errorf("%s start: %v: %s", script, err, strings.TrimSpace(stderr.String()))}
	}
	return &backend{values: ParseValues(stdout.Bytes()), state: state}
}

// ParseValues reads the KEY=VALUE lines a start script prints.
func ParseValues(out []byte) map[string]string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			vals[k] = v
		}
	}
	return vals
}

// Script returns the path of scripts/backends/<name>.sh in this repository.
func Script(name string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "scripts", "backends", name+".sh")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no backend script %s", p)
	}
	return p, nil
}

// RepoRoot is the repository's top folder, found from this source file (tests run from a
// checkout) or, failing that, by walking up from the working directory to go.mod.
func RepoRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Clean(root), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root (no go.mod above the working directory)")
		}
		dir = parent
	}
}

// Stop stops the backends this process started. Call it from TestMain after m.Run (see Main).
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	for name, b := range started {
		if b.state != "" {
			if script, err := Script(name); err == nil {
				stopScript(script, b.state)
			}
		}
		delete(started, name)
	}
}

func stopScript(script, state string) {
	cmd := exec.Command(script, "stop")
	cmd.Env = append(os.Environ(), "BACKEND_STATE_DIR="+state)
	_ = cmd.Run()
	_ = os.RemoveAll(state)
}

// Main runs a package's tests and stops the backends they started: use it as
//
//	func TestMain(m *testing.M) { testbackend.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}
