package rules

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"

	"github.com/connectors-go/connectors/internal/pyfmt"
)

// Engine decides which documents a sync ingests. It is built once per sync from the job's active
// rule set and is safe for concurrent use.
type Engine struct {
	rules []*compiledRule
	// defaultMatches counts documents no rule matched (reported under the DEFAULT rule's id).
	defaultMatches atomic.Int64
}

type compiledRule struct {
	Rule
	policy    Policy
	condition Condition
	re        *regexp2.Regexp
	count     atomic.Int64
}

// RuleStats is how many documents one rule decided.
type RuleStats struct {
	ID      string `json:"id"`
	Policy  Policy `json:"policy"`
	Matches int64  `json:"matches"`
}

// Compile prepares a rule set: the DEFAULT rule is dropped, the others are sorted by order (rules
// with the same order keep their list order), and regexes are compiled. The error names the first
// rule that cannot be used.
func Compile(rules []Rule) (*Engine, error) {
	e := &Engine{}
	for i := range rules {
		r := &rules[i]
		if r.IsDefault() {
			continue
		}
		policy, err := ParsePolicy(r.Policy)
		if err != nil {
			return nil, fmt.Errorf("sync rule %q: %w", r.ID, err)
		}
		cond, err := ParseCondition(r.Rule)
		if err != nil {
			return nil, fmt.Errorf("sync rule %q: %w", r.ID, err)
		}
		cr := &compiledRule{Rule: *r, policy: policy, condition: cond}
		if cond == Regex {
			if cr.re, err = compilePythonRegex(r.Value); err != nil {
				return nil, regexError(r, err)
			}
		}
		e.rules = append(e.rules, cr)
	}
	sort.SliceStable(e.rules, func(i, j int) bool { return e.rules[i].Order < e.rules[j].Order })
	return e, nil
}

// Match reports whether a document is to be ingested. Rules look at top-level fields only; the first
// rule that matches decides, and a document no rule matches is included. A rule whose field the
// document lacks does not match. The error (a "<" or ">" between values that have no order, a regex
// that timed out) names the rule and the field; the Python service failed the sync in those cases
// too.
func (e *Engine) Match(doc map[string]any) (bool, error) {
	for _, r := range e.rules {
		v, ok := doc[r.Field]
		if !ok {
			continue
		}
		m, err := r.matches(v)
		if err != nil {
			return false, err
		}
		if m {
			r.count.Add(1)
			return r.policy == Include, nil
		}
	}
	e.defaultMatches.Add(1)
	return true, nil
}

// Stats returns how many documents each rule decided, in evaluation order, followed by the
// documents no rule matched under the DEFAULT id.
func (e *Engine) Stats() []RuleStats {
	out := make([]RuleStats, 0, len(e.rules)+1)
	for _, r := range e.rules {
		out = append(out, RuleStats{ID: r.ID, Policy: r.policy, Matches: r.count.Load()})
	}
	return append(out, RuleStats{ID: DefaultRuleID, Policy: Include, Matches: e.defaultMatches.Load()})
}

// Len returns the number of rules in force (the DEFAULT rule excluded).
func (e *Engine) Len() int { return len(e.rules) }

func (r *compiledRule) matches(v any) (bool, error) {
	switch r.condition {
	case StartsWith:
		return strings.HasPrefix(pyfmt.Str(v), r.Value), nil
	case EndsWith:
		return strings.HasSuffix(pyfmt.Str(v), r.Value), nil
	case Contains:
		return strings.Contains(pyfmt.Str(v), r.Value), nil
	case Regex:
		m, err := r.re.MatchString(pyfmt.Str(v))
		if err != nil {
			return false, fmt.Errorf("sync rule %q (field %q): regex %q: %w", r.ID, r.Field, r.Value, err)
		}
		return m, nil
	case Equals:
		c, ok := r.compare(v, true)
		return ok && c == 0, nil
	}
	c, ok := r.compare(v, false)
	switch {
	case !ok:
		return false, r.orderError(v)
	case c == incomparable:
		return false, nil
	case r.condition == GreaterThan:
		return c > 0, nil
	}
	return c < 0, nil
}

// incomparable marks a comparison that is false whatever the operator (NaN).
const incomparable = 2

// compare compares the document value with the rule value converted to the document value's type.
// ok is false when the two have no common type; for equality the values are then simply unequal.
func (r *compiledRule) compare(v any, equality bool) (int, bool) {
	switch x := v.(type) {
	case string:
		return strings.Compare(x, r.Value), true
	case bool:
		// Fixed: Python compared the bool with the string "True"/"False", so equality never held.
		b, ok := parseBool(r.Value)
		if !ok || !equality {
			return 0, false
		}
		if x == b {
			return 0, true
		}
		return 1, true
	case time.Time:
		t, ok := parseDate(r.Value)
		if !ok {
			return 0, false
		}
		return x.Compare(t), true
	}
	if n, ok := asNumber(v); ok {
		f, ok := parsePyFloat(r.Value)
		if !ok {
			return 0, false
		}
		c, ok := n.cmp(f)
		if !ok {
			return incomparable, true
		}
		return c, true
	}
	return 0, false // lists, objects, null: Python compared them with a string
}

func (r *compiledRule) orderError(v any) error {
	return fmt.Errorf("sync rule %q (field %q): cannot compare the document's value %s (%s) with %q using %q",
		r.ID, r.Field, truncate(pyfmt.Repr(v), 80), typeName(v), r.Value, string(r.condition))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case time.Time:
		return "date"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if _, ok := asNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}
