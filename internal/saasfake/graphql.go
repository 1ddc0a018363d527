package saasfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// GraphQLSchema is a vendor's published GraphQL schema (SDL), loaded with gqlparser: the fake's
// GraphQL endpoint is held to it the way REST endpoints are held to an OpenAPI description.
// Every query a client sends must validate against it (including its variables), and every
// answer must be exactly what the schema allows for that query: the selected fields and no
// others, scalars of the declared types, enum values the schema lists, no null where the type
// is non-null.
type GraphQLSchema struct {
	Name   string
	Schema *ast.Schema
	// Amendments lists what was changed at load time to make the published document loadable
	// (see LoadGraphQLSchema); tests and ORIGIN files show it.
	Amendments []string
	// Scalars checks the vendor's custom scalars by name. A custom scalar without a checker
	// must be a JSON string (how GitHub and GitLab serialise theirs).
	Scalars map[string]func(v any) error
}

// LoadGraphQLSchema parses and validates a schema in SDL. Some published schemas declare a field
// twice in one type (GitHub's did, identically); the GraphQL spec forbids it and gqlparser
// refuses it, so a later duplicate identical to the first is dropped and listed in Amendments.
// A duplicate that differs from the first is an error: then the document is ambiguous.
func LoadGraphQLSchema(name, sdl string) (*GraphQLSchema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("GraphQL schema %s: %w", name, err)
	}
	var amended []string
	for _, defs := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, def := range defs {
			seen := map[string]*ast.FieldDefinition{}
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				if first, dup := seen[f.Name]; dup {
					if first.Type.String() != f.Type.String() || len(first.Arguments) != len(f.Arguments) {
						return nil, fmt.Errorf("GraphQL schema %s: %s.%s is declared twice, differently (%s, %s)", name, def.Name, f.Name, first.Type, f.Type)
					}
					amended = append(amended, fmt.Sprintf("%s.%s is declared twice (lines %d and %d); the second, identical declaration is dropped",
						def.Name, f.Name, first.Position.Line, f.Position.Line))
					continue
				}
				seen[f.Name] = f
				kept = append(kept, f)
			}
			def.Fields = kept
		}
	}
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("GraphQL schema %s: %w", name, err)
	}
	return &GraphQLSchema{Name: name, Schema: s, Amendments: amended}, nil
}

// GraphQLRequest is the JSON body of a GraphQL POST.
type GraphQLRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables,omitempty"`
	OperationName string         `json:"operationName,omitempty"`
}

// Operation is a validated request: its document, the operation to run and its coerced
// variables.
type Operation struct {
	Doc  *ast.QueryDocument
	Op   *ast.OperationDefinition
	Vars map[string]any
}

// Prepare parses and validates a request against the schema, as a GraphQL server does before
// running it. The errors are the ones a server reports (a query using a field the schema lacks,
// a missing required variable, a value of the wrong type).
func (s *GraphQLSchema) Prepare(body []byte) (*Operation, gqlerror.List) {
	var req GraphQLRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return nil, gqlerror.List{gqlerror.Errorf("the request body is not a GraphQL request: %v", err)}
	}
	if strings.TrimSpace(req.Query) == "" {
		return nil, gqlerror.List{gqlerror.Errorf("the request has no query")}
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: "request", Input: req.Query})
	if err != nil {
		if ge, ok := err.(*gqlerror.Error); ok {
			return nil, gqlerror.List{ge}
		}
		return nil, gqlerror.List{gqlerror.Wrap(err)}
	}
	if errs := validator.ValidateWithRules(s.Schema, doc, rules.NewDefaultRules()); len(errs) > 0 {
		return nil, errs
	}
	var op *ast.OperationDefinition
	switch {
	case req.OperationName != "":
		op = doc.Operations.ForName(req.OperationName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	if op == nil {
		return nil, gqlerror.List{gqlerror.Errorf("operation %q not found (the document has %d)", req.OperationName, len(doc.Operations))}
	}
	vars := numbersToGo(req.Variables)
	coerced, verr := validator.VariableValues(s.Schema, op, vars)
	if verr != nil {
		if ge, ok := verr.(*gqlerror.Error); ok {
			return nil, gqlerror.List{ge}
		}
		return nil, gqlerror.List{gqlerror.Wrap(verr)}
	}
	return &Operation{Doc: doc, Op: op, Vars: coerced}, nil
}

// numbersToGo turns json.Number into int64 or float64, which gqlparser's coercion expects.
func numbersToGo(v map[string]any) map[string]any {
	var conv func(any) any
	conv = func(x any) any {
		switch t := x.(type) {
		case json.Number:
			if i, err := t.Int64(); err == nil {
				return i
			}
			f, _ := t.Float64()
			return f
		case map[string]any:
			out := make(map[string]any, len(t))
			for k, e := range t {
				out[k] = conv(e)
			}
			return out
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				out[i] = conv(e)
			}
			return out
		}
		return x
	}
	if v == nil {
		return map[string]any{}
	}
	return conv(v).(map[string]any)
}

// CheckAnswer validates an answer's JSON body against the operation: the top-level shape
// ({data, errors, extensions}), the errors' shape, and data against the selection set.
// Independent of the fake's executor: it only knows the schema and the query.
func (s *GraphQLSchema) CheckAnswer(op *Operation, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return fmt.Errorf("the answer is not a JSON object: %v", err)
	}
	for k := range top {
		if k != "data" && k != "errors" && k != "extensions" {
			return fmt.Errorf("the answer has a top-level key %q (a GraphQL answer has data, errors and extensions only)", k)
		}
	}
	errs, hasErrs := top["errors"]
	if hasErrs {
		list, ok := errs.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("errors must be a non-empty list")
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("errors[%d] is not an object", i)
			}
			if _, ok := m["message"].(string); !ok {
				return fmt.Errorf("errors[%d] has no message", i)
			}
			if p, has := m["path"]; has {
				if _, ok := p.([]any); !ok {
					return fmt.Errorf("errors[%d].path is not a list", i)
				}
			}
		}
	}
	data, hasData := top["data"]
	if !hasData {
		if !hasErrs {
			return fmt.Errorf("the answer has neither data nor errors")
		}
		return nil
	}
	if data == nil {
		return nil // a field error propagated to the root
	}
	root := s.rootType(op.Op.Operation)
	if root == nil {
		return fmt.Errorf("the schema has no %s type", op.Op.Operation)
	}
	c := &answerChecker{s: s, doc: op.Doc, vars: op.Vars}
	return c.object(data, root, op.Op.SelectionSet, "data")
}

func (s *GraphQLSchema) rootType(op ast.Operation) *ast.Definition {
	switch op {
	case ast.Mutation:
		return s.Schema.Mutation
	case ast.Subscription:
		return s.Schema.Subscription
	}
	return s.Schema.Query
}

type answerChecker struct {
	s    *GraphQLSchema
	doc  *ast.QueryDocument
	vars map[string]any
}

// object checks a value against a composite type. For an interface or union the concrete type
// is not named in the answer unless __typename was selected, so every possible type is tried:
// the answer is valid when it is exactly the fields collected for one of them.
func (c *answerChecker) object(v any, def *ast.Definition, sel ast.SelectionSet, path string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: want an object of type %s, got %s", path, def.Name, jsonKind(v))
	}
	candidates := []*ast.Definition{def}
	if def.IsAbstractType() {
		candidates = c.s.Schema.GetPossibleTypes(def)
		if tn, ok := m["__typename"].(string); ok {
			candidates = nil
			for _, p := range c.s.Schema.GetPossibleTypes(def) {
				if p.Name == tn {
					candidates = append(candidates, p)
				}
			}
			if len(candidates) == 0 {
				return fmt.Errorf("%s: __typename %q is not a possible type of %s", path, tn, def.Name)
			}
		}
	}
	var firstErr error
	for _, typ := range candidates {
		err := c.concrete(m, typ, sel, path)
		if err == nil {
			return nil
		}
		if firstErr == nil || len(candidates) == 1 {
			firstErr = err
		}
	}
	if len(candidates) > 1 {
		return fmt.Errorf("%s: the object matches none of the possible types of %s (as %s: %v)", path, def.Name, candidates[0].Name, firstErr)
	}
	return firstErr
}

func (c *answerChecker) concrete(m map[string]any, typ *ast.Definition, sel ast.SelectionSet, path string) error {
	fields := CollectFields(c.s.Schema, c.doc, typ, sel, c.vars)
	want := map[string]bool{}
	for _, g := range fields {
		want[g.Key] = true
	}
	var extra []string
	for k := range m {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("%s: %s has keys the query did not select: %s", path, typ.Name, strings.Join(extra, ", "))
	}
	for _, g := range fields {
		val, has := m[g.Key]
		if !has {
			return fmt.Errorf("%s: %s lacks the selected field %q", path, typ.Name, g.Key)
		}
		p := path + "." + g.Key
		if g.Fields[0].Name == "__typename" {
			if val != typ.Name {
				return fmt.Errorf("%s: __typename is %v, want %s", p, val, typ.Name)
			}
			continue
		}
		fd := typ.Fields.ForName(g.Fields[0].Name)
		if fd == nil {
			return fmt.Errorf("%s: %s has no field %s", p, typ.Name, g.Fields[0].Name)
		}
		if err := c.value(val, fd.Type, g.SelectionSet(), p); err != nil {
			return err
		}
	}
	return nil
}

func (c *answerChecker) value(v any, t *ast.Type, sel ast.SelectionSet, path string) error {
	if v == nil {
		if t.NonNull {
			return fmt.Errorf("%s: null for non-null type %s", path, t)
		}
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want a list (%s), got %s", path, t, jsonKind(v))
		}
		for i, e := range list {
			if err := c.value(e, t.Elem, sel, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	def := c.s.Schema.Types[t.NamedType]
	if def == nil {
		return fmt.Errorf("%s: unknown type %s", path, t.NamedType)
	}
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		return c.object(v, def, sel, path)
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return fmt.Errorf("%s: %v is not a value of enum %s", path, v, def.Name)
		}
		return nil
	case ast.Scalar:
		if err := c.scalar(v, def.Name); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		return nil
	}
	return fmt.Errorf("%s: type %s (%s) cannot be an output", path, def.Name, def.Kind)
}

func (c *answerChecker) scalar(v any, name string) error {
	switch name {
	case "String", "ID":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("want a string (%s), got %s", name, jsonKind(v))
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want a boolean, got %s", jsonKind(v))
		}
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("want an Int, got %s", jsonKind(v))
		}
		i, err := n.Int64()
		if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			return fmt.Errorf("%s is not a 32-bit integer (Int)", n)
		}
	case "Float":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("want a Float, got %s", jsonKind(v))
		}
	default:
		if chk := c.s.Scalars[name]; chk != nil {
			if err := chk(v); err != nil {
				return fmt.Errorf("scalar %s: %v", name, err)
			}
			return nil
		}
		if _, ok := v.(string); !ok {
			return fmt.Errorf("want custom scalar %s as a string, got %s", name, jsonKind(v))
		}
	}
	return nil
}

// DateTimeScalar checks an ISO-8601 date-time string (GitHub's DateTime, GitLab's Time).
func DateTimeScalar(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want an ISO-8601 string, got %s", jsonKind(v))
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("%q is not an ISO-8601 date-time", s)
	}
	return nil
}

// URIScalar checks an absolute URL string.
func URIScalar(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a URL string, got %s", jsonKind(v))
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// FieldGroup is the fields of one response key, merged as the GraphQL spec's CollectFields does.
type FieldGroup struct {
	Key    string
	Fields []*ast.Field
}

// SelectionSet is the merged sub-selection of the group's fields.
func (g FieldGroup) SelectionSet() ast.SelectionSet {
	if len(g.Fields) == 1 {
		return g.Fields[0].SelectionSet
	}
	var out ast.SelectionSet
	for _, f := range g.Fields {
		out = append(out, f.SelectionSet...)
	}
	return out
}

// CollectFields groups the fields a selection set asks of an object of type typ, in order,
// following fragments whose type condition applies and honouring @skip and @include.
func CollectFields(s *ast.Schema, doc *ast.QueryDocument, typ *ast.Definition, sel ast.SelectionSet, vars map[string]any) []FieldGroup {
	var out []FieldGroup
	index := map[string]int{}
	visited := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s0 := range set {
			switch x := s0.(type) {
			case *ast.Field:
				if !included(x.Directives, vars) {
					continue
				}
				key := x.Alias
				if key == "" {
					key = x.Name
				}
				if i, ok := index[key]; ok {
					out[i].Fields = append(out[i].Fields, x)
					continue
				}
				index[key] = len(out)
				out = append(out, FieldGroup{Key: key, Fields: []*ast.Field{x}})
			case *ast.InlineFragment:
				if included(x.Directives, vars) && applies(s, typ, x.TypeCondition) {
					walk(x.SelectionSet)
				}
			case *ast.FragmentSpread:
				if !included(x.Directives, vars) || visited[x.Name] {
					continue
				}
				visited[x.Name] = true
				frag := doc.Fragments.ForName(x.Name)
				if frag != nil && applies(s, typ, frag.TypeCondition) {
					walk(frag.SelectionSet)
				}
			}
		}
	}
	walk(sel)
	return out
}

func applies(s *ast.Schema, typ *ast.Definition, cond string) bool {
	if cond == "" || cond == typ.Name {
		return true
	}
	abstract := s.Types[cond]
	if abstract == nil || !abstract.IsAbstractType() {
		return false
	}
	for _, p := range s.GetPossibleTypes(abstract) {
		if p.Name == typ.Name {
			return true
		}
	}
	return false
}

func included(dirs ast.DirectiveList, vars map[string]any) bool {
	if d := dirs.ForName("skip"); d != nil {
		if v, _ := d.ArgumentMap(vars)["if"].(bool); v {
			return false
		}
	}
	if d := dirs.ForName("include"); d != nil {
		if v, _ := d.ArgumentMap(vars)["if"].(bool); !v {
			return false
		}
	}
	return true
}
