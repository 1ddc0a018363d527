package pyfmt

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"str of string", Str("a'b"), "a'b"},
		{"str of None", Str(nil), "None"},
		{"str of bool", Str(true), "True"},
		{"str of int", Str(42), "42"},
		{"str of float", Str(3.0), "3.0"},
		{"str of json number", Str(json.Number("12")), "12"},
		{"str of list", Str([]any{"a", 1, nil}), "['a', 1, None]"},
		{"repr quotes", Repr("it's"), `"it's"`},
		{"repr both quotes", Repr(`it's "x"`), `'it\'s "x"'`},
		{"repr control", Repr("a\nb\x01"), `'a\nb\x01'`},
		{"repr map sorted", Repr(map[string]any{"b": 1, "a": false}), "{'a': False, 'b': 1}"},
		{"float small", Float(0.0001), "0.0001"},
		{"float tiny", Float(0.00001), "1e-05"},
		{"float large", Float(1e16), "1e+16"},
		{"float below large", Float(123456789012345.0), "123456789012345.0"},
		{"float negative zero", Float(math.Copysign(0, -1)), "-0.0"},
		{"float nan", Float(math.NaN()), "nan"},
		{"iso", ISOFormat(time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)), "2026-01-02T03:04:05.123456+00:00"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}
