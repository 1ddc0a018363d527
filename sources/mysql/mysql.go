// Package mysql is the MySQL source (service type mysql), which also reads MariaDB: one
// document per row of the database's tables, or of the queries of advanced sync rules, shaped
// exactly as the original's, read page by page on the primary key with go-sql-driver/mysql. The
// shared behaviour lives in sources/internal/sqlcore.
package mysql

import (
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// ServiceType is the connector service type of this source.
const ServiceType = "mysql"

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "MySQL",
	// IncrementalSync is ours: cursor-column incremental syncs (see docs/sources/mysql.md).
	Features: connector.Features{BasicRules: true, AdvancedRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		sqlcore.HostField(1),
		sqlcore.PortField(2),
		sqlcore.UserField("user", 3),
		sqlcore.PasswordField(4),
		sqlcore.DatabaseField(5),
		sqlcore.TablesField(6, false),
		sqlcore.SSLEnabledField(7, "Use TLS"),
		sqlcore.SSLCAField(8),
		sqlcore.FetchSizeField(9, 5000),
		sqlcore.RetryCountField(10),
	},
	New: New,
}

func init() { connector.Register(Factory) }

// New builds the source; it does not connect (Ping does).
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := settings{sqlcore.ReadConn(cfg, "user")}
	return sqlcore.NewRulesSource(sqlcore.Config{
		Dialect:     newDialect(s),
		Layout:      Layout(),
		Tables:      cfg.List("tables"),
		FetchSize:   cfg.Int("fetch_size"),
		RetryCount:  cfg.Int("retry_count"),
		PingFailure: fmt.Sprintf("Can't connect to MySQL on %s:", s.Host),
		Scope:       fmt.Sprintf("database %q", s.Database),
		MissingTables: func(missing []string) error {
			return sqlcore.FieldErr("tables", nil, "The tables '%s' are either not present or not accessible for user '%s'.",
				strings.Join(missing, ", "), s.User)
		},
		ValidateTables: true,
		Log:            env.Log().With("service_type", ServiceType),
	}), nil
}

// Layout is the original's document shape: the columns under their own names, ids
// "<table>_<key values>" and a Table field.
func Layout() sqlcore.Layout {
	return sqlcore.Layout{
		FieldNames: func(_, columns []string) []string { return columns },
		TableKey:   func(_ string, key []string) []string { return key },
		RuleKey: func(_ []string, keys [][]string, idColumns []string) []string {
			if len(idColumns) > 0 {
				return idColumns
			}
			var flat []string
			for _, k := range keys {
				flat = append(flat, k...)
			}
			return sortStrings(flat)
		},
		ID: sqlcore.HashID,
		Meta: func(tables []string, rule bool) map[string]any {
			return map[string]any{"Table": sqlcore.TablesValue(tables, rule)}
		},
	}
}
