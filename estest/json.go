package estest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Object is a JSON object that keeps its keys in the order they were written. Elasticsearch keeps
// _source key order through partial updates and ingest, so estest must as well.
type Object struct {
	Keys []string
	Vals []any
}

// Number is a JSON number kept as its literal text, so that large integers and the exact spelling
// of a value survive a round trip.
type Number string

// Raw is already-encoded JSON that the encoder copies verbatim (stored _source bytes).
type Raw []byte

func newObj(kv ...any) *Object {
	o := &Object{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *Object) index(k string) int {
	if o == nil {
		return -1
	}
	for i, key := range o.Keys {
		if key == k {
			return i
		}
	}
	return -1
}

// Get returns the value under k.
func (o *Object) Get(k string) (any, bool) {
	i := o.index(k)
	if i < 0 {
		return nil, false
	}
	return o.Vals[i], true
}

// Has tells whether k is present.
func (o *Object) Has(k string) bool { return o.index(k) >= 0 }

// Set replaces the value under k or appends it.
func (o *Object) Set(k string, v any) *Object {
	if i := o.index(k); i >= 0 {
		o.Vals[i] = v
		return o
	}
	o.Keys = append(o.Keys, k)
	o.Vals = append(o.Vals, v)
	return o
}

// Delete removes k and tells whether it was there.
func (o *Object) Delete(k string) bool {
	i := o.index(k)
	if i < 0 {
		return false
	}
	o.Keys = append(o.Keys[:i], o.Keys[i+1:]...)
	o.Vals = append(o.Vals[:i], o.Vals[i+1:]...)
	return true
}

// Len is the number of keys.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.Keys)
}

func (o *Object) str(k string) string {
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

func (o *Object) obj(k string) *Object {
	v, _ := o.Get(k)
	r, _ := v.(*Object)
	return r
}

// clone deep-copies a decoded JSON value.
func clone(v any) any {
	switch t := v.(type) {
	case *Object:
		n := &Object{Keys: append([]string(nil), t.Keys...), Vals: make([]any, len(t.Vals))}
		for i, x := range t.Vals {
			n.Vals[i] = clone(x)
		}
		return n
	case []any:
		n := make([]any, len(t))
		for i, x := range t {
			n[i] = clone(x)
		}
		return n
	}
	return v
}

// jsonEqual compares two decoded values structurally (numbers by value).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.Keys {
			w, ok := y.Get(k)
			if !ok || !jsonEqual(x.Vals[i], w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case Number:
		y, ok := b.(Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, e1 := strconv.ParseFloat(string(x), 64)
		fy, e2 := strconv.ParseFloat(string(y), 64)
		return e1 == nil && e2 == nil && fx == fy
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}

// ---- parsing ----

// parseError is a JSON syntax error with the 1-based line and column Jackson would report.
type parseError struct {
	Line, Col int
	Msg       string
}

func (e *parseError) Error() string { return fmt.Sprintf("[%d:%d] %s", e.Line, e.Col, e.Msg) }

type parser struct {
	b    []byte
	p    int
	offs *[]int // pre-order start offsets of every value, when wanted
}

// parseJSON decodes one JSON document; trailing non-space bytes are an error.
func parseJSON(b []byte) (any, error) {
	p := &parser{b: b}
	return p.document()
}

// parseJSONOffsets also returns the byte offset at which each value starts, in pre-order.
func parseJSONOffsets(b []byte) (any, []int, error) {
	var offs []int
	p := &parser{b: b, offs: &offs}
	v, err := p.document()
	return v, offs, err
}

func (p *parser) document() (any, error) {
	p.ws()
	if p.p >= len(p.b) {
		return nil, p.err("Unexpected end-of-input: expected a value")
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.p < len(p.b) {
		return nil, p.err(fmt.Sprintf("Unexpected character ('%c' (code %d)): expected end of input", p.b[p.p], p.b[p.p]))
	}
	return v, nil
}

// lineCol turns a byte offset into Jackson's 1-based line and column.
func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if b[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, off - start + 1
}

func (p *parser) err(msg string) error {
	l, c := lineCol(p.b, p.p)
	return &parseError{Line: l, Col: c, Msg: msg}
}

func (p *parser) ws() {
	for p.p < len(p.b) {
		switch p.b[p.p] {
		case ' ', '\t', '\n', '\r':
			p.p++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > 1000 {
		return nil, p.err("document nested too deeply")
	}
	if p.offs != nil {
		*p.offs = append(*p.offs, p.p)
	}
	if p.p >= len(p.b) {
		return nil, p.err("Unexpected end-of-input: expected a value")
	}
	switch c := p.b[p.p]; {
	case c == '{':
		p.p++
		o := &Object{}
		p.ws()
		if p.p < len(p.b) && p.b[p.p] == '}' {
			p.p++
			return o, nil
		}
		for {
			p.ws()
			if p.p >= len(p.b) || p.b[p.p] != '"' {
				if p.p >= len(p.b) {
					return nil, p.err("Unexpected end-of-input: expected close marker for Object")
				}
				return nil, p.err(fmt.Sprintf("Unexpected character ('%c' (code %d)): was expecting double-quote to start field name", p.b[p.p], p.b[p.p]))
			}
			k, err := p.string()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.p >= len(p.b) || p.b[p.p] != ':' {
				return nil, p.err("Unexpected character: was expecting a colon to separate field name and value")
			}
			p.p++
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if o.Has(k) {
				l, c := lineCol(p.b, p.p)
				return nil, &parseError{Line: l, Col: c, Msg: fmt.Sprintf("Duplicate field '%s'", k)}
			}
			o.Keys = append(o.Keys, k)
			o.Vals = append(o.Vals, v)
			p.ws()
			if p.p >= len(p.b) {
				return nil, p.err("Unexpected end-of-input: expected close marker for Object")
			}
			if p.b[p.p] == ',' {
				p.p++
				continue
			}
			if p.b[p.p] == '}' {
				p.p++
				return o, nil
			}
			return nil, p.err(fmt.Sprintf("Unexpected character ('%c' (code %d)): was expecting comma to separate Object entries", p.b[p.p], p.b[p.p]))
		}
	case c == '[':
		p.p++
		a := []any{}
		p.ws()
		if p.p < len(p.b) && p.b[p.p] == ']' {
			p.p++
			return a, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			p.ws()
			if p.p >= len(p.b) {
				return nil, p.err("Unexpected end-of-input: expected close marker for Array")
			}
			if p.b[p.p] == ',' {
				p.p++
				continue
			}
			if p.b[p.p] == ']' {
				p.p++
				return a, nil
			}
			return nil, p.err(fmt.Sprintf("Unexpected character ('%c' (code %d)): was expecting comma to separate Array entries", p.b[p.p], p.b[p.p]))
		}
	case c == '"':
		return p.string()
	case c == 't':
		return p.lit("true", true)
	case c == 'f':
		return p.lit("false", false)
	case c == 'n':
		return p.lit("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return nil, p.err(fmt.Sprintf("Unexpected character ('%c' (code %d)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", c, c))
	}
}

func (p *parser) lit(word string, v any) (any, error) {
	if bytes.HasPrefix(p.b[p.p:], []byte(word)) {
		p.p += len(word)
		return v, nil
	}
	end := p.p
	for end < len(p.b) && ((p.b[end] >= 'a' && p.b[end] <= 'z') || (p.b[end] >= 'A' && p.b[end] <= 'Z')) {
		end++
	}
	return nil, p.err(fmt.Sprintf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", p.b[p.p:end]))
}

func (p *parser) number() (any, error) {
	start := p.p
	if p.b[p.p] == '-' {
		p.p++
	}
	digits := func() int {
		s := p.p
		for p.p < len(p.b) && p.b[p.p] >= '0' && p.b[p.p] <= '9' {
			p.p++
		}
		return p.p - s
	}
	if digits() == 0 {
		return nil, p.err("Unexpected character: expected digit after minus sign")
	}
	if p.p < len(p.b) && p.b[p.p] == '.' {
		p.p++
		if digits() == 0 {
			return nil, p.err("Unexpected character: Decimal point not followed by a digit")
		}
	}
	if p.p < len(p.b) && (p.b[p.p] == 'e' || p.b[p.p] == 'E') {
		p.p++
		if p.p < len(p.b) && (p.b[p.p] == '+' || p.b[p.p] == '-') {
			p.p++
		}
		if digits() == 0 {
			return nil, p.err("Unexpected character: Exponent indicator not followed by a digit")
		}
	}
	return Number(p.b[start:p.p]), nil
}

func (p *parser) string() (string, error) {
	p.p++ // opening quote
	start := p.p
	// fast path: no escapes
	for p.p < len(p.b) {
		c := p.b[p.p]
		if c == '"' {
			s := string(p.b[start:p.p])
			p.p++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.p++
	}
	var sb strings.Builder
	sb.Write(p.b[start:p.p])
	for p.p < len(p.b) {
		c := p.b[p.p]
		switch {
		case c == '"':
			p.p++
			return sb.String(), nil
		case c < 0x20:
			return "", p.err(fmt.Sprintf("Illegal unquoted character ((CTRL-CHAR, code %d)): has to be escaped using backslash to be included in string value", c))
		case c == '\\':
			p.p++
			if p.p >= len(p.b) {
				return "", p.err("Unexpected end-of-input in character escape sequence")
			}
			e := p.b[p.p]
			p.p++
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.err("Unexpected character: expected a hex-digit for character escape sequence")
				}
				if utf16.IsSurrogate(r) && p.p+1 < len(p.b) && p.b[p.p] == '\\' && p.b[p.p+1] == 'u' {
					save := p.p
					p.p += 2
					if r2, ok := p.hex4(); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							sb.WriteRune(d)
							continue
						}
					}
					p.p = save
				}
				sb.WriteRune(r)
			default:
				return "", p.err(fmt.Sprintf("Unrecognized character escape '%c' (code %d)", e, e))
			}
		default:
			sb.WriteByte(c)
			p.p++
		}
	}
	return "", p.err("Unexpected end-of-input: was expecting closing quote for a string value")
}

func (p *parser) hex4() (rune, bool) {
	if p.p+4 > len(p.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.b[p.p:p.p+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.p += 4
	return rune(n), true
}

// ---- encoding ----

// encodeJSON serialises a value built from Object, []any, strings, numbers, bools, nil, Raw and
// the common Go scalar and map types. Output is compact like Elasticsearch's, without HTML escaping.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.Bytes()
}

func writeJSON(buf *bytes.Buffer, v any) {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case *Object:
		if t == nil {
			buf.WriteString("null")
			return
		}
		buf.WriteByte('{')
		for i, k := range t.Keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			writeJSON(buf, t.Vals[i])
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, x)
		}
		buf.WriteByte(']')
	case []*Object:
		buf.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSON(buf, x)
		}
		buf.WriteByte(']')
	case []string:
		buf.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, x)
		}
		buf.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			writeJSON(buf, t[k])
		}
		buf.WriteByte('}')
	case string:
		writeString(buf, t)
	case Number:
		buf.WriteString(string(t))
	case Raw:
		buf.Write(t)
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case int:
		buf.WriteString(strconv.Itoa(t))
	case int64:
		buf.WriteString(strconv.FormatInt(t, 10))
	case uint64:
		buf.WriteString(strconv.FormatUint(t, 10))
	case float64:
		buf.WriteString(formatFloat(t))
	default:
		b, err := json.Marshal(t)
		if err != nil {
			buf.WriteString("null")
			return
		}
		buf.Write(b)
	}
}

// formatFloat prints a double the way Jackson does for whole numbers ("1.0") and otherwise
// the shortest round-trip form.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[start:i])
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\b':
			buf.WriteString(`\b`)
		case '\f':
			buf.WriteString(`\f`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hexDigits[c>>4])
			buf.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}

// ---- helpers for reading decoded values ----

func asFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case Number:
		f, err := strconv.ParseFloat(string(t), 64)
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	}
	return 0, false
}

func asInt(v any) (int64, bool) {
	switch t := v.(type) {
	case Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, true
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || f != math.Trunc(f) {
			return 0, false
		}
		return int64(f), true
	case int:
		return int64(t), true
	case int64:
		return t, true
	case float64:
		if t == math.Trunc(t) {
			return int64(t), true
		}
	}
	return 0, false
}

// scalarString renders a scalar the way Elasticsearch turns it into a keyword term.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case Number:
		return string(t), true
	case bool:
		if t {
			return "true", true
		}
		return "false", true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return formatFloat(t), true
	}
	return "", false
}

// toGo converts a decoded value into plain Go maps and slices, for code that wants them.
func toGo(v any) any {
	switch t := v.(type) {
	case *Object:
		m := make(map[string]any, t.Len())
		for i, k := range t.Keys {
			m[k] = toGo(t.Vals[i])
		}
		return m
	case []any:
		r := make([]any, len(t))
		for i, x := range t {
			r[i] = toGo(x)
		}
		return r
	case Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(string(t), 64)
		return f
	}
	return v
}

// javaMapString renders a value the way Java's Map.toString does, which Elasticsearch uses in
// "Preview of field's value" messages.
func javaMapString(v any) string {
	switch t := v.(type) {
	case *Object:
		var sb strings.Builder
		sb.WriteByte('{')
		for i, k := range t.Keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(k)
			sb.WriteByte('=')
			sb.WriteString(javaMapString(t.Vals[i]))
		}
		sb.WriteByte('}')
		return sb.String()
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = javaMapString(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "null"
	}
	s, _ := scalarString(v)
	return s
}

// At returns the value under k, or nil.
func (o *Object) At(k string) any {
	v, _ := o.Get(k)
	return v
}
