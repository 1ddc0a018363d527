package connector_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/connectors-go/connectors/connector"
)

// stdJSON is what encoding/json writes with HTML escaping off, the reference for everything
// MarshalJSON encodes itself (strings, integers).
func stdJSON(t testing.TB, v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestMarshalJSONMatchesEncodingJSON(t *testing.T) {
	type myInt int16
	type myUint uint8
	values := []any{
		"", "plain text", `quote " and \ backslash`, "tab\tnew\nline\rret\bback\fform", "\x00\x01\x1f\x7f",
		"<html>&amp;</html>", "ünïcødé ✓ 😀", "bad \xff\xfe utf8 \xc3", "line\u2028para\u2029end", "\xe2\x80",
		0, -1, int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64), uint32(7), int32(-7),
		int8(-8), uint16(16), myInt(-3), myUint(200), uint(9),
	}
	for _, v := range values {
		got, err := connector.MarshalJSON(v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := stdJSON(t, v); string(got) != want {
			t.Errorf("MarshalJSON(%#v) = %s, encoding/json %s", v, got, want)
		}
	}
}

func FuzzMarshalJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\xff", "\u2028", "😀", "\\u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := connector.MarshalJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdJSON(t, s); string(got) != want {
			t.Fatalf("MarshalJSON(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

func BenchmarkMarshalJSONDocument(b *testing.B) {
	body := bytes.Repeat([]byte("lorem ipsum dolor sit amet "), 38)
	doc := map[string]any{
		"id": "0123456789abcdef0123456789abcdef", "path": "/data/d0001/f0000123.txt", "size": int64(1024),
		"last_modified_time": "2024-05-06T07:08:09.500000+00:00", "_timestamp": "2024-05-06T07:08:09.500000+00:00",
		"inode_protection_mode": uint32(0o100644), "inode_number": uint64(123456789), "device_inode_reside": uint64(2049),
		"number_of_links": uint64(1), "uid": uint32(1000), "gid": uint32(1000), "ctime": 1714979289.5, "last_access_time": 1714979289.5,
		"body": string(body), "_extract_binary_content": true, "_reduce_whitespace": true, "_run_ml_inference": true,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := connector.MarshalJSON(doc); err != nil {
			b.Fatal(err)
		}
	}
}
