package mongodb

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Advanced rules are JSON. The original hands the decoded JSON to its driver as it is, so a JSON
// integer becomes a BSON int32 (int64 when larger), a JSON number with a fraction or exponent a
// double, an object a document with its keys in order. These functions do the same, from the
// stored JSON text when the service has it (keeping key order, which a $sort stage needs) or from
// the decoded value otherwise.
//
// One extension: an object whose only key is $oid, $date, $numberLong, $numberInt,
// $numberDouble or $numberDecimal is read as MongoDB Extended JSON, so that a rule can match an
// ObjectId or a date. The original sends such objects verbatim and the server rejects them
// ("unknown operator"), so no rule that worked before changes meaning.

// toBSON decodes JSON text into bson.D / bson.A / scalars.
func toBSON(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var d bson.D
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				d = append(d, bson.E{Key: k, Value: v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if d == nil {
				d = bson.D{}
			}
			return extended(d)
		case '[':
			a := bson.A{}
			for dec.More() {
				v, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
	case json.Number:
		return number(string(t))
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// number converts a JSON number the way Python's json and the driver do.
func number(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i >= math.MinInt32 && i <= math.MaxInt32 {
			return int32(i), nil
		}
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s cannot be sent to MongoDB: %v", s, err)
	}
	return f, nil
}

// fromDecoded converts an already decoded JSON value (map keys in sorted order, since the order
// is lost) into BSON values.
func fromDecoded(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := bson.D{}
		for _, k := range keys {
			cv, err := fromDecoded(x[k])
			if err != nil {
				return nil, err
			}
			d = append(d, bson.E{Key: k, Value: cv})
		}
		return extended(d)
	case []any:
		a := make(bson.A, len(x))
		for i, e := range x {
			cv, err := fromDecoded(e)
			if err != nil {
				return nil, err
			}
			a[i] = cv
		}
		return a, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return number(strconv.FormatInt(int64(x), 10))
		}
		return x, nil
	case json.Number:
		return number(string(x))
	case int:
		return number(strconv.Itoa(x))
	case int64:
		return number(strconv.FormatInt(x, 10))
	}
	return v, nil
}

// extended reads the single-key Extended JSON wrappers; other documents are returned as they are.
func extended(d bson.D) (any, error) {
	if len(d) != 1 {
		return d, nil
	}
	k, v := d[0].Key, d[0].Value
	str, isStr := v.(string)
	switch k {
	case "$oid":
		if !isStr {
			return nil, errors.New("$oid needs a 24-character hex string")
		}
		b, err := hex.DecodeString(str)
		if err != nil || len(b) != 12 {
			return nil, fmt.Errorf("$oid %q is not a 24-character hex string", str)
		}
		var oid bson.ObjectID
		copy(oid[:], b)
		return oid, nil
	case "$date":
		switch x := v.(type) {
		case string:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return nil, fmt.Errorf("$date %q is not an ISO-8601 date with a time zone (2024-05-06T07:08:09Z)", x)
			}
			return bson.NewDateTimeFromTime(t), nil
		case int32:
			return bson.DateTime(x), nil
		case int64:
			return bson.DateTime(x), nil
		case bson.D:
			if len(x) == 1 && x[0].Key == "$numberLong" {
				if s, ok := x[0].Value.(string); ok {
					ms, err := strconv.ParseInt(s, 10, 64)
					if err == nil {
						return bson.DateTime(ms), nil
					}
				}
			}
		}
		return nil, errors.New(`$date needs an ISO-8601 string, milliseconds, or {"$numberLong": "<ms>"}`)
	case "$numberLong":
		if isStr {
			if n, err := strconv.ParseInt(str, 10, 64); err == nil {
				return n, nil
			}
		}
		return nil, errors.New("$numberLong needs a string of digits")
	case "$numberInt":
		if isStr {
			if n, err := strconv.ParseInt(str, 10, 32); err == nil {
				return int32(n), nil
			}
		}
		return nil, errors.New("$numberInt needs a string of digits within 32 bits")
	case "$numberDouble":
		if isStr {
			if f, err := strconv.ParseFloat(str, 64); err == nil {
				return f, nil
			}
		}
		return nil, errors.New("$numberDouble needs a number as a string")
	case "$numberDecimal":
		if isStr {
			if dec, err := bson.ParseDecimal128(str); err == nil {
				return dec, nil
			}
		}
		return nil, errors.New("$numberDecimal needs a decimal number as a string")
	}
	return d, nil
}
