package oracle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"

	goora "github.com/sijms/go-ora/v2"
	"github.com/sijms/go-ora/v2/network"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// settings are the connection settings of the configuration.
type settings struct {
	sqlcore.Conn     // Database is the SID or the service name
	sid, serviceName string
	protocol, wallet string
}

// dialect is Oracle through go-ora.
type dialect struct {
	s    settings
	pool *sqlcore.DBPool
}

func newDialect(s settings) *dialect {
	d := &dialect{s: s}
	d.pool = sqlcore.NewDBPool(s.MaxConns, func() (*sql.DB, error) {
		db, err := sql.Open("oracle", d.connectionURL())
		if err != nil {
			// The URL holds the password: never show the driver's message about it.
			return nil, errors.New("the connection settings cannot be turned into an Oracle connection string")
		}
		return db, nil
	})
	return d
}

func (d *dialect) Product() string { return "Oracle" }

// connectionURL is go-ora's URL for the settings: the original's connect descriptor (protocol,
// host, port and SID or service name) in go-ora's form.
func (d *dialect) connectionURL() string {
	opts := map[string]string{}
	service := d.s.serviceName
	if d.s.sid != "" {
		opts["SID"] = d.s.sid
		service = ""
	}
	if d.s.protocol == "TCPS" {
		opts["SSL"] = "true"
		opts["SSL VERIFY"] = "true"
	}
	if d.s.wallet != "" {
		opts["WALLET"] = d.s.wallet
	}
	if len(opts) == 0 {
		opts = nil
	}
	return goora.BuildUrl(d.s.Host, d.s.Port, service, d.s.User, d.s.Password, opts)
}

func (d *dialect) connect() (*sql.DB, error) { return d.pool.DB() }

func (d *dialect) Close() error { return d.pool.Close() }

func (d *dialect) Ping(ctx context.Context) error {
	return d.pool.Ping(ctx, "SELECT 1+1 FROM DUAL", d.explain)
}

func oraCode(err error) int {
	var oe *network.OracleError
	if errors.As(err, &oe) {
		return oe.ErrCode
	}
	return 0
}

// explain names the configuration field a connection error comes from.
func (d *dialect) explain(err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := sqlcore.ContextError(err); ctxErr != nil {
		return ctxErr
	}
	switch oraCode(err) {
	case 1017:
		return sqlcore.FieldErr("password", nil, "Oracle rejected the login of user %q (ORA-01017): check \"username\" and \"password\"", d.s.User)
	case 28000:
		return sqlcore.FieldErr("username", nil, "the account of user %q is locked (ORA-28000)", d.s.User)
	case 12505:
		return sqlcore.FieldErr("sid", nil, "the listener at %s does not know SID %q (ORA-12505)", d.s.Addr(), d.s.sid)
	case 12514:
		return sqlcore.FieldErr("service_name", nil, "the listener at %s does not know service %q (ORA-12514)", d.s.Addr(), d.s.serviceName)
	}
	if code := oraCode(err); code != 0 {
		return sqlcore.DriverErr(err, "ORA-%05d: %s", code, oraMessage(err))
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return sqlcore.FieldErr("host", nil, "cannot resolve host %q: %s", d.s.Host, dnsErr.Err)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return sqlcore.FieldErr("port", nil, "nothing accepts connections at %s: check the host and port", d.s.Addr())
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return sqlcore.FieldErr("host", nil, "no answer from %s within the connection timeout: check the host, port and firewalls", d.s.Addr())
	}
	if strings.Contains(strings.ToLower(err.Error()), "certificate") {
		return sqlcore.FieldErr("wallet_configuration_path", nil, "the TLS connection to %s failed: %s", d.s.Addr(), err)
	}
	return fmt.Errorf("cannot connect to %s: %w", d.s.Addr(), err)
}

func oraMessage(err error) string {
	var oe *network.OracleError
	if errors.As(err, &oe) {
		return strings.TrimSpace(oe.ErrMsg)
	}
	return err.Error()
}

func (d *dialect) CheckScope(ctx context.Context) error { return nil }

// transientCodes are Oracle errors worth retrying: lost connections, deadlocks, busy listeners.
var transientCodes = map[int]bool{
	60: true, 3113: true, 3114: true, 3135: true, 12170: true, 12541: true, 12537: true, 12547: true,
	12571: true, 25408: true, 1033: true, 1034: true, 1089: true, 12516: true, 12519: true, 12520: true,
}

func (d *dialect) Classify(err error) sqlcore.ErrorKind {
	if code := oraCode(err); code != 0 {
		switch {
		case code == 942:
			return sqlcore.ErrMissing
		case transientCodes[code]:
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

// quoteIdent quotes an identifier for Oracle.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (d *dialect) Tables(ctx context.Context) ([]string, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM all_tables WHERE OWNER = UPPER(:1)", d.s.User)
	if err != nil {
		return nil, d.explain(err)
	}
	return sqlcore.Strings(rows)
}

// keyColumn is a primary key column with its Oracle type.
type keyColumn struct{ name, dataType string }

// tableInfo is the table as Oracle stores its name, and its key.
type tableInfo struct {
	stored string // the name in all_tables
	cols   []keyColumn
}

func (d *dialect) Table(ctx context.Context, name string) (*sqlcore.Table, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	// The original reads "SELECT * FROM <name>" unquoted, so Oracle upper-cases the name;
	// look for the name as given first, then upper-cased.
	stored := ""
	for _, candidate := range []string{name, strings.ToUpper(name)} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM all_tables WHERE OWNER = UPPER(:1) AND TABLE_NAME = :2",
			d.s.User, candidate).Scan(&n); err != nil {
			return nil, d.explain(err)
		}
		if n > 0 {
			stored = candidate
			break
		}
	}
	if stored == "" {
		return nil, sqlcore.ErrNoTable
	}
	rows, err := db.QueryContext(ctx, `SELECT cols.column_name, tc.data_type
		FROM all_constraints cons
		JOIN all_cons_columns cols ON cons.constraint_name = cols.constraint_name AND cons.owner = cols.owner
		JOIN all_tab_columns tc ON tc.owner = cols.owner AND tc.table_name = cols.table_name AND tc.column_name = cols.column_name
		WHERE cols.table_name = :1 AND cons.constraint_type = 'P' AND cons.owner = UPPER(:2)
		ORDER BY cols.position`, stored, d.s.User)
	if err != nil {
		return nil, d.explain(err)
	}
	defer rows.Close()
	info := &tableInfo{stored: stored}
	for rows.Next() {
		var c keyColumn
		if err := rows.Scan(&c.name, &c.dataType); err != nil {
			return nil, err
		}
		info.cols = append(info.cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return newTable(name, info), nil
}

func newTable(name string, info *tableInfo) *sqlcore.Table {
	t := &sqlcore.Table{Name: name, Keyset: len(info.cols) > 0, Private: info}
	for _, c := range info.cols {
		t.Key = append(t.Key, c.name)
		if _, _, ok := positionSQL(c, "t"); !ok {
			t.Keyset = false
		}
	}
	return t
}

func (d *dialect) qualified(stored string) string {
	return quoteIdent(strings.ToUpper(d.s.User)) + "." + quoteIdent(stored)
}

// positionSQL returns the expression giving a key column's value as text and the one turning
// such a text back (%s is the placeholder); ok is false for types that cannot be paged on.
func positionSQL(c keyColumn, alias string) (toText, fromText string, ok bool) {
	col := alias + "." + quoteIdent(c.name)
	typ := strings.ToUpper(c.dataType)
	switch {
	case typ == "NUMBER" || typ == "FLOAT" || typ == "INTEGER":
		return "TO_CHAR(" + col + ", 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')",
			"TO_NUMBER(%s, 'TM9', 'NLS_NUMERIC_CHARACTERS=''.,''')", true
	case typ == "VARCHAR2" || typ == "NVARCHAR2" || typ == "CHAR" || typ == "NCHAR":
		return col, "%s", true
	case typ == "DATE":
		return "TO_CHAR(" + col + ", 'YYYY-MM-DD HH24:MI:SS')", "TO_DATE(%s, 'YYYY-MM-DD HH24:MI:SS')", true
	case strings.HasPrefix(typ, "TIMESTAMP") && !strings.Contains(typ, "ZONE"):
		return "TO_CHAR(" + col + ", 'YYYY-MM-DD HH24:MI:SS.FF9')", "TO_TIMESTAMP(%s, 'YYYY-MM-DD HH24:MI:SS.FF9')", true
	case typ == "RAW":
		return "RAWTOHEX(" + col + ")", "HEXTORAW(%s)", true
	}
	return "", "", false
}

// readTableSQL builds a page query: the key positions as extra columns, after a position when
// given, at most limit rows (Oracle 12c's FETCH FIRST).
func readTableSQL(qualified string, cols []keyColumn, keyset bool, after []string, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT t.*")
	var keyCols []string
	for i, c := range cols {
		if keyset {
			toText, _, _ := positionSQL(c, "t")
			fmt.Fprintf(&b, ", %s AS CONNECTORS_POSITION_%d", toText, i)
		}
		keyCols = append(keyCols, "t."+quoteIdent(c.name))
	}
	b.WriteString(" FROM " + qualified + " t")
	var args []any
	if keyset && after != nil {
		pred := sqlcore.KeysetPredicate(keyCols, func(i int) string {
			args = append(args, after[i])
			_, fromText, _ := positionSQL(cols[i], "t")
			return fmt.Sprintf(fromText, ":"+strconv.Itoa(len(args)))
		})
		b.WriteString(" WHERE " + pred)
	}
	b.WriteString(" ORDER BY " + strings.Join(keyCols, ", "))
	if keyset && limit > 0 {
		fmt.Fprintf(&b, " FETCH FIRST %d ROWS ONLY", limit)
	}
	return b.String(), args
}

func (d *dialect) LastChange(ctx context.Context, t *sqlcore.Table) (sqlcore.Value, error) {
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	info := t.Private.(*tableInfo)
	// Fails (ORA-08181) when the newest change is older than the SCN-to-time mapping; the
	// original then uses the time of the sync.
	var ts sql.NullTime
	if err := db.QueryRowContext(ctx, "SELECT SCN_TO_TIMESTAMP(MAX(ora_rowscn)) FROM "+d.qualified(info.stored)).Scan(&ts); err != nil || !ts.Valid {
		return nil, err
	}
	return sqlcore.DateTime{T: wallClock(ts.Time)}, nil
}

func (d *dialect) ReadTable(ctx context.Context, t *sqlcore.Table, after []string, limit int) (sqlcore.Rows, error) {
	info := t.Private.(*tableInfo)
	q, args := readTableSQL(d.qualified(info.stored), info.cols, t.Keyset, after, limit)
	npos := 0
	if t.Keyset {
		npos = len(info.cols)
	}
	db, err := d.connect()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return newRows(rows, npos)
}

var errNoRules = errors.New("the Oracle source has no advanced rules")

func (d *dialect) Query(context.Context, string) (sqlcore.Rows, error)       { return nil, errNoRules }
func (d *dialect) Describe(context.Context, string) ([]string, error)        { return nil, errNoRules }
func (d *dialect) MaxCursor(context.Context, string, string) (string, error) { return "", errNoRules }
func (d *dialect) CursorQuery(context.Context, string, string, string) (sqlcore.Rows, error) {
	return nil, errNoRules
}

func newRows(rows *sql.Rows, npos int) (*sqlcore.SQLRows, error) {
	r, cts, err := sqlcore.NewSQLRows(rows, npos)
	if err != nil {
		return nil, err
	}
	types := make([]column, len(cts))
	for i, ct := range cts {
		types[i] = column{typeName: ct.DatabaseTypeName(), scale: -1}
		if p, s, ok := ct.DecimalSize(); ok {
			types[i].precision, types[i].scale = p, s
		}
	}
	r.Convert = func(i int, raw any) (sqlcore.Value, error) { return convert(types[i], raw) }
	if npos > 0 {
		ncols := len(cts) - npos
		r.PositionOf = func(raw []any) []string {
			pos := make([]string, npos)
			for i := range pos {
				pos[i] = fmt.Sprint(raw[ncols+i])
			}
			return pos
		}
	}
	return r, nil
}
