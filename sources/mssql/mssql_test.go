package mssql

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	mssqldb "github.com/microsoft/go-mssqldb"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// No SQL Server runs here: these tests pin the SQL the dialect sends and the conversion of what
// go-mssqldb returns into the original's values. The shared core behind them is tested against
// PostgreSQL and MariaDB (sqltest).

func TestLayout(t *testing.T) {
	l := Layout("xe", "dbo")
	names := l.FieldNames([]string{"Customers"}, []string{"ID", "Name"})
	if names[0] != "dbo_customers_id" || names[1] != "dbo_customers_name" {
		t.Errorf("field names %v", names)
	}
	// The original sorts the key columns before mapping them.
	if got := l.TableKey("T", []string{"b", "a"}); got[0] != "dbo_t_a" || got[1] != "dbo_t_b" {
		t.Errorf("table key %v", got)
	}
	if got := l.RuleKey([]string{"t2", "t1"}, [][]string{{"z"}, {"a"}}, nil); strings.Join(got, ",") != "dbo_t1_t2_a,dbo_t1_t2_z" {
		t.Errorf("rule key %v", got)
	}
	if got := l.RuleKey([]string{"t1"}, nil, []string{"Ref"}); got[0] != "dbo_t1_ref" {
		t.Errorf("rule id_columns %v", got)
	}
	if got := l.ID([]string{"t2", "t1"}, []sqlcore.Value{int64(4), nil, "x"}); got != "xe_dbo_t1_t2_4_x" {
		t.Errorf("id %q", got)
	}
	meta := l.Meta([]string{"t1", "t2"}, true)
	if meta["database"] != "xe" || meta["schema"] != "dbo" || len(meta["table"].([]any)) != 2 {
		t.Errorf("meta %v", meta)
	}
	if l.Meta([]string{"t1"}, false)["table"] != "t1" {
		t.Error("table field of a table")
	}
}

func TestConvert(t *testing.T) {
	guid := []byte{0x99, 0xbc, 0xee, 0xa0, 0x0b, 0x9c, 0xf8, 0x4e, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	off := time.FixedZone("", -(3*3600 + 30*60))
	tests := []struct {
		typ string
		in  any
		doc string
		str string
	}{
		{"INT", int64(42), "42", "42"},
		{"BIT", true, "true", "True"},
		{"REAL", float64(float32(1.1)), "1.100000023841858", "1.100000023841858"},
		{"FLOAT", 0.1, "0.1", "0.1"},
		{"DECIMAL", []byte("12.3400"), "12.34", "12.3400"},
		{"MONEY", []byte("-5.0000"), "-5.0", "-5.0000"},
		{"UNIQUEIDENTIFIER", guid, `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"NVARCHAR", "Grüße", `"Grüße"`, "Grüße"},
		{"XML", "<a/>", `"<a/>"`, "<a/>"},
		{"VARBINARY", []byte{0, 'A', 0xff}, `"\u0000A"`, `b'\x00A\xff'`},
		{"DATE", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), `"2024-02-29"`, "2024-02-29"},
		{"TIME", time.Date(1, 1, 1, 13, 45, 10, 500000000, time.UTC), `"13:45:10.500000"`, "13:45:10.500000"},
		{"DATETIME2", time.Date(2024, 1, 2, 3, 4, 5, 1234567, time.UTC), `"2024-01-02T03:04:05.001234"`, "2024-01-02 03:04:05.001234"},
		{"DATETIME", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `"2024-01-02T03:04:05"`, "2024-01-02 03:04:05"},
		{"DATETIMEOFFSET", time.Date(2024, 1, 2, 3, 4, 5, 0, off), `"2024-01-02T03:04:05-03:30"`, "2024-01-02 03:04:05-03:30"},
		{"NVARCHAR", nil, "null", "None"},
	}
	for _, tt := range tests {
		v, err := convert(tt.typ, tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.typ, err)
			continue
		}
		doc, _ := connector.MarshalJSON(sqlcore.DocValue(v))
		if string(doc) != tt.doc || sqlcore.Str(v) != tt.str {
			t.Errorf("%s %v: doc %s str %q, want %s %q", tt.typ, tt.in, doc, sqlcore.Str(v), tt.doc, tt.str)
		}
	}
	if _, err := convert("UNIQUEIDENTIFIER", []byte{1, 2}); err == nil {
		t.Error("short uniqueidentifier accepted")
	}
}

func TestReadTableSQL(t *testing.T) {
	cols := []keyColumn{{name: "a", dataType: "int"}, {name: "d]x", dataType: "datetime2", dtPrec: 7}}
	q, args := readTableSQL("[dbo].[t]", cols, true, nil, 50)
	want := "SELECT TOP (50) t.*, CAST(t.[a] AS nvarchar(30)) AS [_connectors_position_0], " +
		"CONVERT(nvarchar(40), t.[d]]x], 126) AS [_connectors_position_1] FROM [dbo].[t] AS t ORDER BY t.[a], t.[d]]x]"
	if q != want || len(args) != 0 {
		t.Errorf("first page:\n got %s\nwant %s", q, want)
	}
	q, args = readTableSQL("[dbo].[t]", cols, true, []string{"5", "2024-01-02T03:04:05.1234567"}, 50)
	wantWhere := " WHERE ((t.[a] > CAST(@p1 AS int)) OR (t.[a] = CAST(@p2 AS int) AND t.[d]]x] > CONVERT(datetime2(7), @p3, 126)))"
	if !strings.Contains(q, wantWhere) || fmt.Sprint(args) != "[5 5 2024-01-02T03:04:05.1234567]" {
		t.Errorf("next page:\n got %s %v\nwant …%s…", q, args, wantWhere)
	}
	// A key that cannot be paged on is read in one ordered statement.
	tab := newTable("t", []keyColumn{{name: "doc", dataType: "xml"}})
	if tab.Keyset {
		t.Error("an xml key is paged on")
	}
	q, _ = readTableSQL("[dbo].[t]", tab.Private.([]keyColumn), false, nil, 50)
	if q != "SELECT t.* FROM [dbo].[t] AS t ORDER BY t.[doc]" {
		t.Errorf("whole table: %s", q)
	}
	for _, typ := range []string{"tinyint", "bigint", "decimal", "money", "float", "date", "datetime", "datetimeoffset", "time",
		"uniqueidentifier", "char", "varchar", "nchar", "nvarchar", "binary", "varbinary"} {
		if _, from, ok := positionSQL(keyColumn{name: "k", dataType: typ, prec: 10, scale: 2, dtPrec: 3}, "t"); !ok || !strings.Contains(from, "%s") {
			t.Errorf("%s key: %q %v", typ, from, ok)
		}
	}
}

func TestCursorSQL(t *testing.T) {
	if got := cursorSQL("SELECT * FROM t", "updated", "datetime2(7)"); got != "SELECT * FROM (SELECT * FROM t) AS q WHERE q.[updated] >= CONVERT(datetime2(7), @p1, 126)" {
		t.Errorf("cursor on a datetime: %s", got)
	}
	if got := cursorSQL("SELECT * FROM t", "seq", "bigint"); got != "SELECT * FROM (SELECT * FROM t) AS q WHERE q.[seq] >= CAST(@p1 AS bigint)" {
		t.Errorf("cursor on a number: %s", got)
	}
	if got := maxCursorSQL("SELECT * FROM t", "seq"); got != "SELECT CONVERT(nvarchar(max), MAX(q.[seq]), 126) FROM (SELECT * FROM t) AS q" {
		t.Errorf("max cursor: %s", got)
	}
}

func TestExplainAndClassify(t *testing.T) {
	d := newDialect(settings{Conn: sqlcore.Conn{Host: "db.example", Port: 1433, User: "sa", Password: "s3cret", Database: "xe"}, schema: "dbo"})
	tests := []struct {
		err   error
		field string
		kind  sqlcore.ErrorKind
	}{
		{mssqldb.Error{Number: 18456, Message: "Login failed for user 'sa'."}, "password", sqlcore.ErrOther},
		{mssqldb.Error{Number: 4060, Message: "Cannot open database"}, "database", sqlcore.ErrOther},
		{&net.DNSError{Err: "no such host", Name: "db.example"}, "host", sqlcore.ErrTransient},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "port", sqlcore.ErrTransient},
		{mssqldb.Error{Number: 40613, Message: "Database unavailable"}, "", sqlcore.ErrTransient},
	}
	for _, tt := range tests {
		err := d.explain(tt.err)
		if tt.field != "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.field)) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("explain(%v) = %v, want the field %q named", tt.err, err, tt.field)
		}
		if k := d.Classify(tt.err); k != tt.kind {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, k, tt.kind)
		}
	}
	if k := d.Classify(mssqldb.Error{Number: 208}); k != sqlcore.ErrMissing {
		t.Errorf("invalid object name: %v", k)
	}
	if k := d.Classify(mssqldb.Error{Number: 1205}); k != sqlcore.ErrTransient {
		t.Errorf("deadlock: %v", k)
	}
	if k := d.Classify(mssqldb.Error{Number: 102}); k != sqlcore.ErrOther {
		t.Errorf("syntax error: %v", k)
	}
	if err := d.explain(context.Canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("cancellation: %v", err)
	}
	// Ping and the listing queries classify the explained error: a busy server or a deadlock
	// must still be recognised (and retried) after explain has reworded it.
	for _, n := range []int32{40501, 1205, 40613} {
		e := mssqldb.Error{Number: n, Message: "busy"}
		if k := d.Classify(d.explain(e)); k != sqlcore.ErrTransient {
			t.Errorf("Classify(explain(error %d)) = %v, want transient", n, k)
		}
	}
}

func TestConnConfig(t *testing.T) {
	d := newDialect(settings{Conn: sqlcore.Conn{Host: "db.example", Port: 1433, User: "sa", Password: "p@ss;word", Database: "my db"}})
	cfg, err := d.connConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "db.example" || cfg.Port != 1433 || cfg.User != "sa" || cfg.Password != "p@ss;word" || cfg.Database != "my db" {
		t.Errorf("config %+v", cfg)
	}
	d.s.SSLEnabled, d.s.SSLCA = true, "not a certificate"
	if _, err := d.connConfig(); err == nil || !strings.Contains(err.Error(), `"ssl_ca"`) {
		t.Errorf("bad CA: %v", err)
	}
}

// TestPingUnreachable checks the error of a server that is not there, without a server.
func TestPingUnreachable(t *testing.T) {
	stored, _ := Factory.ConfigurationWith(map[string]any{"host": "127.0.0.1", "port": 1, "username": "sa",
		"password": "secret-pw", "database": "xe", "schema": "dbo"})
	cfg, err := Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := New(cfg, connector.Env{})
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = src.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "Can't connect to Microsoft SQL on 127.0.0.1") ||
		!strings.Contains(err.Error(), `"port"`) || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("Ping of a closed port: %v", err)
	}
}
