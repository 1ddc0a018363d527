package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Factory describes one service type: everything the service needs to write the connector
// document (display name, features, configuration schema) and to build a [Source].
//
// A source package declares one Factory and registers it from init:
//
//	func init() { connector.Register(Factory) }
type Factory struct {
	// ServiceType is the connector's `service_type`, e.g. "dir". Lower-case letters, digits,
	// '_' and '-'.
	ServiceType string
	// DisplayName is the human name, e.g. "System Directory" (the original's `name`).
	DisplayName string
	Features    Features
	// Fields is the configuration schema, in declaration order.
	Fields []Field
	// New builds a Source for one job. It should not contact the remote system (Ping does);
	// configuration errors that field validation cannot catch belong in ConfigValidator.
	New func(cfg *Config, env Env) (Source, error)
}

var serviceTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// SchemaError lists what is wrong with a factory's declaration.
type SchemaError struct {
	ServiceType string
	Problems    []string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("connector %q: invalid declaration: %s", e.ServiceType, strings.Join(e.Problems, "; "))
}

// Validate checks that the declaration is well formed: a service type and name, a constructor,
// unique non-empty keys, known types, displays and validation types, toggles for bools, options
// for (and only for) dropdowns, depends_on naming other existing fields with values of their
// type, initial and default values of the declared type, compilable regex constraints. Every
// problem names the field key. Duplicate orders are allowed, because one original schema
// (sharepoint_server) has them; connectortest reports them unless told otherwise.
func (f Factory) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if !serviceTypeRE.MatchString(f.ServiceType) {
		add("service type %q must be lower-case letters, digits, '_' or '-'", f.ServiceType)
	}
	if strings.TrimSpace(f.DisplayName) == "" {
		add("display name is empty")
	}
	if f.New == nil {
		add("New is nil")
	}
	byKey := map[string]Field{}
	for i, fd := range f.Fields {
		if fd.Key == "" {
			add("field #%d has an empty key", i+1)
			continue
		}
		if _, dup := byKey[fd.Key]; dup {
			add("field %q is declared twice", fd.Key)
		}
		byKey[fd.Key] = fd
	}
	for _, fd := range f.Fields {
		if fd.Key == "" {
			continue
		}
		p = append(p, fieldProblems(fd, byKey)...)
	}
	if len(p) > 0 {
		return &SchemaError{ServiceType: f.ServiceType, Problems: p}
	}
	return nil
}

func fieldProblems(fd Field, byKey map[string]Field) []string {
	var p []string
	add := func(format string, args ...any) {
		p = append(p, fmt.Sprintf("field %q: ", fd.Key)+fmt.Sprintf(format, args...))
	}
	t := fd.EffectiveType()
	switch t {
	case TypeStr, TypeInt, TypeBool, TypeList, TypeFloat:
	default:
		add("unknown type %q (want str, int, bool or list)", t)
	}
	d := fd.EffectiveDisplay()
	switch d {
	case DisplayText, DisplayTextarea, DisplayNumeric, DisplayToggle, DisplayDropdown:
	default:
		add("unknown display %q (want text, textarea, numeric, toggle or dropdown)", d)
	}
	if (d == DisplayToggle) != (t == TypeBool) {
		add("display %q does not fit type %q: bool fields use the toggle display and only they do", d, t)
	}
	if d == DisplayNumeric && t != TypeInt && t != TypeFloat {
		add("numeric display needs type int, not %q", t)
	}
	if d == DisplayDropdown && (t == TypeList || t == TypeBool) {
		add("dropdown display needs a scalar type, not %q", t)
	}
	if fd.Order < 0 {
		add("negative order %d", fd.Order)
	}
	if !valueFits(fd.Value, t) {
		add("value %s is not of type %s", pyRepr(fd.Value), t)
	}
	if fd.DefaultValue != nil && !valueFits(fd.DefaultValue, t) {
		add("default_value %s is not of type %s", pyRepr(fd.DefaultValue), t)
	}
	if d == DisplayDropdown {
		if len(fd.Options) == 0 {
			add("dropdown has no options")
		}
		seen := map[string]bool{}
		for _, o := range fd.Options {
			k := pyRepr(o.Value)
			if seen[k] {
				add("option value %s appears twice", k)
			}
			seen[k] = true
			if !valueFits(o.Value, t) || o.Value == nil {
				add("option value %s is not of type %s", pyRepr(o.Value), t)
			}
		}
		if fd.Value != nil && fd.Value != "" && !seen[pyRepr(fd.Value)] {
			add("value %s is not one of the options", pyRepr(fd.Value))
		}
	} else if len(fd.Options) > 0 {
		add("options are only rendered for the dropdown display")
	}
	for _, dep := range fd.DependsOn {
		ref, ok := byKey[dep.Field]
		switch {
		case dep.Field == fd.Key:
			add("depends on itself")
		case !ok:
			add("depends on %q, which is not declared", dep.Field)
		case !valueFits(dep.Value, ref.EffectiveType()) || dep.Value == nil:
			add("depends on %q having value %s, which is not of its type %s", dep.Field, pyRepr(dep.Value), ref.EffectiveType())
		}
	}
	for _, v := range fd.Validations {
		switch v.Type {
		case ValidationLessThan, ValidationGreaterThan:
			if _, ok := asNumber(v.Constraint); !ok {
				add("%s constraint %s is not a number", v.Type, pyRepr(v.Constraint))
			}
		case ValidationListType:
			if v.Constraint != "str" && v.Constraint != "int" {
				add("list_type constraint %s must be \"str\" or \"int\"", pyRepr(v.Constraint))
			}
		case ValidationIncludedIn:
			if l, ok := asList(v.Constraint); !ok || len(l) == 0 {
				add("included_in constraint %s must be a non-empty list", pyRepr(v.Constraint))
			}
		case ValidationRegex:
			s, ok := v.Constraint.(string)
			if !ok {
				add("regex constraint %s is not a string", pyRepr(v.Constraint))
			} else if _, err := regexp.Compile(`^(?:` + s + `)$`); err != nil {
				add("regex constraint %q does not compile: %v", s, err)
			}
		default:
			add("unknown validation type %q", v.Type)
		}
	}
	for _, r := range fd.UIRestrictions {
		if r != UIAdvanced {
			add("unknown ui_restrictions entry %q (only %q exists)", r, UIAdvanced)
		}
	}
	for k := range fd.Extra {
		for _, std := range standardProperties {
			if k == std {
				add("extra property %q shadows a standard property", k)
			}
		}
	}
	return p
}

// valueFits reports whether an initial value suits a type. "" is the "not set" value of every
// type (the original writes "" for ints without a value), and a list may be given as the
// comma-separated string the original converts.
func valueFits(v any, t FieldType) bool {
	v = normalize(v)
	if v == nil || v == "" {
		return true
	}
	switch t {
	case TypeStr:
		_, ok := v.(string)
		return ok
	case TypeInt:
		_, ok := v.(int)
		return ok
	case TypeFloat:
		_, ok := asNumber(v)
		return ok
	case TypeBool:
		_, ok := v.(bool)
		return ok
	case TypeList:
		switch v.(type) {
		case []any, string:
			return true
		}
		return false
	}
	return true
}

// DefaultConfiguration is the `configuration` object written into a new connector document: each
// key mapped to its field's stored properties.
func (f Factory) DefaultConfiguration() map[string]any {
	out := make(map[string]any, len(f.Fields))
	for _, fd := range f.Fields {
		out[fd.Key] = fd.Properties()
	}
	return out
}

// ConfigurationWith is DefaultConfiguration with some values replaced, e.g. to create a ready to
// sync connector in a development setup. Unknown keys are an error.
func (f Factory) ConfigurationWith(values map[string]any) (map[string]any, error) {
	cfg := f.DefaultConfiguration()
	for k, v := range values {
		obj, ok := cfg[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("connector %q has no configuration field %q", f.ServiceType, k)
		}
		obj["value"] = cloneValue(v)
	}
	return cfg, nil
}

// NewConfig converts a stored configuration with this factory's fields (see [NewConfig]).
func (f Factory) NewConfig(stored map[string]any) (*Config, error) {
	return NewConfig(stored, f.Fields)
}

// SchemaJSON renders the factory as indented JSON: service_type, name, the features object and the
// configuration object with keys in declaration order, as `connectors source show` and the
// original's `--action config` present it.
func (f Factory) SchemaJSON() ([]byte, error) {
	var b bytes.Buffer
	write := func(v any) error {
		enc, err := MarshalJSON(v)
		if err != nil {
			return err
		}
		b.Write(enc)
		return nil
	}
	b.WriteString(`{"service_type":`)
	if err := write(f.ServiceType); err != nil {
		return nil, err
	}
	b.WriteString(`,"name":`)
	if err := write(f.DisplayName); err != nil {
		return nil, err
	}
	b.WriteString(`,"features":`)
	if err := write(f.Features.Object()); err != nil {
		return nil, err
	}
	b.WriteString(`,"configuration":{`)
	for i, fd := range f.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := write(fd.Key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := write(fd.Properties()); err != nil {
			return nil, fmt.Errorf("connector %q field %q: %w", f.ServiceType, fd.Key, err)
		}
	}
	b.WriteString("}}")
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Registry holds factories by service type. The package-level functions use a process-wide
// registry filled from init functions; tests and embedders can build their own.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]Factory{}} }

// Register adds a factory after checking it with Factory.Validate; a second factory for the same
// service type is an error.
func (r *Registry) Register(f Factory) error {
	if err := f.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[f.ServiceType]; dup {
		return fmt.Errorf("connector %q is registered twice", f.ServiceType)
	}
	r.m[f.ServiceType] = f
	return nil
}

// Lookup finds the factory of a service type.
func (r *Registry) Lookup(serviceType string) (Factory, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.m[serviceType]
	return f, ok
}

// Registered lists the factories sorted by service type.
func (r *Registry) Registered() []Factory {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Factory, 0, len(r.m))
	for _, f := range r.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ServiceType < out[j].ServiceType })
	return out
}

var defaultRegistry = NewRegistry()

// Register adds a factory to the process-wide registry. It is meant for init functions and
// panics on an invalid or duplicate factory, because that is a programming error the binary
// cannot recover from (like sql.Register).
func Register(f Factory) {
	if err := defaultRegistry.Register(f); err != nil {
		panic(err)
	}
}

// Lookup finds a registered factory by service type.
func Lookup(serviceType string) (Factory, bool) { return defaultRegistry.Lookup(serviceType) }

// Registered lists the registered factories sorted by service type.
func Registered() []Factory { return defaultRegistry.Registered() }
