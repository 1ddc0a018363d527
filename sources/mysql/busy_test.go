package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/mysql"
)

// TestServerBusyIsWaitedFor: a server that refuses new connections for a while (here the user's
// max_user_connections is taken by another client, as a full max_connections would be) is busy,
// not misconfigured: Ping and the checks back off and succeed once a connection is free.
func TestServerBusyIsWaitedFor(t *testing.T) {
	values, db := newDatabase(t)
	db.Exec(t, "CREATE TABLE items (id INT PRIMARY KEY, name TEXT)")
	user := "busy_" + strings.TrimPrefix(values["database"].(string), "test_")
	db.Exec(t, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'busy-pw' WITH MAX_USER_CONNECTIONS 1")
	db.Exec(t, "GRANT SELECT ON "+values["database"].(string)+".* TO '"+user+"'@'%'")
	t.Cleanup(func() { db.Exec(t, "DROP USER IF EXISTS '"+user+"'@'%'") })
	old := sqlcore.RetryBase
	sqlcore.RetryBase = 100 * time.Millisecond
	t.Cleanup(func() { sqlcore.RetryBase = old })

	s := backend(t)
	s.user, s.password = user, "busy-pw"
	other := open(t, s, values["database"].(string))
	defer other.Close()
	other.SetMaxIdleConns(0) // releasing the held connection closes it
	cfg := map[string]any{"user": user, "password": "busy-pw", "retry_count": 6}
	for k, v := range values {
		if _, ok := cfg[k]; !ok {
			cfg[k] = v
		}
	}
	for _, check := range []struct {
		name string
		run  func(connector.Source) error
	}{
		{"Ping", func(src connector.Source) error { return src.Ping(context.Background()) }},
		{"ValidateConfig", func(src connector.Source) error {
			return src.(connector.ConfigValidator).ValidateConfig(context.Background())
		}},
	} {
		// Another client holds the user's only connection for half a second.
		held, err := other.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(500*time.Millisecond, func() { held.Close() })
		src := sqltest.Open(t, mysql.Factory, cfg)
		if err := check.run(src); err != nil {
			t.Errorf("%s gave up on a busy server: %v", check.name, err)
		}
		src.Close()
		time.Sleep(600 * time.Millisecond)
	}
}
