package postgresql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/postgresql"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

type server struct {
	url, host, port, user, password, ca string
}

func backend(t *testing.T) server {
	t.Helper()
	v := testbackend.Require(t, "postgresql", "POSTGRESQL_URL", "POSTGRESQL_HOST", "POSTGRESQL_PORT",
		"POSTGRESQL_USER", "POSTGRESQL_PASSWORD", "POSTGRESQL_SSL_CA")
	return server{v["POSTGRESQL_URL"], v["POSTGRESQL_HOST"], v["POSTGRESQL_PORT"], v["POSTGRESQL_USER"],
		v["POSTGRESQL_PASSWORD"], v["POSTGRESQL_SSL_CA"]}
}

type pgDB struct{ pool *pgxpool.Pool }

func (d pgDB) Exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := d.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newDatabase creates a database for one test and returns the source's configuration for it.
func newDatabase(t *testing.T) (map[string]any, pgDB) {
	t.Helper()
	s := backend(t)
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSuffix(s.url, "/postgres") + "/" + name
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		admin, err := pgxpool.New(context.Background(), s.url)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	values := map[string]any{
		"host": s.host, "port": s.port, "username": s.user, "password": s.password,
		"database": name, "schema": "public", "tables": "*",
	}
	return values, pgDB{pool}
}

func sortedTables(tables []string) string {
	s := append([]string(nil), tables...)
	sort.Strings(s)
	return strings.Join(s, "_")
}

func TestSharedSuite(t *testing.T) {
	sqltest.Run(t, sqltest.Backend{
		Factory: postgresql.Factory,
		NewDatabase: func(t *testing.T) (map[string]any, sqltest.DB) {
			v, db := newDatabase(t)
			return v, db
		},
		ID: func(v map[string]any, tables []string, key ...any) string {
			parts := make([]string, len(key))
			for i, k := range key {
				parts[i] = fmt.Sprint(k)
			}
			return fmt.Sprintf("%s_public_%s_%s", v["database"], sortedTables(tables), strings.Join(parts, "_"))
		},
		Field: func(_ map[string]any, tables []string, column string) string {
			return strings.ToLower("public_" + sortedTables(tables) + "_" + column)
		},
		TableField: "table",
		Sleep:      func(n int) string { return fmt.Sprintf("SELECT 1 AS id, pg_sleep(%d)", n) },
		Running: func(t *testing.T, db sqltest.DB, marker string) bool {
			var n int
			err := db.(pgDB).pool.QueryRow(context.Background(),
				`SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'`,
				marker).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		},
		KillReaders: func(t *testing.T, db sqltest.DB) {
			db.Exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = 'elastic-connectors' AND datname = current_database()`)
		},
		WrongValues: map[string]any{
			"host":     "no-such-host.invalid",
			"port":     "1",
			"username": "nobody",
			"password": "wrong-password",
			"database": "no_such_database",
			"schema":   "no_such_schema",
		},
		TLS: func(map[string]any) map[string]any { return sqltest.TLSValues(t, backend(t).ca) },
	})
}
