// Package pyfmt renders Go values the way Python's str() and repr() do.
// The original service's messages and sync-rule comparisons embed values
// in that form ('True', 'None', "['a', 'b']", 3.0), so the SDK's
// configuration messages and the sync-rule engine share this one copy.
package pyfmt

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Str returns the text Python's str() gives for a document value. It is what starts_with,
// ends_with, contains and regex look at.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return Float(x)
	case float32:
		return Float(float64(x))
	case json.Number:
		return x.String()
	case time.Time:
		return ISOFormat(x)
	}
	// Numbers by kind first, so that a numeric type with a String method still prints its number.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return Float(rv.Float())
	case reflect.Slice, reflect.Array, reflect.Map:
		return Repr(v)
	}
	return fmt.Sprint(v) // uses a String method when there is one
}

// Repr returns Python's repr() of a value inside a list or dict. Map keys are sorted, since Go
// maps have no order.
func Repr(v any) string {
	switch x := v.(type) {
	case string:
		return Quote(x)
	case nil, bool, float64, float32, json.Number, time.Time:
		if t, ok := x.(time.Time); ok {
			return "'" + ISOFormat(t) + "'" // documents hold dates as ISO strings once serialised
		}
		return Str(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return "[]"
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = Repr(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := rv.MapKeys()
		type kv struct{ k, v string }
		items := make([]kv, len(keys))
		for i, k := range keys {
			items[i] = kv{Repr(k.Interface()), Repr(rv.MapIndex(k).Interface())}
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.k + ": " + it.v
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return Str(v)
}

// StrRepr quotes a string the way Python's repr() does.
func Quote(s string) string {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\' || r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteRune(r)
		case !unicode.IsPrint(r) && r != ' ':
			switch {
			case r < 0x100:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// Float formats a float as Python's repr(): the shortest digits that read back to the same value,
// positional between 1e-4 and 1e16 (always with a fractional part), scientific outside.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	sign := ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	var out string
	switch {
	case exp < 0:
		out = "0." + strings.Repeat("0", -exp-1) + digits
	case exp+1 >= len(digits):
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	default:
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	return sign + out
}

// ISOFormat is Python's datetime.ISOFormat() for an aware datetime.
func ISOFormat(t time.Time) string {
	layout := "2006-01-02T15:04:05"
	if t.Nanosecond()/1000 != 0 {
		layout += ".000000"
	}
	return t.Format(layout + "-07:00")
}
