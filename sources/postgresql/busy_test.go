package postgresql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/postgresql"
)

// TestServerBusyIsWaitedFor: a server that refuses new connections for a while (here "too many
// connections for role", SQLSTATE 53300, the same code as a full max_connections) is a busy
// server, not a wrong setting: Ping and the sync back off and carry on once it accepts them again.
func TestServerBusyIsWaitedFor(t *testing.T) {
	values, db := newDatabase(t)
	db.Exec(t, "CREATE TABLE items (id INT PRIMARY KEY, name TEXT)")
	db.Exec(t, "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 25) g")
	role := "busy_" + strings.TrimPrefix(values["database"].(string), "test_")
	db.Exec(t, "CREATE ROLE "+role+" LOGIN PASSWORD 'busy-pw' CONNECTION LIMIT 0")
	db.Exec(t, "GRANT SELECT ON items TO "+role)
	admin := backend(t)
	t.Cleanup(func() {
		db.Exec(t, "DROP OWNED BY "+role)
		if p, err := pgxpool.New(context.Background(), admin.url); err == nil {
			_, _ = p.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			p.Close()
		}
	})
	old := sqlcore.RetryBase
	sqlcore.RetryBase = 100 * time.Millisecond
	t.Cleanup(func() { sqlcore.RetryBase = old })

	cfg := map[string]any{"username": role, "password": "busy-pw", "retry_count": 6}
	for k, v := range values {
		if _, ok := cfg[k]; !ok {
			cfg[k] = v
		}
	}
	// The server accepts the role's connections again after half a second.
	busyFor := func() {
		db.Exec(t, "ALTER ROLE "+role+" CONNECTION LIMIT 0")
		time.AfterFunc(500*time.Millisecond, func() {
			_, _ = db.pool.Exec(context.Background(), "ALTER ROLE "+role+" CONNECTION LIMIT -1")
		})
	}

	busyFor()
	src := sqltest.Open(t, postgresql.Factory, cfg)
	if err := src.Ping(context.Background()); err != nil {
		t.Fatalf("Ping gave up on a busy server: %v", err)
	}

	busyFor()
	src = sqltest.Open(t, postgresql.Factory, cfg)
	var incomplete []string
	docs := sqltest.Collect(t, src, connector.DocsRequest{OnIncomplete: func(scope string, cause error) {
		incomplete = append(incomplete, scope+": "+cause.Error())
	}})
	if len(docs) != 25 || len(incomplete) > 0 {
		t.Errorf("got %d documents, incomplete %v; want the 25 rows once the server accepts connections", len(docs), incomplete)
	}
}
