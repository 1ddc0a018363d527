// Package sqlcore is the shared core of the SQL database sources (postgresql, mysql, mssql,
// oracle): table discovery, primary keys, keyset-paginated streaming in fetch_size batches,
// per-table concurrency, retries, advanced rules (custom queries), checkpoints, cursor-column
// incremental syncs, and the original's document shapes and value serialisation.
//
// A source package supplies a Dialect (the database's SQL and driver) and a Layout (how the
// original names fields, builds ids and adds metadata for that database); everything else is
// here, so the four sources behave the same way and the behaviour is tested once against a real
// PostgreSQL server.
package sqlcore

import (
	"context"
	"errors"
	"fmt"
)

// Dialect is one database's driver and SQL. Errors it returns from connecting should be
// *FieldError values naming the configuration field at fault; query errors are classified by
// Classify.
type Dialect interface {
	// Product is the database's name in messages ("PostgreSQL").
	Product() string

	// Ping connects and runs a trivial query.
	Ping(ctx context.Context) error

	// CheckScope verifies that the configured database (and schema, where there is one) exists
	// and can be read, after a successful connection.
	CheckScope(ctx context.Context) error

	// Tables lists the tables a wildcard `tables` setting means, in any order.
	Tables(ctx context.Context) ([]string, error)

	// Table describes one table: its primary key columns in the order the original uses. It
	// returns ErrNoTable when the table does not exist or cannot be seen.
	Table(ctx context.Context, name string) (*Table, error)

	// LastChange returns the table's last-change time as the original reads it (nil when the
	// database does not say).
	LastChange(ctx context.Context, t *Table) (Value, error)

	// ReadTable streams the rows of t ordered by its primary key, starting after the position
	// after (nil: from the start), at most limit rows when t.Keyset (all rows otherwise).
	ReadTable(ctx context.Context, t *Table, after []string, limit int) (Rows, error)

	// Query streams the rows of a custom query (advanced rules) as the user wrote it.
	Query(ctx context.Context, query string) (Rows, error)

	// Describe returns the column names a custom query produces, without reading its rows; its
	// error says why the query cannot run.
	Describe(ctx context.Context, query string) ([]string, error)

	// CursorQuery streams the rows of query whose column col is at or after the value whose
	// text is from ("" for all rows).
	CursorQuery(ctx context.Context, query, col, from string) (Rows, error)

	// MaxCursor returns the text of the largest value of col in query's rows ("" when there is
	// none).
	MaxCursor(ctx context.Context, query, col string) (string, error)

	// Classify says what kind of failure err is.
	Classify(err error) ErrorKind

	// Close releases the connections.
	Close() error
}

// Table is a table to sync.
type Table struct {
	Name string
	// Key is the primary key in the order the original uses for ids.
	Key []string
	// Keyset is true when the rows can be paged by key (the key's types order and compare the
	// same way in SQL and survive a round trip through text); otherwise ReadTable streams the
	// whole table in one statement.
	Keyset bool
	// Private is the dialect's own description (column types for binding positions).
	Private any
}

// Rows is a streamed result.
type Rows interface {
	// Columns are the result's column names as the database reports them.
	Columns() []string
	Next() bool
	// Values are the current row's values, one per column.
	Values() ([]Value, error)
	// Position is the current row's key as text, for resuming after it (nil when the result
	// has no position, such as a custom query).
	Position() []string
	Err() error
	Close() error
}

// ErrorKind classifies a database error.
type ErrorKind int

// The kinds of errors the core treats differently.
const (
	// ErrOther is any other error: the part being read is reported incomplete.
	ErrOther ErrorKind = iota
	// ErrTransient errors (lost connections, deadlocks, server shutting down) are retried
	// retry_count times; when they persist the job fails.
	ErrTransient
	// ErrMissing means the table (or a table of a query) does not exist (any more).
	ErrMissing
)

// ErrNoTable is returned by Dialect.Table for a table that does not exist.
var ErrNoTable = errors.New("table does not exist or is not visible to the configured user")

// FieldError is an error that a configuration field causes: the message names the field so the
// user knows what to fix.
type FieldError struct {
	Field string // configuration key ("host", "password")
	Err   error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("configuration field %q: %v", e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// FieldErr wraps err as a FieldError of field, with a formatted explanation.
func FieldErr(field string, err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		return &FieldError{Field: field, Err: fmt.Errorf("%s: %w", msg, err)}
	}
	return &FieldError{Field: field, Err: errors.New(msg)}
}

// DriverErr rewords a driver's error for the user while keeping it underneath, so that Classify
// still finds the driver's code (a busy server, a deadlock, a lost connection) once a dialect's
// explain has turned it into a message: without it such errors are never retried.
func DriverErr(err error, format string, args ...any) error {
	return &driverError{msg: fmt.Sprintf(format, args...), err: err}
}

type driverError struct {
	msg string
	err error
}

func (e *driverError) Error() string { return e.msg }
func (e *driverError) Unwrap() error { return e.err }

// FieldErrorKind classifies an explained connection error: an unreachable host or port may be
// a server restarting (worth retrying); wrong credentials, databases or certificates are not.
func FieldErrorKind(fe *FieldError) ErrorKind {
	switch fe.Field {
	case "host", "port":
		return ErrTransient
	}
	return ErrOther
}
