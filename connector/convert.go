package connector

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// errNotConvertible is wrapped by convert; Config turns it into an error naming the field.
var errNotConvertible = errors.New("cannot be converted")

// convert applies the original's casting rules for a declared type. Values are normalised to a
// small set of Go types: string, int, float64, bool, []any, nil. Unknown types leave the value
// untouched, as the original does.
func convert(v any, t FieldType) (any, error) {
	v = normalize(v)
	switch t {
	case TypeList:
		return toList(v)
	case TypeStr:
		if v == nil {
			return "", nil
		}
		if s, ok := v.(string); ok {
			return s, nil
		}
		return pyStr(v), nil
	case TypeInt:
		if v == nil || v == "" {
			return nil, nil
		}
		return toInt(v)
	case TypeFloat:
		if v == nil || v == "" {
			return nil, nil
		}
		return toFloat(v)
	case TypeBool:
		if v == nil || v == "" {
			return nil, nil
		}
		return toBool(v), nil
	}
	return v, nil
}

// normalize maps JSON-decoded and Go-native values onto the types convert works with.
//
// Integral float64 values become ints: encoding/json decodes every JSON number into float64, so
// a stored 101 arrives as 101.0, and the original (which keeps JSON integers as ints) would print
// and compare it as 101. Decoding with UseNumber avoids the ambiguity altogether.
func normalize(v any) any {
	switch t := v.(type) {
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int(t)
		}
		return t
	case nil, string, bool, int, []any, map[string]any:
		return t
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return int(n)
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return f
		}
		return string(t)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return int(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return normalize(rv.Float())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		for _, k := range rv.MapKeys() {
			out[fmt.Sprint(k.Interface())] = normalize(rv.MapIndex(k).Interface())
		}
		return out
	}
	return v
}

func toList(v any) (any, error) {
	switch t := v.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return t, nil
	case string:
		out := []any{}
		for _, part := range strings.Split(t, ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case int, bool:
		// Python's bool is an int, so the original wraps both.
		return []any{t}, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, 0, len(t))
		for _, k := range keys {
			out = append(out, []any{k, t[k]})
		}
		return out, nil
	}
	return nil, fmt.Errorf("value %s %w to a list", pyRepr(v), errNotConvertible)
}

func toInt(v any) (any, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			break
		}
		return int(t), nil // Python's int() truncates towards zero
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil {
			return int(n), nil
		}
	}
	return nil, fmt.Errorf("value %s %w to an integer", pyRepr(v), errNotConvertible)
}

func toFloat(v any) (any, error) {
	switch t := v.(type) {
	case int:
		return float64(t), nil
	case float64:
		return t, nil
	case bool:
		if t {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(t), 64); err == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("value %s %w to a number", pyRepr(v), errNotConvertible)
}

// toBool follows Python truthiness with one deliberate change: the strings "false", "f", "no",
// "n", "off" and "0" (any case, surrounding space ignored) are false. The original calls bool()
// on strings, which makes "false" true; a connector whose stored toggle somehow became a string
// would then silently enable the feature.
func toBool(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case int:
		return t != 0
	case float64:
		return t != 0
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "false", "f", "no", "n", "off", "0":
			return false
		}
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return v != nil
}

// isEmpty is the original's notion of an empty value: null, "", an empty list, or a list whose
// items are all null or "".
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		for _, it := range t {
			if it != nil && it != "" {
				return false
			}
		}
		return true
	}
	return false
}

// asInt accepts the integral numeric forms JSON decoding and Go code produce.
func asInt(v any) (int, bool) {
	switch t := normalize(v).(type) {
	case int:
		return t, true
	case float64:
		if t == math.Trunc(t) && !math.IsInf(t, 0) {
			return int(t), true
		}
	}
	return 0, false
}

// asNumber accepts any numeric form (not bools, unlike Python; a bool under a numeric validation
// is a configuration mistake worth reporting).
func asNumber(v any) (float64, bool) {
	switch t := normalize(v).(type) {
	case int:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

// pyStr renders a value the way Python's str() does, because the original's validation messages
// embed values that way ('True', 'None', "['a', 'b']"). Values are normalised first, so numbers
// decoded from JSON print as the integers they were written as.
func pyStr(v any) string { return pyfmt.Str(normalize(v)) }

// pyRepr renders a value the way Python's repr() does.
func pyRepr(v any) string { return pyfmt.Repr(normalize(v)) }
