package mssql

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	mssqldb "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// settings are the connection settings of the configuration.
type settings struct {
	sqlcore.Conn
	schema       string
	validateHost bool
}

// dialect is SQL Server through go-mssqldb. Cancelling a statement's context sends the
// server an attention, which stops it.
type dialect struct {
	s    settings
	pool *sqlcore.DBPool
}

func newDialect(s settings) *dialect {
	d := &dialect{s: s}
	d.pool = sqlcore.NewDBPool(s.MaxConns, func() (*sql.DB, error) {
		cfg, err := d.connConfig()
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(mssqldb.NewConnectorConfig(cfg)), nil
	})
	return d
}

func (d *dialect) Product() string { return "SQL Server" }

// connConfig is the driver configuration of the settings.
func (d *dialect) connConfig() (msdsn.Config, error) {
	q := url.Values{}
	q.Set("database", d.s.Database)
	q.Set("app name", "elastic-connectors")
	q.Set("dial timeout", "30")
	if d.s.SSLEnabled {
		q.Set("encrypt", "true")
	} else {
		// The original (pytds without a CA file) does not verify anything; the login is
		// still encrypted when the server offers it.
		q.Set("encrypt", "false")
		q.Set("TrustServerCertificate", "true")
	}
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(d.s.User, d.s.Password), Host: d.s.Addr(), RawQuery: q.Encode()}
	cfg, err := msdsn.Parse(u.String())
	if err != nil {
		return cfg, err
	}
	if d.s.SSLEnabled {
		tc, err := sqlcore.TLSConfig(d.s.SSLCA, d.s.Host, d.s.validateHost)
		if err != nil {
			return cfg, err
		}
		cfg.TLSConfig = tc
	}
	return cfg, nil
}

func (d *dialect) connect() (*sql.DB, error) { return d.pool.DB() }

func (d *dialect) Close() error { return d.pool.Close() }

func (d *dialect) Ping(ctx context.Context) error { return d.pool.Ping(ctx, "SELECT 1+1", d.explain) }

// explain names the configuration field a connection error comes from.
func (d *dialect) explain(err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := sqlcore.ContextError(err); ctxErr != nil {
		return ctxErr
	}
	var msErr mssqldb.Error
	if errors.As(err, &msErr) {
		switch msErr.Number {
		case 18456:
			return sqlcore.FieldErr("password", nil, "SQL Server rejected the login of user %q: check \"username\" and \"password\"", d.s.User)
		case 4060:
			return sqlcore.FieldErr("database", nil, "database %q does not exist on %s or user %q may not open it", d.s.Database, d.s.Addr(), d.s.User)
		case 18452, 18470, 18486:
			return sqlcore.FieldErr("username", nil, "SQL Server does not accept user %q: %s", d.s.User, msErr.Message)
		}
		return sqlcore.DriverErr(err, "%s (SQL Server error %d)", msErr.Message, msErr.Number)
	}
	var badHost x509.HostnameError
	if errors.As(err, &badHost) {
		return sqlcore.FieldErr("validate_host", nil, "the server's certificate is not valid for host %q (%v); fix the host or turn off host validation", d.s.Host, badHost)
	}
	return sqlcore.ExplainConnect(err, d.s.Host, d.s.Addr())
}

func (d *dialect) CheckScope(ctx context.Context) error {
	db, err := d.connect()
	if err != nil {
		return err
	}
	var id sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT SCHEMA_ID(@p1)", d.s.schema).Scan(&id); err != nil {
		return d.explain(err)
	}
	if !id.Valid {
		return sqlcore.FieldErr("schema", nil, "schema %q does not exist in database %q or user %q cannot see it", d.s.schema, d.s.Database, d.s.User)
	}
	return nil
}

// transientErrors are SQL Server errors worth retrying: deadlocks, timeouts, throttling and
// the transient errors of Azure SQL.
var transientErrors = map[int32]bool{
	1205: true, 1222: true, 233: true, 10053: true, 10054: true, 10060: true, 4221: true,
	40197: true, 40501: true, 40613: true, 49918: true, 49919: true, 49920: true, 40143: true,
}

func (d *dialect) Classify(err error) sqlcore.ErrorKind {
	var msErr mssqldb.Error
	if errors.As(err, &msErr) {
		switch {
		case msErr.Number == 208:
			return sqlcore.ErrMissing
		case transientErrors[msErr.Number]:
			return sqlcore.ErrTransient
		}
		return sqlcore.ErrOther
	}
	var fe *sqlcore.FieldError
	if errors.As(err, &fe) {
		return sqlcore.FieldErrorKind(fe)
	}
	if sqlcore.ConnectionLost(err) {
		return sqlcore.ErrTransient
	}
	return sqlcore.ErrOther
}

// quoteIdent quotes an identifier for SQL Server.
func quoteIdent(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

func (d *dialect) qualified(table string) string {
	return quoteIdent(d.s.schema) + "." + quoteIdent(table)
}

func (d *dialect) Tables(ctx context.Context) ([]string, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE TABLE_SCHEMA = @p1", d.s.schema)
	if err != nil {
		return nil, d.explain(err)
	}
	return sqlcore.Strings(rows)
}

// keyColumn is a primary key column with what it takes to page on it.
type keyColumn struct {
	name     string
	dataType string // INFORMATION_SCHEMA.COLUMNS.DATA_TYPE, lower case
	length   int64  // CHARACTER_MAXIMUM_LENGTH (-1 for max)
	prec     int64
	scale    int64
	dtPrec   int64
}

const pkQuery = `SELECT C.COLUMN_NAME, COL.DATA_TYPE, COL.CHARACTER_MAXIMUM_LENGTH, COL.NUMERIC_PRECISION,
	COL.NUMERIC_SCALE, COL.DATETIME_PRECISION
FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS T
JOIN INFORMATION_SCHEMA.CONSTRAINT_COLUMN_USAGE C
	ON C.CONSTRAINT_NAME = T.CONSTRAINT_NAME AND C.CONSTRAINT_SCHEMA = T.CONSTRAINT_SCHEMA
JOIN INFORMATION_SCHEMA.COLUMNS COL
	ON COL.TABLE_SCHEMA = C.TABLE_SCHEMA AND COL.TABLE_NAME = C.TABLE_NAME AND COL.COLUMN_NAME = C.COLUMN_NAME
WHERE C.TABLE_NAME = @p1 AND C.TABLE_SCHEMA = @p2 AND T.CONSTRAINT_TYPE = 'PRIMARY KEY'
ORDER BY C.COLUMN_NAME`

func (d *dialect) Table(ctx context.Context, name string) (*sqlcore.Table, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	var id sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT OBJECT_ID(@p1)", d.qualified(name)).Scan(&id); err != nil {
		return nil, d.explain(err)
	}
	if !id.Valid {
		return nil, sqlcore.ErrNoTable
	}
	rows, err := db.QueryContext(ctx, pkQuery, name, d.s.schema)
	if err != nil {
		return nil, d.explain(err)
	}
	defer rows.Close()
	var cols []keyColumn
	for rows.Next() {
		var c keyColumn
		var length, prec, scale, dtPrec sql.NullInt64
		if err := rows.Scan(&c.name, &c.dataType, &length, &prec, &scale, &dtPrec); err != nil {
			return nil, err
		}
		c.dataType = strings.ToLower(c.dataType)
		c.length, c.prec, c.scale, c.dtPrec = length.Int64, prec.Int64, scale.Int64, dtPrec.Int64
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return newTable(name, cols), nil
}

// newTable describes a table from its key columns (sorted by name, as the original does).
func newTable(name string, cols []keyColumn) *sqlcore.Table {
	t := &sqlcore.Table{Name: name, Keyset: len(cols) > 0, Private: cols}
	for _, c := range cols {
		t.Key = append(t.Key, c.name)
		if _, _, ok := positionSQL(c, "t"); !ok {
			t.Keyset = false
		}
	}
	return t
}

// positionSQL returns the expression giving a key column's value as text and the one turning
// such a text back into the column's type (with %s for the placeholder); ok is false for types
// that cannot be paged on.
func positionSQL(c keyColumn, alias string) (toText, fromText string, ok bool) {
	col := alias + "." + quoteIdent(c.name)
	switch c.dataType {
	case "tinyint", "smallint", "int", "bigint", "bit":
		return "CAST(" + col + " AS nvarchar(30))", "CAST(%s AS " + c.dataType + ")", true
	case "decimal", "numeric":
		return "CAST(" + col + " AS nvarchar(60))", fmt.Sprintf("CAST(%%s AS decimal(%d,%d))", c.prec, c.scale), true
	case "money", "smallmoney":
		return "CONVERT(nvarchar(60), " + col + ", 2)", "CAST(%s AS " + c.dataType + ")", true
	case "float", "real":
		return "CONVERT(nvarchar(60), " + col + ", 3)", "CAST(%s AS " + c.dataType + ")", true
	case "date", "datetime", "smalldatetime":
		return "CONVERT(nvarchar(40), " + col + ", 126)", "CONVERT(" + c.dataType + ", %s, 126)", true
	case "datetime2", "time", "datetimeoffset":
		typ := fmt.Sprintf("%s(%d)", c.dataType, c.dtPrec)
		return "CONVERT(nvarchar(40), " + col + ", 126)", "CONVERT(" + typ + ", %s, 126)", true
	case "uniqueidentifier":
		return "CAST(" + col + " AS nvarchar(36))", "CAST(%s AS uniqueidentifier)", true
	case "char", "varchar":
		return col, "CAST(%s AS varchar(max))", true
	case "nchar", "nvarchar":
		return col, "CAST(%s AS nvarchar(max))", true
	case "binary", "varbinary":
		return "CONVERT(nvarchar(max), " + col + ", 1)", "CONVERT(varbinary(max), %s, 1)", true
	}
	return "", "", false
}

// readTableSQL builds a page query: SELECT TOP (limit) with the key positions as extra
// columns, after a position when given.
func readTableSQL(qualified string, cols []keyColumn, keyset bool, after []string, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	if keyset && limit > 0 {
		fmt.Fprintf(&b, "TOP (%d) ", limit)
	}
	b.WriteString("t.*")
	var order []string
	var keyCols []string
	for i, c := range cols {
		if keyset {
			toText, _, _ := positionSQL(c, "t")
			fmt.Fprintf(&b, ", %s AS [_connectors_position_%d]", toText, i)
		}
		keyCols = append(keyCols, "t."+quoteIdent(c.name))
		order = append(order, "t."+quoteIdent(c.name))
	}
	b.WriteString(" FROM " + qualified + " AS t")
	var args []any
	if keyset && after != nil {
		pred := sqlcore.KeysetPredicate(keyCols, func(i int) string {
			args = append(args, after[i])
			_, fromText, _ := positionSQL(cols[i], "t")
			return fmt.Sprintf(fromText, "@p"+strconv.Itoa(len(args)))
		})
		b.WriteString(" WHERE " + pred)
	}
	b.WriteString(" ORDER BY " + strings.Join(order, ", "))
	return b.String(), args
}

func (d *dialect) LastChange(ctx context.Context, t *sqlcore.Table) (sqlcore.Value, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	// Needs VIEW SERVER STATE; without it, or for a table nobody touched since the server
	// started, the original uses the time of the sync.
	var ts sql.NullTime
	err = db.QueryRowContext(ctx, `SELECT MAX(last_user_update) FROM sys.dm_db_index_usage_stats
		WHERE database_id = DB_ID() AND object_id = OBJECT_ID(@p1)`, d.qualified(t.Name)).Scan(&ts)
	if err != nil || !ts.Valid {
		return nil, err
	}
	return sqlcore.DateTime{T: wallClock(ts.Time)}, nil
}

func (d *dialect) ReadTable(ctx context.Context, t *sqlcore.Table, after []string, limit int) (sqlcore.Rows, error) {
	cols := t.Private.([]keyColumn)
	q, args := readTableSQL(d.qualified(t.Name), cols, t.Keyset, after, limit)
	npos := 0
	if t.Keyset {
		npos = len(cols)
	}
	return d.query(ctx, q, npos, args...)
}

func (d *dialect) Query(ctx context.Context, query string) (sqlcore.Rows, error) {
	return d.query(ctx, query, 0)
}

// describe returns the name and SQL type of every column of a query's first result.
func (d *dialect) describe(ctx context.Context, query string) (names, types []string, err error) {
	db, err := d.connect()
	if err != nil {
		return nil, nil, err
	}
	rows, err := db.QueryContext(ctx, "EXEC sp_describe_first_result_set @tsql = @p1", query)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	nameAt, typeAt := -1, -1
	for i, c := range cols {
		switch c {
		case "name":
			nameAt = i
		case "system_type_name":
			typeAt = i
		}
	}
	if nameAt < 0 || typeAt < 0 {
		return nil, nil, errors.New("sp_describe_first_result_set returned no column names")
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		names = append(names, fmt.Sprint(vals[nameAt]))
		types = append(types, fmt.Sprint(vals[typeAt]))
	}
	return names, types, rows.Err()
}

func (d *dialect) Describe(ctx context.Context, query string) ([]string, error) {
	names, _, err := d.describe(ctx, sqlcore.StripQuery(query))
	return names, err
}

func (d *dialect) CursorQuery(ctx context.Context, query, col, from string) (sqlcore.Rows, error) {
	inner := sqlcore.StripQuery(query)
	names, types, err := d.describe(ctx, inner)
	if err != nil {
		return nil, err
	}
	typ := ""
	for i, n := range names {
		if n == col {
			typ = types[i]
		}
	}
	if typ == "" {
		return nil, fmt.Errorf("column %q is not in the query's result", col)
	}
	return d.query(ctx, cursorSQL(inner, col, typ), 0, from)
}

// cursorSQL reads the rows of a query at or after a cursor value given as text (style 126 is
// how MaxCursor wrote dates and times).
func cursorSQL(query, col, typ string) string {
	from := fmt.Sprintf("CAST(@p1 AS %s)", typ)
	base := strings.ToLower(strings.TrimSpace(strings.SplitN(typ, "(", 2)[0]))
	switch base {
	case "date", "datetime", "smalldatetime", "datetime2", "datetimeoffset", "time":
		from = fmt.Sprintf("CONVERT(%s, @p1, 126)", typ)
	}
	return fmt.Sprintf("SELECT * FROM (%s) AS q WHERE q.%s >= %s", query, quoteIdent(col), from)
}

func maxCursorSQL(query, col string) string {
	return fmt.Sprintf("SELECT CONVERT(nvarchar(max), MAX(q.%s), 126) FROM (%s) AS q", quoteIdent(col), query)
}

func (d *dialect) MaxCursor(ctx context.Context, query, col string) (string, error) {
	db, err := d.connect()
	if err != nil {
		return "", err
	}
	var mark sql.NullString
	if err := db.QueryRowContext(ctx, maxCursorSQL(sqlcore.StripQuery(query), col)).Scan(&mark); err != nil {
		return "", err
	}
	return mark.String, nil
}

func (d *dialect) query(ctx context.Context, q string, npos int, args ...any) (sqlcore.Rows, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	r, cts, err := sqlcore.QueryRows(ctx, db, npos, q, args...)
	if err != nil {
		return nil, err
	}
	types := make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	r.Convert = func(i int, raw any) (sqlcore.Value, error) { return convert(types[i], raw) }
	if npos > 0 {
		ncols := len(cts) - npos
		r.PositionOf = func(raw []any) []string {
			pos := make([]string, npos)
			for i := range pos {
				switch v := raw[ncols+i].(type) {
				case string:
					pos[i] = v
				case []byte:
					pos[i] = string(v)
				default:
					pos[i] = fmt.Sprint(v)
				}
			}
			return pos
		}
	}
	return r, nil
}
