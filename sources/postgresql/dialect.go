package postgresql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// settings are the connection settings of the configuration.
type settings struct {
	sqlcore.Conn
	schema string
}

// dialect is PostgreSQL through pgx.
type dialect struct {
	s settings

	mu       sync.Mutex
	pool     *pgxpool.Pool
	arrays   map[uint32]bool // unknown type OID -> is an array
	typeName map[[2]int64]string
}

func newDialect(s settings) *dialect {
	return &dialect{s: s, arrays: map[uint32]bool{}, typeName: map[[2]int64]string{}}
}

func (d *dialect) Product() string { return "PostgreSQL" }

// connect opens the pool on first use: New must not contact the server.
func (d *dialect) connect() (*pgxpool.Pool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pool != nil {
		return d.pool, nil
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cc := cfg.ConnConfig
	cc.Host = d.s.Host
	cc.Port = uint16(d.s.Port)
	cc.User = d.s.User
	cc.Password = d.s.Password
	cc.Database = d.s.Database
	cc.ConnectTimeout = 30 * time.Second
	cc.RuntimeParams = map[string]string{"application_name": "elastic-connectors"}
	cc.Fallbacks = nil
	cc.ValidateConnect = nil
	if d.s.SSLEnabled {
		tc, err := sqlcore.TLSConfig(d.s.SSLCA, d.s.Host, true)
		if err != nil {
			return nil, err
		}
		cc.TLSConfig = tc
	} else {
		// asyncpg's default, sslmode=prefer: TLS without verification when the server offers
		// it, plain otherwise.
		cc.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // prefer mode, as the original
		cc.Fallbacks = []*pgconn.FallbackConfig{{Host: d.s.Host, Port: uint16(d.s.Port)}}
	}
	// Cancelling a query's context asks the server to stop it (pgx only closes the socket by
	// default, leaving the query running).
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	cfg.MaxConns = int32(d.s.MaxConns)
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	d.pool = pool
	return pool, nil
}

func (d *dialect) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pool != nil {
		d.pool.Close()
		d.pool = nil
	}
	return nil
}

func (d *dialect) Ping(ctx context.Context) error {
	pool, err := d.connect()
	if err != nil {
		return err
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT 1+1").Scan(&n); err != nil {
		return d.explain(err)
	}
	return nil
}

// explain names the configuration field a connection error comes from.
func (d *dialect) explain(err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := sqlcore.ContextError(err); ctxErr != nil {
		return ctxErr
	}
	addr := d.s.Addr()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01":
			return sqlcore.FieldErr("password", nil, "PostgreSQL rejected the password of user %q: check \"username\" and \"password\" (%s)", d.s.User, pgErr.Message)
		case "28000":
			return sqlcore.FieldErr("username", nil, "PostgreSQL does not let user %q connect to database %q: %s", d.s.User, d.s.Database, pgErr.Message)
		case "3D000":
			return sqlcore.FieldErr("database", nil, "database %q does not exist on %s", d.s.Database, addr)
		case "42501":
			return sqlcore.FieldErr("username", nil, "user %q lacks a permission: %s", d.s.User, pgErr.Message)
		case "53300", "57P03":
			// Too many connections, or starting up: busy for now; Classify has it retried.
			return sqlcore.DriverErr(err, "PostgreSQL at %s accepts no connection for now: %s (SQLSTATE %s)", addr, pgErr.Message, pgErr.Code)
		}
		return sqlcore.DriverErr(err, "%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	if strings.Contains(err.Error(), "server refused TLS connection") {
		return sqlcore.FieldErr("ssl_enabled", nil, "the server at %s does not accept SSL connections", addr)
	}
	return sqlcore.ExplainConnect(err, d.s.Host, addr)
}

func (d *dialect) CheckScope(ctx context.Context) error {
	pool, err := d.connect()
	if err != nil {
		return err
	}
	var usage *bool
	err = pool.QueryRow(ctx,
		`SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = $1`, d.s.schema).Scan(&usage)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlcore.FieldErr("schema", nil, "schema %q does not exist in database %q", d.s.schema, d.s.Database)
	}
	if err != nil {
		return d.explain(err)
	}
	if usage == nil || !*usage {
		return sqlcore.FieldErr("schema", nil, "user %q may not use schema %q (GRANT USAGE ON SCHEMA is missing)", d.s.User, d.s.schema)
	}
	return nil
}

func (d *dialect) Classify(err error) sqlcore.ErrorKind {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "42P01" || pgErr.Code == "3F000":
			return sqlcore.ErrMissing
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "40001", pgErr.Code == "40P01",
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", pgErr.Code == "53300",
			pgErr.Code == "55P03", pgErr.Code == "0A000" && strings.Contains(pgErr.Message, "cached plan"):
			return sqlcore.ErrTransient
		}
		return sqlcore.ErrOther
	}
	var fe *sqlcore.FieldError
	if errors.As(err, &fe) {
		return sqlcore.FieldErrorKind(fe)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed") {
		return sqlcore.ErrTransient
	}
	return sqlcore.ErrOther
}

// quoteIdent quotes an identifier for PostgreSQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (d *dialect) qualified(table string) string {
	return quoteIdent(d.s.schema) + "." + quoteIdent(table)
}

func (d *dialect) Tables(ctx context.Context) ([]string, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx,
		`SELECT table_name FROM information_schema.tables WHERE table_catalog = $1 AND table_schema = $2`,
		d.s.Database, d.s.schema)
	if err != nil {
		return nil, d.explain(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, d.explain(err)
	}
	return names, nil
}

// tableInfo is what ReadTable needs besides the key names: the types to cast positions to.
type tableInfo struct{ types []string }

func (d *dialect) Table(ctx context.Context, name string) (*sqlcore.Table, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	var exists *string
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1)::text`, d.qualified(name)).Scan(&exists); err != nil {
		return nil, d.explain(err)
	}
	if exists == nil {
		return nil, sqlcore.ErrNoTable
	}
	// The original's query: the primary key of an ordinary table, in key order.
	rows, err := pool.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod)
		FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_constraint c ON c.conindid = i.indexrelid
		WHERE i.indrelid = to_regclass($1) AND t.relkind = 'r' AND c.contype = 'p'
		ORDER BY array_position(i.indkey, a.attnum)`, d.qualified(name))
	if err != nil {
		return nil, d.explain(err)
	}
	t := &sqlcore.Table{Name: name, Keyset: true}
	info := &tableInfo{}
	for rows.Next() {
		var col, typ string
		if err := rows.Scan(&col, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		t.Key = append(t.Key, col)
		info.types = append(info.types, typ)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, d.explain(err)
	}
	t.Private = info
	return t, nil
}

func (d *dialect) LastChange(ctx context.Context, t *sqlcore.Table) (sqlcore.Value, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	// Needs track_commit_timestamp=on; without it the query fails and the original uses the
	// time of the sync.
	var ts *time.Time
	err = pool.QueryRow(ctx, `SELECT MAX(pg_xact_commit_timestamp(xmin)) FROM `+d.qualified(t.Name)).Scan(&ts)
	if err != nil {
		return nil, err
	}
	if ts == nil {
		return nil, nil
	}
	return sqlcore.DateTime{T: ts.UTC(), Aware: true}, nil
}

// resultFormats asks for the types the original sees as text in text format.
//
// pgx applies a by-OID table to every column, so the table also lists the binary format pgx
// prefers for every type it knows; types it does not know stay text, as they would anyway.
// It is built on first use: building it makes pgx register every type it knows, which costs
// every process that links this source (whatever source it runs) heap and resident code.
var resultFormats = sync.OnceValue(func() pgx.QueryResultFormatsByOID {
	m := pgx.QueryResultFormatsByOID{}
	tm := pgtype.NewMap()
	for oid := uint32(1); oid < 10000; oid++ {
		if _, ok := tm.TypeForOID(oid); ok {
			m[oid] = tm.FormatCodeForOID(oid)
		}
	}
	for _, oid := range textOIDs {
		m[oid] = pgtype.TextFormatCode
	}
	return m
})

func (d *dialect) ReadTable(ctx context.Context, t *sqlcore.Table, after []string, limit int) (sqlcore.Rows, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	info := t.Private.(*tableInfo)
	keys := make([]string, len(t.Key))
	texts := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = "t." + quoteIdent(k)
		texts[i] = fmt.Sprintf("t.%s::text AS _connectors_position_%d", quoteIdent(k), i)
	}
	var q strings.Builder
	q.WriteString("SELECT t.*, " + strings.Join(texts, ", ") + " FROM " + d.qualified(t.Name) + " AS t")
	args := []any{resultFormats()}
	if after != nil {
		params := make([]string, len(after))
		for i, v := range after {
			params[i] = fmt.Sprintf("$%d::text::%s", i+1, info.types[i])
			args = append(args, v)
		}
		fmt.Fprintf(&q, " WHERE (%s) > (%s)", strings.Join(keys, ", "), strings.Join(params, ", "))
	}
	q.WriteString(" ORDER BY " + strings.Join(keys, ", "))
	if limit > 0 {
		fmt.Fprintf(&q, " LIMIT %d", limit)
	}
	return d.query(ctx, pool, q.String(), len(t.Key), args...)
}

func (d *dialect) Query(ctx context.Context, query string) (sqlcore.Rows, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	return d.query(ctx, pool, query, 0, resultFormats())
}

func (d *dialect) Describe(ctx context.Context, query string) ([]string, error) {
	fields, err := d.describe(ctx, query)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names, nil
}

func (d *dialect) describe(ctx context.Context, query string) ([]pgconn.FieldDescription, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, d.explain(err)
	}
	defer conn.Release()
	sd, err := conn.Conn().PgConn().Prepare(ctx, "", query, nil)
	if err != nil {
		return nil, err
	}
	return sd.Fields, nil
}

// cursorType is the SQL type of a custom query's cursor column, to cast positions to.
func (d *dialect) cursorType(ctx context.Context, query, col string) (string, error) {
	fields, err := d.describe(ctx, query)
	if err != nil {
		return "", err
	}
	for _, f := range fields {
		if f.Name != col {
			continue
		}
		key := [2]int64{int64(f.DataTypeOID), int64(f.TypeModifier)}
		d.mu.Lock()
		name, ok := d.typeName[key]
		d.mu.Unlock()
		if ok {
			return name, nil
		}
		if err := d.pool.QueryRow(ctx, `SELECT format_type($1::oid, $2::int)`, f.DataTypeOID, f.TypeModifier).Scan(&name); err != nil {
			return "", err
		}
		d.mu.Lock()
		d.typeName[key] = name
		d.mu.Unlock()
		return name, nil
	}
	return "", fmt.Errorf("column %q is not in the query's result", col)
}

func (d *dialect) CursorQuery(ctx context.Context, query, col, from string) (sqlcore.Rows, error) {
	pool, err := d.connect()
	if err != nil {
		return nil, err
	}
	typ, err := d.cursorType(ctx, sqlcore.StripQuery(query), col)
	if err != nil {
		return nil, err
	}
	q := fmt.Sprintf("SELECT * FROM (%s) AS q WHERE q.%s >= $1::text::%s", sqlcore.StripQuery(query), quoteIdent(col), typ)
	return d.query(ctx, pool, q, 0, resultFormats(), from)
}

func (d *dialect) MaxCursor(ctx context.Context, query, col string) (string, error) {
	pool, err := d.connect()
	if err != nil {
		return "", err
	}
	var mark *string
	q := fmt.Sprintf("SELECT MAX(q.%s)::text FROM (%s) AS q", quoteIdent(col), sqlcore.StripQuery(query))
	if err := pool.QueryRow(ctx, q).Scan(&mark); err != nil {
		return "", err
	}
	if mark == nil {
		return "", nil
	}
	return *mark, nil
}

// query runs a statement and wraps its rows; the last npos columns are the row's position.
func (d *dialect) query(ctx context.Context, pool *pgxpool.Pool, sql string, npos int, args ...any) (sqlcore.Rows, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	fields := rows.FieldDescriptions()
	if err := d.loadUnknown(ctx, pool, fields); err != nil {
		rows.Close()
		return nil, err
	}
	typeMap := pgtype.NewMap()
	ncols := len(fields) - npos
	r := &pgRows{rows: rows, ncols: ncols, npos: npos}
	for i := 0; i < ncols; i++ {
		f := fields[i]
		r.cols = append(r.cols, f.Name)
		d.mu.Lock()
		isArray := d.arrays[f.DataTypeOID]
		d.mu.Unlock()
		r.dec = append(r.dec, decoderFor(typeMap, f.DataTypeOID, f.Format, isArray))
	}
	return r, nil
}

// loadUnknown finds out which result types pgx does not know are arrays (enum[] and the like
// arrive as text literals that asyncpg would have turned into lists).
func (d *dialect) loadUnknown(ctx context.Context, pool *pgxpool.Pool, fields []pgconn.FieldDescription) error {
	typeMap := pgtype.NewMap()
	var unknown []uint32
	d.mu.Lock()
	for _, f := range fields {
		if _, ok := typeMap.TypeForOID(f.DataTypeOID); ok {
			continue
		}
		if _, seen := d.arrays[f.DataTypeOID]; !seen {
			unknown = append(unknown, f.DataTypeOID)
		}
	}
	d.mu.Unlock()
	if len(unknown) == 0 {
		return nil
	}
	rows, err := pool.Query(ctx, `SELECT oid::int8, typcategory = 'A' FROM pg_type WHERE oid = ANY($1::oid[])`, unknown)
	if err != nil {
		return err
	}
	defer rows.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, oid := range unknown {
		d.arrays[oid] = false
	}
	for rows.Next() {
		var oid int64
		var isArray bool
		if err := rows.Scan(&oid, &isArray); err != nil {
			return err
		}
		d.arrays[uint32(oid)] = isArray
	}
	return rows.Err()
}

type pgRows struct {
	rows  pgx.Rows
	cols  []string
	dec   []decoder
	ncols int
	npos  int
	err   error
}

func (r *pgRows) Columns() []string { return r.cols }
func (r *pgRows) Next() bool        { return r.err == nil && r.rows.Next() }

func (r *pgRows) Values() ([]sqlcore.Value, error) {
	raw := r.rows.RawValues()
	vals := make([]sqlcore.Value, r.ncols)
	for i := 0; i < r.ncols; i++ {
		v, err := r.dec[i](raw[i])
		if err != nil {
			r.err = fmt.Errorf("column %q: %w", r.cols[i], err)
			return nil, r.err
		}
		vals[i] = v
	}
	return vals, nil
}

func (r *pgRows) Position() []string {
	if r.npos == 0 {
		return nil
	}
	raw := r.rows.RawValues()
	pos := make([]string, r.npos)
	for i := range pos {
		pos[i] = string(raw[r.ncols+i])
	}
	return pos
}

func (r *pgRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *pgRows) Close() error {
	r.rows.Close()
	return nil
}
