package mongodb

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/connectors-go/connectors/connector"
)

// TestConvertEveryBSONType covers the BSON types FerretDB cannot store as well as the others: the
// expected values are what the original indexes (see the package comment of convert.go for the
// types it cannot index at all).
func TestConvertEveryBSONType(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("5f1b2c3d4e5f6a7b8c9d0e1f")
	dec, _ := bson.ParseDecimal128("1.10")
	big, _ := bson.ParseDecimal128("12345678901234567890.5")
	nan, _ := bson.ParseDecimal128("NaN")
	uuid := []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}
	when := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)
	in := bson.D{
		{Key: "_id", Value: oid},
		{Key: "double", Value: 1.0},
		{Key: "fraction", Value: 2.5},
		{Key: "nan", Value: math.NaN()},
		{Key: "inf", Value: math.Inf(1)},
		{Key: "string", Value: "Grüße, 世界"},
		{Key: "doc", Value: bson.D{{Key: "b", Value: bson.A{int32(1), "x", bson.D{{Key: "c", Value: true}}}}}},
		{Key: "empty_doc", Value: bson.D{}},
		{Key: "empty_array", Value: bson.A{}},
		{Key: "nested_arrays", Value: bson.A{bson.A{int32(1), bson.A{}}, bson.A{"x"}}},
		{Key: "binary", Value: bson.Binary{Subtype: 0, Data: []byte{0xff, 0x00, 'a'}}},
		{Key: "uuid", Value: bson.Binary{Subtype: 4, Data: uuid}},
		{Key: "legacy_uuid", Value: bson.Binary{Subtype: 3, Data: uuid}},
		{Key: "undefined", Value: bson.Undefined{}},
		{Key: "oid", Value: oid},
		{Key: "bool", Value: false},
		{Key: "date", Value: bson.NewDateTimeFromTime(when)},
		{Key: "date_whole_second", Value: bson.NewDateTimeFromTime(when.Truncate(time.Second))},
		{Key: "date_1970", Value: bson.DateTime(0)},
		{Key: "date_before_1970", Value: bson.DateTime(-1)},
		{Key: "date_year_1", Value: bson.DateTime(minDateMS)},
		{Key: "null", Value: nil},
		{Key: "regex", Value: bson.Regex{Pattern: "^a.*", Options: "i"}},
		{Key: "dbpointer", Value: bson.DBPointer{DB: "db.coll", Pointer: oid}},
		{Key: "dbref", Value: bson.D{{Key: "$ref", Value: "coll"}, {Key: "$id", Value: oid}, {Key: "$db", Value: "db"}}},
		{Key: "code", Value: bson.JavaScript("function() { return 1; }")},
		{Key: "symbol", Value: bson.Symbol("sym")},
		{Key: "code_with_scope", Value: bson.CodeWithScope{Code: "x + y", Scope: bson.D{{Key: "x", Value: 1}}}},
		{Key: "int32", Value: int32(-7)},
		{Key: "timestamp", Value: bson.Timestamp{T: 1700000000, I: 3}},
		{Key: "int64", Value: int64(1) << 40},
		{Key: "decimal", Value: dec},
		{Key: "big_decimal", Value: big},
		{Key: "decimal_nan", Value: nan},
		{Key: "minkey", Value: bson.MinKey{}},
		{Key: "maxkey", Value: bson.MaxKey{}},
		{Key: "id", Value: "a field named id is replaced by the _id"},
	}
	raw, err := bson.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	s := &Source{datetimeMode: DatetimeRaise, now: time.Now}
	s.log = discard()
	doc, skip, err := s.document(raw)
	if err != nil || skip {
		t.Fatal(err, skip)
	}
	if doc.ID != "5f1b2c3d4e5f6a7b8c9d0e1f" {
		t.Errorf("id %q", doc.ID)
	}
	want := map[string]any{
		"double":            1.0,
		"fraction":          2.5,
		"nan":               nil,
		"inf":               nil,
		"string":            "Grüße, 世界",
		"doc":               map[string]any{"b": []any{int64(1), "x", map[string]any{"c": true}}},
		"empty_doc":         map[string]any{},
		"empty_array":       []any{},
		"nested_arrays":     []any{[]any{int64(1), []any{}}, []any{"x"}},
		"binary":            "/wBh",
		"uuid":              "12345678-9abc-def0-1234-56789abcdef0",
		"legacy_uuid":       nil,
		"undefined":         nil,
		"oid":               "5f1b2c3d4e5f6a7b8c9d0e1f",
		"bool":              false,
		"date":              "2024-05-06T07:08:09.123000",
		"date_whole_second": "2024-05-06T07:08:09",
		"date_1970":         "1970-01-01T00:00:00",
		"date_before_1970":  "1969-12-31T23:59:59.999000",
		"date_year_1":       "0001-01-01T00:00:00",
		"null":              nil,
		"regex":             "/^a.*/i",
		"dbpointer":         map[string]any{"$ref": "db.coll", "$id": "5f1b2c3d4e5f6a7b8c9d0e1f"},
		"dbref":             map[string]any{"$ref": "coll", "$id": "5f1b2c3d4e5f6a7b8c9d0e1f", "$db": "db"},
		"code":              "function() { return 1; }",
		"symbol":            "sym",
		"code_with_scope":   "x + y",
		"int32":             int64(-7),
		"timestamp":         map[string]any{"t": int64(1700000000), "i": int64(3)},
		"int64":             int64(1) << 40,
		"decimal":           1.1,
		"big_decimal":       12345678901234567890.5,
		"decimal_nan":       nil,
		"minkey":            nil,
		"maxkey":            nil,
	}
	for k, w := range want {
		got, ok := doc.Fields[k]
		if !ok {
			t.Errorf("%s: missing", k)
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
	for k := range doc.Fields {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %s = %#v", k, doc.Fields[k])
		}
	}
	body, err := connector.MarshalJSON(doc.Fields)
	if err != nil {
		t.Fatal(err)
	}
	// Floats keep their fraction in JSON, as Python writes them.
	if !strings.Contains(string(body), `"double":1.0`) || !strings.Contains(string(body), `"decimal":1.1`) {
		t.Errorf("JSON: %s", body)
	}
}

func TestDatetimeConversion(t *testing.T) {
	tooLate := int64(253402300800000) // 10000-01-01
	tooEarly := int64(-62135596800001)
	inRange := int64(1714979289123)
	tests := []struct {
		mode                  string
		late, early, in       any
		wantErrOnOutsideRange bool
	}{
		{DatetimeRaise, nil, nil, "2024-05-06T07:08:09.123000", true},
		{DatetimeClamp, "9999-12-31T23:59:59.999000", "0001-01-01T00:00:00", "2024-05-06T07:08:09.123000", false},
		{DatetimeMS, tooLate, tooEarly, inRange, false},
		{DatetimeAuto, tooLate, tooEarly, "2024-05-06T07:08:09.123000", false},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			c := &converter{datetimeMode: tt.mode, warn: func(string, string) {}}
			got, err := c.date(inRange, "d")
			if err != nil || !reflect.DeepEqual(got, tt.in) {
				t.Errorf("in range: %#v, %v", got, err)
			}
			late, errLate := c.date(tooLate, "nested.when")
			early, errEarly := c.date(tooEarly, "d")
			if tt.wantErrOnOutsideRange {
				var re *dateRangeError
				if !errors.As(errLate, &re) || !errors.As(errEarly, &re) {
					t.Fatalf("want date range errors, got %v / %v", errLate, errEarly)
				}
				if msg := errLate.Error(); !strings.Contains(msg, `"nested.when"`) || !strings.Contains(msg, `"datetime_conversion"`) {
					t.Errorf("message should name the field and the setting: %s", msg)
				}
				return
			}
			if errLate != nil || errEarly != nil || !reflect.DeepEqual(late, tt.late) || !reflect.DeepEqual(early, tt.early) {
				t.Errorf("late %#v (%v), early %#v (%v)", late, errLate, early, errEarly)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	uuid := bson.Binary{Subtype: 4, Data: []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}}
	tests := []struct {
		id   any
		want string
		skip bool
	}{
		{"plain-string", "plain-string", false},
		{int32(0), "0", false},
		{int64(42), "42", false},
		{1.5, "1.5", false},
		{2.0, "2.0", false},
		{true, "true", false},
		{uuid, "12345678-9abc-def0-1234-56789abcdef0", false},
		{bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)), "2024-01-02T03:04:05", false},
		{bson.D{{Key: "b", Value: 1}, {Key: "a", Value: "x"}}, `{"a":"x","b":1}`, false},
		{"", "", true},
		{nil, "", true},
	}
	s := &Source{datetimeMode: DatetimeRaise, now: time.Now, log: discard()}
	for _, tt := range tests {
		raw, err := bson.Marshal(bson.D{{Key: "_id", Value: tt.id}, {Key: "v", Value: 1}})
		if err != nil {
			t.Fatal(err)
		}
		doc, skip, err := s.document(raw)
		if err != nil || skip != tt.skip || doc.ID != tt.want {
			t.Errorf("_id %#v: id %q skip %v err %v; want %q skip %v", tt.id, doc.ID, skip, err, tt.want, tt.skip)
		}
	}
}

func TestTimestampField(t *testing.T) {
	s := &Source{datetimeMode: DatetimeRaise, now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }, log: discard()}
	raw, _ := bson.Marshal(bson.D{{Key: "_id", Value: "a"}, {Key: "_timestamp", Value: "2024-01-01T00:00:00+00:00"}})
	doc, _, _ := s.document(raw)
	if doc.Timestamp != "2024-01-01T00:00:00+00:00" {
		t.Errorf("a document's own _timestamp is kept: %q", doc.Timestamp)
	}
	raw, _ = bson.Marshal(bson.D{{Key: "_id", Value: "b"}})
	doc, _, _ = s.document(raw)
	if doc.Timestamp != "2025-01-01T00:00:00+00:00" {
		t.Errorf("without one, the sync time: %q", doc.Timestamp)
	}
}
