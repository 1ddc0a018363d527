package rules

import (
	"encoding/json"
	"testing"
)

func TestAdvancedSnippetJSONKeepsKeyOrder(t *testing.T) {
	tests := []struct{ filtering, want string }{
		{`{"advanced_snippet": {"value": {"aggregate": {"pipeline": [{"$sort": {"z": 1, "a": -1}}]}}}, "rules": []}`,
			`{"aggregate": {"pipeline": [{"$sort": {"z": 1, "a": -1}}]}}`},
		{`{"advanced_snippet": {"value": [{"database": 1}]}}`, `[{"database": 1}]`},
		{`{"advanced_snippet": {"value": {}}}`, ``},
		{`{"advanced_snippet": {}}`, ``},
		{`{"rules": []}`, ``},
		{``, ``},
		{`not json`, ``},
	}
	for _, tt := range tests {
		got := AdvancedSnippetJSON(json.RawMessage(tt.filtering))
		if string(got) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.filtering, got, tt.want)
		}
	}
}
