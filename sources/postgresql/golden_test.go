package postgresql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/postgresql"
)

func pgBackend() sqltest.Backend {
	return sqltest.Backend{
		Factory: postgresql.Factory,
		NewDatabase: func(t *testing.T) (map[string]any, sqltest.DB) {
			v, db := newDatabase(t)
			return v, db
		},
		ID: func(v map[string]any, tables []string, key ...any) string {
			parts := make([]string, len(key))
			for i, k := range key {
				parts[i] = toString(k)
			}
			return v["database"].(string) + "_public_" + sortedTables(tables) + "_" + strings.Join(parts, "_")
		},
		Field: func(_ map[string]any, tables []string, column string) string {
			return strings.ToLower("public_" + sortedTables(tables) + "_" + column)
		},
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := connector.MarshalJSON(v)
	return string(b)
}

// TestGoldenDocuments checks the document field of every column type against what the
// original (asyncpg through SQLAlchemy, then serialize() and the bulk encoder) produces. Where
// the original cannot index a type at all (intervals, ranges, NaN), the expectation is ours
// and docs/sources/postgresql.md says so.
func TestGoldenDocuments(t *testing.T) {
	long := strings.Repeat("é", 100000)
	cases := []sqltest.GoldenCase{
		{"smallint", "smallint", "32767", "32767"},
		{"integer", "integer", "-2147483648", "-2147483648"},
		{"bigint", "bigint", "9223372036854775807", "9223372036854775807"},
		{"numeric with scale", "numeric(10,2)", "1.50", "1.5"},
		{"numeric integral", "numeric(10,2)", "3", "3.0"},
		{"big numeric", "numeric", "12345678901234567890.123456789", "1.2345678901234567e+19"},
		{"tiny numeric", "numeric", "0.00000012", "1.2e-07"},
		{"numeric NaN", "numeric", "'NaN'", "null"},
		{"real", "real", "1.1", "1.100000023841858"},
		{"double", "double precision", "0.1", "0.1"},
		{"huge double", "double precision", "1e300", "1e+300"},
		{"double infinity", "double precision", "'Infinity'", "null"},
		{"boolean", "boolean", "true", "true"},
		{"non-ASCII text", "text", "'Grüße, 日本, 🎉, \"quoted\" \\ tab\t'", sqltest.JSONString("Grüße, 日本, 🎉, \"quoted\" \\ tab\t")},
		{"char padded", "char(5)", "'ab'", `"ab   "`},
		{"varchar", "varchar(20)", "'abc'", `"abc"`},
		{"very long text", "text", "repeat('é', 100000)", sqltest.JSONString(long)},
		{"bytea", "bytea", `'\x00ff41'`, `"\u0000A"`},
		{"date", "date", "'2024-02-29'", `"2024-02-29"`},
		{"date infinity", "date", "'infinity'", `"9999-12-31"`},
		{"timestamp", "timestamp", "'2024-01-02 03:04:05.123456'", `"2024-01-02T03:04:05.123456"`},
		{"timestamp whole second", "timestamp", "'2024-01-02 03:04:05'", `"2024-01-02T03:04:05"`},
		{"timestamp millis", "timestamp(3)", "'2024-01-02 03:04:05.12'", `"2024-01-02T03:04:05.120000"`},
		{"timestamptz", "timestamptz", "'2024-01-02 03:04:05+02'", `"2024-01-02T01:04:05+00:00"`},
		{"time", "time", "'13:45:10.5'", `"13:45:10.500000"`},
		{"timetz", "timetz", "'13:45:10+05:30'", `"13:45:10+05:30"`},
		{"interval", "interval", "'1 year 2 mons 3 days 04:05:06.5'", `"P1Y2M3DT4H5M6.5S"`},
		{"negative interval", "interval", "'-1 day -00:00:01.25'", `"P-1DT-1.25S"`},
		{"uuid", "uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`},
		{"json", "json", `'{"b": 1, "a": [1.0, 2e3, null, "x"]}'`, `{"a":[1.0,2000.0,null,"x"],"b":1}`},
		{"jsonb big int", "jsonb", `'{"n": 12345678901234567890, "s": "ü"}'`, `{"n":12345678901234567890,"s":"ü"}`},
		{"json scalar", "jsonb", `'"text"'`, `"text"`},
		{"inet host", "inet", "'192.168.1.1'", `"192.168.1.1"`},
		{"inet with mask", "inet", "'10.30.0.9/24'", `"10.30.0.9/24"`},
		{"inet v6", "inet", "'2001:db8::1/64'", `"2001:db8::1/64"`},
		{"cidr", "cidr", "'10.0.0.0/8'", `"10.0.0.0/8"`},
		{"macaddr", "macaddr", "'08:00:2B:01:02:03'", `"08:00:2b:01:02:03"`},
		{"point", "point", "'(1.5,2.5)'", `"(1.5, 2.5)"`},
		{"line", "line", "'{1,-1,0}'", `"(1.0, -1.0, 0.0)"`},
		{"lseg", "lseg", "'[(0,0),(1,1)]'", `"[(0.0, 0.0), (1.0, 1.0)]"`},
		{"box", "box", "'((2,2),(0,0))'", `"[(2.0, 2.0), (0.0, 0.0)]"`},
		{"open path", "path", "'[(0,0),(1,1),(2,0)]'", `"open [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]"`},
		{"closed path", "path", "'((0,0),(3,0),(3,3))'", `"closed [(0.0, 0.0), (3.0, 0.0), (3.0, 3.0)]"`},
		{"polygon", "polygon", "'((0,0),(1,0),(1,1))'", `"[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]"`},
		{"circle", "circle", "'<(0,0),5>'", `"((0.0, 0.0), 5.0)"`},
		{"bit", "bit(8)", "B'10101010'", `"1010 1010"`},
		{"varbit", "varbit(16)", "B'10101'", `"1010 1"`},
		{"int array", "int[]", "'{1,NULL,3}'", `[1,null,3]`},
		{"2-D text array", "text[][]", "'{{a,b},{c,\"d e\"}}'", `[["a","b"],["c","d e"]]`},
		{"uuid array", "uuid[]", "'{550e8400-e29b-41d4-a716-446655440000}'", `["550e8400-e29b-41d4-a716-446655440000"]`},
		{"inet array", "inet[]", "'{192.168.1.1,10.0.0.1/8}'", `["192.168.1.1","10.0.0.1/8"]`},
		{"numeric array", "numeric[]", "'{1.5,2}'", `[1.5,2.0]`},
		{"timestamp array", "timestamp[]", "'{\"2024-01-02 03:04:05\"}'", `["2024-01-02T03:04:05"]`},
		{"empty array", "int[]", "'{}'", `[]`},
		{"money", "money", "12.34", `"$12.34"`},
		{"xml", "xml", "'<a>x</a>'", `"<a>x</a>"`},
		{"enum", "mood", "'happy'", `"happy"`},
		{"enum array", "mood[]", "'{happy,sad}'", `["happy","sad"]`},
		{"range", "int4range", "'[1,5)'", `"[1,5)"`},
		{"tsvector", "tsvector", "'a fat cat'", `"'a' 'cat' 'fat'"`},
	}
	setup := []string{"CREATE TYPE mood AS ENUM ('happy', 'sad')"}
	docs := sqltest.RunGolden(t, pgBackend(), setup, cases)
	for _, d := range docs {
		if d.Fields["table"] != "golden" || d.Fields["schema"] != "public" || !strings.HasPrefix(d.Fields["database"].(string), "test_") {
			t.Errorf("metadata fields: table %v, schema %v, database %v", d.Fields["table"], d.Fields["schema"], d.Fields["database"])
		}
		// track_commit_timestamp is on: the table's last commit, in UTC, as isoformat() writes it.
		ts, err := time.Parse("2006-01-02T15:04:05.999999-07:00", d.Timestamp)
		if err != nil || !strings.HasSuffix(d.Timestamp, "+00:00") || time.Since(ts) > time.Hour {
			t.Errorf("_timestamp %q is not the table's last commit time", d.Timestamp)
		}
	}
}

// TestGoldenIDs checks document ids for primary keys of several types: the str() of the value
// the driver returns, as the original writes them.
func TestGoldenIDs(t *testing.T) {
	values, db := newDatabase(t)
	db.Exec(t, "CREATE TABLE k_text (a text, b int, PRIMARY KEY (a, b))")
	db.Exec(t, "INSERT INTO k_text VALUES ('x y', 2), ('Ünï', -1)")
	db.Exec(t, "CREATE TABLE k_uuid (u uuid PRIMARY KEY)")
	db.Exec(t, "INSERT INTO k_uuid VALUES ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')")
	db.Exec(t, "CREATE TABLE k_num (n numeric(6,2) PRIMARY KEY)")
	db.Exec(t, "INSERT INTO k_num VALUES (1.5), (0.0000)")
	db.Exec(t, "CREATE TABLE k_time (ts timestamp, tz timestamptz, d date, PRIMARY KEY (ts, tz, d))")
	db.Exec(t, "INSERT INTO k_time VALUES ('2024-01-02 03:04:05.5', '2024-01-02 03:04:05+02', '2024-02-29')")
	db.Exec(t, "CREATE TABLE k_bool (b boolean PRIMARY KEY, v int)")
	db.Exec(t, "INSERT INTO k_bool VALUES (true, 1)")
	db.Exec(t, "CREATE TABLE k_bytes (b bytea PRIMARY KEY)")
	db.Exec(t, `INSERT INTO k_bytes VALUES ('\x0041ff27')`)
	db.Exec(t, `CREATE TABLE "MixedCase" ("Key" int PRIMARY KEY, "Value" text)`)
	db.Exec(t, `INSERT INTO "MixedCase" VALUES (7, 'v')`)
	src := sqltest.Open(t, postgresql.Factory, values)
	docs := sqltest.Collect(t, src, connector.DocsRequest{})
	db0 := values["database"].(string) + "_public_"
	want := map[string]string{
		db0 + "k_text_x y_2":                                "public_k_text_a",
		db0 + "k_text_Ünï_-1":                               "public_k_text_a",
		db0 + "k_uuid_a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11": "public_k_uuid_u",
		db0 + "k_num_1.50":                                  "public_k_num_n",
		db0 + "k_num_0.00":                                  "public_k_num_n",
		db0 + "k_time_2024-01-02 03:04:05.500000_2024-01-02 01:04:05+00:00_2024-02-29": "public_k_time_ts",
		db0 + "k_bool_True":           "public_k_bool_v",
		db0 + `k_bytes_b"\x00A\xff'"`: "public_k_bytes_b",
		db0 + "MixedCase_7":           "public_mixedcase_value",
	}
	for id, field := range want {
		d, ok := docs[id]
		if !ok {
			t.Errorf("no document %q (have %v)", id, ids(docs))
			continue
		}
		if _, ok := d.Fields[field]; !ok {
			t.Errorf("document %q has no field %q: %v", id, field, d.Fields)
		}
	}
	if len(docs) != len(want) {
		t.Errorf("%d documents, want %d: %v", len(docs), len(want), ids(docs))
	}
	if got := docs[db0+`k_bytes_b"\x00A\xff'"`].Fields["public_k_bytes_b"]; got != "\x00A'" {
		t.Errorf("bytea key field %q", got)
	}
}

func ids(docs map[string]connector.Document) []string {
	var out []string
	for id := range docs {
		out = append(out, id)
	}
	return out
}
