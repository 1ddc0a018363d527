package connector

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// FieldType is the declared type of a configuration value; it decides how stored values are
// converted (see [NewConfig]).
type FieldType string

// The field types Kibana and the original service know. TypeFloat is tolerated by the original's
// converter but no source declares it.
const (
	TypeStr   FieldType = "str"
	TypeInt   FieldType = "int"
	TypeBool  FieldType = "bool"
	TypeList  FieldType = "list"
	TypeFloat FieldType = "float"
)

// Display is the widget Kibana renders for a field.
type Display string

// The displays Kibana knows.
const (
	DisplayText     Display = "text"
	DisplayTextarea Display = "textarea"
	DisplayNumeric  Display = "numeric"
	DisplayToggle   Display = "toggle"
	DisplayDropdown Display = "dropdown"
)

// UIAdvanced is the only ui_restrictions value in use: Kibana hides the field under "advanced".
const UIAdvanced = "advanced"

// The validation types the original service applies in [Config.Validate].
const (
	ValidationLessThan    = "less_than"
	ValidationGreaterThan = "greater_than"
	ValidationListType    = "list_type"
	ValidationIncludedIn  = "included_in"
	ValidationRegex       = "regex"
)

// Field declares one configuration field, the object stored under its key in a connector's
// `configuration` and rendered by Kibana.
//
// Zero values mean the original service's defaults, so a declaration only spells out what
// differs: type "str", display "text", order 1, required, not sensitive, value "", no default,
// no dependencies, options, validations or restrictions, no tooltip. Required is expressed as its
// inverse, Optional, so that the zero value matches the original's default (required=true).
type Field struct {
	Key   string
	Label string // empty => upper-cased key, as the original does
	Type  FieldType
	// Display is the Kibana widget; empty => "text".
	Display Display
	// Value is the initial value written into a new connector. nil is written as "" (the
	// original's default); a typed empty slice is written as [].
	Value any
	// DefaultValue replaces an empty value of an optional field. nil is written as null.
	DefaultValue any
	Order        int // 0 => 1
	Optional     bool
	Sensitive    bool
	DependsOn    []Dependency
	Options      []Option
	Validations  []Validation
	Tooltip      string // empty => null
	// UIRestrictions is nil or []string{UIAdvanced}.
	UIRestrictions []string
	// Extra holds additional properties written verbatim next to the standard ones. The original
	// has one such case (github's retry_count carries display_value); keep it for parity only.
	Extra map[string]any
}

// Dependency makes a field relevant only when another field has the given value. A field whose
// dependencies do not all hold is neither required nor validated.
type Dependency struct {
	Field string `json:"field"`
	Value any    `json:"value"`
}

// Option is one entry of a dropdown.
type Option struct {
	Label string `json:"label"`
	Value any    `json:"value"`
}

// Validation is one {type, constraint} rule checked by [Config.Validate].
type Validation struct {
	Type       string `json:"type"`
	Constraint any    `json:"constraint"`
}

// LessThan requires a numeric value strictly below c.
func LessThan(c int) Validation { return Validation{Type: ValidationLessThan, Constraint: c} }

// GreaterThan requires a numeric value strictly above c.
func GreaterThan(c int) Validation { return Validation{Type: ValidationGreaterThan, Constraint: c} }

// ListType requires every list item to be of type "str" or "int".
func ListType(t string) Validation { return Validation{Type: ValidationListType, Constraint: t} }

// IncludedIn requires the value (or each list item) to be one of the given values.
func IncludedIn(values ...any) Validation {
	return Validation{Type: ValidationIncludedIn, Constraint: values}
}

// Regex requires a string value that matches the expression as a whole.
func Regex(expr string) Validation { return Validation{Type: ValidationRegex, Constraint: expr} }

// Options builds dropdown options whose labels equal their values.
func Options(values ...string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Label: v, Value: v}
	}
	return out
}

// standardProperties are the 13 properties the original writes for every field.
var standardProperties = []string{
	"default_value", "depends_on", "display", "label", "options", "order", "required",
	"sensitive", "tooltip", "type", "ui_restrictions", "validations", "value",
}

// EffectiveType is the declared type with the default applied.
func (f Field) EffectiveType() FieldType {
	if f.Type == "" {
		return TypeStr
	}
	return f.Type
}

// EffectiveDisplay is the display with the default applied.
func (f Field) EffectiveDisplay() Display {
	if f.Display == "" {
		return DisplayText
	}
	return f.Display
}

// EffectiveLabel is the label with the original's fallback (the upper-cased key) applied.
func (f Field) EffectiveLabel() string {
	if f.Label == "" {
		return strings.ToUpper(f.Key)
	}
	return f.Label
}

// EffectiveOrder is the order with the default (1) applied.
func (f Field) EffectiveOrder() int {
	if f.Order == 0 {
		return 1
	}
	return f.Order
}

// Required reports whether the field is required (the inverse of Optional).
func (f Field) Required() bool { return !f.Optional }

// Properties renders the object the original stores for this field in a connector's
// `configuration`: all 13 standard properties (null default_value and tooltip, empty lists rather
// than nulls) plus any Extra properties. The result is freshly allocated and safe to modify.
func (f Field) Properties() map[string]any {
	m := map[string]any{
		"default_value":   cloneValue(f.DefaultValue),
		"depends_on":      []any{},
		"display":         string(f.EffectiveDisplay()),
		"label":           f.EffectiveLabel(),
		"options":         []any{},
		"order":           f.EffectiveOrder(),
		"required":        f.Required(),
		"sensitive":       f.Sensitive,
		"tooltip":         nil,
		"type":            string(f.EffectiveType()),
		"ui_restrictions": []any{},
		"validations":     []any{},
		"value":           "",
	}
	if f.Value != nil {
		m["value"] = cloneValue(f.Value)
	}
	if f.Tooltip != "" {
		m["tooltip"] = f.Tooltip
	}
	deps := make([]any, 0, len(f.DependsOn))
	for _, d := range f.DependsOn {
		deps = append(deps, map[string]any{"field": d.Field, "value": cloneValue(d.Value)})
	}
	m["depends_on"] = deps
	opts := make([]any, 0, len(f.Options))
	for _, o := range f.Options {
		opts = append(opts, map[string]any{"label": o.Label, "value": cloneValue(o.Value)})
	}
	m["options"] = opts
	vals := make([]any, 0, len(f.Validations))
	for _, v := range f.Validations {
		vals = append(vals, map[string]any{"type": v.Type, "constraint": cloneValue(v.Constraint)})
	}
	m["validations"] = vals
	ui := make([]any, 0, len(f.UIRestrictions))
	for _, r := range f.UIRestrictions {
		ui = append(ui, r)
	}
	m["ui_restrictions"] = ui
	for k, v := range f.Extra {
		if _, std := m[k]; !std {
			m[k] = cloneValue(v)
		}
	}
	return m
}

// FieldFromProperties parses a stored field object (as read from Elasticsearch) into a Field.
// Missing properties take the original's defaults. It fails, naming the key and property, when a
// property has the wrong JSON type.
func FieldFromProperties(key string, props map[string]any) (Field, error) {
	f := Field{Key: key}
	bad := func(prop string, v any) error {
		return fmt.Errorf("configuration field %q: property %q has unexpected value %s", key, prop, pyRepr(v))
	}
	for prop, v := range props {
		switch prop {
		case "default_value":
			f.DefaultValue = cloneValue(v)
		case "value":
			// A stored null comes back as nil and is rendered as "", the original's default;
			// the original itself never stores a null value.
			f.Value = cloneValue(v)
		case "label":
			s, ok := v.(string)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Label = s
		case "tooltip":
			s, ok := v.(string)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Tooltip = s
		case "type":
			s, ok := v.(string)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Type = FieldType(s)
		case "display":
			s, ok := v.(string)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Display = Display(s)
		case "order":
			if v == nil {
				continue
			}
			n, ok := asInt(v)
			if !ok {
				return f, bad(prop, v)
			}
			f.Order = n
		case "required":
			b, ok := v.(bool)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Optional = v != nil && !b
		case "sensitive":
			b, ok := v.(bool)
			if !ok && v != nil {
				return f, bad(prop, v)
			}
			f.Sensitive = b
		case "depends_on":
			if !eachObject(v, func(m map[string]any) {
				name, _ := m["field"].(string)
				f.DependsOn = append(f.DependsOn, Dependency{Field: name, Value: cloneValue(m["value"])})
			}) {
				return f, bad(prop, v)
			}
		case "options":
			if !eachObject(v, func(m map[string]any) {
				label, _ := m["label"].(string)
				f.Options = append(f.Options, Option{Label: label, Value: cloneValue(m["value"])})
			}) {
				return f, bad(prop, v)
			}
		case "validations":
			if !eachObject(v, func(m map[string]any) {
				typ, _ := m["type"].(string)
				f.Validations = append(f.Validations, Validation{Type: typ, Constraint: cloneValue(m["constraint"])})
			}) {
				return f, bad(prop, v)
			}
		case "ui_restrictions":
			items, ok := asList(v)
			if !ok {
				return f, bad(prop, v)
			}
			for _, it := range items {
				s, ok := it.(string)
				if !ok {
					return f, bad(prop, v)
				}
				f.UIRestrictions = append(f.UIRestrictions, s)
			}
		default:
			if f.Extra == nil {
				f.Extra = map[string]any{}
			}
			f.Extra[prop] = cloneValue(v)
		}
	}
	return f, nil
}

// asList accepts nil (treated as empty) and any slice.
// eachObject calls f for every element of a list of objects; it reports
// false, having called f for none, when v is not such a list.
func eachObject(v any, f func(map[string]any)) bool {
	items, ok := asList(v)
	if !ok {
		return false
	}
	objs := make([]map[string]any, len(items))
	for i, it := range items {
		if objs[i], ok = it.(map[string]any); !ok {
			return false
		}
	}
	for _, m := range objs {
		f(m)
	}
	return true
}

func asList(v any) ([]any, bool) {
	if v == nil {
		return nil, true
	}
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// cloneValue deep-copies the JSON-like containers of v so callers may mutate rendered objects.
// Typed slices become []any and typed string maps map[string]any, which is what a JSON round trip
// would produce anyway.
func cloneValue(v any) any {
	switch t := v.(type) {
	case nil, string, bool, int, int64, float64:
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = cloneValue(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneValue(x)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return v
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = cloneValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return v
		}
		out := make(map[string]any, rv.Len())
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			out[k.String()] = cloneValue(rv.MapIndex(k).Interface())
		}
		return out
	}
	return v
}
