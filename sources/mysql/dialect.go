package mysql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// settings are the connection settings of the configuration.
type settings struct {
	sqlcore.Conn
}

// dialect is MySQL and MariaDB through go-sql-driver/mysql, always on the text protocol (the
// original's PyMySQL reads text, and the values must be the same).
type dialect struct {
	s    settings
	pool *sqlcore.DBPool
}

func newDialect(s settings) *dialect {
	d := &dialect{s: s}
	d.pool = sqlcore.NewDBPool(s.MaxConns, d.open)
	return d
}

func (d *dialect) Product() string { return "MySQL" }

func (d *dialect) connect() (*sql.DB, error) { return d.pool.DB() }

// open builds the pool of the settings.
func (d *dialect) open() (*sql.DB, error) {
	cfg := gomysql.NewConfig()
	cfg.User = d.s.User
	cfg.Passwd = d.s.Password
	cfg.Net = "tcp"
	cfg.Addr = d.s.Addr()
	cfg.DBName = d.s.Database
	cfg.Timeout = 30 * time.Second
	// Keep every statement on the text protocol: placeholders are filled in client side.
	cfg.InterpolateParams = true
	cfg.ParseTime = false
	cfg.AllowNativePasswords = true
	cfg.Logger = quietLogger{} // the driver's own notes (a killed idle connection) are not errors
	cfg.Params = map[string]string{
		// A page is streamed to Elasticsearch while it is read; give a slow bulk queue time
		// before the server gives up writing to us.
		"net_write_timeout": "3600",
	}
	if d.s.SSLEnabled {
		tc, err := sqlcore.TLSConfig(d.s.SSLCA, d.s.Host, true)
		if err != nil {
			return nil, err
		}
		cfg.TLS = tc
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// Close waits for the statements being killed, then closes the pool.
func (d *dialect) Close() error { return d.pool.Close() }

func (d *dialect) Ping(ctx context.Context) error { return d.pool.Ping(ctx, "", d.explain) }

func (d *dialect) databaseMissing() error {
	return sqlcore.FieldErr("database", nil, "The database '%s' is either not present or not accessible for the user '%s'.", d.s.Database, d.s.User)
}

// explain names the configuration field a connection error comes from.
func (d *dialect) explain(err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := sqlcore.ContextError(err); ctxErr != nil {
		return ctxErr
	}
	var myErr *gomysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1045:
			return sqlcore.FieldErr("password", nil, "MySQL denied access to user %q: check \"user\" and \"password\"", d.s.User)
		case 1044, 1049:
			return d.databaseMissing()
		case 1130:
			return sqlcore.FieldErr("user", nil, "user %q may not connect from this host: %s", d.s.User, myErr.Message)
		}
		return sqlcore.DriverErr(err, "%s (MySQL error %d)", myErr.Message, myErr.Number)
	}
	if strings.Contains(err.Error(), "TLS requested but server does not support TLS") {
		return sqlcore.FieldErr("ssl_enabled", nil, "the server at %s does not accept SSL connections", d.s.Addr())
	}
	return sqlcore.ExplainConnect(err, d.s.Host, d.s.Addr())
}

func (d *dialect) CheckScope(ctx context.Context) error {
	db, err := d.connect()
	if err != nil {
		return err
	}
	var name string
	err = db.QueryRowContext(ctx, "SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?", d.s.Database).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return d.databaseMissing()
	}
	return d.explain(err)
}

func (d *dialect) Classify(err error) sqlcore.ErrorKind {
	var myErr *gomysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case 1146, 1049:
			return sqlcore.ErrMissing
		case 1040, 1053, 1205, 1213, 1317, 2006, 2013, 1927, 1158, 1159, 1160, 1161, 1203:
			return sqlcore.ErrTransient
		case 1226:
			// MariaDB's max_user_connections (a connection frees up); not the hourly limits.
			if strings.Contains(myErr.Message, "max_user_connections") {
				return sqlcore.ErrTransient
			}
		}
		return sqlcore.ErrOther
	}
	var fe *sqlcore.FieldError
	if errors.As(err, &fe) {
		return sqlcore.FieldErrorKind(fe)
	}
	if sqlcore.ConnectionLost(err) || errors.Is(err, gomysql.ErrInvalidConn) || errors.Is(err, syscall.ECONNREFUSED) {
		return sqlcore.ErrTransient
	}
	return sqlcore.ErrOther
}

type quietLogger struct{}

func (quietLogger) Print(...any) {}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func (d *dialect) qualified(table string) string {
	return quoteIdent(d.s.Database) + "." + quoteIdent(table)
}

func (d *dialect) Tables(ctx context.Context) ([]string, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ?", d.s.Database)
	if err != nil {
		return nil, d.explain(err)
	}
	return sqlcore.Strings(rows)
}

// keyColumn is a primary key column and how to bind a position of it.
type keyColumn struct {
	name, dataType string
	unsigned       bool
	precision      int64
	scale          int64
}

// keysetTypes are the key types whose order in ORDER BY and in comparisons with a bound value
// agree, and whose values survive the trip through text.
var keysetTypes = map[string]bool{
	"tinyint": true, "smallint": true, "mediumint": true, "int": true, "bigint": true, "decimal": true,
	"char": true, "varchar": true, "tinytext": true, "text": true, "mediumtext": true, "longtext": true,
	"binary": true, "varbinary": true, "tinyblob": true, "blob": true, "mediumblob": true, "longblob": true,
	"date": true, "datetime": true, "timestamp": true, "time": true, "year": true,
}

func isBinaryType(t string) bool {
	switch t {
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return true
	}
	return false
}

func (d *dialect) Table(ctx context.Context, name string) (*sqlcore.Table, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		d.s.Database, name).Scan(&n); err != nil {
		return nil, d.explain(err)
	}
	if n == 0 {
		return nil, sqlcore.ErrNoTable
	}
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE
		FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_KEY = 'PRI'
		ORDER BY ORDINAL_POSITION`, d.s.Database, name)
	if err != nil {
		return nil, d.explain(err)
	}
	defer rows.Close()
	t := &sqlcore.Table{Name: name, Keyset: true}
	var cols []keyColumn
	for rows.Next() {
		var c keyColumn
		var colType string
		var prec, scale sql.NullInt64
		if err := rows.Scan(&c.name, &c.dataType, &colType, &prec, &scale); err != nil {
			return nil, err
		}
		c.dataType = strings.ToLower(c.dataType)
		c.unsigned = strings.Contains(strings.ToLower(colType), "unsigned")
		c.precision, c.scale = prec.Int64, scale.Int64
		if !keysetTypes[c.dataType] {
			t.Keyset = false
		}
		t.Key = append(t.Key, c.name)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	t.Private = cols
	return t, nil
}

func (d *dialect) LastChange(ctx context.Context, t *sqlcore.Table) (sqlcore.Value, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	var ts sql.NullString
	err = db.QueryRowContext(ctx, "SELECT UPDATE_TIME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		d.s.Database, t.Name).Scan(&ts)
	if err != nil || !ts.Valid {
		return nil, err
	}
	parsed, err := time.Parse("2006-01-02 15:04:05", ts.String)
	if err != nil {
		return nil, err
	}
	return sqlcore.DateTime{T: parsed}, nil
}

func (d *dialect) ReadTable(ctx context.Context, t *sqlcore.Table, after []string, limit int) (sqlcore.Rows, error) {
	cols := t.Private.([]keyColumn)
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = quoteIdent(c.name)
	}
	var q strings.Builder
	q.WriteString("SELECT * FROM " + d.qualified(t.Name))
	var args []any
	if t.Keyset && after != nil {
		marks := make([]string, len(cols))
		for i, c := range cols {
			mark, arg, err := bindPosition(c, after[i])
			if err != nil {
				return nil, err
			}
			marks[i] = mark
			args = append(args, arg)
		}
		fmt.Fprintf(&q, " WHERE (%s) > (%s)", strings.Join(keys, ", "), strings.Join(marks, ", "))
	}
	q.WriteString(" ORDER BY " + strings.Join(keys, ", "))
	if t.Keyset && limit > 0 {
		fmt.Fprintf(&q, " LIMIT %d", limit)
	}
	var pos []keyColumn
	if t.Keyset {
		pos = cols
	}
	return d.query(ctx, q.String(), pos, args...)
}

// bindPosition is the placeholder and value that compare a key column with a saved position.
func bindPosition(c keyColumn, text string) (string, any, error) {
	switch {
	case c.dataType == "decimal":
		return fmt.Sprintf("CAST(? AS DECIMAL(%d,%d))", c.precision, c.scale), text, nil
	case strings.HasSuffix(c.dataType, "int"):
		if c.unsigned {
			n, err := strconv.ParseUint(text, 10, 64)
			return "?", n, err
		}
		n, err := strconv.ParseInt(text, 10, 64)
		return "?", n, err
	case isBinaryType(c.dataType):
		b, err := hex.DecodeString(text)
		return "?", b, err
	}
	return "?", text, nil
}

func (d *dialect) Query(ctx context.Context, query string) (sqlcore.Rows, error) {
	return d.query(ctx, query, nil)
}

func (d *dialect) Describe(ctx context.Context, query string) ([]string, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	// The original's way of learning a query's columns.
	rows, err := db.QueryContext(ctx, "SELECT q.* FROM ("+sqlcore.StripQuery(query)+") AS q LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

func (d *dialect) CursorQuery(ctx context.Context, query, col, from string) (sqlcore.Rows, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	inner := sqlcore.StripQuery(query)
	rows, err := db.QueryContext(ctx, "SELECT q.* FROM ("+inner+") AS q LIMIT 0")
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	rows.Close()
	if err != nil {
		return nil, err
	}
	mark := "?"
	var arg any = from
	for _, ct := range types {
		if ct.Name() != col {
			continue
		}
		name := ct.DatabaseTypeName()
		switch {
		case name == "DECIMAL":
			p, s, _ := ct.DecimalSize()
			mark = fmt.Sprintf("CAST(? AS DECIMAL(%d,%d))", p, s)
		case strings.HasPrefix(name, "UNSIGNED "):
			arg, err = strconv.ParseUint(from, 10, 64)
		case strings.HasSuffix(name, "INT") || name == "YEAR":
			arg, err = strconv.ParseInt(from, 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("the stored cursor %q does not fit column %q: %w", from, col, err)
		}
	}
	q := fmt.Sprintf("SELECT * FROM (%s) AS q WHERE q.%s >= %s", inner, quoteIdent(col), mark)
	return d.query(ctx, q, nil, arg)
}

func (d *dialect) MaxCursor(ctx context.Context, query, col string) (string, error) {
	db, err := d.connect()
	if err != nil {
		return "", err
	}
	var mark sql.NullString
	q := fmt.Sprintf("SELECT CAST(MAX(q.%s) AS CHAR) FROM (%s) AS q", quoteIdent(col), sqlcore.StripQuery(query))
	if err := db.QueryRowContext(ctx, q).Scan(&mark); err != nil {
		return "", err
	}
	return mark.String, nil
}

// query runs a statement on a connection of its own, remembering the connection's id: when
// ctx is cancelled while the statement runs, KILL QUERY stops it on the server (the driver
// only drops the connection, and the server would go on until it next writes).
func (d *dialect) query(ctx context.Context, sqlText string, pos []keyColumn, args ...any) (sqlcore.Rows, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, d.explain(err)
	}
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		conn.Close()
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { d.kill(id) })
	rows, err := conn.QueryContext(ctx, sqlText, args...)
	if err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	r, cts, err := sqlcore.NewSQLRows(rows, 0)
	if err != nil {
		stop()
		conn.Close()
		return nil, err
	}
	r.OnClose = func() {
		stop()
		conn.Close()
	}
	types := make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	r.Convert = func(i int, raw any) (sqlcore.Value, error) { return convert(types[i], raw) }
	if len(pos) == 0 {
		return r, nil
	}
	var posIdx []int
	var posBin []bool
	for _, c := range pos {
		i := indexOf(r.Columns(), c.name)
		if i < 0 {
			r.Close()
			return nil, fmt.Errorf("key column %q is not in the result", c.name)
		}
		posIdx = append(posIdx, i)
		posBin = append(posBin, isBinaryType(c.dataType))
	}
	r.PositionOf = func(raw []any) []string {
		out := make([]string, len(posIdx))
		for j, i := range posIdx {
			switch v := raw[i].(type) {
			case int64:
				out[j] = strconv.FormatInt(v, 10)
			case uint64:
				out[j] = strconv.FormatUint(v, 10)
			case []byte:
				if posBin[j] {
					out[j] = hex.EncodeToString(v)
				} else {
					out[j] = string(v)
				}
			default:
				out[j] = fmt.Sprint(v)
			}
		}
		return out
	}
	return r, nil
}

// kill stops a statement that is still running after its context was cancelled.
func (d *dialect) kill(id int64) {
	db, release, ok := d.pool.Acquire()
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = db.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(id, 10))
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
