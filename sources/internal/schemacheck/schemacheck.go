// Package schemacheck validates decoded JSON (advanced sync rules) against a small JSON-schema
// subset and words the first problem the way the original's validator library (fastjsonschema,
// draft-07) does, e.g. "data[0] must contain ['database'] properties": users have seen these
// messages in Kibana and documentation quotes them.
//
// Like that library it stops at the first problem and checks the keywords of one schema in a
// fixed order (type, anyOf, minLength, minimum, minItems, items, minProperties, maxProperties,
// required, properties, additionalProperties), properties in declaration order.
package schemacheck

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// Schema is one (sub)schema. Nil pointers and empty slices mean "keyword absent".
type Schema struct {
	// Type lists the accepted JSON types: null, boolean, integer, number, string, array, object.
	Type          []string
	AnyOf         []*Schema
	MinLength     *int
	Minimum       *float64
	MinItems      *int
	Items         *Schema
	MinProperties *int
	MaxProperties *int
	Required      []string
	// Properties are checked in this order.
	Properties []Property
	// NoAdditional rejects keys not named in Properties (additionalProperties: false).
	NoAdditional bool
	// OnlySpecified words NoAdditional's message as older fastjsonschema releases did ("must
	// contain only specified properties", without the keys) instead of 2.16's "must not contain
	// {'x'} properties". The SQL sources print it (their tests fix it); whether the original
	// prints it for them is to be checked against it.
	OnlySpecified bool
}

// Property is one named property of an object schema.
type Property struct {
	Name   string
	Schema *Schema
}

// Int returns a pointer to n, for the optional numeric keywords.
func Int(n int) *int { return &n }

// Num returns a pointer to f, for Minimum.
func Num(f float64) *float64 { return &f }

// Validate checks v (as decoded from JSON: nil, bool, string, float64, json.Number, int types,
// []any, map[string]any) and returns the first problem's message, or "" when v is valid.
func (s *Schema) Validate(v any) string {
	return s.check(v, "data")
}

func (s *Schema) check(v any, name string) string {
	if len(s.Type) > 0 && !hasType(v, s.Type) {
		return fmt.Sprintf("%s must be %s", name, strings.Join(s.Type, " or "))
	}
	if len(s.AnyOf) > 0 {
		ok := false
		for _, sub := range s.AnyOf {
			if sub.check(v, name) == "" {
				ok = true
				break
			}
		}
		if !ok {
			return name + " cannot be validated by any definition"
		}
	}
	if s.MinLength != nil {
		if str, isStr := v.(string); isStr && len([]rune(str)) < *s.MinLength {
			return fmt.Sprintf("%s must be longer than or equal to %d characters", name, *s.MinLength)
		}
	}
	if s.Minimum != nil {
		if f, isNum := number(v); isNum && f < *s.Minimum {
			return fmt.Sprintf("%s must be bigger than or equal to %s", name, formatNum(*s.Minimum))
		}
	}
	list, isList := v.([]any)
	if s.MinItems != nil && isList && len(list) < *s.MinItems {
		return fmt.Sprintf("%s must contain at least %d items", name, *s.MinItems)
	}
	if s.Items != nil && isList {
		for i, item := range list {
			if msg := s.Items.check(item, fmt.Sprintf("%s[%d]", name, i)); msg != "" {
				return msg
			}
		}
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return ""
	}
	if s.MinProperties != nil && len(obj) < *s.MinProperties {
		return fmt.Sprintf("%s must contain at least %d properties", name, *s.MinProperties)
	}
	if s.MaxProperties != nil && len(obj) > *s.MaxProperties {
		return fmt.Sprintf("%s must contain less than or equal to %d properties", name, *s.MaxProperties)
	}
	for _, r := range s.Required {
		if _, ok := obj[r]; !ok {
			return fmt.Sprintf("%s must contain %s properties", name, pyfmt.Repr(s.Required))
		}
	}
	known := map[string]bool{}
	for _, p := range s.Properties {
		known[p.Name] = true
		if pv, ok := obj[p.Name]; ok {
			if msg := p.Schema.check(pv, name+"."+p.Name); msg != "" {
				return msg
			}
		}
	}
	if s.NoAdditional {
		var extra []string
		for k := range obj {
			if !known[k] {
				extra = append(extra, pyfmt.Quote(k))
			}
		}
		if len(extra) > 0 && s.OnlySpecified {
			return name + " must contain only specified properties"
		}
		if len(extra) > 0 {
			// The original prints a Python set, whose order is arbitrary; sorted is as good.
			sort.Strings(extra)
			return fmt.Sprintf("%s must not contain {%s} properties", name, strings.Join(extra, ", "))
		}
	}
	return ""
}

func hasType(v any, types []string) bool {
	for _, t := range types {
		if isType(v, t) {
			return true
		}
	}
	return false
}

func isType(v any, t string) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		return IsInteger(v)
	}
	return false
}

// IsInteger reports whether v is a JSON integer. A float64 with no fractional part counts: the
// service decodes rules without telling 5 from 5.0 apart.
func IsInteger(v any) bool {
	switch n := v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return n == math.Trunc(n) && !math.IsInf(n, 0)
	case json.Number:
		_, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func formatNum(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	return pyfmt.Float(f)
}
