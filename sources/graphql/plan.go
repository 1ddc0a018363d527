package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// plan is the checked configuration of a sync.
type plan struct {
	headers   http.Header
	variables map[string]any
	objects   []mapping
	// For cursor pagination: the response path of the connection and the name of the variable
	// its after argument is bound to.
	pagePath []string
	pageVar  string
}

// mapping is one entry of graphql_object_to_id_map.
type mapping struct {
	path    string
	idField string
}

// requestPlan checks what a request needs: the endpoint and the headers.
func (s *Source) requestPlan() (*plan, error) {
	if err := s.checkEndpoint(); err != nil {
		return nil, err
	}
	p := &plan{headers: http.Header{}, variables: map[string]any{}}
	if strings.TrimSpace(s.headersText) != "" {
		obj, err := parseObject(s.headersText)
		if err != nil {
			return nil, fieldErr("headers", "GraphQL Headers must be in valid JSON format. Exception: %v", err)
		}
		for _, kv := range obj {
			var v string
			switch x := kv.value.(type) {
			case string:
				v = x
			case json.Number, bool:
				v = fmt.Sprint(x)
			default:
				return nil, fieldErr("headers", "the value of header %q must be a string", kv.key)
			}
			p.headers.Set(kv.key, v)
		}
	}
	return p, nil
}

// checkEndpoint accepts any absolute http or https URL. The original's pattern also demands a dot
// in the host name, which refuses http://localhost:4000/graphql and service names in a private
// network; nothing else about such URLs is wrong.
func (s *Source) checkEndpoint() error {
	u, err := url.Parse(s.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s.endpoint, " \t\n") {
		return fieldErr("http_endpoint", "GraphQL HTTP endpoint is not a valid URL.")
	}
	return nil
}

// plan checks the whole configuration, in the order the original does.
func (s *Source) plan() (*plan, error) {
	if err := s.checkEndpoint(); err != nil {
		return nil, err
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: s.query})
	if err != nil {
		return nil, fieldErr("graphql_query", "Failed to parse GraphQL query. Error: %v", err)
	}
	var op *ast.OperationDefinition
	for _, o := range doc.Operations {
		if o.Operation != ast.Query {
			return nil, fieldErr("graphql_query", "The configured query is either invalid or a mutation which is not supported by the connector.")
		}
		if op == nil {
			op = o
		}
	}
	if len(doc.Operations) > 1 {
		return nil, fieldErr("graphql_query", "the query holds %d operations; keep one, since the connector sends no operation name", len(doc.Operations))
	}
	p, err := s.requestPlan()
	if err != nil {
		return nil, err
	}
	if s.method == MethodPost && strings.TrimSpace(s.variablesText) != "" {
		obj, err := parseObject(s.variablesText)
		if err != nil {
			return nil, fieldErr("graphql_variables", "GraphQL Variables must be in valid JSON format. Exception: %v", err)
		}
		for _, kv := range obj {
			p.variables[kv.key] = kv.value
		}
	}
	if strings.TrimSpace(s.idMapText) == "" {
		return nil, fieldErr("graphql_object_to_id_map", "GraphQL Objects to ID mapping field is not configured.")
	}
	idMap, err := parseObject(s.idMapText)
	if err != nil {
		return nil, fieldErr("graphql_object_to_id_map", "GraphQL Objects to ID mapping must be in valid JSON format. Exception: %v", err)
	}
	if len(idMap) == 0 {
		return nil, fieldErr("graphql_object_to_id_map", "GraphQL Objects to ID mapping field is not configured.")
	}
	q := &queryDoc{doc: doc}
	for _, kv := range idMap {
		idField, ok := kv.value.(string)
		if !ok || idField == "" {
			return nil, fieldErr("graphql_object_to_id_map", "the id field of %q must be a field name (a string)", kv.key)
		}
		var root ast.SelectionSet
		if op != nil {
			root = op.SelectionSet
		}
		field := q.find(root, strings.Split(kv.key, "."))
		if field == nil {
			return nil, fieldErr("graphql_object_to_id_map", "%s is not present in the query.", kv.key)
		}
		if q.child(field.SelectionSet, idField) == nil {
			return nil, fieldErr("graphql_object_to_id_map", "%s is not present in the query.", idField)
		}
		p.objects = append(p.objects, mapping{path: kv.key, idField: idField})
	}
	if s.pagination == CursorPaginate {
		if err := s.planPagination(p, q, op); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Source) planPagination(p *plan, q *queryDoc, op *ast.OperationDefinition) error {
	if s.paginationKey == "" {
		return fieldErr("pagination_key", "name the paginated field (for example organization.users) for cursor-based pagination")
	}
	var root ast.SelectionSet
	if op != nil {
		root = op.SelectionSet
	}
	path := strings.Split(s.paginationKey, ".")
	field := q.find(root, path)
	if field == nil {
		return fieldErr("pagination_key", "%s is not present in the query.", s.paginationKey)
	}
	last := path[len(path)-1]
	missing := fmt.Sprintf("Pagination is enabled but 'pageInfo' not found. Please include 'pageInfo' field inside '%s' and 'after' argument in '%s'.", last, last)
	after := field.Arguments.ForName("after")
	pageInfo := q.child(field.SelectionSet, "pageInfo")
	if after == nil || pageInfo == nil {
		return fieldErr("graphql_query", "%s", missing)
	}
	if after.Value == nil || after.Value.Kind != ast.Variable {
		return fieldErr("graphql_query", "Pagination is enabled but the 'after' argument of '%s' is not a variable; write after: $cursor and declare $cursor: String in the query.", last)
	}
	for _, sub := range []string{"hasNextPage", "endCursor"} {
		if q.child(pageInfo.SelectionSet, sub) == nil {
			return fieldErr("graphql_query", "Pagination is enabled but the query is missing 'pageInfo'. Please include 'pageInfo { hasNextPage endCursor }' in the query to support pagination.")
		}
	}
	p.pagePath = path
	p.pageVar = after.Value.Raw
	return nil
}

// queryDoc finds fields in a parsed query, looking through fragments.
type queryDoc struct{ doc *ast.QueryDocument }

// find follows a path of response keys (an alias, or the field name) from a selection set.
func (q *queryDoc) find(set ast.SelectionSet, path []string) *ast.Field {
	f := q.child(set, path[0])
	if f == nil || len(path) == 1 {
		return f
	}
	return q.find(f.SelectionSet, path[1:])
}

// child returns the field of set answered under name: its alias, or its name (which the original
// compares).
func (q *queryDoc) child(set ast.SelectionSet, name string) *ast.Field {
	for _, f := range q.fields(set, 0) {
		if f.Alias == name || f.Name == name {
			return f
		}
	}
	return nil
}

// fields flattens a selection set: its fields, and those of its inline fragments and fragment
// spreads.
func (q *queryDoc) fields(set ast.SelectionSet, depth int) []*ast.Field {
	if depth > 32 {
		return nil // fragment cycles are invalid GraphQL; stop rather than loop
	}
	var out []*ast.Field
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			out = append(out, x)
		case *ast.InlineFragment:
			out = append(out, q.fields(x.SelectionSet, depth+1)...)
		case *ast.FragmentSpread:
			if def := q.doc.Fragments.ForName(x.Name); def != nil {
				out = append(out, q.fields(def.SelectionSet, depth+1)...)
			}
		}
	}
	return out
}

// keyValue is one member of a JSON object, in document order.
type keyValue struct {
	key   string
	value any
}

// parseObject reads a JSON object keeping the order of its keys; values are decoded with
// json.Number for numbers.
func parseObject(text string) ([]keyValue, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("expected a JSON object")
	}
	var out []keyValue
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		k := kt.(string)
		replaced := false
		for i := range out {
			if out[i].key == k {
				out[i].value, replaced = v, true // the last one wins, as in Python
			}
		}
		if !replaced {
			out = append(out, keyValue{key: k, value: v})
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

// encodeJSON writes v without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
