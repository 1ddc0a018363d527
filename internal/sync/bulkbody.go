package sync

import (
	"bytes"
	"encoding/json"
	"io"
)

// bulkBody is the NDJSON body of one _bulk request, read straight from the operations: the
// action lines are rendered once into a small buffer and the document bodies are not copied.
// Copying them into one request buffer doubled the documents in flight (a few MB with the
// default settings) and produced as much garbage per request as the documents themselves.
type bulkBody struct {
	ops  []*Op
	meta []byte // every op's action line, newline included, one after another
	ends []int  // ends[i] is the end of op i's action line in meta
	size int64
}

func newBulkBody(index string, ops []*Op) *bulkBody {
	b := &bulkBody{ops: ops, ends: make([]int, len(ops))}
	var meta bytes.Buffer
	meta.Grow(len(ops) * (len(index) + 64))
	quotedIndex, _ := json.Marshal(index)
	for i, op := range ops {
		meta.WriteString(`{"`)
		meta.WriteString(op.Kind.String())
		meta.WriteString(`":{"_index":`)
		meta.Write(quotedIndex)
		meta.WriteString(`,"_id":`)
		id, _ := json.Marshal(op.ID)
		meta.Write(id)
		meta.WriteString("}}\n")
		b.ends[i] = meta.Len()
		if op.Kind != OpDelete {
			b.size += int64(len(op.Body)) + 1
		}
	}
	b.meta = meta.Bytes()
	b.size += int64(len(b.meta))
	return b
}

// Len is the body's length in bytes (the request's Content-Length).
func (b *bulkBody) Len() int64 { return b.size }

// Reader returns a fresh reader over the body; each retry of the request gets its own.
func (b *bulkBody) Reader() io.ReadCloser { return &bulkReader{b: b} }

type bulkReader struct {
	b    *bulkBody
	op   int // current op
	part int // 0: action line, 1: document, 2: the document's newline
	off  int // offset within the current part
}

func (r *bulkReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.op < len(r.b.ops) {
		op := r.b.ops[r.op]
		var src []byte
		switch r.part {
		case 0:
			start := 0
			if r.op > 0 {
				start = r.b.ends[r.op-1]
			}
			src = r.b.meta[start:r.b.ends[r.op]]
		case 1:
			src = op.Body
		default:
			src = newline
		}
		if op.Kind == OpDelete && r.part > 0 {
			src = nil
		}
		c := copy(p[n:], src[r.off:])
		n += c
		r.off += c
		if r.off == len(src) {
			r.off = 0
			r.part++
			if r.part == 3 {
				r.part = 0
				r.op++
			}
		}
	}
	if n == 0 && r.op >= len(r.b.ops) {
		return 0, io.EOF
	}
	return n, nil
}

func (r *bulkReader) Close() error { return nil }

var newline = []byte{'\n'}
