// Package cron evaluates the Quartz-style cron expressions that Kibana stores in a connector's
// `scheduling.<type>.interval`, the way the connector service needs them: in UTC, to the minute.
//
// Two entry points exist because two different readers look at the same string. [Validate] is the
// check Elasticsearch applies on `PUT _connector/{id}/_scheduling` (Quartz rules: exactly one of
// day-of-month and day-of-week is "?", "?" nowhere else). [Parse] is what the service uses on whatever
// is stored in the connector document, which may have been written directly to the index; it is
// lenient where the Python service was lenient ("?" anywhere means "*", day-of-month and
// day-of-week may both be restricted and are then ANDed) and strict about garbage. Everything that
// [Validate] accepts, [Parse] accepts with the same meaning. docs/scheduling.md lists every
// difference from the Python service.
package cron

import (
	"fmt"
	"strconv"
	"strings"
)

// Field positions in an expression.
const (
	fieldSecond = iota
	fieldMinute
	fieldHour
	fieldDayOfMonth
	fieldMonth
	fieldDayOfWeek
	fieldYear
	numFields
)

// Years a schedule may name. Quartz documents 1970-2199; later years are of no use to a sync
// schedule and bounding them keeps evaluation bounded.
const (
	minYear = 1970
	maxYear = 2199
)

type fieldInfo struct {
	name     string
	min, max int
	// maxStep is the largest increment accepted after "/"; Elasticsearch refuses larger ones for
	// "*/n" and we apply the same bound to every step form.
	maxStep int
	names   []string // index i is the name of value min+i
}

var fields = [numFields]fieldInfo{
	fieldSecond:     {name: "seconds", min: 0, max: 59, maxStep: 59},
	fieldMinute:     {name: "minutes", min: 0, max: 59, maxStep: 59},
	fieldHour:       {name: "hours", min: 0, max: 23, maxStep: 23},
	fieldDayOfMonth: {name: "day-of-month", min: 1, max: 31, maxStep: 31},
	fieldMonth: {name: "month", min: 1, max: 12, maxStep: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	fieldDayOfWeek: {name: "day-of-week", min: 1, max: 7, maxStep: 7,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	fieldYear: {name: "year", min: minYear, max: maxYear, maxStep: maxYear - minYear},
}

// Error reports why an expression was refused. Field is empty when the problem is the expression as
// a whole (wrong number of fields, day fields in conflict).
type Error struct {
	Expr   string
	Field  string
	Value  string
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("invalid cron expression %q: %s", e.Expr, e.Reason)
	}
	return fmt.Sprintf("invalid cron expression %q: %s field %q: %s", e.Expr, e.Field, e.Value, e.Reason)
}

// bitset holds the values of one field; 256 bits cover years 1970-2199 as offsets.
type bitset [4]uint64

func (b *bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b *bitset) has(i int) bool { return i >= 0 && i < 256 && b[i>>6]&(1<<(uint(i)&63)) != 0 }

// spec is one parsed field.
type spec struct {
	any    bool // "*" or "?": no restriction
	noSpec bool // literally "?"
	values bitset

	// Day-of-month specials.
	lastDay        bool // L, L-n, LW, L-nW
	lastOffset     int  // n in L-n
	nearestWeekday bool // W: the weekday nearest to the day (weekdayOf, or the L target)
	weekdayOf      int  // n in nW
	// Day-of-week specials (values holds exactly one day).
	lastOfMonth bool // nL: the last such weekday of the month
	nth         int  // n#m: the m-th such weekday of the month
}

// Schedule is a parsed expression. It is immutable and safe for concurrent use.
type Schedule struct {
	expr   string
	fields [numFields]spec
}

// String returns the expression the schedule was parsed from.
func (s *Schedule) String() string { return s.expr }

// Parse reads an expression as the connector service evaluates it: `sec min hour dom month dow
// [year]`, fields separated by blanks. The seconds field is checked but ignored (every run is at
// second 0). "?" is accepted in any field as "*", and a day-of-month and a day-of-week that are both
// restricted must both match.
func Parse(expr string) (*Schedule, error) {
	return parse(expr, false)
}

// Validate applies the rules Elasticsearch enforces when a schedule is stored through the
// `_connector/{id}/_scheduling` API: field ranges, tokens, "?" only in day-of-month or day-of-week and
// in exactly one of them. It accepts a subset of what [Parse] accepts. Where Elasticsearch's Quartz
// fork lets malformed tokens through (trailing characters, "L" in the hours field), Validate refuses
// them; docs/scheduling.md lists these cases.
func Validate(expr string) error {
	_, err := parse(expr, true)
	return err
}

func parse(expr string, strict bool) (*Schedule, error) {
	tokens := strings.Fields(expr)
	if len(tokens) < 6 || len(tokens) > 7 {
		return nil, &Error{Expr: expr, Reason: fmt.Sprintf(
			"expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), got %d", len(tokens))}
	}
	if len(tokens) == 6 {
		tokens = append(tokens, "*")
	}
	s := &Schedule{expr: expr}
	for i, tok := range tokens {
		sp, err := parseField(i, strings.ToUpper(tok), strict)
		if err != nil {
			return nil, &Error{Expr: expr, Field: fields[i].name, Value: tok, Reason: err.Error()}
		}
		s.fields[i] = sp
	}
	if strict {
		dom, dow := &s.fields[fieldDayOfMonth], &s.fields[fieldDayOfWeek]
		if dom.noSpec == dow.noSpec {
			return nil, &Error{Expr: expr, Reason: `exactly one of day-of-month and day-of-week must be "?" (the other says which days)`}
		}
	}
	return s, nil
}

// parseField parses one upper-cased field.
func parseField(kind int, tok string, strict bool) (spec, error) {
	info := &fields[kind]
	if tok == "?" {
		if strict && kind != fieldDayOfMonth && kind != fieldDayOfWeek {
			return spec{}, fmt.Errorf(`"?" is only allowed in day-of-month or day-of-week`)
		}
		return spec{any: true, noSpec: true}, nil
	}
	if tok == "*" {
		return spec{any: true}, nil
	}
	items := strings.Split(tok, ",")
	var sp spec
	for _, item := range items {
		if item == "" {
			return spec{}, fmt.Errorf("empty list element")
		}
		if item == "?" {
			return spec{}, fmt.Errorf(`"?" must be the whole field`)
		}
		if ok, err := parseSpecial(kind, item, &sp); ok || err != nil {
			if err != nil {
				return spec{}, err
			}
			if len(items) > 1 {
				return spec{}, fmt.Errorf("%q cannot be combined with other values", item)
			}
			continue
		}
		if err := parseItem(info, kind, item, &sp.values); err != nil {
			return spec{}, err
		}
	}
	return sp, nil
}

// parseSpecial handles L, W and # items. It reports whether item was one.
func parseSpecial(kind int, item string, sp *spec) (bool, error) {
	switch kind {
	case fieldDayOfMonth:
		if strings.HasPrefix(item, "L") {
			rest := item[1:]
			sp.lastDay = true
			if r, ok := strings.CutSuffix(rest, "W"); ok {
				sp.nearestWeekday = true
				rest = r
			}
			if rest == "" {
				return true, nil
			}
			num, ok := strings.CutPrefix(rest, "-")
			if !ok {
				return true, fmt.Errorf("%q: expected L, LW, L-n or L-nW", item)
			}
			n, err := number(num)
			if err != nil || n > 30 {
				return true, fmt.Errorf("%q: the offset after L- must be a number from 0 to 30", item)
			}
			sp.lastOffset = n
			return true, nil
		}
		if day, ok := strings.CutSuffix(item, "W"); ok {
			n, err := number(day)
			if err != nil || n < 1 || n > 31 {
				return true, fmt.Errorf("%q: W must follow a single day from 1 to 31", item)
			}
			sp.nearestWeekday = true
			sp.weekdayOf = n
			return true, nil
		}
		if strings.ContainsAny(item, "LW#") {
			return true, fmt.Errorf("%q: L and W are used as L, L-n, LW, L-nW or nW", item)
		}
	case fieldDayOfWeek:
		if item == "L" { // Quartz: a bare L in day-of-week is Saturday
			sp.values.set(7)
			return true, nil
		}
		if day, ok := strings.CutSuffix(item, "L"); ok {
			d, err := value(&fields[fieldDayOfWeek], day)
			if err != nil {
				return true, fmt.Errorf("%q: L must follow a single day of week: %v", item, err)
			}
			sp.lastOfMonth = true
			sp.values.set(d)
			return true, nil
		}
		if day, nth, ok := strings.Cut(item, "#"); ok {
			d, err := value(&fields[fieldDayOfWeek], day)
			if err != nil {
				return true, fmt.Errorf("%q: # must follow a single day of week: %v", item, err)
			}
			n, err := number(nth)
			if err != nil || n < 1 || n > 5 {
				return true, fmt.Errorf("%q: a number from 1 to 5 must follow #", item)
			}
			sp.nth = n
			sp.values.set(d)
			return true, nil
		}
	case fieldMonth:
		// Month names contain L (JUL); a stray letter is reported by the name lookup.
	default:
		if strings.ContainsAny(item, "LW#") {
			return true, fmt.Errorf("%q: L, W and # are only allowed in day-of-month or day-of-week", item)
		}
	}
	return false, nil
}

// parseItem handles `*`, `*/s`, `/s`, `a`, `a/s`, `a-b`, `a-b/s` and adds the values to set.
func parseItem(info *fieldInfo, kind int, item string, set *bitset) error {
	base, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := number(stepText)
		if err != nil || n < 1 || n > info.maxStep {
			return fmt.Errorf("%q: the increment after / must be a number from 1 to %d", item, info.maxStep)
		}
		step = n
	}
	var start, end int
	switch lo, hi, isRange := strings.Cut(base, "-"); {
	case base == "*" || (base == "" && hasStep): // Quartz reads "/s" as "*/s"
		start, end = info.min, info.max
	case isRange:
		var err error
		if start, err = value(info, lo); err != nil {
			return fmt.Errorf("%q: %v", item, err)
		}
		if end, err = value(info, hi); err != nil {
			return fmt.Errorf("%q: %v", item, err)
		}
		if end < start {
			if kind == fieldYear {
				return fmt.Errorf("%q: a year range must not end before it starts", item)
			}
			// Quartz ranges wrap around: 22-2 in hours is 22,23,0,1,2.
			end += info.max - info.min + 1
		}
	default:
		var err error
		if start, err = value(info, base); err != nil {
			return fmt.Errorf("%q: %v", item, err)
		}
		end = start
		if hasStep { // Quartz: a/s runs from a to the end of the field
			end = info.max
		}
	}
	size := info.max - info.min + 1
	for v := start; v <= end; v += step {
		w := info.min + (v-info.min)%size
		if kind == fieldYear {
			set.set(w - minYear)
		} else {
			set.set(w)
		}
	}
	return nil
}

// value parses a number or, where the field has them, a three-letter name, and checks its range.
func value(info *fieldInfo, text string) (int, error) {
	for i, n := range info.names {
		if text == n {
			return info.min + i, nil
		}
	}
	n, err := number(text)
	if err != nil {
		if info.names != nil {
			return 0, fmt.Errorf("%q is neither a number nor one of %s", text, strings.Join(info.names, ","))
		}
		return 0, fmt.Errorf("%q is not a number", text)
	}
	if n < info.min || n > info.max {
		return 0, fmt.Errorf("value %d is out of range %d-%d", n, info.min, info.max)
	}
	return n, nil
}

// number parses an unsigned decimal of at most four digits, which bounds every loop over a field.
func number(text string) (int, error) {
	if text == "" || len(text) > 4 {
		return 0, strconv.ErrSyntax
	}
	for _, c := range text {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(text)
}
