package saasfake

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// GQLObject is an object a fake's GraphQL endpoint answers with: its concrete type and how to
// resolve its fields. A resolved value is nil, a string, bool, int, int64, float64 or
// json.Number, a *GQLObject, a []*GQLObject or a []any of those.
//
// The executor copies what resolvers return without coercing it, so a resolver that returns a
// value of the wrong type (a number for a String, "Public" for an enum that says PUBLIC) reaches
// the answer and [GraphQLSchema.CheckAnswer] reports it.
type GQLObject struct {
	Type   string
	Fields func(field string, args map[string]any) (any, error)
}

// Obj is an object whose fields are the keys of m. A value that is a
// func(args map[string]any) (any, error) is called with the field's arguments (connections,
// lookups); any other value is the field's value.
func Obj(typ string, m map[string]any) *GQLObject {
	return &GQLObject{Type: typ, Fields: func(field string, args map[string]any) (any, error) {
		v, ok := m[field]
		if !ok {
			return nil, fmt.Errorf("the fake does not serve %s.%s", typ, field)
		}
		if f, ok := v.(func(map[string]any) (any, error)); ok {
			return f(args)
		}
		return v, nil
	}}
}

// GQLError is a field error as a vendor reports it; Type is GitHub's error type (NOT_FOUND,
// RATE_LIMITED, FORBIDDEN), left out when empty.
type GQLError struct {
	Type, Message string
}

func (e *GQLError) Error() string { return e.Message }

// Execute runs a prepared operation against root and returns the answer's JSON body:
// {"data": …} plus "errors" when a resolver failed. A field error nulls the field, and a null
// in a non-null position nulls the nearest nullable parent, as the GraphQL spec says.
func (s *GraphQLSchema) Execute(op *Operation, root *GQLObject) []byte {
	e := &executor{s: s, op: op}
	rootDef := s.rootType(op.Op.Operation)
	data, ok := e.object(root, rootDef, op.Op.SelectionSet, nil)
	out := orderedObject{}
	if ok {
		out = append(out, kv{"data", data})
	} else {
		out = append(out, kv{"data", nil})
	}
	if len(e.errs) > 0 {
		out = append(out, kv{"errors", e.errs})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
	return buf.Bytes()
}

// RequestErrors is the answer to a request that does not validate: no data, the errors.
func RequestErrors(errs gqlerror.List) []byte {
	list := make([]any, 0, len(errs))
	for _, e := range errs {
		m := orderedObject{{"message", e.Message}}
		if len(e.Locations) > 0 {
			var locs []any
			for _, l := range e.Locations {
				locs = append(locs, orderedObject{{"line", l.Line}, {"column", l.Column}})
			}
			m = append(m, kv{"locations", locs})
		}
		list = append(list, m)
	}
	b, _ := json.Marshal(orderedObject{{"errors", list}})
	return b
}

type executor struct {
	s    *GraphQLSchema
	op   *Operation
	errs []any
}

func (e *executor) fail(path []any, err error, f *ast.Field) {
	m := orderedObject{}
	if ge, ok := err.(*GQLError); ok && ge.Type != "" {
		m = append(m, kv{"type", ge.Type})
	}
	m = append(m, kv{"path", append([]any(nil), path...)})
	if f != nil && f.Position != nil {
		m = append(m, kv{"locations", []any{orderedObject{{"line", f.Position.Line}, {"column", f.Position.Column}}}})
	}
	m = append(m, kv{"message", err.Error()})
	e.errs = append(e.errs, m)
}

// object resolves a selection set on obj; ok is false when a non-null field came back null,
// which makes this object null.
func (e *executor) object(obj *GQLObject, def *ast.Definition, sel ast.SelectionSet, path []any) (orderedObject, bool) {
	typ := def
	if obj.Type != "" && obj.Type != def.Name {
		typ = e.s.Schema.Types[obj.Type]
		if typ == nil {
			e.fail(path, fmt.Errorf("the fake answered with unknown type %s", obj.Type), nil)
			return nil, false
		}
	}
	out := orderedObject{}
	for _, g := range CollectFields(e.s.Schema, e.op.Doc, typ, sel, e.op.Vars) {
		f := g.Fields[0]
		p := append(append([]any(nil), path...), g.Key)
		if f.Name == "__typename" {
			out = append(out, kv{g.Key, typ.Name})
			continue
		}
		fd := typ.Fields.ForName(f.Name)
		if fd == nil {
			e.fail(p, fmt.Errorf("%s has no field %s", typ.Name, f.Name), f)
			return nil, false
		}
		raw, err := obj.Fields(f.Name, f.ArgumentMap(e.op.Vars))
		if err != nil {
			e.fail(p, err, f)
			if fd.Type.NonNull {
				return nil, false
			}
			out = append(out, kv{g.Key, nil})
			continue
		}
		v, ok := e.complete(raw, fd.Type, g.SelectionSet(), p)
		if !ok {
			if fd.Type.NonNull {
				return nil, false
			}
			v = nil
		}
		out = append(out, kv{g.Key, v})
	}
	return out, true
}

// complete turns a resolved value into its answer; ok is false for null in a non-null position.
func (e *executor) complete(raw any, t *ast.Type, sel ast.SelectionSet, path []any) (any, bool) {
	if raw == nil {
		return nil, !t.NonNull
	}
	if objs, ok := raw.([]*GQLObject); ok {
		l := make([]any, len(objs))
		for i, o := range objs {
			l[i] = o
		}
		raw = l
	}
	if t.Elem != nil {
		list, ok := raw.([]any)
		if !ok {
			return raw, true // the answer check reports it
		}
		out := make([]any, len(list))
		for i, item := range list {
			v, ok := e.complete(item, t.Elem, sel, append(append([]any(nil), path...), i))
			if !ok {
				return nil, !t.NonNull
			}
			out[i] = v
		}
		return out, true
	}
	obj, isObj := raw.(*GQLObject)
	def := e.s.Schema.Types[t.NamedType]
	if !isObj || def == nil || def.IsLeafType() {
		return raw, true
	}
	v, ok := e.object(obj, def, sel, path)
	if !ok {
		return nil, !t.NonNull
	}
	return v, true
}

// orderedObject is a JSON object that keeps its keys in order, as GraphQL answers do.
type orderedObject []kv

type kv struct {
	k string
	v any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		buf.Write(k)
		buf.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p.v); err != nil {
			return nil, err
		}
		buf.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
