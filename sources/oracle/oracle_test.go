package oracle

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sijms/go-ora/v2/network"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// No Oracle server runs here: these tests pin the SQL the dialect sends and the conversion of
// what go-ora returns into the original's values. The shared core behind them is tested against
// PostgreSQL and MariaDB (sqltest).

func TestLayout(t *testing.T) {
	l := Layout("FREE")
	if got := l.FieldNames([]string{"CUSTOMERS"}, []string{"ID", "NAME"}); got[0] != "customers_id" || got[1] != "customers_name" {
		t.Errorf("field names %v", got)
	}
	if got := l.TableKey("CUSTOMERS", []string{"ID"}); got[0] != "customers_id" {
		t.Errorf("key %v", got)
	}
	// "<sid>_<table>_" then "<value>_" for every truthy key value.
	tests := []struct {
		keys []sqlcore.Value
		want string
	}{
		{[]sqlcore.Value{int64(1)}, "FREE_CUSTOMERS_1_"},
		{[]sqlcore.Value{int64(0), "a"}, "FREE_CUSTOMERS_a_"},
		{[]sqlcore.Value{nil, "", sqlcore.Decimal("2.50")}, "FREE_CUSTOMERS_2.50_"},
		{[]sqlcore.Value{sqlcore.DateTime{T: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}}, "FREE_CUSTOMERS_2024-01-02 03:04:05_"},
	}
	for _, tt := range tests {
		if got := l.ID([]string{"CUSTOMERS"}, tt.keys); got != tt.want {
			t.Errorf("ID(%v) = %q, want %q", tt.keys, got, tt.want)
		}
	}
	if m := l.Meta([]string{"CUSTOMERS"}, false); m["Database"] != "FREE" || m["Table"] != "CUSTOMERS" {
		t.Errorf("meta %v", m)
	}
}

func TestConvert(t *testing.T) {
	big70, _ := new(big.Int).SetString("12345678901234567890123", 10)
	tests := []struct {
		col  column
		in   any
		want any
	}{
		{column{typeName: "NUMBER", precision: 10, scale: 0}, "42", int64(42)},
		{column{typeName: "NUMBER", precision: 10, scale: 2}, "4.5", sqlcore.Decimal("4.5")},
		{column{typeName: "NUMBER", precision: 10, scale: 2}, "4", sqlcore.Decimal("4")},
		{column{typeName: "NUMBER", precision: 0, scale: 255}, "7", int64(7)},
		{column{typeName: "NUMBER", precision: 0, scale: 255}, "7.25", sqlcore.Decimal("7.25")},
		{column{typeName: "NUMBER", precision: 38, scale: 0}, "12345678901234567890123", big70},
		{column{typeName: "NCHAR"}, "Grüße", "Grüße"},
		{column{typeName: "OCIClobLocator"}, []byte("long text"), "long text"},
		{column{typeName: "RAW"}, []byte{0, 'A'}, sqlcore.Bytes{0, 'A'}},
		{column{typeName: "BFloat"}, float32(1.1), float64(float32(1.1))},
		{column{typeName: "DATE"}, time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600)),
			sqlcore.DateTime{T: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{column{typeName: "NUMBER"}, nil, nil},
	}
	for _, tt := range tests {
		got, err := convert(tt.col, tt.in)
		if err != nil {
			t.Errorf("%v %v: %v", tt.col, tt.in, err)
			continue
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tt.want) {
			t.Errorf("convert(%v, %#v) = %#v, want %#v", tt.col, tt.in, got, tt.want)
		}
	}
	doc, _ := connector.MarshalJSON(sqlcore.DocValue(sqlcore.Decimal("4")))
	if string(doc) != "4.0" {
		t.Errorf("NUMBER(10,2) 4 is float(Decimal) in the original: %s", doc)
	}
}

func TestReadTableSQL(t *testing.T) {
	cols := []keyColumn{{name: "ID", dataType: "NUMBER"}, {name: "CREATED", dataType: "DATE"}}
	q, args := readTableSQL(`"SCOTT"."EMP"`, cols, true, []string{"7", "2024-01-02 03:04:05"}, 50)
	want := `SELECT t.*, TO_CHAR(t."ID", 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''') AS CONNECTORS_POSITION_0, ` +
		`TO_CHAR(t."CREATED", 'YYYY-MM-DD HH24:MI:SS') AS CONNECTORS_POSITION_1 FROM "SCOTT"."EMP" t WHERE ` +
		`((t."ID" > TO_NUMBER(:1, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')) OR (t."ID" = TO_NUMBER(:2, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''') ` +
		`AND t."CREATED" > TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS'))) ORDER BY t."ID", t."CREATED" FETCH FIRST 50 ROWS ONLY`
	if q != want || fmt.Sprint(args) != "[7 7 2024-01-02 03:04:05]" {
		t.Errorf("page:\n got %s %v\nwant %s", q, args, want)
	}
	tab := newTable("DOCS", &tableInfo{stored: "DOCS", cols: []keyColumn{{name: "X", dataType: "BLOB"}}})
	if tab.Keyset {
		t.Error("a BLOB key is paged on")
	}
	q, _ = readTableSQL(`"SCOTT"."DOCS"`, tab.Private.(*tableInfo).cols, false, nil, 50)
	if q != `SELECT t.* FROM "SCOTT"."DOCS" t ORDER BY t."X"` {
		t.Errorf("whole table: %s", q)
	}
}

func TestConnectionURL(t *testing.T) {
	d := newDialect(settings{Conn: sqlcore.Conn{Host: "db.example", Port: 1521, User: "scott", Password: "p@ss/word"}, sid: "XE"})
	u, err := url.Parse(d.connectionURL())
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.Host != "db.example:1521" || u.User.Username() != "scott" || pw != "p@ss/word" || u.Query().Get("SID") != "XE" {
		t.Errorf("SID url %s", u.Redacted())
	}
	d = newDialect(settings{Conn: sqlcore.Conn{Host: "db.example", Port: 2484, User: "scott", Password: "x"}, serviceName: "FREEPDB1", protocol: "TCPS", wallet: "/etc/wallet"})
	u, _ = url.Parse(d.connectionURL())
	if u.Path != "/FREEPDB1" || u.Query().Get("SSL") != "true" || u.Query().Get("WALLET") != "/etc/wallet" {
		t.Errorf("service url %s", u.Redacted())
	}
}

func TestExplainAndClassify(t *testing.T) {
	d := newDialect(settings{Conn: sqlcore.Conn{Host: "db.example", Port: 1521, User: "scott", Password: "s3cret"}, sid: "XE", serviceName: "S"})
	for code, field := range map[int]string{1017: "password", 12505: "sid", 12514: "service_name", 28000: "username"} {
		err := d.explain(&network.OracleError{ErrCode: code, ErrMsg: "msg"})
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", field)) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ORA-%05d: %v, want the field %q named", code, err, field)
		}
	}
	if err := d.explain(fmt.Errorf("dial: %w", syscall.ECONNREFUSED)); !strings.Contains(err.Error(), `"port"`) {
		t.Errorf("refused: %v", err)
	}
	if k := d.Classify(&network.OracleError{ErrCode: 942}); k != sqlcore.ErrMissing {
		t.Errorf("ORA-00942: %v", k)
	}
	if k := d.Classify(&network.OracleError{ErrCode: 3113}); k != sqlcore.ErrTransient {
		t.Errorf("ORA-03113: %v", k)
	}
	if k := d.Classify(&network.OracleError{ErrCode: 904}); k != sqlcore.ErrOther {
		t.Errorf("ORA-00904: %v", k)
	}
	// Ping classifies the explained error: a listener with no free handler (ORA-12516, 12519,
	// 12520) or a deadlock must still be retried after explain has reworded it.
	for _, code := range []int{12516, 12519, 12520, 60} {
		err := d.explain(&network.OracleError{ErrCode: code, ErrMsg: "busy"})
		if k := d.Classify(err); k != sqlcore.ErrTransient {
			t.Errorf("Classify(explain(ORA-%05d)) = %v (%v), want transient", code, k, err)
		}
	}
}

func TestNoAdvancedRules(t *testing.T) {
	stored, _ := Factory.ConfigurationWith(map[string]any{"host": "127.0.0.1", "port": 1, "username": "scott",
		"password": "secret-pw", "sid": "XE"})
	cfg, err := Factory.NewConfig(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	src, _ := New(cfg, connector.Env{})
	defer src.Close()
	if _, ok := src.(connector.AdvancedRulesValidator); ok {
		t.Error("the Oracle source validates advanced rules; the original has none")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = src.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "Can't connect to Oracle on 127.0.0.1") ||
		!strings.Contains(err.Error(), `"port"`) || strings.Contains(err.Error(), "secret-pw") {
		t.Errorf("Ping of a closed port: %v", err)
	}
}
