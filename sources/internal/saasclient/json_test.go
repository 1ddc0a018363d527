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
		keys     []string
		get      any
		str      string
		list     []any
		listNil  bool
		strEmpty bool
	}{
		{keys: nil, get: doc, listNil: true, strEmpty: true},
		{keys: []string{"s"}, get: "top", str: "top", listNil: true},
		{keys: []string{"a", "b"}, get: "x", str: "x", listNil: true},
		{keys: []string{"a", "n"}, get: float64(1), listNil: true, strEmpty: true},
		{keys: []string{"a", "l"}, get: []any{float64(1), "y"}, list: []any{float64(1), "y"}, strEmpty: true},
		{keys: []string{"a", "missing"}, get: nil, listNil: true, strEmpty: true},
		{keys: []string{"s", "through a string"}, get: nil, listNil: true, strEmpty: true},
	} {
		if got := Get(doc, tt.keys...); !reflect.DeepEqual(got, tt.get) {
			t.Errorf("Get %v = %#v, want %#v", tt.keys, got, tt.get)
		}
		if got := Str(doc, tt.keys...); got != tt.str || (tt.strEmpty && got != "") {
			t.Errorf("Str %v = %q, want %q", tt.keys, got, tt.str)
		}
		if got := List(doc, tt.keys...); !reflect.DeepEqual(got, tt.list) || (tt.listNil && got != nil) {
			t.Errorf("List %v = %#v, want %#v", tt.keys, got, tt.list)
		}
	}
}
