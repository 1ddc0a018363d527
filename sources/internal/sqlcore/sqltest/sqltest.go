// Package sqltest is the shared test suite of the SQL sources: what sqlcore promises (keyset
// paging, composite keys, resumable checkpoints, incomplete listings, advanced rules and their
// validation, cursor-column incremental syncs, retries, cancellation that stops the server's
// query, connection errors that name the field) checked against a real database server. The
// postgresql and mysql packages run it against PostgreSQL and MariaDB.
package sqltest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/connector/connectortest"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// Backend is a database server the suite runs against.
type Backend struct {
	Factory connector.Factory

	// NewDatabase creates an empty database for one test (dropped at the end) and returns the
	// configuration values that point at it.
	NewDatabase func(t *testing.T) (values map[string]any, db DB)

	// ID is the document id the original gives a row of table with these key values.
	ID func(values map[string]any, tables []string, key ...any) string
	// Field is the document field of a column of table (a custom query over tables).
	Field func(values map[string]any, tables []string, column string) string
	// TableField is the metadata field naming the table.
	TableField string

	// Sleep is a query that runs for about the given number of seconds and returns one row
	// with the column id.
	Sleep func(seconds int) string
	// Running reports whether a statement containing marker still runs on the server.
	Running func(t *testing.T, db DB, marker string) bool
	// KillReaders ends the source's connections, like a server restart or a network cut.
	KillReaders func(t *testing.T, db DB)

	// ValidatesTables says that ValidateConfig checks the configured tables (the original
	// MySQL source does; the others only find out during the sync).
	ValidatesTables bool

	// WrongValues maps a configuration field to a value that must make Ping or ValidateConfig
	// fail naming that field.
	WrongValues map[string]any
	// TLS returns the values of a TLS connection with the right CA, or nil to skip.
	TLS func(values map[string]any) map[string]any
}

// DB runs statements on the test database.
type DB interface {
	Exec(t *testing.T, sql string, args ...any)
}

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	sqlcore.RetryBase = 20 * time.Millisecond
	t.Run("Acceptance", func(t *testing.T) { testAcceptance(t, b) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, b) })
	t.Run("Checkpoint", func(t *testing.T) { testCheckpoint(t, b) })
	t.Run("VanishedTable", func(t *testing.T) { testVanished(t, b) })
	t.Run("MissingConfiguredTable", func(t *testing.T) { testMissingConfigured(t, b) })
	t.Run("AdvancedRules", func(t *testing.T) { testRules(t, b) })
	t.Run("RuleValidation", func(t *testing.T) { testRuleValidation(t, b) })
	t.Run("Incremental", func(t *testing.T) { testIncremental(t, b) })
	t.Run("ConnectionLost", func(t *testing.T) { testConnectionLost(t, b) })
	t.Run("CancelStopsQuery", func(t *testing.T) { testCancelStopsQuery(t, b) })
	t.Run("WrongSettings", func(t *testing.T) { testWrongSettings(t, b) })
	t.Run("TLS", func(t *testing.T) { testTLS(t, b) })
	t.Run("BoundedMemory", func(t *testing.T) { testBoundedMemory(t, b) })
}

// Open builds a source from configuration values.
func Open(t *testing.T, f connector.Factory, values map[string]any) connector.Source {
	t.Helper()
	stored, err := f.ConfigurationWith(values)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src, err := f.New(cfg, connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// Collect runs a full sync and returns its documents by id, failing on duplicates.
func Collect(t *testing.T, src connector.Source, req connector.DocsRequest) map[string]connector.Document {
	t.Helper()
	var mu sync.Mutex
	docs := map[string]connector.Document{}
	err := src.Docs(context.Background(), req, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := docs[d.ID]; dup {
			t.Errorf("document %q emitted twice", d.ID)
		}
		docs[d.ID] = d
		return nil
	})
	if err != nil {
		t.Fatalf("Docs: %v", err)
	}
	return docs
}

func with(values map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range values {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// insertRows inserts n rows (id, name, updated_at) into table, ids from start.
func insertRows(t *testing.T, db DB, table string, start, n int) {
	for lo := start; lo < start+n; lo += 500 {
		hi := min(lo+500, start+n)
		var vals []string
		for i := lo; i < hi; i++ {
			ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
			vals = append(vals, fmt.Sprintf("(%d, 'name %d', '%s')", i, i, ts.Format("2006-01-02 15:04:05")))
		}
		db.Exec(t, "INSERT INTO "+table+" (id, name, updated_at) VALUES "+strings.Join(vals, ", "))
	}
}

func createItems(t *testing.T, db DB, table string, n int) {
	db.Exec(t, "CREATE TABLE "+table+" (id INT PRIMARY KEY, name VARCHAR(100), updated_at TIMESTAMP NULL)")
	if n > 0 {
		insertRows(t, db, table, 1, n)
	}
}

func ids(b Backend, values map[string]any, table string, from, to int) map[string]bool {
	out := map[string]bool{}
	for i := from; i <= to; i++ {
		out[b.ID(values, []string{table}, i)] = true
	}
	return out
}

func sameIDs(t *testing.T, what string, got map[string]connector.Document, want map[string]bool) {
	t.Helper()
	var missing, extra []string
	for id := range want {
		if _, ok := got[id]; !ok {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s: %d documents, want %d; missing %v; unexpected %v", what, len(got), len(want), head(missing), head(extra))
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return append(s[:5:5], "…")
	}
	return s
}

func testAcceptance(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 120)
	db.Exec(t, "CREATE TABLE pairs (a INT, b VARCHAR(20), v INT, PRIMARY KEY (a, b))")
	db.Exec(t, "INSERT INTO pairs VALUES (1, 'x', 1), (1, 'y', 2), (2, 'x', 3)")
	db.Exec(t, "CREATE TABLE nokey (v INT)")
	db.Exec(t, "INSERT INTO nokey VALUES (1)")
	db.Exec(t, "CREATE TABLE empty_table (id INT PRIMARY KEY)")
	opts := []connectortest.Option{connectortest.ExpectDocs(123)}
	if b.ValidatesTables {
		opts = append(opts, connectortest.InvalidConfig(map[string]any{"tables": "items,no_such_table"}, "tables"))
	}
	connectortest.Run(t, b.Factory, with(values, map[string]any{"fetch_size": 10}), opts...)
}

func testPaging(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 250)
	db.Exec(t, "CREATE TABLE words (w VARCHAR(20), n INT, v INT, PRIMARY KEY (w, n))")
	var rows []string
	want := map[string]bool{}
	for _, w := range []string{"apple", "Banana", "b", "zebra", "Zürich", "ärger", "a b", "a'b"} {
		for n := -2; n <= 2; n++ {
			rows = append(rows, fmt.Sprintf("('%s', %d, 1)", strings.ReplaceAll(w, "'", "''"), n))
			want[b.ID(values, []string{"words"}, w, n)] = true
		}
	}
	db.Exec(t, "INSERT INTO words VALUES "+strings.Join(rows, ", "))
	for _, size := range []int{1, 7, 250, 1000} {
		t.Run(fmt.Sprint("fetch_size=", size), func(t *testing.T) {
			src := Open(t, b.Factory, with(values, map[string]any{"fetch_size": size, "tables": "items,words"}))
			docs := Collect(t, src, connector.DocsRequest{})
			all := ids(b, values, "items", 1, 250)
			for id := range want {
				all[id] = true
			}
			sameIDs(t, "paged read", docs, all)
		})
	}
}

func testCheckpoint(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	for _, name := range []string{"t1", "t2", "t3"} {
		createItems(t, db, name, 2500)
	}
	all := map[string]bool{}
	for _, name := range []string{"t1", "t2", "t3"} {
		for id := range ids(b, values, name, 1, 2500) {
			all[id] = true
		}
	}
	src := Open(t, b.Factory, with(values, map[string]any{"fetch_size": 100}))
	var mu sync.Mutex
	var saved map[string]any
	emittedAtSave := 0
	var first []string
	ctx, cancel := context.WithCancel(context.Background())
	req := connector.DocsRequest{OnCheckpoint: func(cp map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		saved = cp
		emittedAtSave = len(first)
	}}
	err := src.Docs(ctx, req, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		first = append(first, d.ID)
		if len(first) == 4000 {
			cancel()
			return context.Canceled
		}
		return nil
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted sync: %v", err)
	}
	if saved == nil {
		t.Fatal("no checkpoint saved in 4000 rows")
	}
	t.Logf("checkpoint after %d of %d documents: %v", emittedAtSave, len(first), saved)
	// Resume: together with what was emitted before the checkpoint, everything comes, and
	// what the checkpoint covers is not read again (beyond the pages in flight when it was
	// saved: 3 tables of 100 rows).
	before := map[string]bool{}
	for _, id := range first[:emittedAtSave] {
		before[id] = true
	}
	src2 := Open(t, b.Factory, with(values, map[string]any{"fetch_size": 100}))
	docs := Collect(t, src2, connector.DocsRequest{Checkpoint: saved})
	union := map[string]connector.Document{}
	for id := range before {
		union[id] = connector.Document{ID: id}
	}
	for id, d := range docs {
		union[id] = d
	}
	sameIDs(t, "documents before the checkpoint plus the resumed sync", union, all)
	again := 0
	for id := range docs {
		if before[id] {
			again++
		}
	}
	if again > 300 {
		t.Errorf("the resumed sync read %d documents again that were emitted before the checkpoint", again)
	}
	if len(docs) >= len(all) {
		t.Errorf("the resumed sync read everything again (%d documents)", len(docs))
	}
}

func testVanished(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	// More tables than are read at once (sqlcore.DefaultConcurrency), so that the last one is
	// listed but not yet read when the first document arrives.
	names := []string{"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"}
	for _, n := range names {
		createItems(t, db, n, 30)
	}
	src := Open(t, b.Factory, with(values, map[string]any{"fetch_size": 10}))
	var mu sync.Mutex
	var reports []string
	req := connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, scope+": "+cause.Error())
	}}
	dropped := false
	seen := map[string]bool{}
	err := src.Docs(context.Background(), req, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		seen[d.ID] = true
		if !dropped {
			dropped = true
			db.Exec(t, "DROP TABLE t9")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs with a vanished table: %v", err)
	}
	if len(reports) != 1 || !strings.Contains(reports[0], `"t9"`) {
		t.Fatalf("incomplete reports %v, want one for t9", reports)
	}
	for _, n := range names[:9] {
		for id := range ids(b, values, n, 1, 30) {
			if !seen[id] {
				t.Fatalf("document %s of %s missing", id, n)
			}
		}
	}
}

func testMissingConfigured(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 3)
	src := Open(t, b.Factory, with(values, map[string]any{"tables": "items, nope"}))
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `"tables"`) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Docs with a missing configured table: %v, want an error naming the tables field and the table", err)
	}
}

func testRules(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 30)
	db.Exec(t, "CREATE TABLE owners (oid INT PRIMARY KEY, item INT, who VARCHAR(20))")
	db.Exec(t, "INSERT INTO owners VALUES (1, 1, 'ann'), (2, 2, 'bob')")
	src := Open(t, b.Factory, values)
	rules := []any{
		map[string]any{"tables": []any{"items"}, "query": "SELECT * FROM items WHERE id <= 10"},
		map[string]any{"tables": []any{"owners", "items"}, "query": "SELECT owners.oid, owners.who, items.name FROM owners JOIN items ON items.id = owners.item;", "id_columns": []any{"oid"}},
		map[string]any{"tables": []any{"items"}, "query": "SELECT id AS ident, name FROM items WHERE id > 28", "id_columns": []any{"ident"}},
	}
	docs := Collect(t, src, connector.DocsRequest{AdvancedRules: rules})
	want := ids(b, values, "items", 1, 10)
	want[b.ID(values, []string{"owners", "items"}, 1)] = true
	want[b.ID(values, []string{"owners", "items"}, 2)] = true
	want[b.ID(values, []string{"items"}, 29)] = true
	want[b.ID(values, []string{"items"}, 30)] = true
	sameIDs(t, "advanced rules", docs, want)
	d := docs[b.ID(values, []string{"owners", "items"}, 2)]
	if got := d.Fields[b.Field(values, []string{"owners", "items"}, "who")]; got != "bob" {
		t.Errorf("joined row: %v", d.Fields)
	}
	tables, ok := d.Fields[b.TableField].([]any)
	if !ok || len(tables) != 2 || tables[0] != "owners" {
		t.Errorf("%s of a custom query = %#v, want the rule's tables", b.TableField, d.Fields[b.TableField])
	}
}

func testRuleValidation(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 3)
	db.Exec(t, "CREATE TABLE nokey (v INT)")
	src := Open(t, b.Factory, values)
	v, ok := src.(connector.AdvancedRulesValidator)
	if !ok {
		t.Fatal("the source does not validate advanced rules")
	}
	rule := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tables := []any{"items"}
	tests := []struct {
		name  string
		rules any
		want  string // "" = valid
	}{
		{"empty list", []any{}, ""},
		{"empty object", map[string]any{}, ""},
		{"valid", []any{rule("tables", tables, "query", "SELECT * FROM items")}, ""},
		{"valid with id_columns and cursor", []any{rule("tables", tables, "query", "SELECT * FROM items", "id_columns", []any{"id"}, "cursor_column", "updated_at")}, ""},
		{"not a list", map[string]any{"tables": tables}, "data must be array"},
		{"not an object", []any{"x"}, "data[0] must be object"},
		{"no query", []any{rule("tables", tables)}, "data[0] must contain ['tables', 'query'] properties"},
		{"tables not a list", []any{rule("tables", "items", "query", "SELECT 1")}, "data[0].tables must be array"},
		{"no tables", []any{rule("tables", []any{}, "query", "SELECT 1")}, "data[0].tables must contain at least 1 items"},
		{"empty query", []any{rule("tables", tables, "query", "")}, "data[0].query must be longer than or equal to 1 characters"},
		{"extra property", []any{rule("tables", tables, "query", "SELECT 1", "limit", 3)}, "data[0] must contain only specified properties"},
		{"unknown table", []any{rule("tables", []any{"items", "ghost"}, "query", "SELECT * FROM ghost")}, "Tables not found or inaccessible: "},
		{"broken query", []any{rule("tables", tables, "query", "SELECT * FROM items"), rule("tables", tables, "query", "SELEKT nothing")}, "advanced rule 2 (tables items): the query cannot run"},
		{"id column not selected", []any{rule("tables", tables, "query", "SELECT name FROM items")}, "advanced rule 1 (tables items): the query's result lacks the primary key columns"},
		{"no key", []any{rule("tables", []any{"nokey"}, "query", "SELECT * FROM nokey")}, "advanced rule 1 (tables nokey): its tables have no primary key"},
		{"unknown cursor", []any{rule("tables", tables, "query", "SELECT * FROM items", "cursor_column", "changed")}, `cursor_column "changed" is not a column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := v.ValidateAdvancedRules(context.Background(), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "; ")
			switch {
			case tt.want == "" && got != "":
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && !strings.Contains(got, tt.want):
				t.Errorf("problems %q, want %q", got, tt.want)
			}
		})
	}
}

func testIncremental(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 20)
	db.Exec(t, "CREATE TABLE logs (seq INT PRIMARY KEY, msg VARCHAR(20))")
	db.Exec(t, "INSERT INTO logs VALUES (1, 'a'), (2, 'b')")
	rules := []any{
		map[string]any{"tables": []any{"items"}, "query": "SELECT * FROM items", "cursor_column": "updated_at"},
		map[string]any{"tables": []any{"logs"}, "query": "SELECT * FROM logs", "cursor_column": "seq"},
	}
	req := connector.DocsRequest{AdvancedRules: rules}
	src := Open(t, b.Factory, values).(connector.IncrementalSource)
	full := Collect(t, src, req)
	if len(full) != 22 {
		t.Fatalf("full sync: %d documents", len(full))
	}
	cursor := src.SyncCursor()
	if _, err := connector.MarshalJSON(cursor); err != nil || len(cursor) == 0 {
		t.Fatalf("cursor after a full sync: %v (%v)", cursor, err)
	}

	// Changes: an update, an insert, a delete (seen only by the next full sync), a new log line.
	// Row 20 has the largest updated_at so far.
	db.Exec(t, "UPDATE items SET name = 'renamed', updated_at = '2024-03-01 10:00:00' WHERE id = 5")
	db.Exec(t, "INSERT INTO items (id, name, updated_at) VALUES (21, 'new', '2024-03-01 10:00:01')")
	db.Exec(t, "DELETE FROM items WHERE id = 7")
	db.Exec(t, "INSERT INTO logs VALUES (3, 'c')")

	src2 := Open(t, b.Factory, values).(connector.IncrementalSource)
	var mu sync.Mutex
	changes := map[string]connector.Change{}
	err := src2.IncrementalDocs(context.Background(), req, cursor, func(c connector.Change) error {
		mu.Lock()
		defer mu.Unlock()
		changes[c.Document.ID] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The cursor is inclusive (rows sharing the largest value are read again): item 20 and log
	// 2 come back.
	want := map[string]bool{
		b.ID(values, []string{"items"}, 20): true,
		b.ID(values, []string{"items"}, 5):  true,
		b.ID(values, []string{"items"}, 21): true,
		b.ID(values, []string{"logs"}, 2):   true,
		b.ID(values, []string{"logs"}, 3):   true,
	}
	got := map[string]connector.Document{}
	for id, c := range changes {
		if c.Op != connector.OpIndex {
			t.Errorf("change %s has op %s", id, c.Op)
		}
		got[id] = c.Document
	}
	sameIDs(t, "incremental sync", got, want)
	if d := got[b.ID(values, []string{"items"}, 5)]; d.Fields[b.Field(values, []string{"items"}, "name")] != "renamed" {
		t.Errorf("updated row: %v", d.Fields)
	}
	next := src2.SyncCursor()
	if fmt.Sprint(next) == fmt.Sprint(cursor) {
		t.Errorf("cursor did not move: %v", next)
	}
	// Nothing changed since: only the rows at the cursor values come back.
	src3 := Open(t, b.Factory, values).(connector.IncrementalSource)
	n := 0
	if err := src3.IncrementalDocs(context.Background(), req, next, func(connector.Change) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("incremental sync without changes: %d changes, want the 2 rows at the cursor values", n)
	}
}

func testConnectionLost(t *testing.T, b Backend) {
	if b.KillReaders == nil {
		t.Skip("no way to cut connections")
	}
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 600)
	src := Open(t, b.Factory, with(values, map[string]any{"fetch_size": 50, "retry_count": 5}))
	var mu sync.Mutex
	docs := map[string]connector.Document{}
	killed := false
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(d connector.Document) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := docs[d.ID]; dup {
			t.Errorf("document %q emitted twice", d.ID)
		}
		docs[d.ID] = d
		if len(docs) == 275 && !killed {
			killed = true
			b.KillReaders(t, db)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Docs with a lost connection: %v", err)
	}
	if !killed {
		t.Fatal("connections were not cut")
	}
	sameIDs(t, "read across a lost connection", docs, ids(b, values, "items", 1, 600))
}

func testCancelStopsQuery(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	createItems(t, db, "items", 1)
	src := Open(t, b.Factory, values)
	marker := "connectors_cancel_probe"
	rules := []any{map[string]any{"tables": []any{"items"}, "query": b.Sleep(30) + " /* " + marker + " */", "id_columns": []any{"id"}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Docs(ctx, connector.DocsRequest{AdvancedRules: rules}, func(connector.Document) error { return nil })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !b.Running(t, db, marker) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("the slow query never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Docs returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Docs did not return within 10 s of the cancellation")
	}
	deadline = time.Now().Add(5 * time.Second)
	for b.Running(t, db, marker) {
		if time.Now().After(deadline) {
			t.Fatal("the query still runs on the server 5 s after the sync was cancelled")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testWrongSettings(t *testing.T, b Backend) {
	values, _ := b.NewDatabase(t)
	keys := make([]string, 0, len(b.WrongValues))
	for k := range b.WrongValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, field := range keys {
		t.Run(field, func(t *testing.T) {
			src := Open(t, b.Factory, with(values, map[string]any{field: b.WrongValues[field]}))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			err := src.Ping(ctx)
			if err == nil {
				err = src.(connector.ConfigValidator).ValidateConfig(ctx)
			}
			if err == nil {
				t.Fatalf("a wrong %s was accepted", field)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", field)) {
				t.Errorf("error for a wrong %s does not name the field: %v", field, err)
			}
			if pw, _ := values["password"].(string); pw != "" && strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func testTLS(t *testing.T, b Backend) {
	values, db := b.NewDatabase(t)
	if b.TLS == nil || b.TLS(values) == nil {
		t.Skip("the server has no TLS here")
	}
	createItems(t, db, "items", 3)
	src := Open(t, b.Factory, with(values, b.TLS(values)))
	if err := src.Ping(context.Background()); err != nil {
		t.Fatalf("TLS with the right CA: %v", err)
	}
	if n := len(Collect(t, src, connector.DocsRequest{})); n != 3 {
		t.Fatalf("TLS sync: %d documents", n)
	}
	wrong := with(values, b.TLS(values))
	wrong["ssl_ca"] = otherCA(t)
	src = Open(t, b.Factory, wrong)
	err := src.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"ssl_ca"`) {
		t.Fatalf("TLS with a CA that did not sign the server's certificate: %v, want an error naming ssl_ca", err)
	}
	garbage := with(values, b.TLS(values))
	garbage["ssl_ca"] = "not a certificate"
	src = Open(t, b.Factory, garbage)
	err = src.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"ssl_ca"`) {
		t.Fatalf("TLS with an unreadable CA: %v, want an error naming ssl_ca", err)
	}
}

// otherCA is a fresh self-signed CA that signed nothing the test servers use.
func otherCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "unrelated CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	// On one line, as Kibana's text field delivers a pasted certificate.
	return strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), "\n", " ")
}

// GoldenCase is one column type and an awkward value of it, with the document field the
// original produces for it: {name, SQL column type, SQL expression for the value, the field as
// compact JSON with object keys sorted}.
type GoldenCase [4]string

// RunGolden stores every case in a column of one row (and NULL in a second row) and checks
// the documents field by field.
// setup runs first (types the columns need).
func RunGolden(t *testing.T, b Backend, setup []string, cases []GoldenCase) map[string]connector.Document {
	t.Helper()
	values, db := b.NewDatabase(t)
	for _, s := range setup {
		db.Exec(t, s)
	}
	cols := []string{"id INT PRIMARY KEY"}
	names := []string{"id"}
	lits := []string{"1"}
	nulls := []string{"2"}
	for i, c := range cases {
		name := fmt.Sprintf("c%02d", i)
		cols = append(cols, name+" "+c[1])
		names = append(names, name)
		lits = append(lits, c[2])
		nulls = append(nulls, "NULL")
	}
	db.Exec(t, "CREATE TABLE golden ("+strings.Join(cols, ", ")+")")
	db.Exec(t, "INSERT INTO golden ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(lits, ", ")+")")
	db.Exec(t, "INSERT INTO golden ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(nulls, ", ")+")")
	src := Open(t, b.Factory, with(values, map[string]any{"tables": "golden"}))
	docs := Collect(t, src, connector.DocsRequest{})
	one, ok := docs[b.ID(values, []string{"golden"}, 1)]
	if !ok {
		t.Fatalf("no document for row 1 among %v", keys(docs))
	}
	two := docs[b.ID(values, []string{"golden"}, 2)]
	for i, c := range cases {
		cname, ctype, clit, cwant := c[0], c[1], c[2], c[3]
		field := b.Field(values, []string{"golden"}, fmt.Sprintf("c%02d", i))
		got, err := connector.MarshalJSON(one.Fields[field])
		if err != nil {
			t.Errorf("%s (%s): %v", cname, ctype, err)
			continue
		}
		if string(got) != cwant {
			g, w := string(got), cwant
			if len(g) > 300 {
				g = g[:300] + "…"
			}
			if len(w) > 300 {
				w = w[:300] + "…"
			}
			t.Errorf("%s (%s = %s):\n got %s\nwant %s", cname, ctype, clit, g, w)
		}
		if v, present := two.Fields[field]; !present || v != nil {
			t.Errorf("%s: NULL became %#v (present %v)", cname, v, present)
		}
	}
	return docs
}

func keys(m map[string]connector.Document) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// JSONString is the JSON of a string, for building expectations.
func JSONString(s string) string {
	b, err := connector.MarshalJSON(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// testBoundedMemory reads a table of 60,000 rows of about 1 KiB (60 MB) and checks that the heap
// the sync holds does not grow with the rows read: the source streams, it does not collect.
func testBoundedMemory(t *testing.T, b Backend) {
	if testing.Short() {
		t.Skip("loads 60 MB")
	}
	values, db := b.NewDatabase(t)
	db.Exec(t, "CREATE TABLE big (id INT PRIMARY KEY, body VARCHAR(2000))")
	const rows = 60_000
	filler := strings.Repeat("x", 1000)
	for lo := 1; lo <= rows; lo += 1000 {
		var vals []string
		for i := lo; i < lo+1000; i++ {
			vals = append(vals, fmt.Sprintf("(%d, '%d %s')", i, i, filler))
		}
		db.Exec(t, "INSERT INTO big (id, body) VALUES "+strings.Join(vals, ", "))
	}
	src := Open(t, b.Factory, with(values, map[string]any{"tables": "big", "fetch_size": 500}))
	var samples []uint64
	n := 0
	err := src.Docs(context.Background(), connector.DocsRequest{}, func(connector.Document) error {
		n++
		if n%10_000 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			samples = append(samples, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil || n != rows {
		t.Fatalf("Docs: %d rows, %v", n, err)
	}
	lo, hi := samples[0], samples[0]
	for _, s := range samples {
		lo, hi = min(lo, s), max(hi, s)
	}
	t.Logf("live heap every 10,000 rows: %v (KiB)", kib(samples))
	if hi-lo > 2<<20 {
		t.Errorf("the live heap grew by %d KiB while reading %d rows: %v KiB", (hi-lo)>>10, rows, kib(samples))
	}
}

func kib(s []uint64) []uint64 {
	out := make([]uint64, len(s))
	for i, x := range s {
		out[i] = x >> 10
	}
	return out
}

// TLSValues are the configuration values of a TLS connection trusting the CA in the PEM file
// caFile, for Backend.TLS; nil (skip) when the backend runs without TLS (caFile empty).
func TLSValues(t testing.TB, caFile string) map[string]any {
	t.Helper()
	if caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"ssl_enabled": true, "ssl_ca": string(pem)}
}
