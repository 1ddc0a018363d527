package sqlcore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// What the dialects on database/sql (mysql, mssql, oracle) share; postgresql reads through
// pgx and has its own.

// SQLRows is Rows over database/sql's rows. The dialect says how a column's raw value becomes
// a Value (Convert) and where the row's position is (Position); the scanning, the
// error handling and the column bookkeeping are here.
type SQLRows struct {
	rows *sql.Rows
	cols []string // the data columns
	raw  []any    // every column of the current row, position columns included
	ptrs []any
	err  error

	// Convert turns the raw value of data column i into a Value.
	Convert func(i int, raw any) (Value, error)
	// Position returns the current row's key as text from its raw columns; nil when the
	// result has no position.
	PositionOf func(raw []any) []string
	// OnClose runs after the rows are closed (to release a dedicated connection).
	OnClose func()
}

// NewSQLRows reads the columns of rows; the last trailing columns are the position, not data
// (a dialect that selects the key as text after the row). It returns the type of every column,
// for the dialect's Convert. On error rows is closed.
func NewSQLRows(rows *sql.Rows, trailing int) (*SQLRows, []*sql.ColumnType, error) {
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, nil, err
	}
	if trailing < 0 || trailing > len(cols) {
		rows.Close()
		return nil, nil, fmt.Errorf("the result has %d columns, fewer than its %d key columns", len(cols), trailing)
	}
	r := &SQLRows{rows: rows, cols: cols[:len(cols)-trailing], raw: make([]any, len(cols)), ptrs: make([]any, len(cols))}
	for i := range r.raw {
		r.ptrs[i] = &r.raw[i]
	}
	return r, types, nil
}

// Columns are the data columns' names.
func (r *SQLRows) Columns() []string { return r.cols }

// Next scans the next row; false at the end or on an error (see Err).
func (r *SQLRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

// Values converts the current row's data columns.
func (r *SQLRows) Values() ([]Value, error) {
	vals := make([]Value, len(r.cols))
	for i := range r.cols {
		v, err := r.Convert(i, r.raw[i])
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", r.cols[i], err)
		}
		vals[i] = v
	}
	return vals, nil
}

// Position is the current row's key as text; nil without PositionOf.
func (r *SQLRows) Position() []string {
	if r.PositionOf == nil {
		return nil
	}
	return r.PositionOf(r.raw)
}

// Err is the error that ended the iteration, if any.
func (r *SQLRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// Close closes the rows, then runs OnClose.
func (r *SQLRows) Close() error {
	err := r.rows.Close()
	if r.OnClose != nil {
		r.OnClose()
	}
	return err
}

// Strings reads a one-column result of text (table names) and closes it.
func Strings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ConnectionLost reports the errors of database/sql drivers that mean the connection broke
// (not that the statement was wrong): worth a retry on a fresh connection.
func ConnectionLost(err error) bool {
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.As(err, &netErr)
}

// QueryRows runs a statement on db and wraps its rows (see NewSQLRows).
func QueryRows(ctx context.Context, db *sql.DB, trailing int, query string, args ...any) (*SQLRows, []*sql.ColumnType, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	return NewSQLRows(rows, trailing)
}
