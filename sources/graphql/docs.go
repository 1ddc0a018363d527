package graphql

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/pyfmt"
)

// Docs runs the query (page after page with cursor pagination) and emits the mapped objects.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := s.plan()
	if err != nil {
		return err
	}
	variables := maps.Clone(p.variables)
	if p.pageVar == "" {
		data, err := s.execute(ctx, p, s.query, variables)
		if err != nil {
			return err
		}
		return s.emitObjects(data, p, emit)
	}

	// A resumed job starts at the page after the last one it finished.
	cursor := ""
	if c, ok := req.Checkpoint["after"].(string); ok && c != "" {
		cursor = c
		variables[p.pageVar] = c
	}
	for page := 1; ; page++ {
		data, err := s.execute(ctx, p, s.query, variables)
		if err != nil {
			if ctx.Err() != nil || page == 1 {
				return err
			}
			// The pages after this cursor cannot be read: what came before stays, and nothing is
			// deleted in this sync.
			scope := fmt.Sprintf("GraphQL pages of %s after cursor %q", s.paginationKey, cursor)
			s.log.Warn("A page failed after retries; nothing is deleted in this sync", "page", page, "error", err)
			req.ReportIncomplete(scope, err)
			return nil
		}
		hasNext, end, err := pageInfo(data, p.pagePath)
		if err != nil {
			return err
		}
		if err := s.emitObjects(data, p, emit); err != nil {
			return err
		}
		if !hasNext || end == "" {
			return nil
		}
		if end == cursor {
			return fmt.Errorf("GraphQL endpoint %s returned the same endCursor %q twice for %s; stopping instead of asking for the same page forever", s.where(), end, s.paginationKey)
		}
		cursor = end
		variables[p.pageVar] = end
		req.SaveCheckpoint(map[string]any{"after": end})
	}
}

// pageInfo reads pageInfo { hasNextPage endCursor } at the paginated field.
func pageInfo(data map[string]any, path []string) (bool, string, error) {
	var cur any = data
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return false, "", fieldErr("pagination_key", "Found list while processing Pagination key. Please check the query and provide path upto dictionary.")
		}
		v, ok := m[key]
		if !ok {
			return false, "", fieldErr("pagination_key", "Pagination key: %s not found in the response. Please check the query.", key)
		}
		cur = v
	}
	missing := fieldErr("graphql_query", "Pagination is enabled but the query is missing 'pageInfo'. Please include 'pageInfo { hasNextPage endCursor }' in the query to support pagination.")
	m, ok := cur.(map[string]any)
	if !ok {
		return false, "", missing
	}
	info, ok := m["pageInfo"].(map[string]any)
	if !ok || len(info) == 0 {
		return false, "", missing
	}
	hasNextRaw, ok1 := info["hasNextPage"]
	endRaw, ok2 := info["endCursor"]
	if !ok1 || !ok2 {
		return false, "", missing
	}
	hasNext, _ := hasNextRaw.(bool)
	end, _ := endRaw.(string)
	return hasNext, end, nil
}

// emitObjects emits the objects found at every mapped path of one response, in the order of the
// mapping.
func (s *Source) emitObjects(data map[string]any, p *plan, emit func(connector.Document) error) error {
	for _, m := range p.objects {
		var cur any = data
		keys := strings.Split(m.path, ".")
		for i, key := range keys {
			obj, ok := cur.(map[string]any)
			if !ok {
				if cur == nil {
					// The original reports this as a list; a null (often a permission problem or
					// a missing object) says more.
					return fieldErr("graphql_object_to_id_map", "%s is null in the response, so %s cannot be read. Please check the query.", strings.Join(keys[:i], "."), m.path)
				}
				return fieldErr("graphql_object_to_id_map", "Found list while processing GraphQL Objects List. Please check the query and provide path upto dictionary.")
			}
			v, ok := obj[key]
			if !ok {
				return fieldErr("graphql_object_to_id_map", "%s not found in the response. Please check the query.", key)
			}
			cur = v
		}
		switch x := cur.(type) {
		case map[string]any:
			if len(x) == 0 {
				continue
			}
			if err := s.emitObject(x, m, emit); err != nil {
				return err
			}
		case []any:
			for _, item := range x {
				obj, ok := item.(map[string]any)
				if !ok {
					s.log.Warn("An item of a mapped list is not an object; skipped", "path", m.path)
					continue
				}
				if err := s.emitObject(obj, m, emit); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// emitObject emits one object as the original does: the object verbatim with the id field's value
// as id, or nothing (with a warning) when that value is missing or empty. An id that is not a
// string fails the sync, as in the original.
func (s *Source) emitObject(obj map[string]any, m mapping, emit func(connector.Document) error) error {
	raw := obj[m.idField]
	if falsy(raw) {
		s.log.Warn("Object skipped: its id field is missing or empty", "path", m.path, "id_field", m.idField)
		return nil
	}
	id, ok := raw.(string)
	if !ok {
		return fmt.Errorf("configuration field %q: %s is not a string. (the %q field of the objects at %s must hold a string id)",
			"graphql_object_to_id_map", pyStr(raw), m.idField, m.path)
	}
	fields := make(map[string]any, len(obj))
	for k, v := range obj {
		fields[k] = jsonValue(v)
	}
	for _, k := range connector.ReservedKeys() {
		delete(fields, k)
	}
	doc := connector.Document{ID: id, Timestamp: connector.FormatTime(s.now()), Fields: fields}
	if err := emit(doc); err != nil {
		return connector.DocError(id, err)
	}
	return nil
}

// falsy is Python's truth test on a decoded JSON value.
func falsy(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// jsonValue keeps integers verbatim and turns other numbers into floats, as Python's json module
// reads them, so that 1.0 is indexed as 1.0 and 1e3 as 1000.0.
func jsonValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if s == "-0" {
				return json.Number("0")
			}
			return x
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}

// pyStr renders a value as Python's str() would in the original's message.
func pyStr(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		return pyfmt.Repr(jsonValue(v))
	}
	return pyfmt.Str(jsonValue(v))
}
