package sqlcore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"syscall"
	"testing"
)

// fakeDB answers every query with the same rows: columns id, name and a trailing key column.
type fakeDB struct{ rows [][]driver.Value }

func (f *fakeDB) Connect(context.Context) (driver.Conn, error) { return &fakeConn{f}, nil }
func (f *fakeDB) Driver() driver.Driver                        { return nil }

type fakeConn struct{ db *fakeDB }

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }
func (c *fakeConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &fakeRows{rows: c.db.rows}, nil
}

type fakeRows struct {
	rows [][]driver.Value
	i    int
}

func (r *fakeRows) Columns() []string { return []string{"id", "name", "pos"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.i])
	r.i++
	return nil
}
func (r *fakeRows) ColumnTypeDatabaseTypeName(i int) string {
	return []string{"INT", "TEXT", "TEXT"}[i]
}

func TestSQLRows(t *testing.T) {
	db := sql.OpenDB(&fakeDB{rows: [][]driver.Value{{int64(1), "a", "k1"}, {int64(2), "b", "k2"}}})
	defer db.Close()
	ctx := context.Background()

	r, types, err := QueryRows(ctx, db, 1, "SELECT")
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != 3 || types[0].DatabaseTypeName() != "INT" || !reflect.DeepEqual(r.Columns(), []string{"id", "name"}) {
		t.Fatalf("columns %v, %d types", r.Columns(), len(types))
	}
	r.Convert = func(i int, raw any) (Value, error) {
		return fmt.Sprintf("%s:%v", types[i].DatabaseTypeName(), raw), nil
	}
	r.PositionOf = func(raw []any) []string { return []string{fmt.Sprint(raw[2])} }
	closed := false
	r.OnClose = func() { closed = true }
	var got [][]any
	for r.Next() {
		vals, err := r.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, []any{vals[0], vals[1], r.Position()[0]})
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"INT:1", "TEXT:a", "k1"}, {"INT:2", "TEXT:b", "k2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	if r.Close(); !closed {
		t.Fatal("OnClose not run")
	}

	// Without PositionOf there is no position; a conversion error names the column.
	r, _, err = QueryRows(ctx, db, 0, "SELECT")
	if err != nil {
		t.Fatal(err)
	}
	r.Convert = func(i int, raw any) (Value, error) {
		if i == 2 {
			return nil, errors.New("bad bytes")
		}
		return raw, nil
	}
	if !r.Next() || r.Position() != nil {
		t.Fatal("no row, or a position without PositionOf")
	}
	if _, err := r.Values(); err == nil || err.Error() != `column "pos": bad bytes` {
		t.Fatalf("conversion error %v", err)
	}
	r.Close()

	if _, _, err := QueryRows(ctx, db, 4, "SELECT"); err == nil {
		t.Fatal("more key columns than columns accepted")
	}
}

func TestConnectionLost(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{driver.ErrBadConn, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{syscall.ECONNRESET, true},
		{errors.New("syntax error"), false},
		{sql.ErrNoRows, false},
	} {
		if got := ConnectionLost(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}
