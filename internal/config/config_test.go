package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, yml string, environ ...string) (*Config, error) {
	t.Helper()
	if environ == nil {
		environ = []string{}
	}
	return Parse("config.yml", []byte(yml), LoadOptions{Environ: environ, NoEnvFile: true})
}

func TestDefaults(t *testing.T) {
	cfg, err := parse(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Elasticsearch, Default().Elasticsearch) || !reflect.DeepEqual(cfg.Service, Default().Service) {
		t.Fatalf("empty file should give defaults:\n%+v", cfg)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"host", cfg.Elasticsearch.Host, "http://localhost:9200"},
		{"chunk_size", cfg.Elasticsearch.Bulk.ChunkSize, 500},
		{"queue_refresh_timeout", cfg.Elasticsearch.Bulk.QueueRefreshTimeout, 1300.0},
		{"max_error_rate", cfg.Elasticsearch.Bulk.ErrorMonitor.MaxErrorRate, 0.15},
		{"idling", cfg.Service.Idling, 30.0},
		{"max_file_download_size", cfg.Service.MaxFileDownloadSize, int64(10485760)},
		{"sources", len(cfg.Sources), 31},
		{"api_key absent", cfg.Elasticsearch.APIKey == nil, true},
		{"extraction absent", cfg.ExtractionService == nil, true},
		{"use connectors api", cfg.Elasticsearch.FeatureUseConnectorsAPI, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("defaults should not warn: %v", cfg.Warnings)
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		name    string
		yml     string
		environ []string
		check   func(*Config) any
		want    any
	}{
		{"nested key", "elasticsearch:\n  bulk:\n    chunk_size: 250\n", nil,
			func(c *Config) any { return c.Elasticsearch.Bulk.ChunkSize }, 250},
		{"dotted top-level key", "elasticsearch.bulk.chunk_size: 250\n", nil,
			func(c *Config) any { return c.Elasticsearch.Bulk.ChunkSize }, 250},
		{"dotted and nested merge", "elasticsearch:\n  host: http://a:9200\nelasticsearch.bulk.chunk_size: 7\n", nil,
			func(c *Config) any { return c.Elasticsearch.Host + " " + strconv.Itoa(c.Elasticsearch.Bulk.ChunkSize) }, "http://a:9200 7"},
		{"interpolated int", "elasticsearch:\n  bulk:\n    chunk_size: ${SIZE}\n", []string{"SIZE=42"},
			func(c *Config) any { return c.Elasticsearch.Bulk.ChunkSize }, 42},
		{"bare variable", "elasticsearch:\n  host: $ES_HOST\n", []string{"ES_HOST=http://es:9200"},
			func(c *Config) any { return c.Elasticsearch.Host }, "http://es:9200"},
		{"default used", "elasticsearch:\n  host: ${ES_HOST|http://fallback:9200}\n", nil,
			func(c *Config) any { return c.Elasticsearch.Host }, "http://fallback:9200"},
		{"bare default used", "service:\n  idling: $IDLE|5\n", nil,
			func(c *Config) any { return c.Service.Idling }, 5.0},
		{"dollar escape", "elasticsearch:\n  password: pa$$word\n", nil,
			func(c *Config) any { return c.Elasticsearch.Password }, "pa$word"},
		{"indented comment not interpolated", "service:\n  # ${NOPE}\n  idling: 3 # ${NOPE2}\n", nil,
			func(c *Config) any { return c.Service.Idling }, 3.0},
		{"hash inside quotes is not a comment", "elasticsearch:\n  password: \"a #${PW}\"\n", []string{"PW=x"},
			func(c *Config) any { return c.Elasticsearch.Password }, "a #x"},
		{"column-0 comment with undefined var", "# host: ${NOPE}\nservice:\n  idling: 3\n", nil,
			func(c *Config) any { return c.Service.Idling }, 3.0},
		{"env var with dots becomes config", "", []string{"elasticsearch.host=http://env:9200", "PATH=/bin"},
			func(c *Config) any { return c.Elasticsearch.Host }, "http://env:9200"},
		{"env var string coerced to int", "", []string{"elasticsearch.bulk.chunk_size=99"},
			func(c *Config) any { return c.Elasticsearch.Bulk.ChunkSize }, 99},
		{"file wins over env var", "elasticsearch:\n  host: http://file:9200\n", []string{"elasticsearch.host=http://env:9200"},
			func(c *Config) any { return c.Elasticsearch.Host }, "http://file:9200"},
		{"api key present", "elasticsearch:\n  api_key: abc\n", nil,
			func(c *Config) any { return *c.Elasticsearch.APIKey }, "abc"},
		{"sources merged over defaults", "sources:\n  custom: my.module:Thing\n", nil,
			func(c *Config) any { return len(c.Sources) }, 32},
		{"extraction service defaults", "extraction_service:\n  host: http://localhost:8090\n", nil,
			func(c *Config) any { return c.ExtractionService.Timeout }, 30.0},
		{"null keeps default", "elasticsearch:\n  ca_certs:\n  request_timeout:\n", nil,
			func(c *Config) any { return c.Elasticsearch.RequestTimeout }, 240.0},
		{"connectors list", "connectors:\n  - connector_id: 123\n    service_type: dir\n", nil,
			func(c *Config) any { return c.Connectors[0].ConnectorID }, "123"},
		{"duplicate connector later wins", "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: b, service_type: dir}\n  - {connector_id: a, service_type: mysql}\n", nil,
			func(c *Config) any { return c.Connectors[0].ServiceType + " " + strconv.Itoa(len(c.Connectors)) }, "mysql 2"},
		{"connector without id dropped", "connectors:\n  - service_type: dir\n  - {connector_id: x, service_type: dir}\n", nil,
			func(c *Config) any { return len(c.Connectors) }, 1},
		{"service types from env list", "", []string{"service.service_types=dir, mysql"},
			func(c *Config) any { return strings.Join(c.Service.ServiceTypes, "|") }, "dir|mysql"},
		{"yaml anchors", "base: &b\n  idling: 4\nservice:\n  <<: *b\n", nil,
			func(c *Config) any { return c.Service.Idling }, 4.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.yml, tt.environ...)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(cfg); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name    string
		yml     string
		environ []string
		want    []string // substrings, each must appear in the error
	}{
		{"negative chunk size", "elasticsearch: {bulk: {chunk_size: -1}}\n", nil,
			[]string{"elasticsearch.bulk.chunk_size: must be > 0, got -1"}},
		{"string for int", "elasticsearch:\n  bulk:\n    chunk_size: lots\n", nil,
			[]string{`elasticsearch.bulk.chunk_size: must be an integer, got "lots" (config.yml:3)`}},
		{"bool wrong", "elasticsearch:\n  ssl: maybe\n", nil,
			[]string{`elasticsearch.ssl: must be true or false, got "maybe" (config.yml:2)`}},
		{"several at once", "service:\n  idling: 0\n  max_concurrent_content_syncs: -2\nelasticsearch:\n  host: localhost:9200\n", nil,
			[]string{"service.idling: must be > 0", "service.max_concurrent_content_syncs: must be > 0", "elasticsearch.host: must be a URL"}},
		{"mapping expected", "elasticsearch: 5\n", nil, []string{"elasticsearch: must be a mapping of keys (config.yml:1)"}},
		{"list expected", "connectors: abc\n", nil, []string{"connectors: must be a list"}},
		{"bad log level", "service:\n  log_level: LOUD\n", nil, []string{`service.log_level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "LOUD"`}},
		{"strict mode", "elasticsearch:\n  host: ${UNSET_HOST}\n", nil, []string{"strict mode enabled, variables $UNSET_HOST are not defined"}},
		{"yaml syntax", "service:\n  idling: 3\n bad: [\n", nil, []string{"cannot parse YAML: line"}},
		{"top level list", "- a\n- b\n", nil, []string{"top level must be a mapping"}},
		{"error rate range", "elasticsearch.bulk.error_monitor.max_error_rate: 2\n", nil, []string{"max_error_rate: must be between 0 and 1"}},
		{"negative text size", "elasticsearch.bulk.max_text_document_size: -1\n", nil, []string{"elasticsearch.bulk.max_text_document_size: must be >= 0"}},
		{"extraction needs host", "extraction_service:\n  timeout: 3\n", nil, []string{"extraction_service.host: is required"}},
		{"idle threshold shorter than three progress reports", "service:\n  idle_job_threshold: 2\n", nil,
			[]string{"service.idle_job_threshold: must be at least 3 seconds, got 2"}},
		{"negative resumes", "service:\n  max_job_resumes: -1\n", nil, []string{"service.max_job_resumes: must be >= 0"}},
		{"credentials in host redacted", "elasticsearch:\n  host: ftp://user:secret@h\n", nil, []string{"REDACTED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.yml, tt.environ...)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want *Error, got %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestStrictModeCanBeDisabled(t *testing.T) {
	cfg, err := parse(t, "elasticsearch:\n  password: ${UNSET_PW}\n", "ENVYAML_STRICT_DISABLE=1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Elasticsearch.Password != "${UNSET_PW}" {
		t.Fatalf("password = %q", cfg.Elasticsearch.Password)
	}
}

// TestProgressIntervalFitsTheIdleThreshold is issue 17 point 2: whatever
// idle_job_threshold passes validation, a live job reports progress at least
// three times within it, and never more than once a second.
func TestProgressIntervalFitsTheIdleThreshold(t *testing.T) {
	for _, tt := range []struct {
		threshold float64
		want      time.Duration
	}{
		{3, time.Second},
		{4.5, 1500 * time.Millisecond},
		{20, 20 * time.Second / 3},
		{30, 10 * time.Second},
		{300, 10 * time.Second},
	} {
		cfg, err := parse(t, fmt.Sprintf("service:\n  idle_job_threshold: %g\n", tt.threshold))
		if err != nil {
			t.Fatalf("threshold %g: %v", tt.threshold, err)
		}
		got := cfg.Service.ProgressInterval()
		if got != tt.want {
			t.Errorf("threshold %gs: progress every %s, want %s", tt.threshold, got, tt.want)
		}
		if 3*got > Seconds(tt.threshold) {
			t.Errorf("threshold %gs: fewer than three reports fit (every %s)", tt.threshold, got)
		}
	}
}

func TestWarnings(t *testing.T) {
	cfg, err := parse(t, "elasticsearch:\n  hots: http://x\nservice:\n  idling: 400\nconnectors:\n  - service_type: dir\n")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{
		"unknown key elasticsearch.hots, ignored (config.yml:2)",
		"service.heartbeat (300s) should be greater than service.idling (400s)",
		"connectors[0] has no connector_id",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %q lack %q", all, want)
		}
	}
}

func TestDotEnv(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "custom.env")
	content := "# comment\nexport ES_HOST=\"http://dotenv:9200\"\nelasticsearch.bulk.chunk_size=12 # trailing\n"
	if err := os.WriteFile(envFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("c.yml", []byte("elasticsearch:\n  host: ${ES_HOST}\n"), LoadOptions{Environ: []string{"ENV_FILE=" + envFile, "ES_HOST=http://env:9200"}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Elasticsearch.Host != "http://dotenv:9200" {
		t.Errorf(".env should win over the environment for interpolation, host = %q", cfg.Elasticsearch.Host)
	}
	if cfg.Elasticsearch.Bulk.ChunkSize != 12 {
		t.Errorf("chunk_size = %d", cfg.Elasticsearch.Bulk.ChunkSize)
	}
	_, err = Parse("c.yml", nil, LoadOptions{Environ: []string{"ENV_FILE=" + filepath.Join(dir, "missing.env")}})
	if err == nil || !strings.Contains(err.Error(), "missing.env") {
		t.Errorf("an explicit ENV_FILE that is missing should fail, got %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "nope.yml not found") {
		t.Fatalf("got %v", err)
	}
}

func TestServiceProblems(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want string // "" means no problem
	}{
		{"no connectors", "", "you must configure at least one connector"},
		{"listed", "connectors:\n  - {connector_id: a, service_type: dir}\n", ""},
		{"deprecated pair", "connector_id: a\nservice_type: dir\n", ""},
		{"changeme", "connectors:\n  - {connector_id: changeme, service_type: dir}\n", "unmodified default configuration"},
		{"worker mode without types", "service: {worker_mode: true}\n", "no service types"},
		{"worker mode with types", "service: {worker_mode: true, service_types: [dir]}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.yml)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range cfg.ServiceProblems() {
				got = append(got, p.String())
			}
			joined := strings.Join(got, "\n")
			if tt.want == "" && joined != "" {
				t.Fatalf("unexpected problems: %s", joined)
			}
			if !strings.Contains(joined, tt.want) {
				t.Fatalf("problems %q lack %q", joined, tt.want)
			}
		})
	}
}

func TestExampleFileIsValid(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config.yml.example"), LoadOptions{Environ: []string{}, NoEnvFile: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.ServiceProblems(); len(p) > 0 {
		t.Fatalf("example should be runnable as is: %v", p)
	}
	if len(cfg.Warnings) > 0 {
		t.Fatalf("example should not warn: %v", cfg.Warnings)
	}
}

func TestMapRedactsSecrets(t *testing.T) {
	const yml = `elasticsearch:
  host: http://elastic:hostsecret@localhost:9200
  password: topsecret
  api_key: keyvalue
  proxy: http://proxyuser:proxysecret@proxy:3128
  headers: {Authorization: Bearer x, X-Team: teamsecret, User-Agent: probe}
connectors:
  - {connector_id: a, service_type: dir, api_key: connkey}
extraction_service:
  host: http://ex:exsecret@extract:8090
`
	cfg, err := parse(t, yml)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Map(true)
	out := fmtAny(m)
	for _, leak := range []string{"topsecret", "keyvalue", "connkey", "Bearer", "hostsecret", "proxysecret", "proxyuser", "teamsecret", "exsecret"} {
		if strings.Contains(out, leak) {
			t.Errorf("Map(true) leaks %q: %s", leak, out)
		}
	}
	es := m["elasticsearch"].(map[string]any)
	want := map[string]any{
		"host":  "http://REDACTED@localhost:9200",
		"proxy": "http://REDACTED@proxy:3128",
	}
	for k, v := range want {
		if es[k] != v {
			t.Errorf("%s = %v, want %v", k, es[k], v)
		}
	}
	if h := es["headers"].(map[string]any); h["User-Agent"] != "probe" || h["X-Team"] != RedactedValue {
		t.Errorf("headers = %v: harmless headers are shown, others hidden", h)
	}
	if cfg.Map(false)["elasticsearch"].(map[string]any)["password"] != "topsecret" {
		t.Error("Map(false) should keep values")
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:9200", "http://localhost:9200"},
		{"http://u:p@h:9200/x", "http://REDACTED@h:9200/x"},
		{"http://u@h", "http://REDACTED@h"},
		{"http://u:p ss@h:9200", "http://REDACTED@h:9200"}, // does not parse: cut at the '@'
		{"http://u:p@ss@h:92 00/a@b", "http://REDACTED@h:92 00/a@b"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDeprecatedMaxConcurrentSyncs(t *testing.T) {
	tests := []struct {
		name    string
		yml     string
		want    int
		warning string
	}{
		{"old key alone is used", "service:\n  max_concurrent_syncs: 3\n", 3, "service.max_concurrent_syncs is deprecated: its value 3 is used"},
		{"new key wins", "service:\n  max_concurrent_syncs: 3\n  max_concurrent_content_syncs: 2\n", 2, "deprecated and ignored: service.max_concurrent_content_syncs (2) is set and wins"},
		{"new key set to its default still wins", "service.max_concurrent_content_syncs: 1\nservice.max_concurrent_syncs: 5\n", 1, "deprecated and ignored"},
		{"from the environment", "", 4, "its value 4 is used"},
		{"absent", "service:\n  idling: 31\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			if tt.yml == "" {
				env = []string{"service.max_concurrent_syncs=4"}
			}
			cfg, err := parse(t, tt.yml, env...)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Service.MaxConcurrentContentSyncs != tt.want {
				t.Errorf("max_concurrent_content_syncs = %d, want %d", cfg.Service.MaxConcurrentContentSyncs, tt.want)
			}
			joined := strings.Join(cfg.Warnings, "\n")
			if tt.warning == "" && strings.Contains(joined, "max_concurrent_syncs") || !strings.Contains(joined, tt.warning) {
				t.Errorf("warnings = %q, want one containing %q", joined, tt.warning)
			}
		})
	}
	if _, err := parse(t, "service:\n  max_concurrent_syncs: 0\n"); err == nil || !strings.Contains(err.Error(), "service.max_concurrent_syncs: must be > 0") {
		t.Errorf("a zero alias should be refused, got %v", err)
	}
}

func TestCredentialWarnings(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"api key with a password", "elasticsearch:\n  api_key: k\n  password: p\n", "the API key is used and the user name and password are ignored"},
		{"api key with a user name", "elasticsearch:\n  api_key: k\n  username: bob\n", "the API key is used"},
		{"api key with URL credentials", "elasticsearch:\n  api_key: k\n  host: http://u:p@h:9200\n", "the credentials in the URL are ignored"},
		{"URL credentials with a password", "elasticsearch:\n  host: http://u:p@h:9200\n  password: p\n", "the credentials in the URL are used"},
		{"api key with the default user", "elasticsearch:\n  api_key: k\n", ""},
		{"password alone", "elasticsearch:\n  password: p\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.yml)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "api_key") || strings.Contains(w, "credentials") || strings.Contains(w, "password") {
					found = append(found, w)
				}
			}
			switch {
			case tt.want == "" && len(found) > 0:
				t.Errorf("unexpected warnings %q", found)
			case tt.want != "" && (len(found) != 1 || !strings.Contains(found[0], tt.want)):
				t.Errorf("warnings %q, want one containing %q", found, tt.want)
			}
			for _, w := range cfg.Warnings {
				if strings.Contains(w, ":p@") || strings.Contains(w, "password: p") {
					t.Errorf("warning shows a secret: %q", w)
				}
			}
		})
	}
}

func TestConnectorProblems(t *testing.T) {
	known := func(s string) bool { return s == "dir" }
	tests := []struct {
		name string
		yml  string
		want []string
	}{
		{"fine", "connectors:\n  - {connector_id: a, service_type: dir}\n", nil},
		{"not compiled in", "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: b, service_type: mysql}\n",
			[]string{`connectors[1].service_type: connector b has service type "mysql", which is not compiled into this binary`}},
		{"no service type", "connectors:\n  - {connector_id: a}\n", []string{"connectors[0].service_type: connector a has no service_type"}},
		{"listed twice", "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: a, service_type: dir}\n",
			[]string{`connectors[1].connector_id: connector_id "a" is listed more than once`}},
		{"deprecated top-level form", "connector_id: a\nservice_type: s3\n", []string{`service_type: connector a has service type "s3"`}},
		// Key paths are those of the file's list, whatever entries were dropped before.
		{"listed twice, the later entry not compiled in", "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: a, service_type: mysql}\n",
			[]string{`connectors[1].connector_id: connector_id "a" is listed more than once`, `connectors[1].service_type: connector a has service type "mysql"`}},
		{"after an entry without connector_id", "connectors:\n  - {service_type: dir}\n  - {connector_id: b, service_type: mysql}\n",
			[]string{`connectors[1].service_type: connector b has service type "mysql"`}},
		{"after a duplicate", "connectors:\n  - {connector_id: a, service_type: dir}\n  - {connector_id: a, service_type: dir}\n  - {connector_id: c}\n",
			[]string{`connectors[1].connector_id: connector_id "a" is listed more than once`, "connectors[2].service_type: connector c has no service_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.yml)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.ConnectorProblems(known)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %v, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].String(), w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
