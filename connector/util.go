package connector

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// HashID is the original's hash_id: the MD5 hex digest of the UTF-8 bytes. The service uses it
// for ids longer than 512 bytes; some sources use it for every id. MD5 here is an identifier,
// not a security measure.
func HashID(id string) string {
	sum := md5.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

// MaxIDBytes is the longest id the service indexes unchanged.
const MaxIDBytes = 512

// FormatTime renders t the way the original renders a timezone-aware UTC datetime with
// isoformat(): "2026-08-20T15:22:52.123456+00:00", microseconds dropped when zero, precision
// below a microsecond truncated.
func FormatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// ParseTime reads the ISO-8601 forms sources and the original produce: RFC 3339 with or without
// fractional seconds, "+00:00" offsets, and naive timestamps (taken as UTC, as the original
// does).
func ParseTime(s string) (time.Time, error) {
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 timestamp", s)
}

// FileExtension returns the lower-cased extension with its dot, following Python's
// os.path.splitext: leading dots do not start an extension (".bashrc" has none), and a name
// ending in a dot has "." as its extension.
func FileExtension(name string) string {
	if i := strings.LastIndexAny(name, `/`); i >= 0 {
		name = name[i+1:]
	}
	rest := strings.TrimLeft(name, ".")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return ""
	}
	return strings.ToLower(rest[i:])
}

// MarshalJSON encodes a document value the way the original's bulk encoder does where it
// matters for Elasticsearch:
//
//   - float64 (and float32) values always carry a fractional part or an exponent ("3.0",
//     "1e+16"), as Python writes floats, so a float field is dynamically mapped as a float even
//     when the first value happens to be integral;
//   - time.Time values are written with [FormatTime];
//   - []byte values are written as text, dropping invalid UTF-8 (the original's serialize);
//   - json.Number is written verbatim; HTML characters are not escaped.
//
// NaN and infinities are an error, as is any value encoding/json rejects. Values of other types
// (structs, json.Marshaler) are encoded by encoding/json.
func MarshalJSON(v any) ([]byte, error) {
	b := jsonBufs.Get().(*bytes.Buffer)
	defer func() {
		// A buffer grown by one huge document is dropped rather than kept for every later one.
		if b.Cap() <= 1<<20 {
			b.Reset()
			jsonBufs.Put(b)
		}
	}()
	b.Reset()
	if err := appendJSON(b, v, 0); err != nil {
		return nil, err
	}
	// One allocation of the exact size: the result outlives the call (it waits in the bulk queue).
	return append([]byte(nil), b.Bytes()...), nil
}

// jsonBufs are MarshalJSON's scratch buffers: a sync encodes thousands of documents a second, and
// growing a fresh buffer for each cost more than the encoding.
var jsonBufs = gosync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxJSONDepth = 1000

func appendJSON(b *bytes.Buffer, v any, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("value nested deeper than %d levels", maxJSONDepth)
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
		return nil
	case string:
		return appendString(b, t)
	case json.Number:
		if !json.Valid([]byte(t)) {
			return fmt.Errorf("invalid json.Number %q", string(t))
		}
		b.WriteString(string(t))
		return nil
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return nil
	case float64:
		return appendFloat(b, t)
	case float32:
		return appendFloat(b, float64(t))
	case int:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(t), 10))
		return nil
	case int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), t, 10))
		return nil
	case int32:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(t), 10))
		return nil
	case uint64:
		b.Write(strconv.AppendUint(b.AvailableBuffer(), t, 10))
		return nil
	case uint32:
		b.Write(strconv.AppendUint(b.AvailableBuffer(), uint64(t), 10))
		return nil
	case time.Time:
		return appendString(b, FormatTime(t))
	case []byte:
		return appendString(b, strings.ToValidUTF8(string(t), ""))
	case json.Marshaler:
		return appendMarshal(b, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendString(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := appendJSON(b, t[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		b.WriteByte('}')
		return nil
	case []any:
		b.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, x, depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		b.WriteByte(']')
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, rv.Float())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.Write(strconv.AppendInt(b.AvailableBuffer(), rv.Int(), 10))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.Write(strconv.AppendUint(b.AvailableBuffer(), rv.Uint(), 10))
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return appendJSON(b, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
			return appendString(b, strings.ToValidUTF8(string(rv.Bytes()), ""))
		}
		b.WriteByte('[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, rv.Index(i).Interface(), depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return appendMarshal(b, v)
		}
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendString(b, k.String()); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := appendJSON(b, rv.MapIndex(k).Interface(), depth+1); err != nil {
				return fmt.Errorf("%s: %w", k.String(), err)
			}
		}
		b.WriteByte('}')
		return nil
	}
	return appendMarshal(b, v)
}

func appendFloat(b *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("float value %v cannot be written as JSON", f)
	}
	b.WriteString(pyfmt.Float(f))
	return nil
}

// appendString writes s as encoding/json does with HTML escaping off: quotes, backslashes and
// control characters escaped (\n, \r, \t, \b, \f short, the rest \u00XX), invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped for JavaScript's sake. Text without any of those (most
// text) is copied as one run.
func appendString(b *bytes.Buffer, s string) error {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
	return nil
}

const hexDigits = "0123456789abcdef"

func appendMarshal(b *bytes.Buffer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}
