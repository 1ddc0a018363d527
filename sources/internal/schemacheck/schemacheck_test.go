package schemacheck

import (
	"encoding/json"
	"strings"
	"testing"
)

// The expected messages are fastjsonschema 2.16's (the original's validator) for the same schema
// and data.
func TestMessages(t *testing.T) {
	s := &Schema{
		Type: []string{"array"},
		Items: &Schema{
			Type:     []string{"object"},
			AnyOf:    []*Schema{{Required: []string{"a"}}, {Required: []string{"b"}}},
			Required: []string{"id"},
			Properties: []Property{
				{Name: "id", Schema: &Schema{Type: []string{"integer"}, Minimum: Num(0)}},
				{Name: "a", Schema: &Schema{Type: []string{"string"}, MinLength: Int(2)}},
				{Name: "b", Schema: &Schema{Type: []string{"array", "object"}, MinItems: Int(1), MinProperties: Int(1), MaxProperties: Int(1)}},
			},
			NoAdditional: true,
		},
	}
	tests := []struct{ data, want string }{
		{`[]`, ""},
		{`[{"id": 0, "a": "xy"}, {"id": 3, "b": [1]}, {"id": 1, "b": {"k": 1}}]`, ""},
		{`{}`, "data must be array"},
		{`[1]`, "data[0] must be object"},
		{`[{"id": 1}]`, "data[0] cannot be validated by any definition"},
		{`[{"a": "xy"}]`, "data[0] must contain ['id'] properties"},
		{`[{"id": -1, "a": "xy"}]`, "data[0].id must be bigger than or equal to 0"},
		{`[{"id": true, "a": "xy"}]`, "data[0].id must be integer"},
		{`[{"id": 1.5, "a": "xy"}]`, "data[0].id must be integer"},
		{`[{"id": 1, "a": "é"}]`, "data[0].a must be longer than or equal to 2 characters"},
		{`[{"id": 1, "b": "x"}]`, "data[0].b must be array or object"},
		{`[{"id": 1, "b": []}]`, "data[0].b must contain at least 1 items"},
		{`[{"id": 1, "b": {"x": 1, "y": 2}}]`, "data[0].b must contain less than or equal to 1 properties"},
		{`[{"id": 1, "b": {}}]`, "data[0].b must contain at least 1 properties"},
		{`[{"id": 1, "a": "xy", "z": 1, "c": 2}]`, "data[0] must not contain {'c', 'z'} properties"},
		{`[{"id": 1, "a": "xy"}, {"id": 2}]`, "data[1] cannot be validated by any definition"},
	}
	for _, tt := range tests {
		for _, numbers := range []bool{false, true} {
			var v any
			dec := json.NewDecoder(strings.NewReader(tt.data))
			if numbers {
				dec.UseNumber()
			}
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if got := s.Validate(v); got != tt.want {
				t.Errorf("%s (UseNumber %v): got %q, want %q", tt.data, numbers, got, tt.want)
			}
		}
	}
}

func TestOnlySpecifiedWording(t *testing.T) {
	s := &Schema{Type: []string{"object"}, Properties: []Property{{Name: "a", Schema: &Schema{}}}, NoAdditional: true, OnlySpecified: true}
	for data, want := range map[string]string{`{"a": 1}`: "", `{"a": 1, "b": 2}`: "data must contain only specified properties"} {
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		if got := s.Validate(v); got != want {
			t.Errorf("%s: got %q, want %q", data, got, want)
		}
	}
}
