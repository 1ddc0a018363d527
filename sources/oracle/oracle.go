// Package oracle is the Oracle Database source (service type oracle): one document per row of
// the tables the user owns, shaped exactly as the original's, read page by page on the primary
// key with go-ora (pure Go, no Instant Client). The shared behaviour lives in
// sources/internal/sqlcore. The original has no advanced rules for Oracle, and neither has this
// source.
//
// No Oracle server runs on the machines that test this repository: the dialect's SQL and value
// conversion are unit-tested, and the shared core is tested on PostgreSQL and MariaDB (see
// docs/sources/oracle.md).
package oracle

import (
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// ServiceType is the connector service type of this source.
const ServiceType = "oracle"

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Oracle Database",
	Features:    connector.Features{BasicRules: true},
	Fields: []connector.Field{
		sqlcore.HostField(1),
		sqlcore.PortField(2),
		sqlcore.UserField("username", 3),
		sqlcore.PasswordField(4),
		{Key: "connection_source", Label: "Connect with", Order: 5, Display: connector.DisplayDropdown, Value: "sid",
			Options: []connector.Option{{Label: "SID", Value: "sid"}, {Label: "Service name", Value: "service_name"}},
			Tooltip: "Choose the service name to reach a pluggable database."},
		{Key: "sid", Label: "SID", Order: 6,
			DependsOn: []connector.Dependency{{Field: "connection_source", Value: "sid"}}},
		{Key: "service_name", Label: "Service name", Order: 7,
			DependsOn: []connector.Dependency{{Field: "connection_source", Value: "service_name"}}},
		sqlcore.TablesField(8, false),
		sqlcore.FetchSizeField(9, 50),
		sqlcore.RetryCountField(10),
		{Key: "oracle_protocol", Label: "Protocol", Order: 11, Display: connector.DisplayDropdown, Value: "TCP",
			DefaultValue: "TCP", Options: connector.Options("TCP", "TCPS"),
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "TCPS encrypts the connection with TLS."},
		{Key: "oracle_home", Label: "Oracle Home", Order: 12, Optional: true, DefaultValue: "",
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "Not needed: this connector talks to Oracle without the Oracle client libraries, so the setting is ignored."},
		{Key: "wallet_configuration_path", Label: "Wallet folder", Order: 13, Optional: true, DefaultValue: "",
			UIRestrictions: []string{connector.UIAdvanced},
			Tooltip:        "Folder with the Oracle wallet (cwallet.sso) holding the certificates for TCPS."},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// New builds the source; it does not connect (Ping does).
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	s := settings{
		Conn:     sqlcore.ReadConn(cfg, "username"),
		protocol: strings.ToUpper(cfg.String("oracle_protocol")),
		wallet:   cfg.String("wallet_configuration_path"),
	}
	if cfg.String("connection_source") == "service_name" {
		s.serviceName = cfg.String("service_name")
		s.Database = s.serviceName
	} else {
		s.sid = cfg.String("sid")
		s.Database = s.sid
	}
	log := env.Log().With("service_type", ServiceType)
	if home := cfg.String("oracle_home"); home != "" {
		log.Info("oracle_home is set but not used: this connector needs no Oracle client libraries", "oracle_home", home)
	}
	return sqlcore.NewSource(sqlcore.Config{
		Dialect:     newDialect(s),
		Layout:      Layout(s.Database),
		Tables:      cfg.List("tables"),
		FetchSize:   cfg.Int("fetch_size"),
		RetryCount:  cfg.Int("retry_count"),
		PingFailure: fmt.Sprintf("Can't connect to Oracle on %s:", s.Host),
		Scope:       fmt.Sprintf("the tables of user %q", strings.ToUpper(s.User)),
		Log:         log,
	}), nil
}

// Layout is the original's document shape: fields "<table>_<column>" in lower case, ids
// "<sid or service name>_<table>_" followed by "<value>_" for every key value that is not
// empty, zero or null, and Database and Table fields.
func Layout(database string) sqlcore.Layout {
	return sqlcore.Layout{
		FieldNames: func(tables, columns []string) []string {
			return sqlcore.MapColumnNames(columns, "", tables)
		},
		TableKey: func(table string, key []string) []string {
			return sqlcore.MapColumnNames(key, "", []string{table})
		},
		RuleKey: func(tables []string, keys [][]string, idColumns []string) []string { return nil },
		ID: func(tables []string, keyValues []sqlcore.Value) string {
			var b strings.Builder
			b.WriteString(database + "_" + tables[0] + "_")
			for _, v := range keyValues {
				if sqlcore.Truthy(v) {
					b.WriteString(sqlcore.Str(v) + "_")
				}
			}
			return b.String()
		},
		Meta: func(tables []string, _ bool) map[string]any {
			return map[string]any{"Database": database, "Table": tables[0]}
		},
	}
}
