package mysql_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/mysql"
)

func myBackend() sqltest.Backend {
	return sqltest.Backend{
		Factory: mysql.Factory,
		NewDatabase: func(t *testing.T) (map[string]any, sqltest.DB) {
			v, db := newDatabase(t)
			return v, db
		},
		ID: func(_ map[string]any, tables []string, key ...any) string {
			parts := make([]string, len(key))
			for i, k := range key {
				parts[i] = fmt.Sprint(k)
			}
			s := append([]string(nil), tables...)
			sort.Strings(s)
			return strings.Join(s, "_") + "_" + strings.Join(parts, "_")
		},
		Field: func(_ map[string]any, _ []string, column string) string { return column },
	}
}

// TestGoldenDocuments checks the document field of every column type against what the
// original (PyMySQL's text protocol values, then serialize() and the bulk encoder) produces.
// Where the original cannot index a type (TIME: a timedelta), the expectation is ours and
// docs/sources/mysql.md says so.
func TestGoldenDocuments(t *testing.T) {
	long := strings.Repeat("é", 100000)
	// POINT(1 2) as MySQL stores it: SRID, then WKB; the original decodes the bytes as UTF-8
	// and drops what is not (0xf0 here).
	point := "\x00\x00\x00\x00\x01\x01\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00?" + "\x00\x00\x00\x00\x00\x00\x00@"
	cases := []sqltest.GoldenCase{
		{"tinyint(1)", "TINYINT(1)", "1", "1"},
		{"int unsigned", "INT UNSIGNED", "4294967295", "4294967295"},
		{"bigint", "BIGINT", "-9223372036854775808", "-9223372036854775808"},
		{"bigint unsigned", "BIGINT UNSIGNED", "18446744073709551615", "18446744073709551615"},
		{"year", "YEAR", "2024", "2024"},
		{"decimal", "DECIMAL(10,2)", "1.50", "1.5"},
		{"decimal integral", "DECIMAL(10,2)", "3", "3.0"},
		{"big decimal", "DECIMAL(65,30)", "12345678901234567890.123456789", "1.2345678901234567e+19"},
		{"float", "FLOAT", "1.1", "1.1"},
		{"double", "DOUBLE", "0.1", "0.1"},
		{"huge double", "DOUBLE", "1e300", "1e+300"},
		{"bit(8)", "BIT(8)", "b'01000001'", `"A"`},
		{"bit(1)", "BIT(1)", "1", `"\u0001"`},
		{"char", "CHAR(5)", "'ab'", `"ab"`},
		{"non-ASCII varchar", "VARCHAR(100)", "'Grüße, 日本, 🎉, \"q\" \\\\ tab\t'", sqltest.JSONString("Grüße, 日本, 🎉, \"q\" \\ tab\t")},
		{"very long text", "LONGTEXT", "REPEAT('é', 100000)", sqltest.JSONString(long)},
		{"binary", "BINARY(3)", "0x00FF41", `"\u0000A"`},
		{"varbinary", "VARBINARY(10)", "0x41FF42", `"AB"`},
		{"blob", "BLOB", "'bytes ü'", `"bytes ü"`},
		{"date", "DATE", "'2024-02-29'", `"2024-02-29"`},
		{"zero date", "DATE", "'0000-00-00'", `"0000-00-00"`},
		{"datetime", "DATETIME", "'2024-01-02 03:04:05'", `"2024-01-02T03:04:05"`},
		{"datetime(6)", "DATETIME(6)", "'2024-01-02 03:04:05.123456'", `"2024-01-02T03:04:05.123456"`},
		{"datetime(3)", "DATETIME(3)", "'2024-01-02 03:04:05.12'", `"2024-01-02T03:04:05.120000"`},
		{"timestamp", "TIMESTAMP NULL", "'2024-01-02 03:04:05'", `"2024-01-02T03:04:05"`},
		{"time", "TIME", "'12:34:56'", `"12:34:56"`},
		{"negative time", "TIME", "'-838:59:59'", `"-838:59:59"`},
		{"enum", "ENUM('a','b')", "'b'", `"b"`},
		{"set", "SET('x','y')", "'x,y'", `"x,y"`},
		{"json", "JSON", `'{"a": 1, "b": [1.5]}'`, sqltest.JSONString(`{"a": 1, "b": [1.5]}`)},
		{"geometry", "GEOMETRY", "ST_GeomFromText('POINT(1 2)')", sqltest.JSONString(point)},
	}
	docs := sqltest.RunGolden(t, myBackend(), nil, cases)
	for _, d := range docs {
		if d.Fields["Table"] != "golden" {
			t.Errorf("Table field %v", d.Fields["Table"])
		}
		if _, err := connector.ParseTime(d.Timestamp); err != nil {
			t.Errorf("_timestamp %q: %v", d.Timestamp, err)
		}
		if _, ok := d.Fields["id"]; ok {
			t.Errorf("the id column is left in the fields (the service writes the document id there)")
		}
	}
}

// TestGoldenIDs checks document ids for primary keys of several types: "<table>_<str() of
// each key value>".
func TestGoldenIDs(t *testing.T) {
	values, db := newDatabase(t)
	db.Exec(t, "CREATE TABLE k_text (a VARCHAR(20), b INT, PRIMARY KEY (a, b))")
	db.Exec(t, "INSERT INTO k_text VALUES ('x y', 2), ('Ünï', -1)")
	db.Exec(t, "CREATE TABLE k_dec (n DECIMAL(6,2) PRIMARY KEY)")
	db.Exec(t, "INSERT INTO k_dec VALUES (1.5)")
	db.Exec(t, "CREATE TABLE k_time (ts DATETIME(6), d DATE, PRIMARY KEY (ts, d))")
	db.Exec(t, "INSERT INTO k_time VALUES ('2024-01-02 03:04:05.5', '2024-02-29')")
	db.Exec(t, "CREATE TABLE k_bin (b VARBINARY(8) PRIMARY KEY)")
	db.Exec(t, "INSERT INTO k_bin VALUES (0x0041FF27)")
	db.Exec(t, "CREATE TABLE k_u (u BIGINT UNSIGNED PRIMARY KEY)")
	db.Exec(t, "INSERT INTO k_u VALUES (18446744073709551615)")
	src := sqltest.Open(t, mysql.Factory, values)
	docs := sqltest.Collect(t, src, connector.DocsRequest{})
	want := []string{
		"k_text_x y_2", "k_text_Ünï_-1", "k_dec_1.50",
		"k_time_2024-01-02 03:04:05.500000_2024-02-29",
		`k_bin_b"\x00A\xff'"`, "k_u_18446744073709551615",
	}
	for _, id := range want {
		if _, ok := docs[id]; !ok {
			var have []string
			for k := range docs {
				have = append(have, k)
			}
			t.Errorf("no document %q (have %q)", id, have)
		}
	}
	if len(docs) != len(want) {
		t.Errorf("%d documents, want %d", len(docs), len(want))
	}
}
