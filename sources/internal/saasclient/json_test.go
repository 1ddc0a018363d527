package saasclient

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestJSONWalkers(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"a": {"b": "x", "n": 1, "l": [1, "y"]}, "s": "top"}`), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		keys []string
		get  any
		str  string
		list []any
	}{
		{keys: nil, get: doc},
		{keys: []string{"s"}, get: "top", str: "top"},
		{keys: []string{"a", "b"}, get: "x", str: "x"},
		{keys: []string{"a", "n"}, get: float64(1)},
		{keys: []string{"a", "l"}, get: []any{float64(1), "y"}, list: []any{float64(1), "y"}},
		{keys: []string{"a", "missing"}, get: nil},
		{keys: []string{"s", "through a string"}, get: nil},
	} {
		if got := Get(doc, tt.keys...); !reflect.DeepEqual(got, tt.get) {
			t.Errorf("Get %v = %#v, want %#v", tt.keys, got, tt.get)
		}
		if got := Str(doc, tt.keys...); got != tt.str {
			t.Errorf("Str %v = %q, want %q", tt.keys, got, tt.str)
		}
		if got := List(doc, tt.keys...); !reflect.DeepEqual(got, tt.list) {
			t.Errorf("List %v = %#v, want %#v", tt.keys, got, tt.list)
		}
	}
}
