package sync

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBulkBody(t *testing.T) {
	ops := []*Op{
		{Kind: OpIndex, ID: "a", Body: []byte(`{"id":"a","body":"x"}`)},
		{Kind: OpDelete, ID: `quote"and\backslash`},
		{Kind: OpUpdate, ID: "ünï <&> 😀", Body: []byte(`{"doc":{"id":"b"},"doc_as_upsert":true}`)},
		{Kind: OpDelete, ID: "last-delete"},
		{Kind: OpIndex, ID: strings.Repeat("x", 600), Body: []byte(`{}`)},
	}
	b := newBulkBody("search-test", ops)
	// Every way of reading gives the same bytes, as many as Len says.
	var want []byte
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	} {
		got, err := io.ReadAll(wrap(b.Reader()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if int64(len(got)) != b.Len() {
			t.Fatalf("%s: read %d bytes, Len %d", name, len(got), b.Len())
		}
		if want == nil {
			want = got
		} else if !bytes.Equal(got, want) {
			t.Fatalf("%s: different bytes:\n%s\n%s", name, got, want)
		}
	}
	// The lines are the _bulk format: an action line per op, a document after index and update.
	lines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	i := 0
	for _, op := range ops {
		var action map[string]map[string]string
		if err := json.Unmarshal([]byte(lines[i]), &action); err != nil {
			t.Fatalf("line %d %q: %v", i, lines[i], err)
		}
		meta := action[op.Kind.String()]
		if len(action) != 1 || meta["_index"] != "search-test" || meta["_id"] != op.ID || len(meta) != 2 {
			t.Fatalf("line %d: %q for %s %q", i, lines[i], op.Kind, op.ID)
		}
		i++
		if op.Kind != OpDelete {
			if lines[i] != string(op.Body) {
				t.Fatalf("line %d: %q, want %q", i, lines[i], op.Body)
			}
			i++
		}
	}
	if i != len(lines) || !strings.HasSuffix(string(want), "\n") {
		t.Fatalf("%d lines for %d expected, or no final newline", len(lines), i)
	}
	if got, _ := io.ReadAll(newBulkBody("i", nil).Reader()); len(got) != 0 {
		t.Fatalf("an empty batch reads %q", got)
	}
}
