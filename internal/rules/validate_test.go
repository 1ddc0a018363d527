package rules

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const uuid1 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
const uuid2 = "3f333df6-90a4-4fda-8dd3-9485d27cee36"

func decodeRules(t *testing.T, js string) []Rule {
	t.Helper()
	var rules []Rule
	if err := json.Unmarshal([]byte(js), &rules); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return rules
}

func validate(t *testing.T, f Filtering, advanced ...AdvancedValidator) Validation {
	t.Helper()
	return NewValidator(advanced...).Validate(context.Background(), &f)
}

func TestValidateValidSet(t *testing.T) {
	rules := decodeRules(t, `[
		{"id":"`+uuid1+`","policy":"exclude","field":"title","rule":"contains","value":"draft","order":0,
		 "created_at":"2024-01-01T00:00:00.000Z","updated_at":"2024-01-01T00:00:00.000Z"},
		{"id":"`+uuid2+`","policy":"INCLUDE","field":"size","rule":">","value":"10","order":1},
		{"id":"r3","policy":"include","field":"path","rule":"regex","value":"(?P<d>\\w+)/(?P=d)","order":2},
		{"id":"DEFAULT","policy":"include","field":"_","rule":"regex","value":".*","order":3}]`)
	got := validate(t, Filtering{Rules: rules})
	want := Validation{State: StateValid, Errors: []ValidationError{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	js, _ := json.Marshal(got)
	if string(js) != `{"state":"valid","errors":[]}` {
		t.Errorf("JSON %s", js)
	}
}

func TestValidateSchema(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		id      string
		message string
	}{
		{"all missing", `{}`, "", `Basic rule 1 (id: ''): "id" is missing; "policy" is missing; "field" is missing; "rule" is missing; "value" is missing; "order" is missing.`},
		{"empty strings", `{"id":"r1","policy":"include","field":"","rule":"equals","value":"","order":4}`, "r1",
			`Basic rule 5 (id: 'r1'): "field" must be a non-empty string; "value" must be a non-empty string.`},
		{"bad policy", `{"id":"r1","policy":"allow","field":"f","rule":"equals","value":"v","order":0}`, "r1",
			`"policy" must be include or exclude, not "allow"`},
		{"long rule name refused", `{"id":"r1","policy":"include","field":"f","rule":"greater_than","value":"1","order":0}`, "r1",
			`"rule" must be one of equals, contains, starts_with, ends_with, regex, >, <, not "greater_than"`},
		{"wrong types", `{"id":"r1","policy":"include","field":"f","rule":"equals","value":5,"order":"1"}`, "r1",
			`"value" must be a string; "order" must be a number.`},
		{"null id", `{"id":null,"policy":"include","field":"f","rule":"equals","value":"v","order":0}`, "", `"id" is missing`},
		{"id shortened", `{"id":"` + uuid1 + `","policy":"include","field":"f","rule":"equals","value":"","order":1}`, uuid1,
			`Basic rule 2 (id: '7c9e6...90ae7'): "value" must be a non-empty string.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := validate(t, Filtering{Rules: decodeRules(t, "["+tc.rule+"]")})
			if got.State != StateInvalid || len(got.Errors) != 1 {
				t.Fatalf("got %+v", got)
			}
			e := got.Errors[0]
			if !reflect.DeepEqual(e.IDs, []string{tc.id}) || len(e.Messages) != 1 || !strings.Contains(e.Messages[0], tc.message) {
				t.Errorf("got %+v, want ids [%q] and message containing %q", e, tc.id, tc.message)
			}
		})
	}
}

func TestValidateMatchAllRegex(t *testing.T) {
	rules := []Rule{
		rule(uuid1, 0, "include", "title", "regex", ".*"),
		rule("r2", 1, "exclude", "body", "REGEX", "(.*)"),
		rule("r3", 2, "include", "body", "equals", ".*"), // not a regex rule
		rule("r4", 3, "include", "body", "regex", ".*x"),
		DefaultRule(),
	}
	got := validate(t, Filtering{Rules: rules})
	want := []ValidationError{
		{IDs: []string{uuid1}, Messages: []string{"Basic rule 1 (id: '7c9e6...90ae7') uses a match all regexps ['.*', '(.*)'], which are not allowed."}},
		{IDs: []string{"r2"}, Messages: []string{"Basic rule 2 (id: 'r2') uses a match all regexps ['.*', '(.*)'], which are not allowed."}},
	}
	if got.State != StateInvalid || !reflect.DeepEqual(got.Errors, want) {
		t.Errorf("got %+v", got)
	}
}

func TestValidateRegexSyntax(t *testing.T) {
	got := validate(t, Filtering{Rules: []Rule{rule("r1", 0, "include", "path", "regex", "[a-"), DefaultRule()}})
	if got.State != StateInvalid || len(got.Errors) != 1 || got.Errors[0].IDs[0] != "r1" ||
		!strings.Contains(got.Errors[0].Messages[0], "Basic rule 1 (id: 'r1') uses an invalid regular expression") {
		t.Errorf("got %+v", got)
	}
}

func TestValidateDuplicates(t *testing.T) {
	rules := []Rule{
		rule("a", 0, "include", "title", "contains", "x"),
		rule("b", 1, "include", "title", "contains", "y"),
		rule("c", 2, "exclude", "title", "CONTAINS", "x"), // duplicate of a: policy and case ignored
		rule("d", 3, "include", "title", "contains", "y"), // duplicate of b: not reported (first pair only)
		rule("e", 4, "include", "Title", "contains", "x"), // field differs
	}
	got := validate(t, Filtering{Rules: rules})
	want := []ValidationError{
		{IDs: []string{"c"}, Messages: []string{"Basic rule 3 (id: 'c') is semantically equal to Basic rule 1 (id: 'a')."}},
		{IDs: []string{"a"}, Messages: []string{"Basic rule 1 (id: 'a') is semantically equal to Basic rule 3 (id: 'c')."}},
	}
	if got.State != StateInvalid || !reflect.DeepEqual(got.Errors, want) {
		t.Errorf("got %+v", got)
	}

	// The DEFAULT rule takes part: a rule equal to it is its duplicate (and a match-all regex).
	got = validate(t, Filtering{Rules: []Rule{DefaultRule(), rule("z", 1, "exclude", "_", "regex", ".*")}})
	if len(got.Errors) != 3 || got.Errors[1].IDs[0] != "z" || got.Errors[2].IDs[0] != DefaultRuleID ||
		got.Errors[2].Messages[0] != "Basic rule 1 (id: 'DEFAULT') is semantically equal to Basic rule 2 (id: 'z')." {
		t.Errorf("got %+v", got)
	}
}

func TestValidateAdvanced(t *testing.T) {
	calls := 0
	tablesRequired := func(_ context.Context, v any) []ValidationError {
		calls++
		if m, ok := v.(map[string]any); ok && m["tables"] != nil {
			return nil
		}
		return []ValidationError{{IDs: []string{AdvancedSnippetID}, Messages: []string{"tables is required"}}}
	}
	tests := []struct {
		name    string
		value   any
		runs    bool
		invalid bool
	}{
		{"absent", nil, false, false},
		{"empty object", map[string]any{}, false, false},
		{"empty array", []any{}, false, false},
		{"valid", map[string]any{"tables": []any{"t"}}, true, false},
		{"invalid", map[string]any{"query": "x"}, true, true},
		{"array", []any{map[string]any{"x": 1}}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			f := Filtering{AdvancedSnippet: AdvancedSnippet{Value: tc.value}, Rules: []Rule{rule("dup", 0, "include", "f", "equals", "v"), rule("dup2", 1, "include", "f", "equals", "v")}}
			got := validate(t, f, tablesRequired)
			if (calls == 1) != tc.runs {
				t.Errorf("advanced validator ran %d times", calls)
			}
			n := 2 // the basic duplicates come first
			if tc.invalid {
				n = 3
			}
			if len(got.Errors) != n || got.State != StateInvalid {
				t.Fatalf("got %+v", got)
			}
			if tc.invalid && got.Errors[2].IDs[0] != AdvancedSnippetID {
				t.Errorf("advanced error %+v", got.Errors[2])
			}
		})
	}
}

func TestValidateDraftAndActivate(t *testing.T) {
	good := []Rule{rule("a", 0, "exclude", "f", "equals", "x"), DefaultRule()}
	bad := []Rule{rule("a", 0, "exclude", "f", "regex", ".*"), DefaultRule()}
	edited := &Validation{State: StateEdited, Errors: []ValidationError{}}
	tests := []struct {
		name                string
		draft               Filtering
		validated, activate bool
		state               ValidationState
	}{
		{"edited valid draft", Filtering{Rules: good, Validation: edited, AdvancedSnippet: AdvancedSnippet{Value: map[string]any{"k": []any{"v"}}}}, true, true, StateValid},
		{"edited invalid draft", Filtering{Rules: bad, Validation: edited}, true, false, StateInvalid},
		{"already valid", Filtering{Rules: bad, Validation: &Validation{State: StateValid}}, false, false, StateValid},
		{"already invalid", Filtering{Rules: good, Validation: &Validation{State: StateInvalid}}, false, false, StateInvalid},
		{"no validation counts as valid", Filtering{Rules: good}, false, false, StateValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			active := NewFiltering()
			e := Entry{Domain: DefaultDomain, Active: active.Clone(), Draft: tc.draft.Clone()}
			validated, activated := NewValidator().ValidateDraft(context.Background(), &e)
			if validated != tc.validated || activated != tc.activate || e.Draft.State() != tc.state {
				t.Fatalf("validated=%v activated=%v state=%s", validated, activated, e.Draft.State())
			}
			if !activated {
				if !reflect.DeepEqual(e.Active, active) {
					t.Errorf("active changed: %+v", e.Active)
				}
				return
			}
			a, _ := json.Marshal(e.Active)
			d, _ := json.Marshal(e.Draft)
			if string(a) != string(d) {
				t.Errorf("active %s != draft %s", a, d)
			}
			// The copy is deep: changing the draft leaves the active rules alone.
			e.Draft.Rules[0].Value = "changed"
			e.Draft.AdvancedSnippet.Value.(map[string]any)["k"].([]any)[0] = "changed"
			e.Draft.Validation.State = StateEdited
			if e.Active.Rules[0].Value != "x" || e.Active.AdvancedSnippet.Value.(map[string]any)["k"].([]any)[0] != "v" ||
				e.Active.State() != StateValid {
				t.Errorf("active shares memory with draft: %+v", e.Active)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	v := NewValidator()
	if err := v.Check(context.Background(), &Filtering{Rules: []Rule{DefaultRule()}}); err != nil {
		t.Errorf("Check(valid) = %v", err)
	}
	err := v.Check(context.Background(), &Filtering{Rules: []Rule{rule("r1", 0, "include", "f", "regex", "(.*)")}})
	var ife *InvalidFilteringError
	if !errors.As(err, &ife) || ife.State != StateInvalid ||
		!strings.HasPrefix(err.Error(), "Filtering in state invalid, errors: [(ids: r1, messages: Basic rule 1 (id: 'r1') uses a match all") {
		t.Errorf("Check = %v", err)
	}
}

func TestCustomBasicValidator(t *testing.T) {
	noBody := func(rules []Rule) []ValidationError {
		var errs []ValidationError
		for _, r := range rules {
			if r.Field == "body" {
				errs = append(errs, ValidationError{IDs: []string{r.ID}, Messages: []string{"body cannot be filtered"}})
			}
		}
		return errs
	}
	v := NewValidator()
	v.Basic = append(v.Basic, noBody)
	got := v.Validate(context.Background(), &Filtering{Rules: []Rule{rule("b", 0, "include", "body", "contains", "x")}})
	if got.State != StateInvalid || got.Errors[0].Messages[0] != "body cannot be filtered" {
		t.Errorf("got %+v", got)
	}
}
