package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/connectors-go/connectors/internal/testbackend"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/mysql"
)

func TestMain(m *testing.M) { testbackend.Main(m) }

type server struct {
	host, port, user, password, ca string
}

func backend(t *testing.T) server {
	t.Helper()
	v := testbackend.Require(t, "mariadb", "MARIADB_HOST", "MARIADB_PORT", "MARIADB_USER", "MARIADB_PASSWORD", "MARIADB_SSL_CA")
	return server{v["MARIADB_HOST"], v["MARIADB_PORT"], v["MARIADB_USER"], v["MARIADB_PASSWORD"], v["MARIADB_SSL_CA"]}
}

type myDB struct{ db *sql.DB }

func (d myDB) Exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := d.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func open(t *testing.T, s server, database string) *sql.DB {
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = s.user, s.password, "tcp", s.host+":"+s.port, database
	cfg.MultiStatements = true
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(conn)
}

// newDatabase creates a database for one test and returns the source's configuration for it.
func newDatabase(t *testing.T) (map[string]any, myDB) {
	t.Helper()
	s := backend(t)
	admin := open(t, s, "")
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	db := open(t, s, name)
	t.Cleanup(func() {
		db.Close()
		admin := open(t, s, "")
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
	})
	values := map[string]any{
		"host": s.host, "port": s.port, "user": s.user, "password": s.password,
		"database": name, "tables": "*",
	}
	return values, myDB{db}
}

func TestSharedSuite(t *testing.T) {
	sqltest.Run(t, sqltest.Backend{
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
		Field:           func(_ map[string]any, _ []string, column string) string { return column },
		TableField:      "Table",
		ValidatesTables: true,
		Sleep:           func(n int) string { return fmt.Sprintf("SELECT 1 AS id, SLEEP(%d) AS slept", n) },
		Running: func(t *testing.T, db sqltest.DB, marker string) bool {
			var n int
			err := db.(myDB).db.QueryRow(`SELECT COUNT(*) FROM information_schema.PROCESSLIST
				WHERE COMMAND = 'Query' AND ID <> CONNECTION_ID() AND INFO LIKE CONCAT('%', ?, '%')`, marker).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		},
		KillReaders: func(t *testing.T, db sqltest.DB) {
			d := db.(myDB).db
			rows, err := d.Query(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()`)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for rows.Next() {
				var id int64
				_ = rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			for _, id := range ids {
				_, _ = d.Exec(fmt.Sprintf("KILL CONNECTION %d", id))
			}
		},
		WrongValues: map[string]any{
			"host":     "no-such-host.invalid",
			"port":     "1",
			"user":     "nobody",
			"password": "wrong-password",
			"database": "no_such_database",
		},
		TLS: func(map[string]any) map[string]any { return sqltest.TLSValues(t, backend(t).ca) },
	})
}
