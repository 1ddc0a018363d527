package sqlcore

import "github.com/connectors-go/connectors/connector"

// The configuration fields the SQL sources share. Keys, types, orders and defaults are the
// original's (the schema-parity test holds them to it); labels and tooltips are ours.

// HostField is the database server's host name or address.
func HostField(order int) connector.Field {
	return connector.Field{Key: "host", Label: "Host", Order: order,
		Tooltip: "Host name or IP address of the database server, as seen from the machine running the connectors service."}
}

// PortField is the server's TCP port.
func PortField(order int) connector.Field {
	return connector.Field{Key: "port", Label: "Port", Order: order, Type: connector.TypeInt, Display: connector.DisplayNumeric}
}

// UserField is the user name (key "username", or "user" for MySQL).
func UserField(key string, order int) connector.Field {
	return connector.Field{Key: key, Label: "Username", Order: order,
		Tooltip: "A user that may read the tables to index; read-only access is enough."}
}

// PasswordField is the user's password.
func PasswordField(order int) connector.Field {
	return connector.Field{Key: "password", Label: "Password", Order: order, Sensitive: true}
}

// DatabaseField is the database to index.
func DatabaseField(order int) connector.Field {
	return connector.Field{Key: "database", Label: "Database", Order: order}
}

// SchemaField is the schema whose tables are indexed.
func SchemaField(order int) connector.Field {
	return connector.Field{Key: "schema", Label: "Schema", Order: order}
}

// TablesField lists the tables to index; "*" means all of them.
func TablesField(order int, ignoredWithRules bool) connector.Field {
	f := connector.Field{Key: "tables", Label: "Tables", Order: order, Type: connector.TypeList,
		Display: connector.DisplayTextarea, Value: "*",
		Tooltip: "Comma-separated table names, or * for every table. Tables without a primary key are skipped."}
	if ignoredWithRules {
		f.Tooltip = "Comma-separated table names, or * for every table. Not used when advanced sync rules are set: their queries decide what is indexed."
	}
	return f
}

// FetchSizeField is the number of rows read per query.
func FetchSizeField(order, def int) connector.Field {
	return connector.Field{Key: "fetch_size", Label: "Rows per query", Order: order, Type: connector.TypeInt,
		Display: connector.DisplayNumeric, Optional: true, DefaultValue: def,
		UIRestrictions: []string{connector.UIAdvanced},
		Tooltip:        "Tables are read in pages of this many rows, ordered by primary key. Larger pages mean fewer queries; rows are streamed, so memory does not grow with the page."}
}

// RetryCountField is the number of attempts of a query that fails for a transient reason.
func RetryCountField(order int) connector.Field {
	return connector.Field{Key: "retry_count", Label: "Attempts per query", Order: order, Type: connector.TypeInt,
		Display: connector.DisplayNumeric, Optional: true, DefaultValue: 3,
		UIRestrictions: []string{connector.UIAdvanced},
		Tooltip:        "How many times a query is tried when the connection drops or the server is busy, with growing pauses in between."}
}

// SSLEnabledField turns on TLS with certificate verification.
func SSLEnabledField(order int, label string) connector.Field {
	return connector.Field{Key: "ssl_enabled", Label: label, Order: order, Type: connector.TypeBool,
		Display: connector.DisplayToggle, Value: false,
		Tooltip: "Connect over TLS and verify the server's certificate against the certificate below."}
}

// SSLCAField is the CA certificate (PEM) the server's certificate must chain to.
func SSLCAField(order int) connector.Field {
	return connector.Field{Key: "ssl_ca", Label: "CA certificate (PEM)", Order: order,
		DependsOn: []connector.Dependency{{Field: "ssl_enabled", Value: true}},
		Tooltip:   "The certificate of the authority that signed the server's certificate, in PEM format (-----BEGIN CERTIFICATE----- …). Pasting it on one line is fine."}
}
