package redis

import (
	"log/slog"
	"testing"
)

// The expected strings are what CPython 3.11 prints for str(json.loads(text)), or text itself when
// json.loads rejects it (the original then indexes the raw string).
func TestStringValues(t *testing.T) {
	tests := []struct{ text, want string }{
		{`hello`, `hello`},
		{`"hello"`, `hello`},
		{`  "padded"  `, `padded`},
		{`123`, `123`},
		{`-0`, `0`},
		{`12345678901234567890123`, `12345678901234567890123`},
		{`1.50`, `1.5`},
		{`1e3`, `1000.0`},
		{`1E-7`, `1e-07`},
		{`2.5e20`, `2.5e+20`},
		{`1e400`, `inf`},
		{`-0.0`, `-0.0`},
		{`NaN`, `nan`},
		{`-Infinity`, `-inf`},
		{`true`, `True`},
		{`null`, `None`},
		{`{"b": 1, "a": [true, null, 2.0, "x"]}`, `{'b': 1, 'a': [True, None, 2.0, 'x']}`},
		{`{"a": 1, "a": 2, "b": 3}`, `{'a': 2, 'b': 3}`},
		{`["it's", "say \"hi\"", "both ' \""]`, `["it's", 'say "hi"', 'both \' "']`},
		{`"\u00e9t\u00e9 \ud83d\ude00"`, "été 😀"},
		{`["\u00e9t\u00e9", "tab\there", "nl\n"]`, `['été', 'tab\there', 'nl\n']`},
		{`["\u0001", "\u200b", "\\"]`, `['\x01', '\u200b', '\\']`},
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`[1, {"k": {}}]`, `[1, {'k': {}}]`},
		// Not JSON for Python: kept verbatim.
		{`007`, `007`},
		{`1.`, `1.`},
		{`{'a': 1}`, `{'a': 1}`},
		{`[1, 2,]`, `[1, 2,]`},
		{`"raw` + "\t" + `tab"`, `"raw` + "\t" + `tab"`},
		{`Infinityx`, `Infinityx`},
		{"\ufeff1", "\ufeff1"},
		{``, ``},
	}
	s := &Source{log: slog.New(slog.DiscardHandler)}
	for _, tt := range tests {
		got := render("string", "k", tt.text, false, s)
		if got.text != tt.want {
			t.Errorf("%q: got %q, want %q", tt.text, got.text, tt.want)
		}
	}
}

func TestRenderReplies(t *testing.T) {
	s := &Source{log: slog.New(slog.DiscardHandler)}
	tests := []struct {
		name, typ string
		reply     any
		want      string
	}{
		{"hash keeps server order", "hash", []any{"z", "1", "a", "it's"}, `{'z': '1', 'a': "it's"}`},
		{"list", "list", []any{"b", "a", "b"}, `['b', 'a', 'b']`},
		{"set sorted", "set", []any{"b", "c", "a"}, `{'a', 'b', 'c'}`},
		{"zset scores are floats", "zset", []any{"low", "1", "mid", "2.5", "top", "inf"}, `[('low', 1.0), ('mid', 2.5), ('top', inf)]`},
		{"stream", "stream", []any{[]any{"events", []any{
			[]any{"1-0", []any{"f", "v", "n", "1"}},
			[]any{"2-0", []any{"only", "x"}},
		}}}, `[['events', [('1-0', {'f': 'v', 'n': '1'}), ('2-0', {'only': 'x'})]]]`},
		{"empty stream", "stream", nil, `[]`},
		{"RedisJSON document", "ReJSON-RL", `{"name":"Ada","tags":["x"],"age":36,"ratio":0.5}`, `{'name': 'Ada', 'tags': ['x'], 'age': 36, 'ratio': 0.5}`},
		{"RedisJSON scalar", "ReJSON-RL", `"text"`, `text`},
		{"invalid UTF-8 becomes empty", "list", []any{"ok", "\xff"}, ``},
	}
	for _, tt := range tests {
		got := render(tt.typ, "k", tt.reply, false, s)
		if got.gone || got.text != tt.want {
			t.Errorf("%s: got %q (gone %v), want %q", tt.name, got.text, got.gone, tt.want)
		}
	}
	for _, typ := range []string{"hash", "list", "set", "zset"} {
		if got := render(typ, "k", []any{}, false, s); !got.gone {
			t.Errorf("%s: an empty reply means the key vanished, got %+v", typ, got)
		}
	}
	if got := render("string", "k", nil, true, s); !got.gone {
		t.Errorf("string nil reply: %+v", got)
	}
}
