package redis

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/faultproxy"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

// server is the real Redis of scripts/backends/redis.sh. Tests of this package own it: they flush
// the databases they use.
type server struct {
	host     string
	port     int
	password string
}

func realRedis(t *testing.T) server {
	t.Helper()
	v := testbackend.Require(t, "redis", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD")
	port, err := strconv.Atoi(v["REDIS_PORT"])
	if err != nil {
		t.Fatal(err)
	}
	return server{host: v["REDIS_HOST"], port: port, password: v["REDIS_PASSWORD"]}
}

func (s server) admin(t *testing.T, db int) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: net.JoinHostPort(s.host, strconv.Itoa(s.port)), Password: s.password, DB: db, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (s server) config(extra map[string]any) map[string]any {
	cfg := map[string]any{"host": s.host, "port": s.port, "password": s.password}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

func newSource(t *testing.T, cfg map[string]any) *Source {
	t.Helper()
	return sourcetest.Open(t, Factory, cfg, connector.Env{}).(*Source)
}

func collect(t *testing.T, src *Source, req connector.DocsRequest) []connector.Document {
	t.Helper()
	return sourcetest.Collect(t, src, req)
}

func byKey(docs []connector.Document) map[string]connector.Document {
	out := map[string]connector.Document{}
	for _, d := range docs {
		out[d.Fields["key"].(string)] = d
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestAcceptance(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 3)
	pipe := c.Pipeline()
	for i := range 250 {
		k := fmt.Sprintf("acc:%03d", i)
		switch i % 5 {
		case 0:
			pipe.Set(ctx, k, fmt.Sprintf(`{"n": %d}`, i), 0)
		case 1:
			pipe.HSet(ctx, k, "f", i)
		case 2:
			pipe.RPush(ctx, k, "a", "b")
		case 3:
			pipe.SAdd(ctx, k, "x")
		case 4:
			pipe.ZAdd(ctx, k, goredis.Z{Score: float64(i), Member: "m"})
		}
	}
	_, err := pipe.Exec(ctx)
	must(t, err)
	// Unreadable: the default user loses access to the keys acc:2xx (50 keys); the others must
	// still be indexed and the 50 reported.
	restrict := func(t *testing.T) func() {
		must(t, c.Do(ctx, "ACL", "SETUSER", "default", "resetkeys", "~acc:0*", "~acc:1*").Err())
		return func() {
			if err := c.Do(ctx, "ACL", "SETUSER", "default", "allkeys").Err(); err != nil {
				t.Errorf("restoring the default user: %v", err)
			}
		}
	}
	connectortest.Run(t, Factory, srv.config(map[string]any{"database": "3"}),
		connectortest.ExpectDocs(250),
		connectortest.Unreadable(restrict, 200),
		connectortest.InvalidConfig(map[string]any{"database": "3,x"}, "database"),
		connectortest.InvalidConfig(map[string]any{"database": "3,1000"}, "database"),
	)
}

// TestGoldenDocuments compares every field of the documents with what the original writes for the
// same keys: md5("<db>/<key>") ids, str() of the values, MEMORY USAGE sizes, the configured
// database value and the key type.
func TestGoldenDocuments(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 1)
	long := strings.Repeat("0123456789", 20000)
	must(t, c.Set(ctx, "greeting", "hello", 0).Err())
	must(t, c.Set(ctx, "counter", "42", 0).Err())
	must(t, c.Set(ctx, "float", "1.50", 0).Err())
	must(t, c.Set(ctx, "quoted", `"quoted"`, 0).Err())
	must(t, c.Set(ctx, "json:user", `{"name":"Zoë","age":36,"tags":["a","b"],"ok":true,"none":null,"ratio":0.25}`, 0).Err())
	must(t, c.Set(ctx, "日本語:キー", "値", 0).Err())
	must(t, c.Set(ctx, "long", long, 0).Err())
	must(t, c.Set(ctx, "binary", "\xff\xfe\x00", 0).Err())
	must(t, c.Set(ctx, "expiring", "soon", time.Hour).Err())
	must(t, c.HSet(ctx, "user:1", "name", "Ada", "role", "it's admin").Err())
	must(t, c.RPush(ctx, "queue", "a", "b", "c").Err())
	must(t, c.SAdd(ctx, "tags", "z", "x", "y").Err())
	must(t, c.ZAdd(ctx, "scores", goredis.Z{Score: 2.5, Member: "two"}, goredis.Z{Score: 1, Member: "one"}).Err())
	must(t, c.XAdd(ctx, &goredis.XAddArgs{Stream: "events", ID: "1-1", Values: []any{"f", "v"}}).Err())
	must(t, c.XAdd(ctx, &goredis.XAddArgs{Stream: "events", ID: "2-1", Values: []any{"b", "2", "a", "1"}}).Err())

	want := map[string]struct{ typ, value string }{
		"greeting":  {"string", "hello"},
		"counter":   {"string", "42"},
		"float":     {"string", "1.5"},
		"quoted":    {"string", "quoted"},
		"json:user": {"string", "{'name': 'Zoë', 'age': 36, 'tags': ['a', 'b'], 'ok': True, 'none': None, 'ratio': 0.25}"},
		"日本語:キー":    {"string", "値"},
		"long":      {"string", long},
		"binary":    {"string", ""},
		"expiring":  {"string", "soon"},
		"user:1":    {"hash", `{'name': 'Ada', 'role': "it's admin"}`},
		"queue":     {"list", "['a', 'b', 'c']"},
		"tags":      {"set", "{'x', 'y', 'z'}"},
		"scores":    {"zset", "[('one', 1.0), ('two', 2.5)]"},
		"events":    {"stream", "[['events', [('1-1', {'f': 'v'}), ('2-1', {'b': '2', 'a': '1'})]]]"},
	}
	src := newSource(t, srv.config(map[string]any{"database": "1"}))
	before := time.Now().UTC().Add(-time.Second)
	docs := byKey(collect(t, src, connector.DocsRequest{}))
	if len(docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(docs), len(want))
	}
	for key, w := range want {
		d, ok := docs[key]
		if !ok {
			t.Errorf("no document for %q", key)
			continue
		}
		size, err := c.MemoryUsage(ctx, key).Result()
		must(t, err)
		if d.ID != connector.HashID("1/"+key) {
			t.Errorf("%s: id %s, want md5(\"1/%s\")", key, d.ID, key)
		}
		fields := map[string]any{"key": key, "value": w.value, "size_in_bytes": size, "database": "1", "key_type": w.typ}
		for f, v := range fields {
			if d.Fields[f] != v {
				got := fmt.Sprint(d.Fields[f])
				if len(got) > 80 {
					got = got[:80] + "…"
				}
				t.Errorf("%s.%s = %s (%T), want %v (%T)", key, f, got, d.Fields[f], v, v)
			}
		}
		if len(d.Fields) != len(fields) {
			t.Errorf("%s: fields %v", key, d.Fields)
		}
		ts, err := connector.ParseTime(d.Timestamp)
		if err != nil || ts.Before(before) || !strings.HasSuffix(d.Timestamp, "+00:00") {
			t.Errorf("%s: _timestamp %q should be the sync time, as the original's iso_utc()", key, d.Timestamp)
		}
		if _, err := connector.MarshalJSON(d.Fields); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
}

// TestAllDatabases: "*" reads every database the server has, and the documents carry the database
// as a number (the original's range()).
func TestAllDatabases(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	for db := range 16 {
		srv.admin(t, db)
	}
	must(t, srv.admin(t, 0).Set(ctx, "k0", "zero", 0).Err())
	must(t, srv.admin(t, 15).Set(ctx, "k15", "fifteen", 0).Err())
	docs := collect(t, newSource(t, srv.config(nil)), connector.DocsRequest{})
	if len(docs) != 2 {
		t.Fatalf("got %v", docs)
	}
	got := byKey(docs)
	if d := got["k0"]; d.Fields["database"] != 0 || d.ID != connector.HashID("0/k0") {
		t.Errorf("k0: %+v", d)
	}
	if d := got["k15"]; d.Fields["database"] != 15 || d.ID != connector.HashID("15/k15") {
		t.Errorf("k15: %+v", d)
	}
}

func TestAdvancedRules(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c1 := srv.admin(t, 1)
	c2 := srv.admin(t, 2)
	must(t, c1.HSet(ctx, "user:1", "n", "1").Err())
	must(t, c1.HSet(ctx, "user:2", "n", "2").Err())
	must(t, c1.Set(ctx, "user:3", "three", 0).Err())
	must(t, c1.RPush(ctx, "queue", "a").Err())
	must(t, c1.Set(ctx, "other", "x", 0).Err())
	must(t, c2.Set(ctx, "user:9", "nine", 0).Err())
	src := newSource(t, srv.config(map[string]any{"database": "*"}))

	validation := []struct {
		name  string
		rules any
		want  string
	}{
		{"empty list", []any{}, ""},
		{"pattern", []any{map[string]any{"database": 1.0, "key_pattern": "user:*"}}, ""},
		{"as JSON text", `[{"database": 1, "type": "hash"}]`, ""},
		{"not a list", map[string]any{"database": 1.0}, "data must be array"},
		{"not an object", []any{"x"}, "data[0] must be object"},
		{"no database", []any{map[string]any{"key_pattern": "a"}}, "data[0] must contain ['database'] properties"},
		{"neither pattern nor type", []any{map[string]any{"database": 0.0}}, "data[0] cannot be validated by any definition"},
		{"negative database", []any{map[string]any{"database": -1.0, "type": "hash"}}, "data[0].database must be bigger than or equal to 0"},
		{"database as string", []any{map[string]any{"database": "0", "type": "hash"}}, "data[0].database must be integer"},
		{"fractional database", []any{map[string]any{"database": 1.5, "type": "hash"}}, "data[0].database must be integer"},
		{"empty pattern", []any{map[string]any{"database": 0.0, "key_pattern": ""}}, "data[0].key_pattern must be longer than or equal to 1 characters"},
		{"type not a string", []any{map[string]any{"database": 0.0, "type": 3.0}}, "data[0].type must be string"},
		{"unknown key", []any{map[string]any{"database": 0.0, "type": "hash", "ttl": 1.0, "a": 1.0}}, "data[0] must not contain {'a', 'ttl'} properties"},
		{"second rule", []any{map[string]any{"database": 0.0, "type": "hash"}, map[string]any{"database": 0.0}}, "data[1] cannot be validated by any definition"},
		{"unknown databases", []any{map[string]any{"database": 99.0, "type": "hash"}, map[string]any{"database": 1.0, "type": "hash"}, map[string]any{"database": 100.0, "type": "hash"}}, "Database 99,100 are not available."},
	}
	for _, tt := range validation {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := src.ValidateAdvancedRules(ctx, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "; ")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	rules := []any{
		map[string]any{"database": 1.0, "key_pattern": "user:*", "type": "hash"},
		map[string]any{"database": 1.0, "type": "list"},
		map[string]any{"database": 2.0, "key_pattern": "user:*"},
	}
	docs := collect(t, src, connector.DocsRequest{AdvancedRules: rules})
	var got []string
	for _, d := range docs {
		got = append(got, fmt.Sprintf("%v/%v", d.Fields["database"], d.Fields["key"]))
		if _, isInt := d.Fields["database"].(int); !isInt {
			t.Errorf("%v: a rule's database is a number in the document, as in the original", d.Fields)
		}
	}
	sort.Strings(got)
	if want := "1/queue 1/user:1 1/user:2 2/user:9"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func TestValidateConfigAndPing(t *testing.T) {
	srv := realRedis(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tests := []struct {
		name     string
		cfg      map[string]any
		ping     string
		validate string
	}{
		{"ok", map[string]any{"database": "1, 2"}, "", ""},
		{"all", map[string]any{"database": "*"}, "", ""},
		{"unknown database", map[string]any{"database": "1, 99"}, "", `configuration field "database": Database 99 are not available.`},
		{"not a number", map[string]any{"database": "x, 1"}, "", `configuration field "database": All database element should be integer. Please correct database name: x`},
		{"both", map[string]any{"database": "x,99,-1"}, "", `configuration field "database": Database 99 are not available. Also database element should be integer. Please correct database name: x, -1`},
		{"wrong password", map[string]any{"password": "nope", "database": "1"}, `configuration fields "username" and "password": Redis at`, `"username" and "password"`},
		{"nobody listening", map[string]any{"port": closedPort, "database": "1"}, `configuration fields "host" and "port": cannot reach Redis at 127.0.0.1:` + strconv.Itoa(closedPort), `"host" and "port"`},
		{"not TLS", map[string]any{"ssl_enabled": true, "database": "1"}, `configuration field "ssl_enabled": TLS with`, `"ssl_enabled"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, srv.config(tt.cfg))
			src.handshakeTimeout = time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sourcetest.CheckError(t, "Ping", src.Ping(ctx), tt.ping, "nope")
			sourcetest.CheckError(t, "ValidateConfig", src.ValidateConfig(ctx), tt.validate, "nope")
		})
	}
}

// TestUnreadableDatabaseIsReported: when a database cannot be read after retries, the sync goes on
// and reports it, so the engine deletes nothing that was not seen.
func TestUnreadableDatabaseIsReported(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	for db, n := range map[int]int{1: 20, 2: 20, 3: 5} {
		c := srv.admin(t, db)
		for i := range n {
			must(t, c.Set(ctx, fmt.Sprintf("k%d", i), "v", 0).Err())
		}
	}
	p := faultproxy.Start(t, net.JoinHostPort(srv.host, strconv.Itoa(srv.port)))
	cfg := srv.config(map[string]any{"host": "127.0.0.1", "port": p.Port(), "database": "1,2,3"})
	src := newSource(t, cfg)
	var slept atomic.Int32
	src.sleep = func(context.Context, time.Duration) error { slept.Add(1); return nil }
	var mu sync.Mutex
	var incomplete []string
	req := connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		mu.Lock()
		defer mu.Unlock()
		incomplete = append(incomplete, scope)
		if cause == nil {
			t.Errorf("%s reported without a cause", scope)
		}
	}}
	seen := 0
	err := src.Docs(ctx, req, func(d connector.Document) error {
		seen++
		if d.Fields["database"] == "1" && seen == 20 {
			p.Break() // database 1 is complete; 2 and 3 become unreachable
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs should finish and report what it could not read: %v", err)
	}
	if seen != 20 {
		t.Errorf("emitted %d documents, want the 20 of database 1", seen)
	}
	if strings.Join(incomplete, ",") != "database 2,database 3" {
		t.Errorf("reported %v", incomplete)
	}
	if slept.Load() == 0 {
		t.Error("no retry before giving up")
	}
}

// TestResumeFromCheckpoint: a resumed job starts at the saved SCAN cursor, and the two runs together
// cover every key.
func TestResumeFromCheckpoint(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 4)
	pipe := c.Pipeline()
	const n = 3500
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("key:%05d", i), i, 0)
	}
	_, err := pipe.Exec(ctx)
	must(t, err)
	cfg := srv.config(map[string]any{"database": "4"})

	seen := map[string]bool{}
	var checkpoint map[string]any
	var beforeCheckpoint map[string]bool
	stop := errors.New("worker stopped")
	src := newSource(t, cfg)
	err = src.Docs(ctx, connector.DocsRequest{OnCheckpoint: func(cp map[string]any) {
		if checkpoint == nil {
			checkpoint = cp
			beforeCheckpoint = map[string]bool{}
			for k := range seen {
				beforeCheckpoint[k] = true
			}
		}
	}}, func(d connector.Document) error {
		if checkpoint != nil {
			return stop
		}
		seen[d.Fields["key"].(string)] = true
		return nil
	})
	if !errors.Is(err, stop) || checkpoint == nil {
		t.Fatalf("first run: %v, checkpoint %v", err, checkpoint)
	}
	resumed := collect(t, newSource(t, cfg), connector.DocsRequest{Checkpoint: checkpoint})
	if len(resumed) >= n {
		t.Errorf("the resumed run emitted %d documents: it did not skip what came before the checkpoint", len(resumed))
	}
	all := beforeCheckpoint
	for _, d := range resumed {
		all[d.Fields["key"].(string)] = true
	}
	if len(all) != n {
		t.Errorf("both runs together saw %d keys, want %d", len(all), n)
	}
}

// TestBoundedMemory syncs many keys and checks that the heap stays small: keys are read one SCAN
// page at a time, never collected.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 150,000 keys")
	}
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 5)
	const n = 150_000
	value := strings.Repeat("v", 200)
	for start := 0; start < n; start += 10_000 {
		pipe := c.Pipeline()
		for i := start; i < start+10_000; i++ {
			pipe.Set(ctx, "mem:"+strconv.Itoa(i), value, 0)
		}
		_, err := pipe.Exec(ctx)
		must(t, err)
	}
	defer c.FlushDB(ctx)
	src := newSource(t, srv.config(map[string]any{"database": "5"}))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := uint64(0)
	count := 0
	err := src.Docs(ctx, connector.DocsRequest{}, func(connector.Document) error {
		count++
		if count%5000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	must(t, err)
	if count < n {
		t.Fatalf("emitted %d of %d keys", count, n)
	}
	grown := int64(peak) - int64(base)
	t.Logf("%d keys (SCAN may repeat a few); heap grew by at most %.1f MiB", count, float64(grown)/(1<<20))
	if grown > 48<<20 {
		t.Errorf("heap grew by %d MiB while syncing %d keys: listing is not streamed", grown>>20, n)
	}
}

// TestCancellationStopsPromptly cancels while the server is slowed down by a long-running script,
// which keeps every command waiting: Docs must return on cancel, not when the server answers.
func TestCancellationStopsPromptly(t *testing.T) {
	srv := realRedis(t)
	c := srv.admin(t, 6)
	ctx := context.Background()
	must(t, c.Set(ctx, "a", "1", 0).Err())
	src := newSource(t, srv.config(map[string]any{"database": "6"}))
	busy := make(chan error, 1)
	go func() {
		// Blocks the single-threaded server for about three seconds.
		busy <- c.Eval(ctx, "local t = redis.call('TIME'); local s = tonumber(t[1]); while tonumber(redis.call('TIME')[1]) < s + 3 do end return 1", nil).Err()
	}()
	time.Sleep(200 * time.Millisecond)
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := src.Docs(cctx, connector.DocsRequest{}, func(connector.Document) error { return nil })
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if took > 2*time.Second {
		t.Errorf("Docs returned %v after the cancel", took)
	}
	<-busy
}

// TestTLS connects to the TLS port of the real server, which demands a client certificate, with
// the certificate and key given as PEM text (also squeezed onto one line, as Kibana's text field
// does) or as file paths.
func TestTLS(t *testing.T) {
	srv := realRedis(t)
	v := testbackend.Require(t, "redis", "REDIS_TLS_PORT", "REDIS_TLS_CA_FILE", "REDIS_TLS_CLIENT_CERT_FILE", "REDIS_TLS_CLIENT_KEY_FILE")
	ctx := context.Background()
	must(t, srv.admin(t, 7).Set(ctx, "secure", "yes", 0).Err())
	read := func(k string) string {
		b, err := os.ReadFile(v[k])
		must(t, err)
		return string(b)
	}
	ca := x509.NewCertPool()
	if !ca.AppendCertsFromPEM([]byte(read("REDIS_TLS_CA_FILE"))) {
		t.Fatal("no CA")
	}
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	port, _ := strconv.Atoi(v["REDIS_TLS_PORT"])
	base := map[string]any{"port": port, "database": "7", "ssl_enabled": true}
	tests := []struct {
		name    string
		cfg     map[string]any
		trusted bool
		want    string
	}{
		{"mutual TLS, PEM text", map[string]any{"mutual_tls_enabled": true, "tls_certfile": read("REDIS_TLS_CLIENT_CERT_FILE"), "tls_keyfile": read("REDIS_TLS_CLIENT_KEY_FILE")}, true, ""},
		{"mutual TLS, one-line PEM", map[string]any{"mutual_tls_enabled": true, "tls_certfile": oneLine(read("REDIS_TLS_CLIENT_CERT_FILE")), "tls_keyfile": oneLine(read("REDIS_TLS_CLIENT_KEY_FILE"))}, true, ""},
		{"mutual TLS, files", map[string]any{"mutual_tls_enabled": true, "tls_certfile": v["REDIS_TLS_CLIENT_CERT_FILE"], "tls_keyfile": v["REDIS_TLS_CLIENT_KEY_FILE"]}, true, ""},
		{"no client certificate", nil, true, `turn on "mutual_tls_enabled"`},
		{"server not trusted", map[string]any{"mutual_tls_enabled": true, "tls_certfile": v["REDIS_TLS_CLIENT_CERT_FILE"], "tls_keyfile": v["REDIS_TLS_CLIENT_KEY_FILE"]}, false, `configuration field "ssl_enabled": TLS with`},
		{"key missing", map[string]any{"mutual_tls_enabled": true, "tls_certfile": v["REDIS_TLS_CLIENT_CERT_FILE"]}, true, `configuration field "tls_keyfile": mutual TLS needs a private key in PEM form`},
		{"not PEM", map[string]any{"mutual_tls_enabled": true, "tls_certfile": "/no/such/file.pem", "tls_keyfile": v["REDIS_TLS_CLIENT_KEY_FILE"]}, true, `configuration field "tls_certfile": neither PEM text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.config(base)
			for k, val := range tt.cfg {
				cfg[k] = val
			}
			src := newSource(t, cfg)
			if tt.trusted {
				src.roots = ca
			}
			src.handshakeTimeout = 5 * time.Second
			err := src.Ping(ctx)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want %q", err, tt.want)
				}
				return
			}
			must(t, err)
			docs := collect(t, src, connector.DocsRequest{})
			if len(docs) != 1 || docs[0].Fields["value"] != "yes" {
				t.Errorf("got %v", docs)
			}
		})
	}
}

// TestKeysTheUserMayNotRead: with an ACL user limited to some keys, the others are reported as
// unread (so nothing is deleted) instead of being indexed empty or silently dropped.
func TestKeysTheUserMayNotRead(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 8)
	must(t, c.Set(ctx, "pub:1", "one", 0).Err())
	must(t, c.HSet(ctx, "pub:2", "f", "v").Err())
	must(t, c.Set(ctx, "priv:1", "secret", 0).Err())
	must(t, c.Do(ctx, "ACL", "SETUSER", "limited", "on", ">limited-pw", "~pub:*", "+@all").Err())
	defer c.Do(ctx, "ACL", "DELUSER", "limited")
	src := newSource(t, srv.config(map[string]any{"database": "8", "username": "limited", "password": "limited-pw"}))
	var scopes []string
	docs := collect(t, src, connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		scopes = append(scopes, scope)
		if !strings.Contains(cause.Error(), "NOPERM") {
			t.Errorf("cause %v", cause)
		}
	}})
	got := byKey(docs)
	if len(got) != 2 || got["pub:1"].Fields["value"] != "one" || got["pub:2"].Fields["value"] != "{'f': 'v'}" {
		t.Errorf("docs %v", docs)
	}
	if strings.Join(scopes, ",") != `database 8 key "priv:1"` {
		t.Errorf("reported %v", scopes)
	}
}

// TestBusyServerIsWaitedFor: while a script runs longer than busy-reply-threshold, Redis answers
// every other command with BUSY, its own "try again later". The sync must back off and finish
// with every key, not fail or report the database unreadable.
func TestBusyServerIsWaitedFor(t *testing.T) {
	srv := realRedis(t)
	ctx := context.Background()
	c := srv.admin(t, 8)
	for i := range 30 {
		must(t, c.Set(ctx, fmt.Sprintf("k%02d", i), i, 0).Err())
	}
	old, err := c.ConfigGet(ctx, "busy-reply-threshold").Result()
	must(t, err)
	must(t, c.ConfigSet(ctx, "busy-reply-threshold", "100").Err())
	t.Cleanup(func() {
		_ = c.ConfigSet(context.Background(), "busy-reply-threshold", old["busy-reply-threshold"]).Err()
	})

	busy := make(chan error, 1)
	go func() {
		// Blocks the server for about a second; after 100 ms others get BUSY replies.
		busy <- c.Eval(ctx, "local t = redis.call('TIME'); local s = tonumber(t[1]) * 1000000 + tonumber(t[2]); "+
			"while true do local n = redis.call('TIME'); if tonumber(n[1]) * 1000000 + tonumber(n[2]) > s + 1000000 then break end end return 1", nil).Err()
	}()
	// Make sure the server is busy before the sync starts.
	probe := goredis.NewClient(&goredis.Options{Addr: net.JoinHostPort(srv.host, strconv.Itoa(srv.port)), Password: srv.password, Protocol: 2})
	defer probe.Close()
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := probe.Ping(ctx).Err()
		if err != nil && strings.HasPrefix(err.Error(), "BUSY") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered BUSY (last: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	src := newSource(t, srv.config(map[string]any{"database": "8"}))
	var incomplete []string
	docs := sourcetest.Collect(t, src, connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		incomplete = append(incomplete, fmt.Sprintf("%s: %v", scope, cause))
	}})
	if err := <-busy; err != nil {
		t.Fatalf("script: %v", err)
	}
	if len(incomplete) > 0 || len(docs) != 30 {
		t.Errorf("got %d documents, incomplete %v; want all 30 read once the server is free", len(docs), incomplete)
	}
}
