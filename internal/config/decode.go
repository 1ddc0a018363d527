package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// leaf is a scalar value together with where it came from, so that a
// problem can point at the line of config.yml (or the variable) at fault.
type leaf struct {
	value   any
	origin  string
	fromEnv bool // values from variables are strings and may be coerced
}

type yamlTree struct {
	keys   []string
	values map[string]any
}

func parseYAML(path string, data []byte) (*yamlTree, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("cannot parse YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	tree := &yamlTree{values: map[string]any{}}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return tree, nil // empty file: defaults only
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return tree, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the top level must be a mapping of keys, not a %s", root.Line, kindName(root))
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i].Value
		v, err := nodeValue(path, root.Content[i+1])
		if err != nil {
			return nil, err
		}
		if _, dup := tree.values[k]; !dup {
			tree.keys = append(tree.keys, k)
		}
		tree.values[k] = v
	}
	return tree, nil
}

func nodeValue(path string, n *yaml.Node) (any, error) {
	origin := fmt.Sprintf("%s:%d", path, n.Line)
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(path, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn := n.Content[i]
			if kn.Tag == "!!merge" {
				// `<<: *anchor` merges the anchored mapping's keys.
				src, err := nodeValue(path, n.Content[i+1])
				if err != nil {
					return nil, err
				}
				if sm, ok := src.(map[string]any); ok {
					for k, v := range sm {
						if _, exists := m[k]; !exists {
							m[k] = v
						}
					}
				}
				continue
			}
			v, err := nodeValue(path, n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[kn.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		items := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(path, c)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
		return &leaf{value: v, origin: origin}, nil
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	default:
		return "value"
	}
}

// decoder applies a merged tree onto a typed configuration that already
// holds the defaults, collecting problems and warnings instead of stopping at
// the first one, so `config validate` can list them all.
type decoder struct {
	problems []Problem
	warnings []string
	// set records every key the file or the environment gave a value, so
	// that rules can tell an explicit setting from a default.
	set map[string]bool
}

func (d *decoder) fail(key string, origin string, format string, args ...any) {
	d.problems = append(d.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...), Origin: origin})
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func originOf(v any) string {
	if l, ok := v.(*leaf); ok {
		return l.origin
	}
	return ""
}

func (d *decoder) decodeStruct(prefix string, m map[string]any, target any) {
	rv := reflect.ValueOf(target).Elem()
	rt := rv.Type()
	fields := map[string]int{}
	for i := 0; i < rt.NumField(); i++ {
		if tag := rt.Field(i).Tag.Get("cfg"); tag != "" && tag != "-" {
			fields[tag] = i
		}
	}
	for _, k := range sortedKeys(m) {
		key := join(prefix, k)
		idx, ok := fields[k]
		if !ok {
			origin := originOf(m[k])
			msg := "unknown key " + key + ", ignored"
			if origin != "" {
				msg += " (" + origin + ")"
			}
			d.warnings = append(d.warnings, msg)
			continue
		}
		d.decodeValue(key, m[k], rv.Field(idx))
	}
}

func (d *decoder) decodeValue(key string, v any, fv reflect.Value) {
	if l, ok := v.(*leaf); !ok || l.value != nil {
		if d.set == nil {
			d.set = map[string]bool{}
		}
		d.set[key] = true
	}
	if l, ok := v.(*leaf); ok && l.value == nil {
		// `key:` with nothing after it keeps the default rather than turning
		// a setting into a crash later, as the original would.
		if fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String {
			d.warnings = append(d.warnings, fmt.Sprintf("%s is empty; remove the key to use username/password (%s)", key, l.origin))
		}
		return
	}
	switch fv.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.fail(key, originOf(v), "must be a mapping of keys")
			return
		}
		d.decodeStruct(key, m, fv.Addr().Interface())
	case reflect.Pointer:
		elem := fv.Type().Elem()
		switch elem.Kind() {
		case reflect.String:
			s, ok := d.stringOf(key, v)
			if ok {
				fv.Set(reflect.ValueOf(&s))
			}
		case reflect.Int:
			if n, ok := d.intOf(key, v); ok {
				i := int(n)
				fv.Set(reflect.ValueOf(&i))
			}
		case reflect.Float64:
			if f, ok := d.floatOf(key, v); ok {
				fv.Set(reflect.ValueOf(&f))
			}
		case reflect.Struct:
			m, ok := v.(map[string]any)
			if !ok {
				d.fail(key, originOf(v), "must be a mapping of keys")
				return
			}
			if fv.IsNil() {
				if elem == reflect.TypeOf(ExtractionService{}) {
					fv.Set(reflect.ValueOf(defaultExtractionService()))
				} else {
					fv.Set(reflect.New(elem))
				}
			}
			d.decodeStruct(key, m, fv.Interface())
		}
	case reflect.String:
		if s, ok := d.stringOf(key, v); ok {
			fv.SetString(s)
		}
	case reflect.Bool:
		if b, ok := d.boolOf(key, v); ok {
			fv.SetBool(b)
		}
	case reflect.Int, reflect.Int64:
		if n, ok := d.intOf(key, v); ok {
			fv.SetInt(n)
		}
	case reflect.Float64:
		if f, ok := d.floatOf(key, v); ok {
			fv.SetFloat(f)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			d.fail(key, originOf(v), "must be a mapping of names to values")
			return
		}
		if fv.IsNil() {
			fv.Set(reflect.MakeMap(fv.Type()))
		}
		for _, k := range sortedKeys(m) {
			s, ok := d.stringOf(join(key, k), m[k])
			if ok {
				fv.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(s))
			}
		}
	case reflect.Slice:
		d.decodeSlice(key, v, fv)
	}
}

func (d *decoder) decodeSlice(key string, v any, fv reflect.Value) {
	elem := fv.Type().Elem()
	var items []any
	switch t := v.(type) {
	case []any:
		items = t
	case *leaf:
		// A comma-separated string from a variable stands for a list.
		if s, ok := t.value.(string); ok && t.fromEnv && elem.Kind() == reflect.String {
			for _, part := range strings.Split(s, ",") {
				if p := strings.TrimSpace(part); p != "" {
					items = append(items, &leaf{value: p, origin: t.origin})
				}
			}
			break
		}
		d.fail(key, t.origin, "must be a list")
		return
	default:
		d.fail(key, "", "must be a list")
		return
	}
	out := reflect.MakeSlice(fv.Type(), 0, len(items))
	for i, item := range items {
		ikey := fmt.Sprintf("%s[%d]", key, i)
		ev := reflect.New(elem).Elem()
		if elem.Kind() == reflect.Struct {
			m, ok := item.(map[string]any)
			if !ok {
				d.fail(ikey, originOf(item), "must be a mapping of keys")
				continue
			}
			d.decodeStruct(ikey, m, ev.Addr().Interface())
		} else {
			d.decodeValue(ikey, item, ev)
		}
		out = reflect.Append(out, ev)
	}
	fv.Set(out)
}

func (d *decoder) stringOf(key string, v any) (string, bool) {
	l, ok := v.(*leaf)
	if !ok {
		d.fail(key, "", "must be a single value, not a %s", shape(v))
		return "", false
	}
	switch t := l.value.(type) {
	case string:
		return t, true
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(t), true
	default:
		d.fail(key, l.origin, "must be a string")
		return "", false
	}
}

func (d *decoder) boolOf(key string, v any) (bool, bool) {
	l, ok := v.(*leaf)
	if !ok {
		d.fail(key, "", "must be true or false, not a %s", shape(v))
		return false, false
	}
	switch t := l.value.(type) {
	case bool:
		return t, true
	case string:
		if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(t))); err == nil && l.fromEnv {
			return b, true
		}
	}
	d.fail(key, l.origin, "must be true or false, got %s", describe(l.value))
	return false, false
}

func (d *decoder) intOf(key string, v any) (int64, bool) {
	l, ok := v.(*leaf)
	if !ok {
		d.fail(key, "", "must be an integer, not a %s", shape(v))
		return 0, false
	}
	switch t := l.value.(type) {
	case int:
		return int64(t), true
	case int64:
		return t, true
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), true
		}
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t), true
		}
	case string:
		if l.fromEnv {
			if n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
				return n, true
			}
		}
	}
	d.fail(key, l.origin, "must be an integer, got %s", describe(l.value))
	return 0, false
}

func (d *decoder) floatOf(key string, v any) (float64, bool) {
	l, ok := v.(*leaf)
	if !ok {
		d.fail(key, "", "must be a number, not a %s", shape(v))
		return 0, false
	}
	switch t := l.value.(type) {
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case uint64:
		return float64(t), true
	case float64:
		return t, true
	case string:
		if l.fromEnv {
			if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
				return f, true
			}
		}
	}
	d.fail(key, l.origin, "must be a number, got %s", describe(l.value))
	return 0, false
}

func shape(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	default:
		return "value"
	}
}

func describe(v any) string {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case bool:
		return "boolean " + strconv.FormatBool(t)
	default:
		return fmt.Sprint(t)
	}
}
