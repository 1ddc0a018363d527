package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// rulesSchema is the original's schema for advanced rules: a list of {database, key_pattern,
// type}, database required, and key_pattern or type (or both).
var rulesSchema = &schemacheck.Schema{
	Type: []string{"array"},
	Items: &schemacheck.Schema{
		Type: []string{"object"},
		AnyOf: []*schemacheck.Schema{
			{Required: []string{"key_pattern"}},
			{Required: []string{"type"}},
		},
		Required: []string{"database"},
		Properties: []schemacheck.Property{
			// The original also declares minLength 1 for database, which JSON schema ignores for
			// numbers.
			{Name: "database", Schema: &schemacheck.Schema{Type: []string{"integer"}, Minimum: schemacheck.Num(0)}},
			{Name: "key_pattern", Schema: &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}},
			{Name: "type", Schema: &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}},
		},
		NoAdditional: true,
	},
}

// rule is one advanced rule.
type rule struct {
	Database   int
	KeyPattern string
	Type       string
}

// decodeRules accepts the snippet as the service hands it over (decoded JSON), or as JSON text.
func decodeRules(v any) (any, error) {
	if s, ok := v.(string); ok {
		var out any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("not valid JSON: %v", err)
		}
		return out, nil
	}
	return v, nil
}

// parseRules checks the rules against the schema and returns them.
func parseRules(v any) ([]rule, error) {
	v, err := decodeRules(v)
	if err != nil {
		return nil, err
	}
	if msg := rulesSchema.Validate(v); msg != "" {
		return nil, fmt.Errorf("%s", msg)
	}
	list := v.([]any)
	out := make([]rule, 0, len(list))
	for _, item := range list {
		m := item.(map[string]any)
		r := rule{Database: toInt(m["database"])}
		r.KeyPattern, _ = m["key_pattern"].(string)
		r.Type, _ = m["type"].(string)
		out = append(out, r)
	}
	return out, nil
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// ValidateAdvancedRules checks the rules as the original does: the schema first, then that
// every rule's database can be selected on the server.
func (s *Source) ValidateAdvancedRules(ctx context.Context, raw any) ([]string, error) {
	v, err := decodeRules(raw)
	if err != nil {
		return []string{"Advanced rules are " + err.Error()}, nil
	}
	if l, ok := v.([]any); ok && len(l) == 0 {
		return nil, nil
	}
	rules, err := parseRules(v)
	if err != nil {
		return []string{err.Error()}, nil
	}
	defer s.interruptOnCancel(ctx)()
	var invalid []string
	checked := map[int]error{}
	for _, r := range rules {
		selErr, done := checked[r.Database]
		if !done {
			selErr = s.selectable(ctx, r.Database)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if selErr != nil && isConnError(selErr) {
				return nil, s.connError(ctx, selErr)
			}
			checked[r.Database] = selErr
		}
		if selErr != nil {
			invalid = append(invalid, fmt.Sprint(r.Database))
		}
	}
	if len(invalid) > 0 {
		return []string{fmt.Sprintf("Database %s are not available.", strings.Join(invalid, ","))}, nil
	}
	return nil, nil
}
