package s3

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/connectors-go/connectors/sources/internal/schemacheck"
)

// rule is one advanced sync rule: list bucket (under prefix) and keep only the keys whose
// extension is one of extensions, when given.
type rule struct {
	Bucket     string
	Prefix     string
	Extensions []any
}

// rulesSchema is the original's JSON schema for the advanced rules: an array of objects with a
// required non-empty string "bucket", an optional string "prefix", an optional array
// "extension", and nothing else.
var rulesSchema = &schemacheck.Schema{
	Type: []string{"array"},
	Items: &schemacheck.Schema{
		Type:     []string{"object"},
		Required: []string{"bucket"},
		Properties: []schemacheck.Property{
			{Name: "bucket", Schema: &schemacheck.Schema{Type: []string{"string"}, MinLength: schemacheck.Int(1)}},
			{Name: "prefix", Schema: &schemacheck.Schema{Type: []string{"string"}}},
			{Name: "extension", Schema: &schemacheck.Schema{Type: []string{"array"}}},
		},
		NoAdditional: true,
	},
}

// validateRules returns the original's message for the first problem of a snippet, or "" when it
// is valid. An empty snippet is valid (no rules).
func validateRules(v any) string {
	v = decoded(v)
	switch x := v.(type) {
	case nil:
		return ""
	case map[string]any:
		if len(x) == 0 {
			return ""
		}
	case string:
		if x == "" {
			return ""
		}
	}
	return rulesSchema.Validate(v)
}

// parseRules reads a snippet the service has validated.
func parseRules(v any) ([]rule, error) {
	if msg := validateRules(v); msg != "" {
		return nil, fmt.Errorf("advanced sync rules: %s", msg)
	}
	list, _ := decoded(v).([]any)
	out := make([]rule, 0, len(list))
	for _, item := range list {
		obj := item.(map[string]any)
		r := rule{Bucket: obj["bucket"].(string)}
		r.Prefix, _ = obj["prefix"].(string)
		if e, ok := obj["extension"].([]any); ok && len(e) > 0 {
			r.Extensions = e
		}
		out = append(out, r)
	}
	return out, nil
}

// decoded turns a snippet kept as raw JSON into values.
func decoded(v any) any {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		return v
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}

// hasExtension reports whether key's extension is one of the rule's, compared as the original
// does: exactly, with the dot and the key's case (".txt" does not match "a.TXT", nor "txt").
func hasExtension(key string, extensions []any) bool {
	ext := splitExt(key)
	for _, e := range extensions {
		if s, ok := e.(string); ok && s == ext {
			return true
		}
	}
	return false
}

// splitExt is Python's os.path.splitext(key)[1]: the last dot of the last path element and what
// follows, unless the dot only starts the name.
func splitExt(key string) string {
	base := key
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 || strings.TrimLeft(base[:dot], ".") == "" {
		return ""
	}
	return base[dot:]
}
