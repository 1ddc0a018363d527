package sqlcore

import (
	"fmt"
	"strings"
	"time"

	"github.com/connectors-go/connectors/connector"
)

// builder turns rows of one result (a table, a custom query) into the original's documents.
type builder struct {
	layout  Layout
	tables  []string
	names   []string // field name per column
	skip    []bool   // columns whose field name the service owns (the original overwrites them)
	keyIdx  []int    // column of each id value
	meta    map[string]any
	stamp   string // _timestamp; "" means the time of each document, as the original's iso_utc()
	now     func() time.Time
	keyVals []Value
}

// newBuilder prepares the documents of a result with the given columns. keyNames are the id
// columns in the FieldNames space; a missing one is an error naming it.
func newBuilder(l Layout, tables, columns, keyNames []string, meta map[string]any, stamp string, now func() time.Time) (*builder, error) {
	b := &builder{layout: l, tables: tables, meta: meta, stamp: stamp, now: now}
	b.names = l.FieldNames(tables, columns)
	b.skip = make([]bool, len(b.names))
	last := map[string]int{}
	for i, n := range b.names {
		// dict(zip(names, row)): a name seen twice keeps the last value.
		last[n] = i
		for _, r := range connector.ReservedKeys() {
			if n == r {
				b.skip[i] = true
			}
		}
		if _, ok := meta[n]; ok {
			b.skip[i] = true
		}
	}
	var missing []string
	for _, k := range keyNames {
		i, ok := last[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		b.keyIdx = append(b.keyIdx, i)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the id columns %s are not in the result (columns: %s)", strings.Join(missing, ", "), strings.Join(b.names, ", "))
	}
	b.keyVals = make([]Value, len(b.keyIdx))
	return b, nil
}

func (b *builder) doc(vals []Value) connector.Document {
	fields := make(map[string]any, len(vals)+len(b.meta))
	for i, v := range vals {
		if i < len(b.skip) && !b.skip[i] {
			fields[b.names[i]] = DocValue(v)
		}
	}
	for k, v := range b.meta {
		fields[k] = v
	}
	for j, i := range b.keyIdx {
		b.keyVals[j] = vals[i]
	}
	stamp := b.stamp
	if stamp == "" {
		stamp = connector.FormatTime(b.now())
	}
	return connector.Document{ID: b.layout.ID(b.tables, b.keyVals), Timestamp: stamp, Fields: fields}
}
