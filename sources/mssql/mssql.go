// Package mssql is the Microsoft SQL Server source (service type mssql): one document per row
// of the tables of a schema, or of the queries of advanced sync rules, shaped exactly as the
// original's, read page by page on the primary key with go-mssqldb. The shared behaviour lives
// in sources/internal/sqlcore.
//
// No SQL Server runs on the machines that test this repository: the dialect's SQL and value
// conversion are unit-tested, and the shared core is tested on PostgreSQL and MariaDB (see
// docs/sources/mssql.md).
package mssql

import (
	"fmt"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// ServiceType is the connector service type of this source.
const ServiceType = "mssql"

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Microsoft SQL Server",
	// IncrementalSync is ours: cursor-column incremental syncs (see docs/sources/mssql.md).
	Features: connector.Features{BasicRules: true, AdvancedRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		sqlcore.HostField(1),
		sqlcore.PortField(2),
		sqlcore.UserField("username", 3),
		sqlcore.PasswordField(4),
		sqlcore.DatabaseField(5),
		sqlcore.TablesField(6, true),
		sqlcore.FetchSizeField(7, 50),
		sqlcore.RetryCountField(8),
		sqlcore.SchemaField(9),
		sqlcore.SSLEnabledField(10, "Verify TLS"),
		sqlcore.SSLCAField(11),
		{Key: "validate_host", Label: "Check the server's host name", Order: 12, Type: connector.TypeBool,
			Display: connector.DisplayToggle, Value: false,
			Tooltip: "With TLS, also check that the server's certificate was issued for the configured host."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// skipTables are system tables the original never indexes, by database.
var skipTables = map[string][]string{"msdb": {"sysutility_ucp_configuration_internal"}}

// New builds the source; it does not connect (Ping does).
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := settings{
		Conn:         sqlcore.ReadConn(cfg, "username"),
		schema:       cfg.String("schema"),
		validateHost: cfg.Bool("validate_host"),
	}
	return sqlcore.NewRulesSource(sqlcore.Config{
		Dialect:     newDialect(s),
		Layout:      Layout(s.Database, s.schema),
		Tables:      cfg.List("tables"),
		FetchSize:   cfg.Int("fetch_size"),
		RetryCount:  cfg.Int("retry_count"),
		PingFailure: fmt.Sprintf("Can't connect to Microsoft SQL on %s:", s.Host),
		Scope:       fmt.Sprintf("schema %q of database %q", s.schema, s.Database),
		SkipTable: func(name string) bool {
			for _, t := range skipTables[s.Database] {
				if t == name {
					return true
				}
			}
			return false
		},
		PythonSetMessages: true,
		Log:               env.Log().With("service_type", ServiceType),
	}), nil
}

// Layout is the original's document shape: PostgreSQL's ("<schema>_<table>_<column>" fields,
// "<database>_<schema>_<table>_<key values>" ids, database, table and schema fields), with the
// key columns in alphabetical order.
func Layout(database, schema string) sqlcore.Layout {
	return sqlcore.SchemaLayout(database, schema, true)
}
