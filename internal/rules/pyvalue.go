package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Rules compare a document value with a string typed by a user. The Python service did that on
// Python objects; these helpers give Go values the same text and number forms, so that a rule written
// for the Python service keeps its meaning.

// pyStr returns the text Python's str() gives for a document value. It is what starts_with,
// ends_with, contains and regex look at.
func pyStr(v any) string {
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
		return pyFloat(x)
	case float32:
		return pyFloat(float64(x))
	case json.Number:
		return x.String()
	case time.Time:
		return isoformat(x)
	}
	// Numbers by kind first, so that a numeric type with a String method still prints its number.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return pyFloat(rv.Float())
	case reflect.Slice, reflect.Array, reflect.Map:
		return pyRepr(v)
	}
	return fmt.Sprint(v) // uses a String method when there is one
}

// pyRepr returns Python's repr() of a value inside a list or dict. Map keys are sorted, since Go
// maps have no order.
func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return pyStrRepr(x)
	case nil, bool, float64, float32, json.Number, time.Time:
		if t, ok := x.(time.Time); ok {
			return "'" + isoformat(t) + "'" // documents hold dates as ISO strings once serialised
		}
		return pyStr(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return "[]"
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = pyRepr(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := rv.MapKeys()
		type kv struct{ k, v string }
		items := make([]kv, len(keys))
		for i, k := range keys {
			items[i] = kv{pyRepr(k.Interface()), pyRepr(rv.MapIndex(k).Interface())}
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.k + ": " + it.v
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return pyStr(v)
}

// pyStrRepr quotes a string the way Python's repr() does.
func pyStrRepr(s string) string {
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

// pyFloat formats a float as Python's repr(): the shortest digits that read back to the same value,
// positional between 1e-4 and 1e16 (always with a fractional part), scientific outside.
func pyFloat(f float64) string {
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

// isoformat is Python's datetime.isoformat() for an aware datetime.
func isoformat(t time.Time) string {
	layout := "2006-01-02T15:04:05"
	if t.Nanosecond()/1000 != 0 {
		layout += ".000000"
	}
	return t.Format(layout + "-07:00")
}

// number is a document value that compares as a number: an exact integer or a float.
type number struct {
	isInt bool
	i     *big.Int
	f     float64
}

// asNumber recognises the numeric document values.
func asNumber(v any) (number, bool) {
	switch x := v.(type) {
	case bool:
		return number{}, false
	case json.Number:
		if i, ok := new(big.Int).SetString(x.String(), 10); ok {
			return number{isInt: true, i: i}, true
		}
		f, err := x.Float64()
		return number{f: f}, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{isInt: true, i: big.NewInt(rv.Int())}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return number{isInt: true, i: new(big.Int).SetUint64(rv.Uint())}, true
	case reflect.Float32, reflect.Float64:
		return number{f: rv.Float()}, true
	}
	return number{}, false
}

// cmp compares a document number with a rule value exactly, as Python compares int and float.
// ok is false when either side is NaN: every comparison is then false.
func (n number) cmp(f float64) (c int, ok bool) {
	if math.IsNaN(f) || (!n.isInt && math.IsNaN(n.f)) {
		return 0, false
	}
	if !n.isInt {
		switch {
		case n.f < f:
			return -1, true
		case n.f > f:
			return 1, true
		}
		return 0, true
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return -1, true
		}
		return 1, true
	}
	return new(big.Float).SetInt(n.i).Cmp(big.NewFloat(f)), true
}

// parsePyFloat reads a rule value as Python's float() does: surrounding whitespace, an optional
// sign, decimal or exponent notation, underscores between digits, inf, infinity and nan.
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP") {
		return 0, false
	}
	if strings.Contains(s, "_") {
		for i := 0; i < len(s); i++ {
			if s[i] == '_' && (i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// ParseFloat reports overflow with ±Inf, which is Python's answer too.
		if errors.Is(err, strconv.ErrRange) {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseBool reads a rule value compared with a boolean document value. The words are those the
// Python service recognised (empty, false, f, no, n, off / true, t, yes, y, on), plus 0 and 1.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "f", "no", "n", "off", "0":
		return false, true
	case "true", "t", "yes", "y", "on", "1":
		return true, true
	}
	return false, false
}

// dateLayouts are the forms a rule value may take when it is compared with a date. A value without
// a zone is read as UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02",
	"20060102",
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
