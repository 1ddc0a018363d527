package postgresql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectors-go/connectors/internal/parity"
	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/postgresql"
)

// The recordings (testdata/parity/README.md) were made from a database of this name: it is part
// of every _id, and of the MD5 of ids longer than 512 bytes, so the test uses the same name.
const parityDB = "parity_golden"

// pgDifferences is where the deliberate differences are documented.
const pgDifferences = "docs/sources/postgresql.md#differences-from-the-original"

// parityDatabase (re)creates parity_golden with testdata/parity/fixture.sql and returns the
// source's configuration for it and a pool on it.
func parityDatabase(t *testing.T) (map[string]any, *pgxpool.Pool) {
	t.Helper()
	s := backend(t)
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + parityDB + " WITH (FORCE)", "CREATE DATABASE " + parityDB} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := pgxpool.New(ctx, strings.TrimSuffix(s.url, "/postgres")+"/"+parityDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		if admin, err := pgxpool.New(context.Background(), s.url); err == nil {
			_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+parityDB+" WITH (FORCE)")
			admin.Close()
		}
	})
	fixture, err := os.ReadFile(filepath.Join("testdata", "parity", "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// Without arguments pgx sends the script with the simple protocol, statements and all.
	if _, err := pool.Exec(ctx, string(fixture)); err != nil {
		t.Fatalf("fixture.sql: %v", err)
	}
	return map[string]any{"host": s.host, "port": s.port, "username": s.user, "password": s.password,
		"database": parityDB, "schema": "public", "tables": "*", "fetch_size": 2}, pool
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

// lastCommit checks _timestamp, the last commit time of the document's tables: the moment the
// fixture was loaded, so not the recording's, but it must be that time as the original
// formats it (datetime.isoformat() of an aware UTC datetime).
func lastCommit(pool *pgxpool.Pool, schema string) parity.LiveCheck {
	return func(_, doc map[string]any, v any) error {
		var tables []string
		switch t := doc["table"].(type) {
		case string:
			tables = []string{t}
		case []any:
			for _, x := range t {
				tables = append(tables, x.(string))
			}
		}
		var latest time.Time
		for _, table := range tables {
			var ts *time.Time
			q := fmt.Sprintf(`SELECT MAX(pg_xact_commit_timestamp(xmin)) FROM %q.%q`, schema, table)
			if err := pool.QueryRow(context.Background(), q).Scan(&ts); err != nil {
				return err
			}
			if ts != nil && ts.After(latest) {
				latest = *ts
			}
		}
		if want := pyfmt.ISOFormat(latest.UTC()); v != want {
			return fmt.Errorf("%v, the last commit of %v is %s", v, tables, want)
		}
		return nil
	}
}

// TestParityWithOriginal syncs the fixture with ours and compares the index with what the
// original wrote from the same database, field by field.
func TestParityWithOriginal(t *testing.T) {
	values, pool := parityDatabase(t)
	var advanced any
	if err := json.Unmarshal([]byte(parityAdvancedRules), &advanced); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		recording string
		values    map[string]any
		rules     any
		schema    string
	}{
		// Every table of public: every column type, keys of many types, names to quote.
		{"pg-public.json", values, nil, "public"},
		// Advanced rules: a join over two tables, a query without id columns, an id column
		// that is NULL in one row.
		{"pg-advanced.json", values, advanced, "public"},
		// Infinite dates and timestamps, which the original writes as their maximum.
		{"pg-infinite-date.json", with(values, map[string]any{"schema": "unindexable", "tables": "infinite_date"}), nil, "unindexable"},
		{"pg-infinite-timestamp.json", with(values, map[string]any{"schema": "unindexable", "tables": "infinite_timestamp"}), nil, "unindexable"},
	} {
		t.Run(strings.TrimSuffix(tc.recording, ".json"), func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			if rec.Job.Status != "completed" {
				t.Fatalf("recorded job %+v", rec.Job)
			}
			ours, err := parity.Run(t, parity.Sync{Factory: postgresql.Factory, Values: tc.values, AdvancedRules: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			st := parity.Compare(t, rec.Docs, ours, parity.Rules{
				Live: map[string]parity.LiveCheck{"_timestamp": lastCommit(pool, tc.schema)},
			})
			t.Logf("compared with the original v9.5.2: %s", st)
		})
	}
}

// parityAdvancedRules is the advanced snippet of pg-advanced.json.
const parityAdvancedRules = `[
 {"tables": ["types", "k_text"], "query": "SELECT t.id, k.a, k.b, t.c_text FROM types t JOIN k_text k ON k.b = t.id - 1 ORDER BY t.id", "id_columns": ["id"]},
 {"tables": ["k_num"], "query": "SELECT * FROM k_num WHERE n > 0"},
 {"tables": ["types"], "query": "SELECT id, c_text, c_uuid FROM types", "id_columns": ["c_uuid", "id"]}
]`

// TestParityUnindexable covers values the original cannot index: its sync fails (the bulk
// encoder cannot serialise the value, or the driver's conversion raises) or Elasticsearch
// refuses the document (NaN and Infinity are not JSON). Ours indexes the document with the
// documented value.
func TestParityUnindexable(t *testing.T) {
	values, _ := parityDatabase(t)
	for _, tc := range []struct {
		recording, table, originalError, ours string
	}{
		{"pg-interval-col.json", "interval_col", "SerializationError: Unable to serialize to JSON: datetime.timedelta", `"P1Y2M3DT4H5M6.5S"`},
		{"pg-range-col.json", "range_col", "SerializationError: Unable to serialize to JSON: <Range [1, 5)>", `"[1,5)"`},
		{"pg-record-col.json", "record_col", "SerializationError: Unable to serialize to JSON: <Record x=1 y='x'>", `"(1,x)"`},
		{"pg-bc-date.json", "bc_date", "ValueError: ordinal must be >= 1", `"-0043-03-15"`},
		// The sync completes, but Elasticsearch refuses the document the original sends.
		{"pg-nan-numeric.json", "nan_numeric", "", `null`},
		{"pg-infinite-double.json", "infinite_double", "", `null`},
	} {
		t.Run(tc.table, func(t *testing.T) {
			rec := parity.Load(t, filepath.Join("testdata", "parity", tc.recording))
			failed := rec.Job.Status == "error" && rec.Job.Error != nil && strings.HasPrefix(*rec.Job.Error, tc.originalError)
			refused := tc.originalError == "" && rec.Job.Status == "completed"
			if (!failed && !refused) || len(rec.Docs) != 0 {
				t.Fatalf("recorded job %+v, %d documents: the original no longer fails here, update %s", rec.Job, len(rec.Docs), pgDifferences)
			}
			ours, err := parity.Run(t, parity.Sync{Factory: postgresql.Factory, Values: with(values, map[string]any{"schema": "unindexable", "tables": tc.table})})
			if err != nil {
				t.Fatal(err)
			}
			if len(ours) != 1 {
				t.Fatalf("%d documents, want 1", len(ours))
			}
			f, err := ours[0].Fields()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(f["unindexable_"+tc.table+"_v"])
			if string(got) != tc.ours {
				t.Errorf("value %s, %s documents %s", got, pgDifferences, tc.ours)
			}
			if want := parityDB + "_unindexable_" + tc.table + "_1"; ours[0].ID != want {
				t.Errorf("_id %s, want %s", ours[0].ID, want)
			}
		})
	}
}
