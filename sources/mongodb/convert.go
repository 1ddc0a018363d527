package mongodb

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/pyfmt"
)

// The range of Python's datetime (years 1 to 9999), in milliseconds since 1970, as the original's
// driver checks it.
const (
	minDateMS = -62135596800000 // 0001-01-01T00:00:00
	maxDateMS = 253402300799999 // 9999-12-31T23:59:59.999
)

// converter turns BSON values into the JSON values the original indexes.
type converter struct {
	datetimeMode string
	// warn reports a value that was dropped, once per field path and document.
	warn func(path, msg string)
}

// dateRangeError is a date outside years 1–9999 under the DATETIME mode.
type dateRangeError struct {
	path string
	ms   int64
}

func (e *dateRangeError) Error() string {
	return fmt.Sprintf("field %q holds a date outside the years 1 to 9999 (%d ms since 1970), which cannot be indexed as a date; "+
		"set configuration field \"datetime_conversion\" (Out-of-range date handling) to clamp such dates or to keep them as milliseconds", e.path, e.ms)
}

// document converts a top-level document into fields.
func (c *converter) document(raw bson.Raw, prefix string) (map[string]any, error) {
	elems, err := raw.Elements()
	if err != nil {
		return nil, fmt.Errorf("malformed BSON document: %w", err)
	}
	out := make(map[string]any, len(elems))
	for _, e := range elems {
		key := e.Key()
		v, err := c.value(e.Value(), join(prefix, key))
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// value converts one BSON value:
//
//   - ObjectId: its hex string; DBRef/DBPointer: {"$ref", "$id", …} with the id converted;
//   - date: naive ISO string ("2024-05-06T07:08:09.123000", microseconds left out when zero),
//     or milliseconds, depending on datetime_conversion;
//   - Decimal128: the nearest float;
//   - Binary: a UUID string for subtype 4, nothing (null) for the legacy subtype 3, base64 text
//     for other subtypes;
//   - int32/int64/double/string/bool/null as such; JavaScript code and symbols as strings.
//
// The original cannot index regular expressions, timestamps, MinKey/MaxKey, non-UUID binary
// data and non-finite numbers at all (its JSON encoder fails the sync); here they get a JSON form
// (see docs/sources/mongodb.md).
func (c *converter) value(rv bson.RawValue, path string) (any, error) {
	switch rv.Type {
	case bson.TypeDouble:
		return finite(rv.Double(), path, c), nil
	case bson.TypeString:
		return rv.StringValue(), nil
	case bson.TypeEmbeddedDocument:
		return c.document(rv.Document(), path)
	case bson.TypeArray:
		vals, err := rv.Array().Values()
		if err != nil {
			return nil, fmt.Errorf("field %q: malformed BSON array: %w", path, err)
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			x, err := c.value(v, path+"."+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case bson.TypeBinary:
		subtype, data := rv.Binary()
		switch {
		case subtype == bson.TypeBinaryUUID && len(data) == 16:
			return uuidString(data), nil
		case subtype == bson.TypeBinaryUUIDOld:
			// The original drops legacy UUIDs: their byte order depends on the driver that wrote
			// them, so no string is certain to be right.
			c.warn(path, "legacy UUID (binary subtype 3) left out; its byte order depends on the driver that wrote it")
			return nil, nil
		}
		return base64.StdEncoding.EncodeToString(data), nil
	case bson.TypeUndefined, bson.TypeNull:
		return nil, nil
	case bson.TypeObjectID:
		return rv.ObjectID().Hex(), nil
	case bson.TypeBoolean:
		return rv.Boolean(), nil
	case bson.TypeDateTime:
		return c.date(rv.DateTime(), path)
	case bson.TypeRegex:
		pattern, opts := rv.Regex()
		return "/" + pattern + "/" + opts, nil
	case bson.TypeDBPointer:
		ns, oid := rv.DBPointer()
		return map[string]any{"$ref": ns, "$id": oid.Hex()}, nil
	case bson.TypeJavaScript:
		return rv.JavaScript(), nil
	case bson.TypeSymbol:
		return rv.Symbol(), nil
	case bson.TypeCodeWithScope:
		code, _ := rv.CodeWithScope()
		return code, nil
	case bson.TypeInt32:
		return int64(rv.Int32()), nil
	case bson.TypeTimestamp:
		t, i := rv.Timestamp()
		return map[string]any{"t": int64(t), "i": int64(i)}, nil
	case bson.TypeInt64:
		return rv.Int64(), nil
	case bson.TypeDecimal128:
		f, err := strconv.ParseFloat(rv.Decimal128().String(), 64)
		if err != nil && !math.IsInf(f, 0) {
			c.warn(path, "unreadable decimal left out")
			return nil, nil
		}
		return finite(f, path, c), nil
	case bson.TypeMinKey, bson.TypeMaxKey:
		return nil, nil
	}
	return nil, fmt.Errorf("field %q: unknown BSON type 0x%02x", path, byte(rv.Type))
}

// finite keeps a float, or leaves out NaN and infinities, which JSON cannot carry.
func finite(f float64, path string, c *converter) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.warn(path, fmt.Sprintf("%v cannot be indexed in JSON; left out", f))
		return nil
	}
	return f
}

// date renders a BSON date by the datetime_conversion mode.
func (c *converter) date(ms int64, path string) (any, error) {
	inRange := ms >= minDateMS && ms <= maxDateMS
	switch c.datetimeMode {
	case DatetimeMS:
		return ms, nil
	case DatetimeAuto:
		if !inRange {
			return ms, nil
		}
	case DatetimeClamp:
		ms = min(max(ms, minDateMS), maxDateMS)
	default:
		if !inRange {
			return nil, &dateRangeError{path: path, ms: ms}
		}
	}
	return isoDate(ms), nil
}

// isoDate formats milliseconds since 1970 as Python's isoformat() of the naive UTC datetime the
// original's driver returns.
func isoDate(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

func uuidString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// idString is the Elasticsearch _id the original ends up with for a converted _id value: strings
// as they are, numbers and booleans as their JSON text (Elasticsearch reads a numeric _id as its
// text). Objects and arrays, which Elasticsearch rejects as an _id, are written as compact JSON.
func idString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return pyfmt.Float(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	b, err := connector.MarshalJSON(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
