// Package rules holds the connector filtering model (basic sync rules, the advanced snippet and
// their validation state) and the engine that applies basic rules to documents during a sync.
//
// The JSON shapes are those Kibana and Elasticsearch store in a connector's `filtering` field and in
// a sync job's `connector.filtering` snapshot, so the protocol, sync and service packages decode into
// and encode from these types directly. docs/sync-rules.md describes the behaviour for users,
// including where it differs from the Python connector service.
package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultRuleID is the id of the catch-all rule Kibana and Elasticsearch keep last in every rule set.
// The engine ignores it: documents that match no other rule are included anyway.
const DefaultRuleID = "DEFAULT"

// DefaultDomain is the domain of the filtering entry the service works with.
const DefaultDomain = "DEFAULT"

// Policy says what happens to a document that matches a rule.
type Policy string

// Policies.
const (
	Include Policy = "include"
	Exclude Policy = "exclude"
)

// Condition is a rule's comparison, as stored in the rule's `rule` key.
type Condition string

// Conditions, with the exact strings Elasticsearch accepts.
const (
	Equals      Condition = "equals"
	Contains    Condition = "contains"
	StartsWith  Condition = "starts_with"
	EndsWith    Condition = "ends_with"
	Regex       Condition = "regex"
	GreaterThan Condition = ">"
	LessThan    Condition = "<"
)

var (
	policies   = []Policy{Include, Exclude}
	conditions = []Condition{Equals, Contains, StartsWith, EndsWith, Regex, GreaterThan, LessThan}
)

// ParsePolicy reads a policy case-insensitively.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range policies {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown policy %q: expected one of include, exclude", s)
}

// ParseCondition reads a rule condition case-insensitively. The long names "greater_than" and
// "less_than" are refused, as they are by the Python service and by Elasticsearch: the stored forms
// are ">" and "<".
func ParseCondition(s string) (Condition, error) {
	for _, c := range conditions {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown rule %q: expected one of equals, contains, starts_with, ends_with, regex, >, <", s)
}

// Rule is one basic sync rule.
type Rule struct {
	ID        string `json:"id"`
	Policy    string `json:"policy"`
	Field     string `json:"field"`
	Rule      string `json:"rule"`
	Value     string `json:"value"`
	Order     int    `json:"order"`
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`

	// problems maps each key that was missing or had the wrong JSON type when the rule was
	// decoded to a description; raw keeps the rule as read, so that a rule that could not be
	// represented faithfully is written back unchanged.
	problems map[string]string
	raw      json.RawMessage
}

// DefaultRule returns the catch-all rule Kibana and Elasticsearch put in every rule set.
func DefaultRule() Rule {
	return Rule{ID: DefaultRuleID, Policy: string(Include), Field: "_", Rule: string(Regex), Value: ".*", Order: 0}
}

// IsDefault reports whether the rule is the catch-all rule (by id, as the Python service decides).
func (r *Rule) IsDefault() bool { return r.ID == DefaultRuleID }

// UnmarshalJSON decodes a rule without failing on bad content: a draft typed by a user may hold
// anything, and validation, not decoding, is what reports it (with the rule's id).
func (r *Rule) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("sync rule: %w", err)
	}
	*r = Rule{}
	problems := map[string]string{}
	lossy := false
	str := func(key string, dst *string, required bool) {
		v, ok := m[key]
		if !ok || bytes.Equal(v, []byte("null")) {
			if required {
				problems[key] = fmt.Sprintf("%q is missing", key)
			}
			return
		}
		if err := json.Unmarshal(v, dst); err != nil {
			if required {
				problems[key] = fmt.Sprintf("%q must be a string", key)
			}
			lossy = true
		}
	}
	str("id", &r.ID, true)
	str("policy", &r.Policy, true)
	str("field", &r.Field, true)
	str("rule", &r.Rule, true)
	str("value", &r.Value, true)
	str("created_at", &r.CreatedAt, false)
	str("updated_at", &r.UpdatedAt, false)
	if v, ok := m["order"]; !ok || bytes.Equal(v, []byte("null")) {
		problems["order"] = `"order" is missing`
	} else {
		var n json.Number
		// json.Number also accepts a quoted number, which is a string, not a number.
		if err := json.Unmarshal(v, &n); err != nil || bytes.HasPrefix(bytes.TrimSpace(v), []byte(`"`)) {
			problems["order"] = `"order" must be a number`
		} else if i, err := n.Int64(); err == nil {
			r.Order = int(i)
		} else if f, err := n.Float64(); err == nil {
			r.Order = int(f) // Elasticsearch reads an order of 1.5 as 1
			lossy = true
		} else {
			problems["order"] = `"order" must be a number`
		}
	}
	if len(problems) > 0 {
		r.problems = problems
	}
	if len(problems) > 0 || lossy {
		r.raw = append(json.RawMessage(nil), data...)
	}
	return nil
}

// MarshalJSON writes the rule; a rule that was decoded with problems is written back as it was read.
func (r Rule) MarshalJSON() ([]byte, error) {
	if r.raw != nil {
		return r.raw, nil
	}
	type plain Rule
	return json.Marshal(plain(r))
}

// AdvancedSnippet holds a source's advanced rules: a JSON object or array whose format each source
// defines.
type AdvancedSnippet struct {
	Value     any    `json:"value"`
	CreatedAt string `json:"created_at,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// MarshalJSON writes an absent value as {} (Elasticsearch requires an object or an array).
func (a AdvancedSnippet) MarshalJSON() ([]byte, error) {
	type plain AdvancedSnippet
	if a.Value == nil {
		a.Value = map[string]any{}
	}
	return json.Marshal(plain(a))
}

// ValidationState is the state of a rule set's validation.
type ValidationState string

// Validation states.
const (
	StateValid   ValidationState = "valid"
	StateInvalid ValidationState = "invalid"
	StateEdited  ValidationState = "edited" // set by Kibana when a draft changes
)

// ValidationError reports one problem, with the ids of the rules concerned (`advanced_snippet` for
// the advanced rules).
type ValidationError struct {
	IDs      []string `json:"ids"`
	Messages []string `json:"messages"`
}

// AdvancedSnippetID is the id advanced-rule validation errors carry.
const AdvancedSnippetID = "advanced_snippet"

// MarshalJSON writes empty lists as [] rather than null.
func (e ValidationError) MarshalJSON() ([]byte, error) {
	type plain ValidationError
	if e.IDs == nil {
		e.IDs = []string{}
	}
	if e.Messages == nil {
		e.Messages = []string{}
	}
	return json.Marshal(plain(e))
}

// Validation is the result stored next to a rule set.
type Validation struct {
	State  ValidationState   `json:"state"`
	Errors []ValidationError `json:"errors"`
}

// MarshalJSON writes no errors as [] rather than null.
func (v Validation) MarshalJSON() ([]byte, error) {
	type plain Validation
	if v.Errors == nil {
		v.Errors = []ValidationError{}
	}
	return json.Marshal(plain(v))
}

// Filtering is one rule set: the `active` or `draft` half of a filtering entry, and the
// `connector.filtering` snapshot of a sync job.
type Filtering struct {
	AdvancedSnippet AdvancedSnippet `json:"advanced_snippet"`
	Rules           []Rule          `json:"rules"`
	// Validation is nil when the stored object has none; it then counts as valid.
	Validation *Validation `json:"validation,omitempty"`
}

// MarshalJSON writes no rules as [] rather than null.
func (f Filtering) MarshalJSON() ([]byte, error) {
	type plain Filtering
	if f.Rules == nil {
		f.Rules = []Rule{}
	}
	return json.Marshal(plain(f))
}

// State returns the validation state, valid when none is stored.
func (f *Filtering) State() ValidationState {
	if f.Validation == nil || f.Validation.State == "" {
		return StateValid
	}
	return f.Validation.State
}

// AdvancedSnippetJSON returns the advanced snippet's value of a stored filtering object as the
// JSON text it was stored as (keys in their original order), or nil when there is none.
func AdvancedSnippetJSON(filtering json.RawMessage) json.RawMessage {
	var f struct {
		AdvancedSnippet struct {
			Value json.RawMessage `json:"value"`
		} `json:"advanced_snippet"`
	}
	if len(filtering) == 0 || json.Unmarshal(filtering, &f) != nil || isEmpty(f.AdvancedSnippet.Value) {
		return nil
	}
	return f.AdvancedSnippet.Value
}

// AdvancedRules returns the advanced snippet's value.
func (f *Filtering) AdvancedRules() any { return f.AdvancedSnippet.Value }

// HasAdvancedRules reports whether the advanced snippet holds anything: a non-empty object, array
// or string. Sources apply advanced rules, and validate them, only then.
func (f *Filtering) HasAdvancedRules() bool { return !isEmpty(f.AdvancedSnippet.Value) }

// Clone returns a deep copy.
func (f Filtering) Clone() Filtering {
	out := f
	out.AdvancedSnippet.Value = deepCopy(f.AdvancedSnippet.Value)
	if f.Rules != nil {
		out.Rules = make([]Rule, len(f.Rules))
		for i, r := range f.Rules {
			r.raw = append(json.RawMessage(nil), r.raw...) // problems is never modified after decoding
			out.Rules[i] = r
		}
	}
	if f.Validation != nil {
		v := Validation{State: f.Validation.State}
		if f.Validation.Errors != nil {
			v.Errors = make([]ValidationError, len(f.Validation.Errors))
			for i, e := range f.Validation.Errors {
				v.Errors[i] = ValidationError{
					IDs:      append([]string(nil), e.IDs...),
					Messages: append([]string(nil), e.Messages...),
				}
			}
		}
		out.Validation = &v
	}
	return out
}

// Entry is one element of a connector's `filtering` array.
type Entry struct {
	Domain string    `json:"domain"`
	Active Filtering `json:"active"`
	Draft  Filtering `json:"draft"`
}

// DefaultEntry returns the entry of the DEFAULT domain, or nil. (Elasticsearch keeps exactly one
// entry; older connector documents may hold more.)
func DefaultEntry(entries []Entry) *Entry {
	for i := range entries {
		if entries[i].Domain == DefaultDomain {
			return &entries[i]
		}
	}
	return nil
}

// Activate copies the draft into the active rule set when the draft is valid, as
// `_filtering/_activate` does, and reports whether it did.
func (e *Entry) Activate() bool {
	if e.Draft.State() != StateValid {
		return false
	}
	e.Active = e.Draft.Clone()
	return true
}

// NewFiltering returns the rule set a new connector starts with: the default rule, an empty
// advanced snippet and a valid state.
func NewFiltering() Filtering {
	return Filtering{
		AdvancedSnippet: AdvancedSnippet{Value: map[string]any{}},
		Rules:           []Rule{DefaultRule()},
		Validation:      &Validation{State: StateValid, Errors: []ValidationError{}},
	}
}

// SyncRulesEnabled reports whether any sync-rule feature is on in a connector's `features`:
// `sync_rules.basic.enabled`, `sync_rules.advanced.enabled`, or the legacy `filtering_rules` and
// `filtering_advanced_config`. Basic rules are applied whenever this is true, even when only advanced
// rules are enabled, as in the Python service. Values count as on when Python would find them true.
func SyncRulesEnabled(features map[string]any) bool {
	nested := func(keys ...string) any {
		var cur any = features
		for _, k := range keys {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		}
		return cur
	}
	return truthy(nested("sync_rules", "basic", "enabled")) ||
		truthy(nested("filtering_rules")) ||
		truthy(nested("sync_rules", "advanced", "enabled")) ||
		truthy(nested("filtering_advanced_config"))
}

// truthy is Python's truth test for JSON values.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	}
	return !isEmpty(v)
}

// isEmpty reports whether a JSON value is null or an empty string, array or object (Python's len()
// of 0); other values are not empty.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case json.RawMessage:
		s := strings.TrimSpace(string(x))
		return s == "" || s == "null" || s == "{}" || s == "[]" || s == `""`
	}
	return false
}

// deepCopy copies the maps and slices of a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	case json.RawMessage:
		return append(json.RawMessage(nil), x...)
	}
	return v
}
