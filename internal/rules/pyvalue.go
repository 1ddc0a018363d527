package rules

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Rules compare a document value with a string typed by a user. The Python service did that on
// Python objects; these helpers give Go values the same text and number forms, so that a rule written
// for the Python service keeps its meaning.

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
