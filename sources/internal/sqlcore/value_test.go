package sqlcore

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/connectors-go/connectors/connector"
)

func TestDecimalStr(t *testing.T) {
	// Python: str(Decimal(text)).
	tests := map[string]string{
		"1.50":        "1.50",
		"-0.001":      "-0.001",
		"0":           "0",
		"0.00":        "0.00",
		"1000":        "1000",
		"0.000001":    "0.000001",
		"0.0000001":   "1E-7",
		"0.00000012":  "1.2E-7",
		"0.0000000":   "0E-7",
		"-0.00000010": "-1.0E-7",
		"NaN":         "NaN",
		"-Infinity":   "-Infinity",
		"1E+3":        "1E+3",
		"12.3400":     "12.3400",
		"007.5":       "7.5",
	}
	for in, want := range tests {
		if got := DecimalStr(in); got != want {
			t.Errorf("DecimalStr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBytesRepr(t *testing.T) {
	tests := map[string]string{
		"":               "b''",
		"abc":            "b'abc'",
		"\x00A\xff'":     `b"\x00A\xff'"`,
		"'\"":            `b'\'"'`,
		"a\\b\t\n\r\x7f": `b'a\\b\t\n\r\x7f'`,
	}
	for in, want := range tests {
		if got := BytesRepr([]byte(in)); got != want {
			t.Errorf("BytesRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDocValueAndStr(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)
	plus2 := time.FixedZone("", 2*3600)
	tests := []struct {
		name   string
		v      Value
		doc    string // JSON of DocValue
		str    string
		truthy bool
	}{
		{"None", nil, "null", "None", false},
		{"bool", true, "true", "True", true},
		{"int", int64(-5), "-5", "-5", true},
		{"zero", int64(0), "0", "0", false},
		{"uint64", uint64(math.MaxUint64), "18446744073709551615", "18446744073709551615", true},
		{"big int", new(big.Int).Lsh(big.NewInt(1), 70), "1180591620717411303424", "1180591620717411303424", true},
		{"float", 0.1, "0.1", "0.1", true},
		{"integral float", 3.0, "3.0", "3.0", true},
		{"NaN float", math.NaN(), "null", "nan", true},
		{"decimal", Decimal("1.50"), "1.5", "1.50", true},
		{"decimal zero", Decimal("0.00"), "0.0", "0.00", false},
		{"decimal NaN", Decimal("NaN"), "null", "NaN", true},
		{"string", "é", `"é"`, "é", true},
		{"empty string", "", `""`, "", false},
		{"bytes", Bytes("\x00A\xff"), `"\u0000A"`, `b'\x00A\xff'`, true},
		{"date", Date{T: ts}, `"2024-01-02"`, "2024-01-02", true},
		{"naive datetime", DateTime{T: ts}, `"2024-01-02T03:04:05.120000"`, "2024-01-02 03:04:05.120000", true},
		{"aware datetime", DateTime{T: ts.Truncate(time.Second).In(plus2), Aware: true}, `"2024-01-02T05:04:05+02:00"`, "2024-01-02 05:04:05+02:00", true},
		{"time", TimeOfDay{Of: 13*time.Hour + 5*time.Second}, `"13:00:05"`, "13:00:05", true},
		{"time with zone", TimeOfDay{Of: time.Hour + 500*time.Millisecond, Offset: -(5*3600 + 30*60), HasOffset: true}, `"01:00:00.500000-05:30"`, "01:00:00.500000-05:30", true},
		{"text", Text{Doc: "(1.0, 2.0)", Str: "<p>"}, `"(1.0, 2.0)"`, "<p>", true},
		{"list", []Value{int64(1), "a", nil, Decimal("2.0")}, `[1,"a",null,2.0]`, "[1, 'a', None, Decimal('2.0')]", true},
		{"empty list", []Value{}, `[]`, "[]", false},
		{"object", map[string]Value{"b": int64(1), "a": []Value{1.5}}, `{"a":[1.5],"b":1}`, "{'a': [1.5], 'b': 1}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := connector.MarshalJSON(DocValue(tt.v))
			if err != nil {
				t.Fatal(err)
			}
			if string(doc) != tt.doc {
				t.Errorf("DocValue = %s, want %s", doc, tt.doc)
			}
			if got := Str(tt.v); got != tt.str {
				t.Errorf("Str = %q, want %q", got, tt.str)
			}
			if got := Truthy(tt.v); got != tt.truthy {
				t.Errorf("Truthy = %v, want %v", got, tt.truthy)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"i": 12345678901234567890, "f": 1.50, "e": 1e2, "n": null, "l": [true, "x"], "neg": -0}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := connector.MarshalJSON(DocValue(v))
	if err != nil {
		t.Fatal(err)
	}
	// Python's json.loads: integers exact, 1.50 and 1e2 floats.
	want := `{"e":100.0,"f":1.5,"i":12345678901234567890,"l":[true,"x"],"n":null,"neg":0}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if _, err := DecodeJSON([]byte(`{`)); err == nil {
		t.Error("broken JSON accepted")
	}
	var anyV any
	_ = json.Unmarshal([]byte(`1`), &anyV)
}

func TestTimestampString(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	if got := TimestampString(DateTime{T: ts, Aware: true}); got != "2024-01-02T03:04:05.000006+00:00" {
		t.Errorf("aware: %s", got)
	}
	if got := TimestampString(DateTime{T: ts.Truncate(time.Second)}); got != "2024-01-02T03:04:05" {
		t.Errorf("naive: %s", got)
	}
	if got := TimestampString(nil); got != "" {
		t.Errorf("nil: %q", got)
	}
}
