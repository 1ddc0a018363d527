package cli

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/connectors-go/connectors/estest"
)

// TestNoSecretInAnyOutput puts a distinctive secret in every place a
// credential can sit — the user-info of elasticsearch.host, of
// elasticsearch.proxy and of extraction_service.host, elasticsearch.password,
// elasticsearch.api_key, a per-connector api_key, a header, and a sensitive
// configuration field of a connector — then runs every command that reads
// them, in both log formats at the most verbose level and with both output
// formats, and fails if any secret (or its base64 form, as it travels in
// Authorization headers) appears in what any of them prints.
func TestNoSecretInAnyOutput(t *testing.T) {
	const core = "Zq9SECRET7Hx"
	secret := func(place string) string { return place + core }
	apiKey := "kid:" + secret("apikey")
	connKey := "kid2:" + secret("connkey")
	c := newCluster(t, estest.Options{APIKeys: []string{apiKey, connKey}})
	dir := inTempDir(t)

	hostURL := strings.Replace(c.srv.URL(), "http://", "http://elastic:"+secret("hostpass")+"@", 1)
	// estest answers absolute-form requests too, so it can stand in for
	// the proxy: the proxy URL's credentials are really sent.
	proxyURL := strings.Replace(c.srv.URL(), "http://", "http://puser:"+secret("proxypass")+"@", 1)
	// Nothing listens there: the extraction service's probe fails, and its
	// failure is logged.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close()
	cfgText := fmt.Sprintf(`elasticsearch:
  host: %s
  username: elastic
  password: %s
  api_key: %s
  proxy: %s
  headers:
    X-Custom-Token: %s
  retry_interval: 0.01
  max_wait_duration: 2
service:
  idling: 0.1
  log_level: DEBUG
connectors:
  - connector_id: c1
    service_type: clitest
    api_key: %s
extraction_service:
  host: http://xuser:%s@%s
`, hostURL, secret("password"), apiKey, proxyURL, secret("header"), connKey, secret("extraction"), deadAddr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	// The connector, with a secret in its sensitive field, made by the CLI.
	c.do("PUT", "/_connector/c1", map[string]any{"index_name": "search-s", "service_type": "clitest", "name": "s"}, nil)

	forbidden := []string{core}
	for _, s := range []string{apiKey, connKey, "elastic:" + secret("hostpass"), "elastic:" + secret("password"), "puser:" + secret("proxypass"), "xuser:" + secret("extraction")} {
		forbidden = append(forbidden, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)))
	}
	check := func(t *testing.T, what string, r result) {
		t.Helper()
		for _, f := range forbidden {
			if strings.Contains(r.stdout+r.stderr, f) {
				i := strings.Index(r.stdout+r.stderr, f)
				all := r.stdout + r.stderr
				t.Errorf("%s shows a secret (%q) near: %q", what, f, all[max(0, i-120):min(len(all), i+40)])
			}
		}
	}

	values := writeJSONFile(t, `{"host": "db", "password": "`+secret("field")+`", "docs": 3}`)
	var jobID string
	for _, logFormat := range []string{"text", "json"} {
		for _, output := range []string{"text", "json"} {
			g := []string{"-c", cfgPath, "--log-level", "DEBUG", "--log-format", logFormat, "-o", output}
			name := logFormat + " logs, " + output + " output"
			t.Run(name, func(t *testing.T) {
				run := func(stdin string, args ...string) result {
					t.Helper()
					r := runIn(t, stdin, nil, append(args, g...)...)
					check(t, strings.Join(args, " "), r)
					return r
				}
				run("", "config", "show")
				run("", "config", "validate").expect(t, 0)
				run("", "connector", "update", "c1", "--from-file", values).expect(t, 0)
				run(secret("stdin")+"\n", "connector", "update", "c1", "--set-stdin", "password").expect(t, 0)
				run("", "connector", "get", "c1").expect(t, 0)
				run("", "connector", "list").expect(t, 0)
				run("", "connector", "schedule", "c1", "--full", "0 0 * * * ?").expect(t, 0)
				run("", "connector", "rules", "c1", "--rule", "exclude title contains x").expect(t, 0)
				run("", "connector", "pipeline", "c1").expect(t, 0)
				run("", "connector", "api-key", "c1") // refused: the CLI signs in with an API key
				run("", "index", "list").expect(t, 0)
				run("", "source", "describe", "clitest").expect(t, 0)
				r := run("", "sync", "--connector-id", "c1")
				r.expect(t, 0)
				run("", "job", "start", "-i", "c1", "-t", "full")
				r = run("", "job", "list", "c1")
				if m := regexp.MustCompile(`[A-Za-z0-9_-]{20}`).FindString(r.stdout); m != "" {
					jobID = m
				}
				if jobID != "" {
					run("", "job", "view", "--", jobID)
					run("", "job", "wait", "--timeout", "10ms", "--", jobID)
				}

				// The service itself, until it has synced c1 once.
				sigs := make(chan os.Signal, 1)
				args := append([]string{"run", "--action", "schedule", "--action", "sync_content"}, g...)
				out, errb, done := runAsync(t, func(a *App) { a.Signals = sigs }, args...)
				waitFor(t, errb, "Sync job ended")
				sigs <- syscall.SIGTERM
				r = <-done
				_ = out
				check(t, "run", r)
				if r.code != 0 {
					t.Fatalf("run exit %d:\n%s", r.code, r.stderr)
				}
				if !strings.Contains(r.stderr, "xtraction") {
					t.Errorf("the extraction service's probe was not logged, so its URL was not put to the test:\n%s", r.stderr)
				}

				// Failures name hosts too: an unreachable cluster, refused credentials.
				bad := strings.Replace(cfgText, c.srv.URL()[len("http://"):], deadAddr, -1)
				bad = strings.Replace(bad, "max_wait_duration: 2", "max_wait_duration: 0.2\n  initial_backoff_duration: 0.05", 1)
				badPath := filepath.Join(dir, "bad.yml")
				if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
					t.Fatal(err)
				}
				badArgs := []string{"-c", badPath, "--log-level", "DEBUG", "--log-format", logFormat, "-o", output}
				for _, cmd := range [][]string{{"run"}, {"connector", "list"}, {"config", "show"}, {"sync", "--connector-id", "c1"}} {
					r := runIn(t, "", nil, append(cmd, badArgs...)...)
					check(t, "unreachable: "+strings.Join(cmd, " "), r)
				}
				refused := strings.Replace(cfgText, apiKey, "kid:wrong"+core, 1)
				refusedPath := filepath.Join(dir, "refused.yml")
				if err := os.WriteFile(refusedPath, []byte(refused), 0o600); err != nil {
					t.Fatal(err)
				}
				r = runIn(t, "", nil, append([]string{"connector", "list", "-c", refusedPath}, g[2:]...)...)
				check(t, "refused credentials", r)
			})
		}
	}

	// login stores the secret where it belongs, and prints it nowhere.
	t.Run("login", func(t *testing.T) {
		inTempDir(t)
		r := runIn(t, secret("login")+"\n", nil, "login", "--host", c.srv.URL(), "--api-key-stdin", "--log-level", "DEBUG")
		check(t, "login", r)
	})
}
