package rules

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

func rule(id string, order int, policy, field, cond, value string) Rule {
	return Rule{ID: id, Order: order, Policy: policy, Field: field, Rule: cond, Value: value}
}

func mustCompile(t *testing.T, rules ...Rule) *Engine {
	t.Helper()
	e, err := Compile(rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return e
}

// TestSingleRule runs one rule (plus the DEFAULT rule, which never decides) against one value.
// "include" is what Match returns: a matching include rule or no match at all both include, so the
// cases use exclude rules, where a match is visible.
func TestSingleRule(t *testing.T) {
	date := time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		cond  string
		value string
		doc   any
		match bool
	}{
		// strings
		{"equals string", "equals", "hello", "hello", true},
		{"equals is exact", "equals", "hello", "Hello", false},
		{"equals no trimming", "equals", "hello", "hello ", false},
		{"contains", "contains", "ell", "hello", true},
		{"contains miss", "contains", "xyz", "hello", false},
		{"starts_with", "starts_with", "he", "hello", true},
		{"starts_with miss", "starts_with", "lo", "hello", false},
		{"ends_with", "ends_with", "lo", "hello", true},
		{"ends_with miss", "ends_with", "he", "hello", false},
		{"string >", ">", "abc", "abd", true},
		{"string > equal", ">", "abc", "abc", false},
		{"string <", "<", "b", "a", true},
		{"string < by code point", "<", "é", "z", true},
		{"string numbers compare as text", ">", "10", "9", true},

		// numbers: the rule value becomes a float
		{"equals int", "equals", "5", 5, true},
		{"equals int64", "equals", "5", int64(5), true},
		{"equals float from 5.0", "equals", "5.0", 5, true},
		{"equals float", "equals", "2.5", 2.5, true},
		{"equals json.Number", "equals", "7", json.Number("7"), true},
		{"equals with spaces", "equals", " 5 ", 5, true},
		{"equals underscores", "equals", "1_000", 1000, true},
		{"equals exponent", "equals", "1e3", 1000.0, true},
		{"equals unparsable", "equals", "five", 5, false},
		{"equals hex refused", "equals", "0x10", 16, false},
		{"equals exact big int", "equals", "9007199254740993", int64(9007199254740993), false},
		{"equals exact big int 2", "equals", "9007199254740992", int64(9007199254740992), true},
		{"int >", ">", "10", 11, true},
		{"int > equal", ">", "10", 10, false},
		{"float <", "<", "0.5", 0.25, true},
		{"uint <", "<", "3", uint8(2), true},
		{"> inf", ">", "inf", 1e308, false},
		{"< inf", "<", "Infinity", 1e308, true},
		{"nan never matches", ">", "nan", 1.0, false},
		{"nan doc never matches", "<", "1", math.NaN(), false},
		{"nan equals", "equals", "nan", math.NaN(), false},
		{"contains on number text", "contains", "5", 15, true},
		{"starts_with float text", "starts_with", "5.0", 5.0, true},
		{"ends_with float text", "ends_with", ".0", 5.0, true},
		{"regex on int text", "regex", `\d+$`, 42, true},

		// booleans (fixed: Python never matched them with equals)
		{"bool true", "equals", "true", true, true},
		{"bool True", "equals", "True", true, true},
		{"bool yes", "equals", "yes", true, true},
		{"bool on", "equals", "ON", true, true},
		{"bool 1", "equals", "1", true, true},
		{"bool t", "equals", "t", true, true},
		{"bool false vs true", "equals", "false", true, false},
		{"bool false", "equals", "false", false, true},
		{"bool no", "equals", "no", false, true},
		{"bool off", "equals", "off", false, true},
		{"bool 0", "equals", "0", false, true},
		{"bool other word", "equals", "maybe", false, false},
		{"bool contains text", "contains", "Tru", true, true},
		{"bool regex text", "regex", "False", false, true},

		// dates held as time.Time
		{"date equals", "equals", "2024-03-15T10:30:00Z", date, true},
		{"date equals offset", "equals", "2024-03-15T12:30:00+02:00", date, true},
		{"date equals naive is UTC", "equals", "2024-03-15 10:30:00", date, true},
		{"date >", ">", "2024-03-15", date, true},
		{"date <", "<", "2024-03-16", date, true},
		{"date < false", "<", "2024-01-01", date, false},
		{"date unparsable equals", "equals", "yesterday", date, false},
		{"date starts_with isoformat", "starts_with", "2024-03-15T10:30:00+00:00", date, true},

		// dates held as strings compare as text, as in Python
		{"date string >", ">", "2024-03-15", "2024-03-16T00:00:00Z", true},
		{"date string <", "<", "2024-03-15", "2023-12-31", true},

		// regex: Python re.match, anchored at the start only
		{"regex prefix", "regex", "ab", "abc", true},
		{"regex not searched", "regex", "bc", "abc", false},
		{"regex end anchor", "regex", "abc$", "abc", true},
		{"regex end anchor newline", "regex", "abc$", "abc\n", true},
		{"regex Z", "regex", `abc\Z`, "abc\n", false},
		{"regex named backref", "regex", `(?P<w>\w+) (?P=w)`, "hello hello", true},
		{"regex named backref miss", "regex", `(?P<w>\w+) (?P=w)\b`, "hello help", false},
		{"regex unicode word", "regex", `\w+$`, "café", true},
		{"regex case flag", "regex", `(?i)^readme`, "README.md", true},
		{"regex alternation anchored", "regex", "b|a", "abc", true},
		{"regex alternation anchored 2", "regex", "x|b", "abc", false},
		{"regex {,n}", "regex", "a{,2}b", "aab", true},

		// other values: lists and objects compare by their Python text; null is "None"
		{"list contains", "contains", "'b'", []any{"a", "b"}, true},
		{"list starts_with", "starts_with", "['a'", []string{"a", "b"}, true},
		{"list equals never", "equals", "['a']", []any{"a"}, false},
		{"object contains", "contains", "'k': 1", map[string]any{"k": 1}, true},
		{"null text", "equals", "None", nil, false},
		{"null contains", "contains", "None", nil, true},
		{"empty string equals needs empty value", "equals", "x", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustCompile(t, DefaultRule(), rule("r1", 0, "exclude", "f", tc.cond, tc.value))
			include, err := e.Match(map[string]any{"f": tc.doc})
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if include == tc.match {
				t.Errorf("rule %s %q on %#v: matched=%v, want %v", tc.cond, tc.value, tc.doc, !include, tc.match)
			}
		})
	}
}

func TestOrderingErrors(t *testing.T) {
	tests := []struct {
		name  string
		cond  string
		value string
		doc   any
	}{
		{"bool >", ">", "true", true},
		{"bool <", "<", "false", false},
		{"number vs word", ">", "ten", 5},
		{"date vs word", "<", "soon", time.Now()},
		{"list", "<", "3", []any{1, 2}},
		{"object", ">", "3", map[string]any{"a": 1}},
		{"null", ">", "3", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustCompile(t, rule("rule-42", 0, "include", "size", tc.cond, tc.value))
			_, err := e.Match(map[string]any{"size": tc.doc})
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range []string{`"rule-42"`, `"size"`, tc.cond} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %s", err, want)
				}
			}
		})
	}
}

func TestFirstMatchDecides(t *testing.T) {
	// Stored out of order, as Kibana may: evaluation follows "order", ties keep list order.
	rules := []Rule{
		rule("exclude-drafts", 2, "exclude", "title", "contains", "draft"),
		DefaultRule(),
		rule("include-reports", 1, "include", "title", "starts_with", "Report"),
		rule("exclude-big", 3, "exclude", "size", ">", "1000"),
		rule("include-small-first", 3, "include", "size", "<", "5"),
		rule("exclude-small-second", 3, "exclude", "size", "<", "10"),
	}
	e := mustCompile(t, rules...)
	tests := []struct {
		doc     map[string]any
		include bool
		decider string
	}{
		{map[string]any{"title": "Report draft"}, true, "include-reports"},
		{map[string]any{"title": "My draft"}, false, "exclude-drafts"},
		{map[string]any{"title": "x", "size": 5000}, false, "exclude-big"},
		{map[string]any{"title": "x", "size": 3}, true, "include-small-first"},
		{map[string]any{"title": "x", "size": 7}, false, "exclude-small-second"},
		{map[string]any{"title": "x", "size": 500}, true, DefaultRuleID},
		{map[string]any{"other": "draft"}, true, DefaultRuleID},    // fields missing: no rule matches
		{map[string]any{"Title": "My draft"}, true, DefaultRuleID}, // field names are case-sensitive
	}
	for _, tc := range tests {
		before := statsByID(e)
		include, err := e.Match(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		if include != tc.include {
			t.Errorf("%v: include=%v, want %v", tc.doc, include, tc.include)
		}
		after := statsByID(e)
		for id, n := range after {
			want := before[id]
			if id == tc.decider {
				want++
			}
			if n != want {
				t.Errorf("%v: count of %s went %d → %d", tc.doc, id, before[id], n)
			}
		}
	}
	var order []string
	for _, s := range e.Stats() {
		order = append(order, s.ID)
	}
	want := "include-reports exclude-drafts exclude-big include-small-first exclude-small-second DEFAULT"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("evaluation order %q, want %q", got, want)
	}
	if e.Len() != 5 {
		t.Errorf("Len() = %d", e.Len())
	}
}

func statsByID(e *Engine) map[string]int64 {
	m := map[string]int64{}
	for _, s := range e.Stats() {
		m[s.ID] = s.Matches
	}
	return m
}

func TestNoRulesIncludesEverything(t *testing.T) {
	for _, rules := range [][]Rule{nil, {DefaultRule()}} {
		e := mustCompile(t, rules...)
		include, err := e.Match(map[string]any{"a": 1})
		if err != nil || !include {
			t.Errorf("Match = %v, %v", include, err)
		}
		if s := e.Stats(); len(s) != 1 || s[0].ID != DefaultRuleID || s[0].Matches != 1 {
			t.Errorf("Stats = %+v", s)
		}
	}
}

func TestDefaultRuleIgnoredWhateverItSays(t *testing.T) {
	// The engine recognises the DEFAULT rule by id only and never evaluates it.
	e := mustCompile(t, Rule{ID: DefaultRuleID, Policy: "exclude", Field: "a", Rule: "bogus", Value: ""})
	if include, err := e.Match(map[string]any{"a": 1}); err != nil || !include {
		t.Errorf("Match = %v, %v", include, err)
	}
}

func TestPolicyAndConditionCase(t *testing.T) {
	e := mustCompile(t,
		rule("a", 0, "EXCLUDE", "f", "Equals", "x"),
		rule("b", 1, "Include", "f", "STARTS_WITH", "y"),
		rule("c", 2, "exclude", "f", "REGEX", "z"),
	)
	for doc, want := range map[string]bool{"x": false, "yy": true, "zz": false, "w": true} {
		if got, _ := e.Match(map[string]any{"f": doc}); got != want {
			t.Errorf("%q: include=%v, want %v", doc, got, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		rule Rule
		want string
	}{
		{rule("r1", 0, "include", "f", "greater_than", "1"), `sync rule "r1": unknown rule "greater_than"`},
		{rule("r2", 0, "include", "f", "less_than", "1"), `unknown rule "less_than"`},
		{rule("r3", 0, "maybe", "f", "equals", "1"), `sync rule "r3": unknown policy "maybe"`},
		{rule("r4", 0, "include", "path", "regex", "a)(b"), `sync rule "r4" (field "path"): invalid regular expression "a)(b"`},
		{rule("r5", 0, "include", "path", "regex", "(?P=nope)"), `sync rule "r5"`},
	}
	for _, tc := range tests {
		_, err := Compile([]Rule{DefaultRule(), tc.rule})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%+v) = %v, want %q", tc.rule, err, tc.want)
		}
	}
}

func TestPyStr(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{"s", "s"}, {nil, "None"}, {true, "True"}, {false, "False"},
		{5, "5"}, {int64(-7), "-7"}, {uint16(9), "9"},
		{5.0, "5.0"}, {0.1, "0.1"}, {-2.5, "-2.5"}, {1e16, "1e+16"}, {1.5e16, "1.5e+16"}, {123456789012345.0, "123456789012345.0"},
		{1e-4, "0.0001"}, {1e-5, "1e-05"}, {1.25e-7, "1.25e-07"}, {1e22, "1e+22"}, {0.0, "0.0"}, {math.Copysign(0, -1), "-0.0"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"}, {float32(0.5), "0.5"},
		{json.Number("12"), "12"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("", -5*3600)), "2024-01-02T03:04:05.123456-05:00"},
		{[]any{"a", 1, 2.0, true, nil}, "['a', 1, 2.0, True, None]"},
		{[]string{"it's", `say "hi"`, "both ' \""}, `["it's", 'say "hi"', 'both \' "']`},
		{map[string]any{"b": []any{}, "a": map[string]any{"x": "y\n"}}, `{'a': {'x': 'y\n'}, 'b': []}`},
		{[]any{}, "[]"},
	}
	for _, tc := range tests {
		if got := pyfmt.Str(tc.v); got != tc.want {
			t.Errorf("pyfmt.Str(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestParsePyFloat(t *testing.T) {
	tests := []struct {
		in string
		ok bool
		f  float64
	}{
		{"1", true, 1}, {" -2.5\t", true, -2.5}, {"1e3", true, 1000}, {"1_000.5", true, 1000.5}, {".5", true, 0.5},
		{"inf", true, math.Inf(1)}, {"-Infinity", true, math.Inf(-1)}, {"1e400", true, math.Inf(1)},
		{"", false, 0}, {"abc", false, 0}, {"0x10", false, 0}, {"1__0", false, 0}, {"_1", false, 0}, {"1_", false, 0},
		{"1,5", false, 0},
	}
	for _, tc := range tests {
		f, ok := parsePyFloat(tc.in)
		if ok != tc.ok || (ok && f != tc.f) {
			t.Errorf("parsePyFloat(%q) = %v, %v; want %v, %v", tc.in, f, ok, tc.f, tc.ok)
		}
	}
}

// FuzzMatch feeds arbitrary rules and values to the engine: it may refuse a rule or return an error,
// but must not panic, and a rule set that compiles must give the same answer twice.
func FuzzMatch(f *testing.F) {
	f.Add("regex", "(?P<a>x)(?P=a)", "xx", int64(0), 0.0, byte(0))
	f.Add("equals", "5", "", int64(5), 5.0, byte(1))
	f.Add(">", "2024-01-01", "2024-02-01", int64(0), 0.0, byte(2))
	f.Add("<", "true", "", int64(0), 0.0, byte(3))
	f.Add("contains", "'", "it's", int64(0), math.NaN(), byte(4))
	f.Add("ends_with", "\xff", "\xff", int64(-1), math.Inf(1), byte(5))
	f.Fuzz(func(t *testing.T, cond, value, s string, i int64, fl float64, kind byte) {
		var doc any
		switch kind % 8 {
		case 0:
			doc = s
		case 1:
			doc = i
		case 2:
			doc = fl
		case 3:
			doc = i%2 == 0
		case 4:
			doc = []any{s, i, fl}
		case 5:
			doc = map[string]any{s: fl}
		case 6:
			doc = time.Unix(i%(1<<40), 0).UTC()
		case 7:
			doc = nil
		}
		e, err := Compile([]Rule{rule("id", 0, "exclude", "f", cond, value)})
		if err != nil {
			return
		}
		a, errA := e.Match(map[string]any{"f": doc})
		b, errB := e.Match(map[string]any{"f": doc})
		if a != b || (errA == nil) != (errB == nil) {
			t.Fatalf("two evaluations differ: %v/%v, %v/%v", a, b, errA, errB)
		}
		if errA != nil && !strings.Contains(errA.Error(), `"id"`) {
			t.Fatalf("error does not name the rule: %v", errA)
		}
	})
}

func TestConcurrentMatchCounts(t *testing.T) {
	e := mustCompile(t, rule("even", 0, "exclude", "n", "regex", `\d*[02468]$`))
	const workers, each = 4, 500
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				if _, err := e.Match(map[string]any{"n": w*each + i}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	if s := statsByID(e); s["even"] != workers*each/2 || s[DefaultRuleID] != workers*each/2 {
		t.Errorf("stats %v", s)
	}
}
