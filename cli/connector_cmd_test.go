package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/estest"
	"github.com/connectors-go/connectors/internal/protocol"
	_ "github.com/connectors-go/connectors/sources/dir"
)

// testSource is a source with the field kinds connector create must
// handle: required text, a validated number, a secret, a toggle, a field
// that depends on it, and an optional list. Its documents come slowly, so
// sync tests can interrupt it.
var testSource = connector.Factory{
	ServiceType: "clitest",
	DisplayName: "CLI test source",
	Features:    connector.Features{BasicRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		{Key: "host", Label: "Host", Order: 1},
		{Key: "port", Label: "Port", Order: 2, Type: connector.TypeInt, Display: connector.DisplayNumeric, Value: 5432,
			Validations: []connector.Validation{connector.GreaterThan(0), connector.LessThan(65536)}},
		{Key: "password", Label: "Password", Order: 3, Sensitive: true},
		{Key: "use_ssl", Label: "Use SSL", Order: 4, Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false},
		{Key: "ca", Label: "CA certificate", Order: 5, DependsOn: []connector.Dependency{{Field: "use_ssl", Value: true}}},
		{Key: "docs", Label: "Documents", Order: 6, Type: connector.TypeInt, Display: connector.DisplayNumeric, Value: 3},
		{Key: "tables", Label: "Tables", Order: 7, Type: connector.TypeList, Optional: true},
	},
	New: func(cfg *connector.Config, env connector.Env) (connector.Source, error) {
		return &testDocs{n: cfg.Int("docs")}, nil
	},
}

func init() { connector.Register(testSource) }

// testDelay slows every document of the test source (sync tests raise it).
var testDelay atomic.Int64

type testDocs struct{ n int }

func (s *testDocs) Ping(context.Context) error { return nil }
func (s *testDocs) Close() error               { return nil }
func (s *testDocs) Docs(ctx context.Context, _ connector.DocsRequest, emit func(connector.Document) error) error {
	for i := 0; i < s.n; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(testDelay.Load())):
		}
		if err := emit(connector.Document{ID: fmt.Sprint(i), Fields: map[string]any{"title": fmt.Sprintf("doc %d", i)}}); err != nil {
			return err
		}
	}
	return nil
}

var createdRE = regexp.MustCompile(`Connector \(name: (.*), ID: (\S+), service_type: (\S+), api_key: (.*)\) has been created!`)

// created extracts the connector id and the shown api_key from the result line.
func created(t *testing.T, r result) (id, apiKey string) {
	t.Helper()
	m := createdRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no result line in:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	return m[2], m[4]
}

func writeJSONFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "values.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func configValue(c *protocol.Connector, key string) any {
	e, _ := c.Configuration[key].(map[string]any)
	return e["value"]
}

// modes runs a test against the _connector API and against direct index
// access (feature_use_connectors_api: false).
var cliModes = []struct {
	name  string
	extra string
}{
	{"api", ""},
	{"index", "  feature_use_connectors_api: false\n"},
}

func TestConnectorCreateFromFlagsAndFile(t *testing.T) {
	for _, m := range cliModes {
		t.Run(m.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, m.extra)
			runIn(t, "", nil, "connector", "list").expect(t, 0, "No connectors found")

			values := writeJSONFile(t, `{"host": "db.example", "port": "5433", "password": "hunter2", "use_ssl": true, "ca": "/etc/ca.pem", "tables": ["a", "b"]}`)
			r := runIn(t, "", nil, "connector", "create", "--index-name", "search-db", "--service-type", "clitest",
				"--name", "My DB", "--index-language", "fr", "--from-file", values)
			r.expect(t, 0, "has been created!")
			if strings.Contains(r.stdout+r.stderr, "hunter2") {
				t.Fatal("a configuration secret was printed")
			}
			if r.stderr != "" {
				t.Fatalf("asked or warned although flags and file gave every value:\n%s", r.stderr)
			}
			id, key := created(t, r)
			if !strings.Contains(r.stdout, "name: My DB,") || key == "none" || key == "" {
				t.Fatalf("result line: %s", r.stdout)
			}

			conn := c.connector(id)
			switch {
			case conn.Index() != "search-db", conn.Name != "My DB", conn.Type() != "clitest", conn.IsNative:
				t.Fatalf("connector: %+v", conn)
			case conn.Status != protocol.StatusConfigured:
				t.Fatalf("status %s", conn.Status)
			case conn.Language == nil || *conn.Language != "fr":
				t.Fatalf("language %v", conn.Language)
			case conn.APIKeyID == nil || *conn.APIKeyID == "":
				t.Fatal("no api_key_id on the connector")
			case !conn.FeatureEnabled("incremental_sync.enabled") || !conn.FeatureEnabled("sync_rules.basic.enabled"):
				t.Fatalf("features %v", conn.Features)
			case conn.Scheduling.Full.Interval != "0 0 0 * * ?" || conn.Scheduling.Full.Enabled:
				t.Fatalf("scheduling %+v", conn.Scheduling)
			case conn.EffectivePipeline().Name != "search-default-ingestion":
				t.Fatalf("pipeline %+v", conn.Pipeline)
			}
			// Values are stored with their types; lists as Kibana's text.
			want := map[string]any{"host": "db.example", "port": float64(5433), "password": "hunter2", "use_ssl": true, "ca": "/etc/ca.pem", "tables": "a,b", "docs": float64(3)}
			for k, v := range want {
				if got := configValue(conn, k); got != v {
					t.Errorf("configuration %s = %#v, want %#v", k, got, v)
				}
			}
			if !c.exists("search-db") {
				t.Fatal("content index not created")
			}
			var keys struct {
				APIKeys []struct {
					ID       string         `json:"id"`
					Metadata map[string]any `json:"metadata"`
				} `json:"api_keys"`
			}
			c.do("GET", "/_security/api_key?name=search-db-connector", nil, &keys)
			if len(keys.APIKeys) != 1 || keys.APIKeys[0].ID != *conn.APIKeyID || keys.APIKeys[0].Metadata["created_by"] != "Connectors CLI" {
				t.Fatalf("api keys %+v, connector key %s", keys.APIKeys, *conn.APIKeyID)
			}

			list := runIn(t, "", nil, "connector", "list")
			list.expect(t, 0, "Showing 1 connectors", id, "search-db", "clitest", "configured")

			// The service can read what was written.
			cfg, err := testSource.NewConfig(conn.Configuration)
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil || cfg.Int("port") != 5433 || strings.Join(cfg.List("tables"), "|") != "a|b" {
				t.Fatalf("stored configuration reads back as port %d tables %v (%v)", cfg.Int("port"), cfg.List("tables"), err)
			}
		})
	}
}

func TestConnectorCreatePrompts(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		want   map[string]any // configuration values
		asked  []string
		silent []string // prompts that must not appear
	}{
		{"every field asked in order", []string{"--service-type", "clitest"},
			"search-p\nPrompted\n\ndb\n5433\nsecret\ntrue\n/ca.pem\n7\nx, y\n", 0,
			map[string]any{"host": "db", "port": float64(5433), "password": "secret", "use_ssl": true, "ca": "/ca.pem", "docs": float64(7), "tables": "x, y"},
			[]string{"Index name:", "Connector name [search-p]:", "Index language [en]:", "Host:", "Port [5432]:", "Password:", "Use SSL [false]:", "CA certificate:", "Tables (optional):"}, nil},
		{"dependent field skipped", []string{"--service-type", "clitest", "--index-name", "search-p", "--name", "n", "--index-language", "en"},
			"db\n\nsecret\n\n\n\n", 0,
			map[string]any{"host": "db", "port": float64(5432), "use_ssl": false, "ca": "", "docs": float64(3)},
			[]string{"Host:", "Use SSL [false]:"}, []string{"CA certificate", "Index name:"}},
		{"bad number asked again", []string{"--service-type", "clitest", "--index-name", "search-p", "--name", "n", "--index-language", "en"},
			"db\nmany\n77\nsecret\n\n\n\n", 0,
			map[string]any{"port": float64(77)},
			[]string{"try again"}, nil},
		{"source chosen from the menu", []string{"--index-name", "search-p", "--name", "n", "--index-language", "en"},
			"clitest\ndb\n\nsecret\n\n\n\n", 0,
			map[string]any{"host": "db"},
			[]string{"Sources:", "clitest (CLI test source)", "Service type (number or name):"}, nil},
		{"input ends: defaults, then validation", []string{"--service-type", "clitest", "--index-name", "search-p", "--name", "n", "--index-language", "en"},
			"", 1, nil,
			[]string{"host: 'Host' cannot be empty.", "password: 'Password' cannot be empty."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, "")
			r := runIn(t, tt.stdin, onTerminal, append([]string{"connector", "create"}, tt.args...)...)
			r.expect(t, tt.code, tt.asked...)
			for _, s := range tt.silent {
				if strings.Contains(r.stderr, s) {
					t.Fatalf("asked %q:\n%s", s, r.stderr)
				}
			}
			if strings.Contains(r.stdout+r.stderr, "secret\n") {
				t.Fatal("the secret was echoed")
			}
			if tt.code != 0 {
				if c.exists("search-p") {
					t.Fatal("index created although the configuration is invalid")
				}
				return
			}
			id, _ := created(t, r)
			conn := c.connector(id)
			for k, v := range tt.want {
				if got := configValue(conn, k); got != v {
					t.Errorf("configuration %s = %#v, want %#v", k, got, v)
				}
			}
		})
	}
}

// onTerminal makes standard input count as a terminal, where questions are shown.
func onTerminal(a *App) { tty := true; a.stdinTTY = &tty }

// TestConnectorCreateWithoutTerminal: standard input that is not a terminal
// gets no questions written; its lines still answer them, and a required
// value that no flag and no line gives fails naming its flag.
func TestConnectorCreateWithoutTerminal(t *testing.T) {
	questions := []string{"Sources:", "Service type (", "Index name:", "Connector name [", "Index language [", "Host:", "Port [", "Password:", "Use SSL [", "Tables (optional):"}
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string
		conf  map[string]any
	}{
		{"answers read from the input", nil,
			"clitest\nsearch-p\nPiped\n\ndb\n5433\nsecret\ntrue\n/ca.pem\n7\nx, y\n", 0, nil,
			map[string]any{"host": "db", "port": float64(5433), "password": "secret", "use_ssl": true, "ca": "/ca.pem", "tables": "x, y"}},
		{"flags and defaults, input ends early", []string{"--service-type", "clitest", "--index-name", "search-p"},
			"\n\ndb\n\nsecret\n", 0, nil,
			map[string]any{"host": "db", "port": float64(5432), "password": "secret", "use_ssl": false}},
		{"no service type", nil, "", 2, []string{"no service type given (pass --service-type)"}, nil},
		{"no index name", []string{"--service-type", "clitest"}, "", 2, []string{"no index name given (pass --index-name)"}, nil},
		{"required field missing", []string{"--service-type", "clitest", "--index-name", "search-p", "--name", "n", "--index-language", "en"},
			"", 1, []string{"host: 'Host' cannot be empty."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, "")
			r := runIn(t, tt.stdin, nil, append([]string{"connector", "create"}, tt.args...)...)
			r.expect(t, tt.code, tt.want...)
			for _, q := range questions {
				if strings.Contains(r.stderr, q) {
					t.Fatalf("question %q written without a terminal:\n%s", q, r.stderr)
				}
			}
			if tt.code != 0 {
				return
			}
			if r.stderr != "" {
				t.Errorf("stderr of a successful create without a terminal: %q", r.stderr)
			}
			id, _ := created(t, r)
			conn := c.connector(id)
			for k, v := range tt.conf {
				if got := configValue(conn, k); got != v {
					t.Errorf("configuration %s = %#v, want %#v", k, got, v)
				}
			}
		})
	}
}

func TestConnectorCreateRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, c *cluster)
		args    []string
		code    int
		want    string
	}{
		{"invalid values name their fields", nil,
			[]string{"--from-file", `{"host": "", "port": 70000, "password": "x"}`}, 1,
			"port: 'Port' value '70000' should be less than 65536."},
		{"unknown file key", nil, []string{"--from-file", `{"hots": "x"}`}, 1, "not configuration fields of clitest: hots"},
		{"file is not an object", nil, []string{"--from-file", `[1]`}, 1, "is not a JSON object"},
		{"index exists", func(t *testing.T, c *cluster) { c.seed("search-r", 1) },
			[]string{"--from-file", `{"host": "h", "password": "p"}`}, 1,
			"Index for search-r already exists. Include the flag --from-index"},
		{"--from-index without the index", nil, []string{"--from-index", "--from-file", `{"host": "h", "password": "p"}`}, 1,
			"The flag --from-index was provided but index doesn't exist."},
		{"index already a connector", func(t *testing.T, c *cluster) {
			c.do("PUT", "/_connector/other", map[string]any{"index_name": "search-r", "service_type": "dir", "name": "o"}, nil)
		}, []string{"--from-index", "--from-file", `{"host": "h", "password": "p"}`}, 1, "This index is already a connector."},
		{"unknown source", nil, []string{"--service-type", "oracle9"}, 2, `unknown service type "oracle9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, estest.Options{})
			inTempDir(t)
			writeCLIConfigFor(t, c, "")
			if tt.prepare != nil {
				tt.prepare(t, c)
			}
			args := []string{"connector", "create", "--index-name", "search-r", "--name", "r", "--index-language", "en"}
			if !contains(tt.args, "--service-type") {
				args = append(args, "--service-type", "clitest")
			}
			for i := 0; i < len(tt.args); i++ {
				if tt.args[i] == "--from-file" {
					args = append(args, "--from-file", writeJSONFile(t, tt.args[i+1]))
					i++
					continue
				}
				args = append(args, tt.args[i])
			}
			existed := c.exists("search-r")
			runIn(t, "", nil, args...).expect(t, tt.code, tt.want)
			if !existed && c.exists("search-r") {
				t.Fatal("the index was created by a refused create")
			}
			conns, err := c.store().AllConnectors(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, conn := range conns {
				if conn.ID != "other" {
					t.Fatalf("connector %s created by a refused create", conn.ID)
				}
			}
		})
	}
}

func TestConnectorCreateFromExistingIndex(t *testing.T) {
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, "")
	c.seed("search-old", 2)
	r := runIn(t, "", nil, "connector", "create", "--index-name", "search-old", "--service-type", "dir", "--name", "old",
		"--index-language", "", "--from-index", "--from-file", writeJSONFile(t, `{"directory": "/srv/docs"}`))
	r.expect(t, 0, "has been created!")
	id, _ := created(t, r)
	if got := c.count("search-old"); got != 2 {
		t.Fatalf("existing index has %d docs, want its 2", got)
	}
	conn := c.connector(id)
	if conn.Language != nil || configValue(conn, "directory") != "/srv/docs" || configValue(conn, "pattern") != "**/*.*" {
		t.Fatalf("connector: language %v, configuration %v", conn.Language, conn.Configuration)
	}
}

func TestConnectorCreateUpdatesServiceConfig(t *testing.T) {
	c := newCluster(t, estest.Options{})
	inTempDir(t)
	writeCLIConfigFor(t, c, "")
	svc := filepath.Join(t.TempDir(), "config.yml")
	const original = "# my service\nelasticsearch:\n  host: ${ES_HOST}  # from the environment\nconnectors:\n  # the first one\n  - connector_id: first\n    service_type: dir\n"
	if err := os.WriteFile(svc, []byte(original), 0o640); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "", nil, "connector", "create", "--index-name", "search-u", "--service-type", "dir", "--name", "u",
		"--index-language", "en", "--from-file", writeJSONFile(t, `{"directory": "/d"}`), "--update-config", "--connector-service-config", svc)
	r.expect(t, 0, "New connector has been added to "+svc, "api_key: saved in "+svc)
	id, _ := created(t, r)
	raw, err := os.ReadFile(svc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"# my service", "${ES_HOST}", "# from the environment", "# the first one", "connector_id: first",
		`connector_id: "` + id + `"`, `service_type: "dir"`, "api_key: "} {
		if !strings.Contains(text, want) {
			t.Fatalf("%s lacks %q:\n%s", svc, want, text)
		}
	}
	t.Setenv("ES_HOST", c.srv.URL())
	runIn(t, "", nil, "config", "validate", "-c", svc).expect(t, 0, "valid")
	if st, _ := os.Stat(svc); st.Mode().Perm() != 0o640 {
		t.Fatalf("file mode changed to %v", st.Mode().Perm())
	}

	// A file without a connectors list gets one.
	bare := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(bare, []byte("service:\n  idling: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := appendConnectorEntry(bare, map[string]string{"connector_id": "x", "service_type": "dir"}); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(bare); !strings.Contains(string(raw), "connectors:\n  - connector_id: \"x\"\n    service_type: \"dir\"\n") {
		t.Fatalf("new list:\n%s", raw)
	}
}

func TestConnectorCreateAPIKeyCases(t *testing.T) {
	t.Run("cli signed in with an api key", func(t *testing.T) {
		c := newCluster(t, estest.Options{APIKeys: []string{"kid:kval"}})
		inTempDir(t)
		writeCLIConfigFor(t, c, "  api_key: kid:kval\n")
		r := runIn(t, "", nil, "connector", "create", "--index-name", "search-k", "--service-type", "dir", "--name", "k",
			"--index-language", "en", "--from-file", writeJSONFile(t, `{"directory": "/d"}`))
		r.expect(t, 0, "Not creating an API key", "api_key: none")
		id, _ := created(t, r)
		if conn := c.connector(id); conn.APIKeyID != nil {
			t.Fatalf("api_key_id %v", *conn.APIKeyID)
		}
	})
	t.Run("native keeps the key as a secret", func(t *testing.T) {
		c := newCluster(t, estest.Options{})
		inTempDir(t)
		writeCLIConfigFor(t, c, "")
		r := runIn(t, "", nil, "connector", "create", "--index-name", "content-n", "--service-type", "dir", "--name", "n",
			"--index-language", "en", "--native", "--update-config", "--from-file", writeJSONFile(t, `{"directory": "/d"}`))
		r.expect(t, 0, "api_key: stored as connector secret", "Not adding a native connector")
		id, _ := created(t, r)
		conn := c.connector(id)
		if !conn.IsNative || conn.APIKeySecretID == nil || conn.APIKeyID == nil {
			t.Fatalf("native connector: native %v secret %v key %v", conn.IsNative, conn.APIKeySecretID, conn.APIKeyID)
		}
		var secret struct {
			Value string `json:"value"`
		}
		c.do("GET", "/_connector/_secret/"+*conn.APIKeySecretID, nil, &secret)
		if secret.Value == "" {
			t.Fatal("secret is empty")
		}
	})
}

func TestTypedConfiguration(t *testing.T) {
	f := connector.Factory{
		ServiceType: "typed",
		Fields: []connector.Field{
			{Key: "empty_list", Type: connector.TypeList, Value: []string{}, Optional: true},
			{Key: "list", Type: connector.TypeList},
			{Key: "text_list", Type: connector.TypeList},
			{Key: "number", Type: connector.TypeInt, Display: connector.DisplayNumeric},
			{Key: "unset_number", Type: connector.TypeInt, Display: connector.DisplayNumeric, Optional: true},
			{Key: "flag", Type: connector.TypeBool, Display: connector.DisplayToggle},
			{Key: "text"},
		},
	}
	conf, err := f.ConfigurationWith(map[string]any{
		"list": []any{"a", "b"}, "text_list": "x, y", "number": "5", "flag": "true", "text": float64(7),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := typedConfiguration(f, conf); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"empty_list": "", "list": "a,b", "text_list": "x, y", "number": 5, "unset_number": "", "flag": true, "text": "7"}
	for k, v := range want {
		if got := conf[k].(map[string]any)["value"]; got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}
