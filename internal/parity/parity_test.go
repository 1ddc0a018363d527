package parity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func doc(id, src string) Doc { return Doc{ID: id, Source: []byte(src)} }

func TestDiff(t *testing.T) {
	golden := []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)}
	tests := []struct {
		name  string
		ours  []Doc
		rules Rules
		// want are substrings of the problems, in order; none means no problem.
		want []string
	}{
		{"equal, keys in any order", []Doc{doc("1", `{"e": {"f": "ü"}, "d": ["x", "y"], "c": null, "b": 1.5, "a": 3}`)}, Rules{}, nil},
		{"an integer written as a float", []Doc{doc("1", `{"a": 3.0, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)}, Rules{}, []string{`field "a"`}},
		{"null and absent differ", []Doc{doc("1", `{"a": 3, "b": 1.5, "d": ["x", "y"], "e": {"f": "ü"}}`)}, Rules{}, []string{`field "c"`}},
		{"list order counts", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["y", "x"], "e": {"f": "ü"}}`)}, Rules{}, []string{`field "d"`}},
		{"list order ignored as a set", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Live: map[string]LiveCheck{"d": SameSet("d")}}, nil},
		{"a set must be sorted in ours", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["y", "x"], "e": {"f": "ü"}}`)},
			Rules{Live: map[string]LiveCheck{"d": SameSet("d")}}, []string{"not sorted"}},
		{"nested value", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "u"}}`)}, Rules{}, []string{`field "e"`}},
		{"extra field", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}, "z": 1}`)}, Rules{}, []string{`field "z"`}},
		{"missing and extra documents", []Doc{doc("2", `{}`)}, Rules{}, []string{"document 1", "ours has document 2"}},
		{"ignored field must exist on both sides", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"]}`)},
			Rules{Ignore: map[string]string{"e": "time"}}, []string{`field "e" (ignored: time)`}},
		{"live check of another kind", []Doc{doc("1", `{"a": "3", "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Live: map[string]LiveCheck{"a": func(_, _ map[string]any, _ any) error { return nil }}}, []string{"the original wrote a integer"}},
		{"live check failing", []Doc{doc("1", `{"a": 4, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Live: map[string]LiveCheck{"a": func(_, _ map[string]any, _ any) error { return errors.New("inode 9") }}}, []string{"inode 9"}},
		{"documented difference holds", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": "text", "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Differences: []Difference{{ID: "1", Field: "c", Golden: "null", Ours: `"text"`, Where: "docs"}}}, nil},
		{"documented difference no longer seen", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Differences: []Difference{{ID: "1", Field: "c", Golden: "null", Ours: `"text"`, Where: "docs"}}}, []string{"docs documents"}},
		{"unused difference", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "y"], "e": {"f": "ü"}}`)},
			Rules{Differences: []Difference{{ID: "9", Field: "c", Ours: `1`, Where: "docs"}}}, []string{"never applied"}},
		{"rewritten golden strings", []Doc{doc("1", `{"a": 3, "b": 1.5, "c": null, "d": ["x", "z"], "e": {"f": "ü"}}`)},
			Rules{Rewrite: func(s string) string { return strings.ReplaceAll(s, "y", "z") }}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems, err := Diff(golden, tt.ours, tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != len(tt.want) {
				t.Fatalf("problems %q, want %d matching %q", problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(problems[i], w) {
					t.Errorf("problem %q does not mention %q", problems[i], w)
				}
			}
		})
	}
	if _, _, err := Diff(golden, golden, Rules{Differences: []Difference{{Field: "a"}}}); err == nil {
		t.Error("a difference without Where was accepted")
	}
}

func TestSyncTime(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	oslo := time.FixedZone("CET", 3600)
	check := SyncTime(from, oslo)
	for v, ok := range map[string]bool{
		"2026-01-02T04:04:05.000001+01:00": true,
		"2026-01-02T03:04:05.000001+00:00": false, // another zone
		"2026-01-02T04:04:04.999999+01:00": false, // before the sync
		"2026-01-02T04:04:05+01:00":        false, // not isoformat() with microseconds
	} {
		if err := check(nil, nil, v); (err == nil) != ok {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func TestSameSetAt(t *testing.T) {
	golden := map[string]any{"q": map[string]any{"t": map[string]any{"acl": []any{"b", "a"}, "s": "x"}}}
	check := SameSetAt("q", "t", "acl")
	if err := check(golden, nil, map[string]any{"t": map[string]any{"acl": []any{"a", "b"}, "s": "x"}}); err != nil {
		t.Error(err)
	}
	if err := check(golden, nil, map[string]any{"t": map[string]any{"acl": []any{"a", "b"}, "s": "y"}}); err == nil {
		t.Error("a different template source passed")
	}
	if err := check(golden, nil, map[string]any{"t": map[string]any{"acl": []any{"a"}, "s": "x"}}); err == nil {
		t.Error("a missing value passed")
	}
}
