package s3

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// rule is one advanced sync rule: list bucket (under prefix) and keep only the keys whose
// extension is one of extensions, when given.
type rule struct {
	Bucket     string
	Prefix     string
	Extensions []any
}

// validateRules checks a snippet against the original's JSON schema (an array of objects with a
// required non-empty string "bucket", an optional string "prefix", an optional array
// "extension", nothing else) and returns the original's message for the first violation, in the
// order its schema validator checks, or "" when valid. An empty snippet is valid.
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
	list, ok := v.([]any)
	if !ok {
		return "data must be array"
	}
	for i, item := range list {
		name := fmt.Sprintf("data[%d]", i)
		obj, ok := item.(map[string]any)
		if !ok {
			return name + " must be object"
		}
		if _, ok := obj["bucket"]; !ok {
			return name + " must contain ['bucket'] properties"
		}
		if b, ok := obj["bucket"].(string); !ok {
			return name + ".bucket must be string"
		} else if len([]rune(b)) < 1 {
			return name + ".bucket must be longer than or equal to 1 characters"
		}
		if p, ok := obj["prefix"]; ok {
			if _, ok := p.(string); !ok {
				return name + ".prefix must be string"
			}
		}
		if e, ok := obj["extension"]; ok {
			if _, ok := e.([]any); !ok {
				return name + ".extension must be array"
			}
		}
		var extra []string
		for k := range obj {
			if k != "bucket" && k != "prefix" && k != "extension" {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			quoted := make([]string, len(extra))
			for j, k := range extra {
				quoted[j] = pyfmt.Quote(k)
			}
			return name + " must not contain {" + strings.Join(quoted, ", ") + "} properties"
		}
	}
	return ""
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
