package rules

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// connectorFiltering is a `filtering` value as Elasticsearch returns it after a Kibana edit.
const connectorFiltering = `[{
  "domain": "DEFAULT",
  "active": {
    "advanced_snippet": {"created_at": "2024-05-01T10:00:00.000Z", "updated_at": "2024-05-01T10:00:00.000Z", "value": {}},
    "rules": [{"created_at": "2024-05-01T10:00:00.000Z", "field": "_", "id": "DEFAULT", "order": 0, "policy": "include",
               "rule": "regex", "updated_at": "2024-05-01T10:00:00.000Z", "value": ".*"}],
    "validation": {"errors": [], "state": "valid"}
  },
  "draft": {
    "advanced_snippet": {"created_at": "2024-05-02T10:00:00.000Z", "updated_at": "2024-05-02T10:00:00.000Z",
                         "value": [{"tables": ["users"], "query": "SELECT * FROM users"}]},
    "rules": [
      {"created_at": "2024-05-02T10:00:00.000Z", "field": "title", "id": "5c9d", "order": 0, "policy": "exclude",
       "rule": "contains", "updated_at": "2024-05-02T10:00:00.000Z", "value": "draft"},
      {"created_at": "2024-05-01T10:00:00.000Z", "field": "_", "id": "DEFAULT", "order": 1, "policy": "include",
       "rule": "regex", "updated_at": "2024-05-01T10:00:00.000Z", "value": ".*"}],
    "validation": {"errors": [{"ids": ["5c9d"], "messages": ["something"]}], "state": "edited"}
  }
}]`

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestFilteringRoundTrip(t *testing.T) {
	var entries []Entry
	if err := json.Unmarshal([]byte(connectorFiltering), &entries); err != nil {
		t.Fatal(err)
	}
	e := DefaultEntry(entries)
	if e == nil || e != &entries[0] {
		t.Fatal("no DEFAULT entry")
	}
	if e.Draft.State() != StateEdited || len(e.Draft.Rules) != 2 || e.Draft.Rules[0].ID != "5c9d" || e.Draft.Rules[1].Order != 1 ||
		!e.Draft.HasAdvancedRules() || e.Active.HasAdvancedRules() {
		t.Errorf("decoded %+v", e)
	}
	out, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, out, []byte(connectorFiltering)) {
		t.Errorf("round trip changed the document:\n%s", out)
	}
}

func TestRuleDecodingKeepsWhatItCannotRepresent(t *testing.T) {
	tests := []string{
		`{"id":"r1","policy":"include","field":"f","rule":"equals","value":5,"order":1}`,
		`{"id":"r1","policy":"include","field":"f","rule":"equals","value":"v","order":1.5}`,
		`{"id":"r1","policy":"include","field":"f","rule":"equals","value":"v","order":1,"created_at":12345}`,
		`{"policy":"include"}`,
	}
	for _, in := range tests {
		var r Rule
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, _ := json.Marshal(r)
		if !bytes.Equal(out, []byte(in)) {
			t.Errorf("%s re-encoded as %s", in, out)
		}
	}
	var r Rule
	if err := json.Unmarshal([]byte(`"not an object"`), &r); err == nil {
		t.Error("a rule that is not an object decoded")
	}
}

func TestEmptyValuesEncode(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{Filtering{}, `{"advanced_snippet":{"value":{}},"rules":[]}`},
		{Validation{State: StateInvalid, Errors: []ValidationError{{}}}, `{"state":"invalid","errors":[{"ids":[],"messages":[]}]}`},
		{NewFiltering(), `{"advanced_snippet":{"value":{}},"rules":[{"id":"DEFAULT","policy":"include","field":"_","rule":"regex","value":".*","order":0}],"validation":{"state":"valid","errors":[]}}`},
	}
	for _, tc := range tests {
		out, err := json.Marshal(tc.v)
		if err != nil || string(out) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.v, out, err, tc.want)
		}
	}
}

func TestHasAdvancedRules(t *testing.T) {
	tests := []struct {
		value any
		want  bool
	}{
		{nil, false}, {map[string]any{}, false}, {[]any{}, false}, {"", false},
		{map[string]any{"a": nil}, true}, {[]any{nil}, true}, {"x", true}, {json.RawMessage(`{}`), false},
		{json.RawMessage(` [1] `), true},
	}
	for _, tc := range tests {
		f := Filtering{AdvancedSnippet: AdvancedSnippet{Value: tc.value}}
		if got := f.HasAdvancedRules(); got != tc.want {
			t.Errorf("HasAdvancedRules(%#v) = %v", tc.value, got)
		}
	}
}

func TestSyncRulesEnabled(t *testing.T) {
	tests := []struct {
		features string
		want     bool
	}{
		{`{}`, false},
		{`null`, false},
		{`{"sync_rules":{"basic":{"enabled":false},"advanced":{"enabled":false}}}`, false},
		{`{"sync_rules":{"basic":{"enabled":true},"advanced":{"enabled":false}}}`, true},
		{`{"sync_rules":{"basic":{"enabled":false},"advanced":{"enabled":true}}}`, true},
		{`{"filtering_rules":true}`, true},
		{`{"filtering_advanced_config":true}`, true},
		{`{"filtering_rules":false,"filtering_advanced_config":false}`, false},
		{`{"sync_rules":true}`, false},
		{`{"sync_rules":{"basic":true}}`, false},
		{`{"sync_rules":{"basic":{"enabled":"yes"}}}`, true}, // Python's truth test
		{`{"sync_rules":{"basic":{"enabled":0}}}`, false},
		{`{"incremental_sync":{"enabled":true},"document_level_security":{"enabled":true}}`, false},
	}
	for _, tc := range tests {
		var m map[string]any
		if err := json.Unmarshal([]byte(tc.features), &m); err != nil {
			t.Fatal(err)
		}
		if got := SyncRulesEnabled(m); got != tc.want {
			t.Errorf("SyncRulesEnabled(%s) = %v", tc.features, got)
		}
	}
}

func TestParseEnums(t *testing.T) {
	for in, want := range map[string]Policy{"include": Include, "EXCLUDE": Exclude, "Include": Include} {
		if got, err := ParsePolicy(in); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]Condition{"equals": Equals, "CONTAINS": Contains, "Starts_With": StartsWith,
		"ends_with": EndsWith, "regex": Regex, ">": GreaterThan, "<": LessThan} {
		if got, err := ParseCondition(in); err != nil || got != want {
			t.Errorf("ParseCondition(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "greater_than", "less_than", ">=", "match"} {
		if _, err := ParseCondition(in); err == nil {
			t.Errorf("ParseCondition(%q) accepted", in)
		}
	}
	if _, err := ParsePolicy("allow"); err == nil {
		t.Error("ParsePolicy(allow) accepted")
	}
}

func TestDefaultEntryMissing(t *testing.T) {
	if DefaultEntry([]Entry{{Domain: "TEST"}}) != nil || DefaultEntry(nil) != nil {
		t.Error("found a DEFAULT entry that is not there")
	}
}
