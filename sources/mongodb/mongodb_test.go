package mongodb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/faultproxy"
	"github.com/connectors-go/connectors/sources/internal/sourcetest"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

// server is the FerretDB of scripts/backends/ferretdb.sh (MongoDB wire protocol over SQLite).
type server struct {
	url, host, port string
	client          *mongo.Client
}

func realMongo(t *testing.T) server {
	t.Helper()
	v := testbackend.Require(t, "ferretdb", "MONGODB_URL", "MONGODB_HOST", "MONGODB_PORT")
	c, err := mongo.Connect(options.Client().ApplyURI(v["MONGODB_URL"]))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return server{url: v["MONGODB_URL"], host: v["MONGODB_HOST"], port: v["MONGODB_PORT"], client: c}
}

// collection returns an emptied collection of a database owned by one test.
func (s server) collection(t *testing.T, db, name string) *mongo.Collection {
	t.Helper()
	c := s.client.Database(db).Collection(name)
	if err := c.Drop(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (s server) config(db, coll string, extra map[string]any) map[string]any {
	cfg := map[string]any{"host": s.url, "database": db, "collection": coll}
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

func insert(t *testing.T, c *mongo.Collection, docs ...any) {
	t.Helper()
	if _, err := c.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptance(t *testing.T) {
	srv := realMongo(t)
	c := srv.collection(t, "connectors_acceptance", "items")
	var docs []any
	for i := range 300 {
		docs = append(docs, bson.D{{Key: "n", Value: i}, {Key: "name", Value: fmt.Sprintf("item %d", i)},
			{Key: "tags", Value: bson.A{"a", i % 7}}, {Key: "at", Value: bson.NewDateTimeFromTime(time.Unix(int64(i)*3600, 0))}})
	}
	insert(t, c, docs...)
	connectortest.Run(t, Factory, srv.config("connectors_acceptance", "items", nil),
		connectortest.ExpectDocs(300),
		connectortest.InvalidConfig(map[string]any{"datetime_conversion": "NOPE"}, "datetime_conversion"),
		connectortest.InvalidConfig(map[string]any{"collection": "missing"}, "collection"),
		connectortest.InvalidConfig(map[string]any{"database": "connectors_no_such_db"}, "database"),
	)
}

// TestGoldenDocuments reads back, through a real server, documents holding every BSON type FerretDB
// stores, and compares every field with what the original indexes. convert_test.go covers the
// types FerretDB cannot store.
func TestGoldenDocuments(t *testing.T) {
	srv := realMongo(t)
	c := srv.collection(t, "connectors_golden", "people")
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f6a7b8c9d0e1")
	uuid := []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}
	when := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	long := strings.Repeat("λ", 60_000)
	insert(t, c,
		bson.D{
			{Key: "_id", Value: oid},
			{Key: "name", Value: "Zoë Ångström"},
			{Key: "age", Value: int32(36)},
			{Key: "big", Value: int64(1) << 40},
			{Key: "score", Value: 1.0},
			{Key: "ratio", Value: 0.125},
			{Key: "active", Value: true},
			{Key: "nothing", Value: nil},
			{Key: "born", Value: bson.NewDateTimeFromTime(when)},
			{Key: "midnight", Value: bson.NewDateTimeFromTime(time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC))},
			{Key: "address", Value: bson.D{{Key: "city", Value: "Zürich"}, {Key: "geo", Value: bson.A{8.54, 47.37}}}},
			{Key: "tags", Value: bson.A{"a", int32(2), bson.D{{Key: "deep", Value: bson.A{true}}}}}, // FerretDB refuses arrays in arrays
			{Key: "friend", Value: oid},
			{Key: "key", Value: bson.Binary{Subtype: 4, Data: uuid}},
			{Key: "old_key", Value: bson.Binary{Subtype: 3, Data: uuid}},
			{Key: "blob", Value: bson.Binary{Subtype: 0, Data: []byte("\x00\x01binary")}},
			{Key: "pattern", Value: bson.Regex{Pattern: "^z", Options: "i"}},
			{Key: "ts", Value: bson.Timestamp{T: 1700000000, I: 1}},
			{Key: "long", Value: long},
			{Key: "id", Value: "replaced by _id"},
		},
		bson.D{{Key: "_id", Value: int32(7)}, {Key: "name", Value: "numeric id"}},
		bson.D{{Key: "_id", Value: "custom-key"}, {Key: "name", Value: "string id"}},
		bson.D{{Key: "_id", Value: bson.Binary{Subtype: 4, Data: uuid}}, {Key: "name", Value: "uuid id"}},
		bson.D{{Key: "_id", Value: 2.5}, {Key: "name", Value: "float id"}},
	)
	src := newSource(t, srv.config("connectors_golden", "people", nil))
	docs := collect(t, src, connector.DocsRequest{})
	byID := map[string]connector.Document{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	if len(byID) != 5 {
		t.Fatalf("ids %v", keys(byID))
	}
	want := map[string]any{
		"name":     "Zoë Ångström",
		"age":      int64(36),
		"big":      int64(1) << 40,
		"score":    1.0,
		"ratio":    0.125,
		"active":   true,
		"nothing":  nil,
		"born":     "2024-05-06T07:08:09.123000",
		"midnight": "1999-12-31T00:00:00",
		"address":  map[string]any{"city": "Zürich", "geo": []any{8.54, 47.37}},
		"tags":     []any{"a", int64(2), map[string]any{"deep": []any{true}}},
		"friend":   "65a1b2c3d4e5f6a7b8c9d0e1",
		"key":      "12345678-9abc-def0-1234-56789abcdef0",
		"old_key":  nil,
		"blob":     "AAFiaW5hcnk=",
		"pattern":  "/^z/i",
		"ts":       map[string]any{"t": int64(1700000000), "i": int64(1)},
		"long":     long,
	}
	d, ok := byID["65a1b2c3d4e5f6a7b8c9d0e1"]
	if !ok {
		t.Fatalf("ObjectId _id should be its hex string; ids %v", keys(byID))
	}
	for k, w := range want {
		if !reflect.DeepEqual(d.Fields[k], w) {
			got := fmt.Sprintf("%#v", d.Fields[k])
			if len(got) > 100 {
				got = got[:100] + "…"
			}
			t.Errorf("%s = %s, want %#v", k, got, w)
		}
	}
	if len(d.Fields) != len(want) {
		t.Errorf("fields: %v", keys(d.Fields))
	}
	if _, err := connector.ParseTime(d.Timestamp); err != nil {
		t.Errorf("timestamp %q", d.Timestamp)
	}
	for id, name := range map[string]string{"7": "numeric id", "custom-key": "string id", "12345678-9abc-def0-1234-56789abcdef0": "uuid id", "2.5": "float id"} {
		if byID[id].Fields["name"] != name {
			t.Errorf("_id %s: %+v", id, byID[id])
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAdvancedRules runs finds and aggregations on the server; the aggregation's compound $sort
// only comes out right when the order of its keys is kept.
func TestAdvancedRules(t *testing.T) {
	srv := realMongo(t)
	c := srv.collection(t, "connectors_rules", "orders")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var docs []any
	for i := range 40 {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("o%02d", i)}, {Key: "group", Value: i % 4},
			{Key: "rank", Value: i % 5}, {Key: "total", Value: float64(i) * 1.5}, {Key: "secret", Value: "x"},
			{Key: "at", Value: bson.NewDateTimeFromTime(base.Add(time.Duration(i) * 24 * time.Hour))}})
	}
	insert(t, c, docs...)
	src := newSource(t, srv.config("connectors_rules", "orders", nil))
	run := func(rules string) []connector.Document {
		t.Helper()
		var v any
		if err := json.Unmarshal([]byte(rules), &v); err != nil {
			t.Fatal(err)
		}
		if problems, err := src.ValidateAdvancedRules(context.Background(), v); err != nil || len(problems) > 0 {
			t.Fatalf("%s: %v %v", rules, problems, err)
		}
		return collect(t, src, connector.DocsRequest{AdvancedRules: v, AdvancedRulesJSON: json.RawMessage(rules)})
	}
	ids := func(docs []connector.Document) string {
		var out []string
		for _, d := range docs {
			out = append(out, d.ID)
		}
		return strings.Join(out, ",")
	}

	got := run(`{"find": {"filter": {"group": 1, "total": {"$gte": 20}}, "projection": ["group", "total"], "batch_size": 2}}`)
	if ids(got) != "o17,o21,o25,o29,o33,o37" {
		t.Errorf("find: %s", ids(got))
	}
	for _, d := range got {
		if _, has := d.Fields["secret"]; has || len(d.Fields) != 2 {
			t.Errorf("projection not applied: %v", d.Fields)
		}
	}
	if got := run(`{"find": {"filter": {"group": 0}, "skip": 2, "limit": 3}}`); len(got) != 3 {
		t.Errorf("skip/limit: %s", ids(got))
	}
	got = run(`{"find": {"filter": {"_id": {"$in": ["o01", "o02"]}, "at": {"$gte": {"$date": "2024-01-03T00:00:00Z"}}}}}`)
	if ids(got) != "o02" {
		t.Errorf("$date filter: %s", ids(got))
	}
	got = run(`{"aggregate": {"pipeline": [{"$match": {"total": {"$lt": 30}}}, {"$sort": {"rank": -1, "_id": 1}}, {"$project": {"rank": 1}}], "batchSize": 3}}`)
	want := []string{}
	for rank := 4; rank >= 0; rank-- {
		for i := range 20 {
			if i%5 == rank {
				want = append(want, fmt.Sprintf("o%02d", i))
			}
		}
	}
	if ids(got) != strings.Join(want, ",") {
		t.Errorf("aggregate order:\n got %s\nwant %s", ids(got), strings.Join(want, ","))
	}

	oidColl := srv.collection(t, "connectors_rules", "byoid")
	a, b := bson.NewObjectID(), bson.NewObjectID()
	insert(t, oidColl, bson.D{{Key: "_id", Value: a}}, bson.D{{Key: "_id", Value: b}})
	src2 := newSource(t, srv.config("connectors_rules", "byoid", nil))
	rules := fmt.Sprintf(`{"find": {"filter": {"_id": {"$oid": %q}}}}`, b.Hex())
	var v any
	_ = json.Unmarshal([]byte(rules), &v)
	if got := collect(t, src2, connector.DocsRequest{AdvancedRules: v, AdvancedRulesJSON: json.RawMessage(rules)}); ids(got) != b.Hex() {
		t.Errorf("$oid filter: %s", ids(got))
	}

	// A rule the server rejects fails the sync with the server's reason.
	bad := `{"aggregate": {"pipeline": [{"$nosuchstage": {}}]}}`
	_ = json.Unmarshal([]byte(bad), &v)
	err := src.Docs(context.Background(), connector.DocsRequest{AdvancedRules: v, AdvancedRulesJSON: json.RawMessage(bad)}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "advanced rules' aggregate") {
		t.Errorf("bad stage: %v", err)
	}
}

func TestValidateConfigAndPing(t *testing.T) {
	srv := realMongo(t)
	srv.collection(t, "connectors_validate", "present")
	insert(t, srv.client.Database("connectors_validate").Collection("present"), bson.D{{Key: "a", Value: 1}})
	insert(t, srv.client.Database("connectors_validate").Collection("other"), bson.D{{Key: "a", Value: 1}})
	unreachable := "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"
	tests := []struct {
		name           string
		cfg            map[string]any
		ping, validate string
	}{
		{"ok", nil, "", ""},
		{"bare host:port", map[string]any{"host": srv.host + ":" + srv.port}, "", ""},
		{"missing collection", map[string]any{"collection": "absent"}, "",
			`configuration field "collection": Collection 'absent' does not exist within database 'connectors_validate'. Existing collections: other, present`},
		{"missing database", map[string]any{"database": "connectors_absent_db"}, "",
			`configuration field "database": Database 'connectors_absent_db' does not exist. Existing databases: `},
		{"bad date option", map[string]any{"datetime_conversion": "LOCAL"}, "",
			`configuration field "datetime_conversion": Invalid 'Out-of-range date handling' value 'LOCAL'. Must be one of: DATETIME, DATETIME_CLAMP, DATETIME_MS, DATETIME_AUTO.`},
		{"tls in the string but not on", map[string]any{"host": srv.url + "?tls=true"}, "",
			`The value of SSL/TLS must be the same in the hostname and configuration field.`},
		{"tls off in both", map[string]any{"host": srv.url + "?ssl=false"}, "", ""},
		{"unreachable", map[string]any{"host": unreachable, "password": "s3cret-pw", "user": "u"}, `configuration field "host": cannot reach MongoDB at 127.0.0.1:1`, `configuration field "host"`},
		{"not a connection string", map[string]any{"host": "mongodb://a:b:c:d/"}, `configuration field "host": not a valid MongoDB connection string`, `configuration field "host"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, srv.config("connectors_validate", "present", tt.cfg))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sourcetest.CheckError(t, "Ping", src.Ping(ctx), tt.ping, "s3cret-pw")
			sourcetest.CheckError(t, "ValidateConfig", src.ValidateConfig(ctx), tt.validate, "s3cret-pw")
		})
	}
}

// TestCursorFailureIsReported: when the connection is cut in the middle of the cursor of advanced
// rules, what was read stays and the listing is reported incomplete, so nothing is deleted. Such
// a read is not resumed (see docs/sources/mongodb.md), although the server can be reached again.
func TestCursorFailureIsReported(t *testing.T) {
	srv := realMongo(t)
	c := srv.collection(t, "connectors_fault", "items")
	var docs []any
	for i := range 500 {
		docs = append(docs, bson.D{{Key: "n", Value: i}})
	}
	insert(t, c, docs...)
	p := faultproxy.Start(t, srv.host+":"+srv.port)
	rules := `{"find": {"batch_size": 50}}`
	var v any
	_ = json.Unmarshal([]byte(rules), &v)
	src := newSource(t, srv.config("connectors_fault", "items", map[string]any{
		"host": fmt.Sprintf("mongodb://%s/?directConnection=true&serverSelectionTimeoutMS=2000", p.Addr())}))
	src.sleep = func(context.Context, time.Duration) error { return nil }
	var mu sync.Mutex
	var scopes []string
	seen := 0
	err := src.Docs(context.Background(), connector.DocsRequest{AdvancedRules: v, AdvancedRulesJSON: json.RawMessage(rules),
		OnIncomplete: func(scope string, cause error) {
			mu.Lock()
			defer mu.Unlock()
			scopes = append(scopes, scope)
		}}, func(connector.Document) error {
		seen++
		if seen == 120 {
			p.Drop()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	if seen >= 500 || len(scopes) != 1 || !strings.Contains(scopes[0], "collection connectors_fault.items after") {
		t.Errorf("seen %d, reported %v", seen, scopes)
	}
}

// TestBoundedMemory reads a collection far larger than one cursor batch and checks that the heap
// stays small.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 20,000 documents")
	}
	srv := realMongo(t)
	c := srv.collection(t, "connectors_memory", "big")
	const n = 20_000
	pad := strings.Repeat("x", 2000)
	for start := 0; start < n; start += 1000 {
		var docs []any
		for i := start; i < start+1000; i++ {
			docs = append(docs, bson.D{{Key: "n", Value: i}, {Key: "pad", Value: pad}})
		}
		insert(t, c, docs...)
	}
	src := newSource(t, srv.config("connectors_memory", "big", nil))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak, count := ms.HeapAlloc, uint64(0), 0
	start := time.Now()
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error {
		count++
		if count%1000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("read %d of %d", count, n)
	}
	grown := int64(peak) - int64(base)
	t.Logf("%d documents of 2 KB (%.0f MB) in %v; heap grew by at most %.1f MiB", n, float64(n*2000)/1e6, time.Since(start).Round(time.Millisecond), float64(grown)/(1<<20))
	if grown > 40<<20 {
		t.Errorf("heap grew by %d MiB reading %d MB: the cursor is not streamed", grown>>20, n*2000/1_000_000)
	}
}

// TestAuthentication runs against the FerretDB instance that checks credentials (SCRAM).
func TestAuthentication(t *testing.T) {
	v := testbackend.Require(t, "ferretdb", "MONGODB_AUTH_URL", "MONGODB_AUTH_USER", "MONGODB_AUTH_PASSWORD")
	ctx := context.Background()
	admin, err := mongo.Connect(options.Client().ApplyURI(v["MONGODB_AUTH_URL"]).
		SetAuth(options.Credential{Username: v["MONGODB_AUTH_USER"], Password: v["MONGODB_AUTH_PASSWORD"]}))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Disconnect(ctx)
	coll := admin.Database("connectors_auth").Collection("private")
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	insert(t, coll, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}})
	tests := []struct {
		name           string
		cfg            map[string]any
		ping, validate string
	}{
		{"right credentials", map[string]any{"user": v["MONGODB_AUTH_USER"], "password": v["MONGODB_AUTH_PASSWORD"]}, "", ""},
		{"credentials in the connection string", map[string]any{"host": strings.Replace(v["MONGODB_AUTH_URL"], "://", "://"+v["MONGODB_AUTH_USER"]+":"+v["MONGODB_AUTH_PASSWORD"]+"@", 1)}, "", ""},
		{"wrong password", map[string]any{"user": v["MONGODB_AUTH_USER"], "password": "not-the-password"},
			`configuration fields "user" and "password": MongoDB at 127.0.0.1:`, `configuration fields "user" and "password"`},
		{"wrong password in the string", map[string]any{"host": strings.Replace(v["MONGODB_AUTH_URL"], "://", "://"+v["MONGODB_AUTH_USER"]+":not-the-password@", 1)},
			`configuration fields "user" and "password"`, `configuration fields "user" and "password"`},
		{"no credentials", nil, "",
			`configuration fields "database" and "collection": Database 'connectors_auth' or collection 'private' is not accessible by user ''. Verify that these database and collection exist, and specified user has access to it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{"host": v["MONGODB_AUTH_URL"], "database": "connectors_auth", "collection": "private"}
			for k, val := range tt.cfg {
				cfg[k] = val
			}
			src := newSource(t, cfg)
			for _, c := range []struct {
				what string
				err  error
				want string
			}{{"Ping", src.Ping(ctx), tt.ping}, {"ValidateConfig", src.ValidateConfig(ctx), tt.validate}} {
				switch {
				case c.want == "" && c.err != nil:
					t.Errorf("%s: %v", c.what, c.err)
				case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
					t.Errorf("%s: got %v\nwant %q", c.what, c.err, c.want)
				}
				if c.err != nil && (strings.Contains(c.err.Error(), "not-the-password") || strings.Contains(c.err.Error(), v["MONGODB_AUTH_PASSWORD"])) {
					t.Errorf("%s shows a password: %v", c.what, c.err)
				}
			}
			if tt.validate == "" {
				if docs := collect(t, src, connector.DocsRequest{}); len(docs) != 1 || docs[0].ID != "a" {
					t.Errorf("docs %v", docs)
				}
			}
		})
	}
}
