package connector

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// redacted replaces the value of a sensitive field wherever a value would be shown.
const redacted = "********"

// Config is a connector's configuration as a source sees it: the stored `configuration` object
// converted with the declared field types. Build it with [NewConfig] (or Factory.NewConfig).
//
// A Config never prints the value of a sensitive field: fmt verbs, LogValue and every error it
// returns show "********" instead.
type Config struct {
	entries  []*entry // stored fields, by order then key
	byKey    map[string]*entry
	declared []Field
}

type entry struct {
	field Field // effective properties: stored where present, else declared
	value any   // converted value
}

// NewConfig builds a Config from a connector's stored `configuration` map (as decoded from
// Elasticsearch) and the source's declared fields, following the original service's rules:
//
//   - a stored object contributes its default_value, depends_on, label, required, type,
//     validations and value; properties it lacks come from the declared field (the original falls
//     back to generic defaults; the stored object normally has them all, so this only matters for
//     hand-written configurations);
//   - a stored plain value (not an object) is taken as that field's value; an undeclared one
//     becomes a str field labelled with the capitalised key;
//   - a declared field's type overrides the stored type, and the value is converted to it: list
//     from a comma-separated string (trimmed, empties dropped), int and bool casting, "" or null
//     to null for int/bool/float and to "" for str (bool strings such as "false" are false, a
//     deliberate fix: the original treats any non-empty string as true);
//   - an optional field whose value is empty takes its default_value.
//
// sensitive is taken from the declaration or the stored object, whichever says true. Keys that
// are declared but not stored are reported by [Config.MissingFields], not here. NewConfig fails
// only when a value cannot be converted (an int field holding "abc"); the error names the key.
func NewConfig(stored map[string]any, fields []Field) (*Config, error) {
	c := &Config{byKey: make(map[string]*entry, len(stored)), declared: fields}
	declared := make(map[string]Field, len(fields))
	for _, f := range fields {
		declared[f.Key] = f
	}
	for key, raw := range stored {
		d, isDeclared := declared[key]
		f := d
		if !isDeclared {
			f = Field{Key: key, Label: capitalize(key)}
		}
		var value any
		if obj, ok := raw.(map[string]any); ok {
			parsed, err := FieldFromProperties(key, obj)
			if err != nil {
				return nil, err
			}
			if !isDeclared {
				f = Field{Key: key}
			}
			for prop := range obj {
				switch prop {
				case "default_value":
					f.DefaultValue = parsed.DefaultValue
				case "depends_on":
					f.DependsOn = parsed.DependsOn
				case "label":
					f.Label = parsed.Label
				case "required":
					f.Optional = parsed.Optional
				case "type":
					if !isDeclared {
						f.Type = parsed.Type
					}
				case "validations":
					f.Validations = parsed.Validations
				case "sensitive":
					f.Sensitive = f.Sensitive || parsed.Sensitive
				case "display", "options", "order", "tooltip", "ui_restrictions":
					if !isDeclared {
						setProperty(&f, parsed, prop)
					}
				}
			}
			value = obj["value"]
		} else {
			value = raw
		}
		if f.Label == "" {
			f.Label = f.EffectiveLabel()
		}
		v, err := convert(value, f.EffectiveType())
		if err == nil && f.Optional && isEmpty(v) {
			v, err = convert(f.DefaultValue, f.EffectiveType())
		}
		if err != nil {
			if f.Sensitive {
				return nil, fmt.Errorf("configuration field %q: the value cannot be converted to type %s", key, f.EffectiveType())
			}
			return nil, fmt.Errorf("configuration field %q: %w", key, err)
		}
		e := &entry{field: f, value: v}
		c.entries = append(c.entries, e)
		c.byKey[key] = e
	}
	sort.Slice(c.entries, func(i, j int) bool {
		a, b := c.entries[i].field, c.entries[j].field
		if a.EffectiveOrder() != b.EffectiveOrder() {
			return a.EffectiveOrder() < b.EffectiveOrder()
		}
		return a.Key < b.Key
	})
	return c, nil
}

func setProperty(dst *Field, src Field, prop string) {
	switch prop {
	case "display":
		dst.Display = src.Display
	case "options":
		dst.Options = src.Options
	case "order":
		dst.Order = src.Order
	case "tooltip":
		dst.Tooltip = src.Tooltip
	case "ui_restrictions":
		dst.UIRestrictions = src.UIRestrictions
	}
}

// capitalize is Python's str.capitalize: first character upper case, the rest lower case.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

// Has reports whether the key is present in the stored configuration.
func (c *Config) Has(key string) bool {
	_, ok := c.byKey[key]
	return ok
}

// Keys lists the stored keys by order, then name.
func (c *Config) Keys() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.field.Key
	}
	return out
}

// Field returns the effective field for a stored key: the declaration overlaid with the stored
// properties.
func (c *Config) Field(key string) (Field, bool) {
	e, ok := c.byKey[key]
	if !ok {
		return Field{}, false
	}
	return e.field, true
}

// Sensitive reports whether a key holds a secret.
func (c *Config) Sensitive(key string) bool {
	if e, ok := c.byKey[key]; ok {
		return e.field.Sensitive
	}
	for _, f := range c.declared {
		if f.Key == key {
			return f.Sensitive
		}
	}
	return false
}

// Value returns the converted value of key: string, int, float64, bool, []any or nil. A key
// missing from the stored configuration yields the declared initial value converted to the
// declared type, as the original's get() falls back to the source default; an unknown key yields
// nil.
func (c *Config) Value(key string) any {
	if e, ok := c.byKey[key]; ok {
		return e.value
	}
	for _, f := range c.declared {
		if f.Key == key {
			v, err := convert(f.Value, f.EffectiveType())
			if err != nil {
				return nil
			}
			return v
		}
	}
	return nil
}

// String returns the value of key as a string ("" when null).
func (c *Config) String(key string) string {
	switch v := c.Value(key).(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return pyStr(v)
	}
}

// Int returns the value of key as an int (0 when null or not numeric).
func (c *Config) Int(key string) int {
	v, _ := c.IntOK(key)
	return v
}

// IntOK returns the value of key as an int and whether it was set and numeric, for optional int
// fields without a default where 0 and "unset" differ.
func (c *Config) IntOK(key string) (int, bool) {
	switch v := normalize(c.Value(key)).(type) {
	case int:
		return v, true
	case float64:
		return int(v), true
	}
	return 0, false
}

// Float returns the value of key as a float64 (0 when null or not numeric).
func (c *Config) Float(key string) float64 {
	f, _ := asNumber(c.Value(key))
	return f
}

// Bool returns the value of key as a bool (false when null).
func (c *Config) Bool(key string) bool {
	return toBool(normalize(c.Value(key)))
}

// List returns the value of key as a list of strings; non-string items are rendered as Python
// would print them.
func (c *Config) List(key string) []string {
	v, err := toList(normalize(c.Value(key)))
	if err != nil {
		return nil
	}
	items := v.([]any)
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = pyStr(it)
	}
	return out
}

// MissingFieldsError lists declared keys that the stored configuration lacks.
type MissingFieldsError struct {
	Keys []string
}

func (e *MissingFieldsError) Error() string {
	return "Connector has missing configuration fields: " + strings.Join(e.Keys, ", ")
}

// MissingFields returns a *MissingFieldsError when declared keys are absent from the stored
// configuration (the original's validate_config_fields), nil otherwise. Extra stored keys are
// ignored, as in the original.
func (c *Config) MissingFields() error {
	var missing []string
	for _, f := range c.declared {
		if _, ok := c.byKey[f.Key]; !ok {
			missing = append(missing, f.Key)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingFieldsError{Keys: missing}
}

// FieldError is one validation failure. Message is the original's text, which names the field by
// its label (that is what the user sees in Kibana); Key names it for programs and logs.
type FieldError struct {
	Key     string
	Label   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// ValidationError collects the field errors of [Config.Validate]. Its message is the original's:
// "Field validation errors: a; b".
type ValidationError struct {
	Errors []*FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		msgs[i] = fe.Message
	}
	return "Field validation errors: " + strings.Join(msgs, "; ")
}

// Unwrap exposes the individual field errors to errors.As.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		out[i] = fe
	}
	return out
}

// Validate applies the original's check_valid to every stored field, in order: fields whose
// depends_on do not all hold are skipped; a required field with an empty value gives
// "'<label>' cannot be empty."; then the less_than, greater_than, list_type, included_in and regex
// validations run with the original's messages, collected into a *ValidationError.
//
// A depends_on naming a field that does not exist fails at once with the original's message
// (returned as a *FieldError). Two deliberate changes: an optional field whose value is still
// empty is not validated (the original crashes on a null value under a numeric validation), and a
// sensitive field's value is shown as "********".
func (c *Config) Validate() error {
	var errs []*FieldError
	for _, e := range c.entries {
		ok, err := c.dependenciesHold(e)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		f := e.field
		label := f.Label
		if f.Required() && isEmpty(e.value) {
			errs = append(errs, &FieldError{Key: f.Key, Label: label, Message: fmt.Sprintf("'%s' cannot be empty.", label)})
			continue
		}
		if isEmpty(e.value) {
			continue
		}
		for _, v := range f.Validations {
			for _, msg := range validateOne(e, v) {
				errs = append(errs, &FieldError{Key: f.Key, Label: label, Message: msg})
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: errs}
}

// DependenciesHold reports whether every depends_on of a stored field holds, i.e. whether the
// field is relevant (Kibana shows it, Validate checks it). It is false for unknown keys and for
// dependencies on missing fields.
func (c *Config) DependenciesHold(key string) bool {
	e, ok := c.byKey[key]
	if !ok {
		return false
	}
	hold, err := c.dependenciesHold(e)
	return err == nil && hold
}

func (c *Config) dependenciesHold(e *entry) (bool, error) {
	for _, d := range e.field.DependsOn {
		ref, ok := c.byKey[d.Field]
		if !ok {
			return false, &FieldError{
				Key:     e.field.Key,
				Label:   e.field.Label,
				Message: fmt.Sprintf("'%s' depends on configuration '%s', but it does not exist.", e.field.Label, d.Field),
			}
		}
		if !equalValues(ref.value, d.Value) {
			return false, nil
		}
	}
	return true, nil
}

// show renders a value for a message, hiding secrets.
func (e *entry) show(v any) string {
	if e.field.Sensitive {
		return redacted
	}
	return pyStr(v)
}

func validateOne(e *entry, v Validation) []string {
	label := e.field.Label
	value := e.value
	switch v.Type {
	case ValidationLessThan, ValidationGreaterThan:
		c, cok := asNumber(v.Constraint)
		n, nok := asNumber(value)
		less := v.Type == ValidationLessThan
		if cok && nok && ((less && n < c) || (!less && n > c)) {
			return nil
		}
		word := "less"
		if !less {
			word = "greater"
		}
		return []string{fmt.Sprintf("'%s' value '%s' should be %s than %s.", label, e.show(value), word, pyStr(v.Constraint))}
	case ValidationListType:
		items, ok := value.([]any)
		if !ok {
			return []string{fmt.Sprintf("Cannot list_type validate '%s' because its value '%s' is not a list.", label, e.show(value))}
		}
		want := pyStr(v.Constraint)
		var out []string
		for _, it := range items {
			var good bool
			switch want {
			case "str":
				_, good = it.(string)
			case "int":
				_, good = normalize(it).(int)
			}
			if !good {
				out = append(out, fmt.Sprintf("'%s' list value '%s' should be of type %s.", label, e.show(it), want))
			}
		}
		return out
	case ValidationIncludedIn:
		allowed, _ := asList(v.Constraint)
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = pyStr(a)
		}
		check := func(item any) string {
			for _, a := range allowed {
				if equalValues(item, a) {
					return ""
				}
			}
			return fmt.Sprintf("'%s' list value '%s' should be one of %s.", label, e.show(item), strings.Join(names, ", "))
		}
		var out []string
		if items, ok := value.([]any); ok {
			for _, it := range items {
				if msg := check(it); msg != "" {
					out = append(out, msg)
				}
			}
		} else if msg := check(value); msg != "" {
			out = append(out, msg)
		}
		return out
	case ValidationRegex:
		s, ok := value.(string)
		if !ok {
			return []string{fmt.Sprintf("Cannot regex validate '%s' because '%s' is not a string.", label, e.show(value))}
		}
		expr := pyStr(v.Constraint)
		re, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			return []string{fmt.Sprintf("'%s' regex %s cannot be compiled: %v", label, expr, err)}
		}
		if !re.MatchString(s) {
			return []string{fmt.Sprintf("'%s' value '%s' failed regex check %s.", label, e.show(value), expr)}
		}
	}
	return nil
}

// equalValues compares converted values the way Python's == compares the decoded JSON values.
func equalValues(a, b any) bool {
	a, b = normalize(a), normalize(b)
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValues(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalValues(xv, yv) {
				return false
			}
		}
		return true
	case int, float64:
		xn, _ := asNumber(x)
		yn, ok := asNumber(b)
		return ok && xn == yn
	}
	return a == b
}

// Format prints the configuration as key=value pairs with secrets hidden, for every verb (%v,
// %+v, %#v, %s), so a Config dropped into a log line or error cannot leak a secret. (Config
// cannot be a fmt.Stringer: String is the typed accessor.)
func (c *Config) Format(s fmt.State, verb rune) {
	_, _ = io.WriteString(s, c.redacted())
}

func (c *Config) redacted() string {
	parts := make([]string, len(c.entries))
	for i, e := range c.entries {
		parts[i] = e.field.Key + "=" + e.display()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// LogValue makes slog print the configuration with secrets hidden.
func (c *Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(c.entries))
	for i, e := range c.entries {
		if e.field.Sensitive {
			attrs[i] = slog.String(e.field.Key, redacted)
		} else {
			attrs[i] = slog.Any(e.field.Key, e.value)
		}
	}
	return slog.GroupValue(attrs...)
}

func (e *entry) display() string {
	if e.field.Sensitive {
		return redacted
	}
	return pyRepr(e.value)
}
