package mysql_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/parity"
	"github.com/connectors-go/connectors/sources/mysql"
)

// The recordings (testdata/parity/README.md) were made from a database of this name.
const parityDB = "parity_golden"

// myDifferences is where the deliberate differences are documented.
const myDifferences = "docs/sources/mysql.md#differences-from-the-original"

// parityTables is the main recordings' tables setting: every table of the fixture but the
// unindexable ones and k_bin, which have recordings of their own.
const parityTables = "types,k_text,k_dec,k_double,k_time,k_u,k_uuid,k_long,k_bool,has_id_col,Weird Table-ü,MixedCase,no_pk,empty_table,a_view"

// parityAdvancedRules is the advanced snippet of mysql-advanced.json.
const parityAdvancedRules = `[
 {"tables": ["types", "k_text"], "query": "SELECT t.pk, k.kt_a, k.kt_b, t.c_varchar FROM types t JOIN k_text k ON k.kt_b = t.pk - 1", "id_columns": ["pk"]},
 {"tables": ["k_dec"], "query": "SELECT * FROM k_dec WHERE kd_n > 0"},
 {"tables": ["types"], "query": "SELECT pk, c_varchar, c_uuid FROM types", "id_columns": ["c_uuid", "pk"]}
]`

// parityDatabase (re)creates parity_golden with testdata/parity/fixture.sql.
func parityDatabase(t *testing.T) (map[string]any, *sql.DB) {
	t.Helper()
	s := backend(t)
	admin := open(t, s, "")
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + parityDB, "CREATE DATABASE " + parityDB + " CHARACTER SET utf8mb4"} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db := open(t, s, parityDB)
	t.Cleanup(func() {
		db.Close()
		admin := open(t, s, "")
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + parityDB)
	})
	fixture, err := os.ReadFile(filepath.Join("testdata", "parity", "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(fixture)); err != nil {
		t.Fatalf("fixture.sql: %v", err)
	}
	return map[string]any{"host": s.host, "port": s.port, "user": s.user, "password": s.password,
		"database": parityDB, "tables": parityTables, "fetch_size": 2}, db
}

func with(values map[string]any, more map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range values {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// updateTime checks _timestamp, the UPDATE_TIME information_schema gives for the document's
// tables (the latest of them): when the test loaded the fixture, so not the recording's, but it
// must be that time as the original formats it (isoformat() of the naive datetime).
func updateTime(db *sql.DB) parity.LiveCheck {
	return func(_, doc map[string]any, v any) error {
		var tables []string
		switch t := doc["Table"].(type) {
		case string:
			tables = []string{t}
		case []any:
			for _, x := range t {
				tables = append(tables, x.(string))
			}
		}
		var latest time.Time
		for _, table := range tables {
			var s sql.NullString
			err := db.QueryRowContext(context.Background(), "SELECT UPDATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", parityDB, table).Scan(&s)
			if err != nil {
				return err
			}
			if !s.Valid {
				return fmt.Errorf("no UPDATE_TIME for %s", table)
			}
			ts, err := time.Parse(time.DateTime, s.String)
			if err != nil {
				return err
			}
			if ts.After(latest) {
				latest = ts
			}
		}
		// A naive datetime: isoformat() writes no zone.
		if want := latest.Format("2006-01-02T15:04:05"); v != want {
			return fmt.Errorf("%v, the UPDATE_TIME of %v is %s", v, tables, want)
		}
		return nil
	}
}

// TestParityWithOriginal syncs the fixture with ours and compares the index with what the
// original wrote from the same database, field by field.
func TestParityWithOriginal(t *testing.T) {
	values, db := parityDatabase(t)
	var advanced any
	if err := json.Unmarshal([]byte(parityAdvancedRules), &advanced); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		recording string
		values    map[string]any
		rules     any
	}{
		// Every column type, keys of many types, names to quote, tables without documents.
		{"mysql-main.json", values, nil},
		// A binary key; the original's paging fails on it after a first full page
		// (mysql-k-bin-paged.json), so it was recorded with a larger fetch_size.
		{"mysql-k-bin.json", with(values, map[string]any{"tables": "k_bin", "fetch_size": 50}), nil},
		{"mysql-unindexable-zero-date.json", with(values, map[string]any{"tables": "unindexable_zero_date"}), nil},
		// Advanced rules: a join over two tables, a query without id columns, an id column
		// that is NULL in one row.
		{"mysql-advanced.json", values, advanced},
	} {
		t.Run(strings.TrimSuffix(tc.recording, ".json"), func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			if rec.Job.Status != "completed" {
				t.Fatalf("recorded job %+v", rec.Job)
			}
			ours, err := parity.Run(t, parity.Sync{Factory: mysql.Factory, Values: tc.values, AdvancedRules: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			st := parity.Compare(t, rec.Docs, ours, parity.Rules{
				Live: map[string]parity.LiveCheck{"_timestamp": updateTime(db)},
			})
			t.Logf("compared with the original v9.5.2: %s", st)
		})
	}
}

// TestParityOriginalFailures covers what makes the original's sync fail; ours indexes the
// documents.
func TestParityOriginalFailures(t *testing.T) {
	values, _ := parityDatabase(t)
	for _, tc := range []struct {
		recording, tables string
		fetchSize         int
		originalError     string
		// ours: document id → field → raw JSON
		ours map[string]map[string]string
	}{
		// TIME columns are Python timedeltas, which the bulk encoder cannot serialise.
		{"mysql-unindexable-time.json", "unindexable_time", 2, "SerializationError: Unable to serialize to JSON: datetime.timedelta",
			map[string]map[string]string{"unindexable_time_1": {"v": `"12:34:56"`}}},
		{"mysql-unindexable-negative-time.json", "unindexable_negative_time", 2, "SerializationError: Unable to serialize to JSON: datetime.timedelta",
			map[string]map[string]string{"unindexable_negative_time_1": {"v": `"-838:59:59.000000"`}}},
		// A binary key breaks the original's keyset paging (aiomysql cannot escape bytes
		// parameters) once a page is full.
		{"mysql-k-bin-paged.json", "k_bin", 2, "TypeError: 'str' object is not callable",
			map[string]map[string]string{`k_bin_b"\x00A\xff'"`: {"kb_b": `"\u0000A'"`}, `k_bin_b'h\xc3\xa9'`: {"kb_b": `"hé"`}}},
	} {
		t.Run(tc.tables, func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			if rec.Job.Status != "error" || rec.Job.Error == nil || !strings.HasPrefix(*rec.Job.Error, tc.originalError) {
				t.Fatalf("recorded job %+v: the original no longer fails here, update %s", rec.Job, myDifferences)
			}
			ours, err := parity.Run(t, parity.Sync{Factory: mysql.Factory, Values: with(values, map[string]any{"tables": tc.tables, "fetch_size": tc.fetchSize})})
			if err != nil {
				t.Fatal(err)
			}
			if len(ours) != len(tc.ours) {
				t.Fatalf("%d documents, want %d", len(ours), len(tc.ours))
			}
			for _, d := range ours {
				want, ok := tc.ours[d.ID]
				if !ok {
					t.Errorf("unexpected document %s", d.ID)
					continue
				}
				f, err := d.Fields()
				if err != nil {
					t.Fatal(err)
				}
				for k, w := range want {
					if got, _ := json.Marshal(f[k]); string(got) != w {
						t.Errorf("%s field %s = %s, %s documents %s", d.ID, k, got, myDifferences, w)
					}
				}
			}
		})
	}
}
