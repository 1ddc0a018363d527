// Package postgresql is the PostgreSQL source (service type postgresql): one document per row
// of the tables of a schema, or of the queries of advanced sync rules, shaped exactly as the
// original's, read page by page on the primary key with pgx. The shared behaviour lives in
// sources/internal/sqlcore.
package postgresql

import (
	"fmt"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// ServiceType is the connector service type of this source.
const ServiceType = "postgresql"

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "PostgreSQL",
	// IncrementalSync is ours: cursor-column incremental syncs (see docs/sources/postgresql.md).
	Features: connector.Features{BasicRules: true, AdvancedRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		sqlcore.HostField(1),
		sqlcore.PortField(2),
		sqlcore.UserField("username", 3),
		sqlcore.PasswordField(4),
		sqlcore.DatabaseField(5),
		sqlcore.SchemaField(6),
		sqlcore.TablesField(7, true),
		sqlcore.FetchSizeField(8, 50),
		sqlcore.RetryCountField(9),
		sqlcore.SSLEnabledField(10, "Verify TLS"),
		sqlcore.SSLCAField(11),
	},
	New: New,
}

func init() { connector.Register(Factory) }

// New builds the source; it does not connect (Ping does).
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := settings{Conn: sqlcore.ReadConn(cfg, "username"), schema: cfg.String("schema")}
	return sqlcore.NewRulesSource(sqlcore.Config{
		Dialect:           newDialect(s),
		Layout:            Layout(s.Database, s.schema),
		Tables:            cfg.List("tables"),
		FetchSize:         cfg.Int("fetch_size"),
		RetryCount:        cfg.Int("retry_count"),
		PingFailure:       fmt.Sprintf("Can't connect to Postgresql on %s:", s.Host),
		Scope:             fmt.Sprintf("schema %q of database %q", s.schema, s.Database),
		PythonSetMessages: true,
		Log:               env.Log().With("service_type", ServiceType),
	}), nil
}

// Layout is the original's document shape: fields named "<schema>_<table>_<column>" in lower
// case, ids "<database>_<schema>_<table>_<key values>", and database, table and schema fields.
func Layout(database, schema string) sqlcore.Layout {
	return sqlcore.SchemaLayout(database, schema, false)
}
