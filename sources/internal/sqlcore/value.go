package sqlcore

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// A Value is one cell as the original's Python driver hands it to the connector, before its
// serialize(): the dialects turn driver values into these, and the core derives both the
// document value (DocValue) and the text that goes into a document id (Str, Python's str()).
//
// The concrete types are nil (None), bool, int64, uint64, *big.Int (int), float64 (float),
// string (str), and the types below. []Value is a list (a SQL array), map[string]Value a JSON
// object.
type Value = any

// Decimal is a decimal.Decimal, held as the database printed it ("1.50", "-0.001", "NaN").
// Documents get float(Decimal); ids get str(Decimal), which keeps the scale ("1.50").
type Decimal string

// Bytes is a bytes value (binary columns). Documents get the UTF-8 decoding with invalid bytes
// dropped; ids get Python's repr-like str(), b'...'.
type Bytes []byte

// Date is a datetime.date; only the calendar day of T is used.
type Date struct{ T time.Time }

// DateTime is a datetime.datetime. A naive one (Aware false) holds its wall clock in T's UTC
// fields; an aware one keeps T's offset.
type DateTime struct {
	T     time.Time
	Aware bool
}

// TimeOfDay is a datetime.time: Of is the time since midnight (below 24 h), Offset the UTC
// offset in seconds when HasOffset.
type TimeOfDay struct {
	Of        time.Duration
	Offset    int
	HasOffset bool
}

// Text is a value whose document form and str() differ, such as the original's geometry and
// bit-string objects (documents get Doc, ids get Str).
type Text struct{ Doc, Str string }

// JSONNumber is an integer read from a JSON column; Python keeps JSON integers exact.
type JSONNumber = json.Number

// DocValue is the original's serialize() of a value followed by the bulk encoder: dates and
// times become ISO-8601 strings, Decimal a float, bytes text, and containers are converted
// element by element. Floats that JSON cannot carry (NaN, infinities) become null: the original
// writes a NaN token that Elasticsearch rejects, losing the whole row.
func DocValue(v Value) any {
	switch x := v.(type) {
	case nil, bool, int64, uint64, string, json.Number:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case *big.Int:
		return json.Number(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case Decimal:
		f, ok := decimalFloat(string(x))
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case Bytes:
		return strings.ToValidUTF8(string(x), "")
	case Date:
		return x.T.Format("2006-01-02")
	case DateTime:
		return isoDateTime(x, "T")
	case TimeOfDay:
		return isoTime(x)
	case Text:
		return x.Doc
	case []Value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = DocValue(e)
		}
		return out
	case map[string]Value:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = DocValue(e)
		}
		return out
	}
	return fmt.Sprint(v)
}

// Str is Python's str() of a value, which the original puts into document ids.
func Str(v Value) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case *big.Int:
		return x.String()
	case json.Number:
		return x.String()
	case float64:
		return pyfmt.Float(x)
	case string:
		return x
	case Decimal:
		return DecimalStr(string(x))
	case Bytes:
		return BytesRepr(x)
	case Date:
		return x.T.Format("2006-01-02")
	case DateTime:
		return isoDateTime(x, " ")
	case TimeOfDay:
		return isoTime(x)
	case Text:
		return x.Str
	case []Value:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]Value:
		return pyfmt.Repr(DocValue(x))
	}
	return fmt.Sprint(v)
}

// repr is Python's repr() for the elements of a list in an id; only the plain types matter
// (arrays are never sensible primary keys).
func repr(v Value) string {
	switch x := v.(type) {
	case string:
		return pyfmt.Quote(x)
	case Decimal:
		return "Decimal('" + DecimalStr(string(x)) + "')"
	}
	return Str(v)
}

// Truthy is Python's truth value of a value (the Oracle source drops falsy key values from ids).
func Truthy(v Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case int:
		return x != 0
	case uint64:
		return x != 0
	case *big.Int:
		return x.Sign() != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case Decimal:
		f, ok := decimalFloat(string(x))
		return !ok || f != 0 // NaN is truthy
	case Bytes:
		return len(x) > 0
	case TimeOfDay:
		return true
	case []Value:
		return len(x) > 0
	case map[string]Value:
		return len(x) > 0
	}
	return true
}

// isoDateTime is datetime.isoformat(sep): microseconds only when not zero, the offset of an
// aware value as +HH:MM (with seconds when it has them).
func isoDateTime(d DateTime, sep string) string {
	t := d.T
	layout := "2006-01-02" + sep + "15:04:05"
	if t.Nanosecond()/1000 != 0 {
		layout += ".000000"
	}
	out := t.Format(layout)
	if d.Aware {
		_, off := t.Zone()
		out += formatOffset(off)
	}
	return out
}

func isoTime(t TimeOfDay) string {
	d := t.Of
	h := int64(d / time.Hour)
	m := int64(d%time.Hour) / int64(time.Minute)
	s := int64(d%time.Minute) / int64(time.Second)
	us := int64(d%time.Second) / int64(time.Microsecond)
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if us != 0 {
		out += fmt.Sprintf(".%06d", us)
	}
	if t.HasOffset {
		out += formatOffset(t.Offset)
	}
	return out
}

// formatOffset renders a UTC offset the way Python's isoformat does.
func formatOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	out := fmt.Sprintf("%s%02d:%02d", sign, sec/3600, sec%3600/60)
	if sec%60 != 0 {
		out += fmt.Sprintf(":%02d", sec%60)
	}
	return out
}

// decimalFloat is float(Decimal(text)): correctly rounded, NaN and infinities included.
func decimalFloat(text string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "nan", "-nan", "snan":
		return math.NaN(), true
	case "infinity", "inf", "+infinity", "+inf":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		// Out of range values still round to ±Inf in ParseFloat with an error; keep them.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// DecimalStr is str(Decimal(text)): the digits as given, in scientific notation once the
// exponent is small enough that Python switches to it (Decimal("0.0000001") prints 1E-7).
func DecimalStr(text string) string {
	s := strings.TrimSpace(text)
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan":
		return "NaN"
	case "infinity", "inf":
		if strings.HasPrefix(s, "-") {
			return "-Infinity"
		}
		return "Infinity"
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return text
		}
		exp, s = e, s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		digits = "0"
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return text
		}
	}
	exp -= len(frac)
	left := exp + len(digits)
	dot := left
	if exp > 0 || left <= -6 {
		dot = 1
	}
	var out string
	switch {
	case dot <= 0:
		out = "0." + strings.Repeat("0", -dot) + digits
	case dot >= len(digits):
		out = digits + strings.Repeat("0", dot-len(digits))
	default:
		out = digits[:dot] + "." + digits[dot:]
	}
	if left != dot {
		out += fmt.Sprintf("E%+d", left-dot)
	}
	return sign + out
}

// BytesRepr is Python's str() of a bytes value: b'...' with escapes.
func BytesRepr(b []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(b), '\'') >= 0 && strings.IndexByte(string(b), '"') < 0 {
		quote = '"'
	}
	var sb strings.Builder
	sb.WriteString("b")
	sb.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}

// TimestampString renders a table's last-change time as the original's _timestamp: the
// isoformat() of what the driver returned.
func TimestampString(v Value) string {
	switch x := v.(type) {
	case DateTime:
		return isoDateTime(x, "T")
	case Date:
		return x.T.Format("2006-01-02")
	case string:
		return x
	}
	return ""
}

// DecodeJSON reads a JSON column the way Python's json.loads does: integers stay exact,
// numbers with a fraction or an exponent become floats.
func DecodeJSON(data []byte) (Value, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return fromJSON(v), nil
}

func fromJSON(v any) Value {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE") {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil { // beyond float64: Python gives inf
				if strings.HasPrefix(s, "-") {
					return math.Inf(-1)
				}
				return math.Inf(1)
			}
			return f
		}
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return s
		}
		if n.IsInt64() {
			return n.Int64()
		}
		return n
	case []any:
		out := make([]Value, len(x))
		for i, e := range x {
			out[i] = fromJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]Value, len(x))
		for k, e := range x {
			out[k] = fromJSON(e)
		}
		return out
	}
	return v
}
