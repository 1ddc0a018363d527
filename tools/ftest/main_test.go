package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var bins string

// TestMain builds the three binaries a run needs: the service under test, estest, and this
// command.
func TestMain(m *testing.M) {
	if os.Getenv("E2E_SKIP") != "" {
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "ftest-bins")
	if err != nil {
		panic(err)
	}
	bins = dir
	for name, pkg := range map[string]string{"connectors": "../../cmd/connectors", "estest": "../../cmd/estest", "ftest": "."} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "ftest: cannot build", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ftestRun runs the command on the dir fixture at small against estest and returns its output
// and exit status. Memory is not what these tests are about, so the RSS limit is lifted.
func ftestRun(t *testing.T, extra ...string) (string, int) {
	t.Helper()
	args := append([]string{"-name", "dir", "-size", "small", "-es", "estest", "-max-rss-mb", "4096",
		"-service", filepath.Join(bins, "connectors"), "-estest", filepath.Join(bins, "estest"), "-workdir", t.TempDir()}, extra...)
	cmd := exec.Command(filepath.Join(bins, "ftest"), args...)
	cmd.Env = append(os.Environ(), "ES_URL=", "FTEST_INDUCE_FAILURE=")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func summary(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FTEST ") {
			return l
		}
	}
	return ""
}

func TestDirSmallPasses(t *testing.T) {
	out, code := ftestRun(t)
	line := summary(out)
	if code != 0 || !strings.HasSuffix(line, " PASS") {
		t.Fatalf("exit %d, summary %q:\n%s", code, line, out)
	}
	for _, want := range []string{"source=dir", "size=small", "es=estest", "docs=1000", "second_sync=(docs=1000 +10 ~990 -10"} {
		if !strings.Contains(line, want) {
			t.Errorf("summary %q lacks %q", line, want)
		}
	}
}

func TestInducedFailureExitsNonZero(t *testing.T) {
	out, code := ftestRun(t, "-induce-failure", "count")
	line := summary(out)
	if code != 1 || !strings.Contains(line, " FAIL (") || !strings.Contains(out, "indexed 1000 documents, want 1001") {
		t.Fatalf("exit %d, summary %q:\n%s", code, line, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-size", "huge"},
		{"-induce-failure", "everything"},
	} {
		cmd := exec.Command(filepath.Join(bins, "ftest"), append([]string{"-name", "dir"}, args...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	cmd := exec.Command(filepath.Join(bins, "ftest"), "-name", "nosuchsource", "-es", "estest",
		"-estest", filepath.Join(bins, "estest"), "-service", filepath.Join(bins, "connectors"))
	cmd.Env = append(os.Environ(), "ES_URL=")
	out, _ := cmd.CombinedOutput()
	// The list names every registered fixture, dir among them.
	if !strings.Contains(string(out), "no ftest fixture for NAME=nosuchsource (fixtures: ") || !(strings.Contains(string(out), " dir,") || strings.Contains(string(out), " dir)")) {
		t.Errorf("unknown source: %s", out)
	}
}
