package postgresql

import (
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// textOIDs are the types read in PostgreSQL's text format because the original ends up with
// their text (asyncpg returns a str) or cannot serialise them at all (ranges, records), where
// the text is the most faithful thing to index.
var textOIDs = []uint32{
	// numeric's binary form loses the scale of zero (0.00), which ids keep (str(Decimal)).
	pgtype.NumericOID,
	pgtype.QCharOID, pgtype.QCharArrayOID, pgtype.TIDOID, pgtype.TIDArrayOID,
	pgtype.XMLOID, pgtype.XMLArrayOID, pgtype.TSVectorOID, pgtype.TSVectorArrayOID,
	pgtype.RecordOID, pgtype.RecordArrayOID,
	pgtype.Int4rangeOID, pgtype.Int8rangeOID, pgtype.NumrangeOID, pgtype.TsrangeOID,
	pgtype.TstzrangeOID, pgtype.DaterangeOID,
	pgtype.Int4rangeArrayOID, pgtype.Int8rangeArrayOID, pgtype.NumrangeArrayOID,
	pgtype.TsrangeArrayOID, pgtype.TstzrangeArrayOID, pgtype.DaterangeArrayOID,
	pgtype.Int4multirangeOID, pgtype.Int8multirangeOID, pgtype.NummultirangeOID,
	pgtype.TsmultirangeOID, pgtype.TstzmultirangeOID, pgtype.DatemultirangeOID,
	pgtype.Int4multirangeArrayOID, pgtype.Int8multirangeArrayOID, pgtype.NummultirangeArrayOID,
	pgtype.TsmultirangeArrayOID, pgtype.TstzmultirangeArrayOID, pgtype.DatemultirangeArrayOID,
}

// textArrayOIDs are array types read as text; their literal is split into a list of strings.
var textArrayOIDs = map[uint32]bool{
	pgtype.QCharArrayOID: true, pgtype.TIDArrayOID: true, pgtype.XMLArrayOID: true,
	pgtype.TSVectorArrayOID: true, pgtype.RecordArrayOID: true,
	pgtype.Int4rangeArrayOID: true, pgtype.Int8rangeArrayOID: true, pgtype.NumrangeArrayOID: true,
	pgtype.TsrangeArrayOID: true, pgtype.TstzrangeArrayOID: true, pgtype.DaterangeArrayOID: true,
	pgtype.Int4multirangeArrayOID: true, pgtype.Int8multirangeArrayOID: true,
	pgtype.NummultirangeArrayOID: true, pgtype.TsmultirangeArrayOID: true,
	pgtype.TstzmultirangeArrayOID: true, pgtype.DatemultirangeArrayOID: true,
}

const timetzOID = 1266

// decoder turns one column's wire value into the value asyncpg (with SQLAlchemy's JSON codecs)
// gives the original.
type decoder func(raw []byte) (sqlcore.Value, error)

// decoderFor picks the decoder of a result column. unknownArray says whether a type pgx does
// not know is an array (enums, domains over arrays, extension types), which then arrives as a
// text literal.
func decoderFor(m *pgtype.Map, oid uint32, format int16, unknownArray bool) decoder {
	switch oid {
	case pgtype.JSONOID, pgtype.JSONBOID:
		return func(raw []byte) (sqlcore.Value, error) {
			if raw == nil {
				return nil, nil
			}
			if oid == pgtype.JSONBOID && format == pgtype.BinaryFormatCode && len(raw) > 0 {
				raw = raw[1:] // jsonb's binary format is a version byte and the text
			}
			return sqlcore.DecodeJSON(raw)
		}
	case pgtype.NumericOID:
		if format == pgtype.TextFormatCode {
			return func(raw []byte) (sqlcore.Value, error) {
				if raw == nil {
					return nil, nil
				}
				return sqlcore.Decimal(string(raw)), nil
			}
		}
	case pgtype.QCharOID:
		if format == pgtype.TextFormatCode {
			return func(raw []byte) (sqlcore.Value, error) {
				if raw == nil {
					return nil, nil
				}
				if len(raw) == 0 {
					// PostgreSQL prints the zero byte as an empty string; asyncpg, reading the
					// binary form, returns "\x00".
					return "\x00", nil
				}
				return string(raw), nil
			}
		}
	case timetzOID:
		if format == pgtype.TextFormatCode {
			return func(raw []byte) (sqlcore.Value, error) {
				if raw == nil {
					return nil, nil
				}
				return parseTimetz(string(raw))
			}
		}
	}
	if format == pgtype.TextFormatCode && (textArrayOIDs[oid] || unknownArray) {
		return func(raw []byte) (sqlcore.Value, error) {
			if raw == nil {
				return nil, nil
			}
			return parseTextArray(string(raw))
		}
	}
	t, ok := m.TypeForOID(oid)
	if !ok || format == pgtype.TextFormatCode && !isTextCodec(t) {
		// Types pgx does not know arrive as text, as asyncpg returns them.
		return func(raw []byte) (sqlcore.Value, error) {
			if raw == nil {
				return nil, nil
			}
			return string(raw), nil
		}
	}
	if ac, ok := t.Codec.(*pgtype.ArrayCodec); ok {
		elem := ac.ElementType.OID
		if elem == pgtype.JSONOID || elem == pgtype.JSONBOID {
			// asyncpg decodes each element with SQLAlchemy's JSON codec, as for a single value:
			// the raw text of each is decoded here, keeping integers and floats apart.
			return func(raw []byte) (sqlcore.Value, error) {
				if raw == nil {
					return nil, nil
				}
				var arr pgtype.Array[[]byte]
				if err := m.PlanScan(oid, format, &arr).Scan(raw, &arr); err != nil {
					return nil, err
				}
				vals := make([]sqlcore.Value, len(arr.Elements))
				for i, e := range arr.Elements {
					if e == nil {
						continue
					}
					v, err := sqlcore.DecodeJSON(e)
					if err != nil {
						return nil, err
					}
					vals[i] = v
				}
				return nest(vals, arr.Dims), nil
			}
		}
		return func(raw []byte) (sqlcore.Value, error) {
			if raw == nil {
				return nil, nil
			}
			var arr pgtype.Array[any]
			if err := m.PlanScan(oid, format, &arr).Scan(raw, &arr); err != nil {
				return nil, err
			}
			vals := make([]sqlcore.Value, len(arr.Elements))
			for i, e := range arr.Elements {
				v, err := convert(elem, e)
				if err != nil {
					return nil, err
				}
				vals[i] = v
			}
			return nest(vals, arr.Dims), nil
		}
	}
	return func(raw []byte) (sqlcore.Value, error) {
		if raw == nil {
			return nil, nil
		}
		v, err := t.Codec.DecodeValue(m, oid, format, raw)
		if err != nil {
			return nil, err
		}
		return convert(oid, v)
	}
}

func isTextCodec(t *pgtype.Type) bool {
	switch t.Codec.(type) {
	case pgtype.TextCodec, *pgtype.TextFormatOnlyCodec:
		return true
	}
	return false
}

// nest turns the flat elements of a multi-dimensional array into nested lists, as asyncpg does.
func nest(flat []sqlcore.Value, dims []pgtype.ArrayDimension) sqlcore.Value {
	if len(dims) <= 1 {
		return flat
	}
	size := 1
	for _, d := range dims[1:] {
		size *= int(d.Length)
	}
	out := make([]sqlcore.Value, dims[0].Length)
	for i := range out {
		out[i] = nest(flat[i*size:(i+1)*size], dims[1:])
	}
	return out
}

// convert maps a value decoded by pgx to the original's Python value.
func convert(oid uint32, v any) (sqlcore.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, int64, string, float64:
		return x, nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return x, nil
	case float32:
		// asyncpg widens the 4-byte float: 1.1::real reads 1.100000023841858.
		return float64(x), nil
	case []byte:
		return sqlcore.Bytes(append([]byte(nil), x...)), nil
	case time.Time:
		switch oid {
		case pgtype.DateOID:
			return sqlcore.Date{T: x}, nil
		case pgtype.TimestamptzOID:
			// asyncpg returns timestamptz values in UTC.
			return sqlcore.DateTime{T: x.UTC(), Aware: true}, nil
		default:
			return sqlcore.DateTime{T: x}, nil
		}
	case pgtype.InfinityModifier:
		// asyncpg maps ±infinity to Python's date/datetime max and min.
		positive := x == pgtype.Infinity
		switch oid {
		case pgtype.DateOID:
			if positive {
				return sqlcore.Date{T: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}, nil
			}
			return sqlcore.Date{T: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
		default:
			t := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
			if positive {
				t = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
			}
			return sqlcore.DateTime{T: t, Aware: oid == pgtype.TimestamptzOID}, nil
		}
	case pgtype.Time:
		return sqlcore.TimeOfDay{Of: time.Duration(x.Microseconds) * time.Microsecond}, nil
	case pgtype.Interval:
		s := isoInterval(x)
		return sqlcore.Text{Doc: s, Str: s}, nil
	case [16]byte:
		s := formatUUID(x)
		return s, nil
	case netip.Prefix:
		return formatInet(oid, x), nil
	case net.HardwareAddr:
		return x.String(), nil
	case pgtype.Numeric:
		return sqlcore.Decimal(numericText(x)), nil
	case pgtype.Bits:
		s := bitString(x)
		return sqlcore.Text{Doc: s, Str: "<BitString " + s + ">"}, nil
	case pgtype.Point:
		s := pyPoint(x.P)
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Lseg:
		s := "[" + pyPoint(x.P[0]) + ", " + pyPoint(x.P[1]) + "]"
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Box:
		s := "[" + pyPoint(x.P[0]) + ", " + pyPoint(x.P[1]) + "]"
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Path:
		state := "open"
		if x.Closed {
			state = "closed"
		}
		s := state + " " + pyPoints(x.P)
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Polygon:
		s := pyPoints(x.P)
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Line:
		s := "(" + pyfmt.Float(x.A) + ", " + pyfmt.Float(x.B) + ", " + pyfmt.Float(x.C) + ")"
		return sqlcore.Text{Doc: s, Str: s}, nil
	case pgtype.Circle:
		s := "(" + pyPoint(x.P) + ", " + pyfmt.Float(x.R) + ")"
		return sqlcore.Text{Doc: s, Str: s}, nil
	case map[string]any, []any:
		return nil, fmt.Errorf("unexpected decoded JSON for type %d", oid)
	}
	return fmt.Sprint(v), nil
}

func pyPoint(p pgtype.Vec2) string {
	return "(" + pyfmt.Float(p.X) + ", " + pyfmt.Float(p.Y) + ")"
}

// pyPoints is str() of a list of (x, y) tuples.
func pyPoints(ps []pgtype.Vec2) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = pyPoint(p)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// formatInet prints inet and cidr as PostgreSQL and Python's ipaddress both do: an inet whose
// mask covers the whole address has no /n, a cidr always has one.
func formatInet(oid uint32, p netip.Prefix) string {
	if oid == pgtype.InetOID && p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.Addr().String() + "/" + strconv.Itoa(p.Bits())
}

// numericText is the decimal text of a numeric, keeping the scale the column gives it.
func numericText(n pgtype.Numeric) string {
	switch {
	case n.NaN:
		return "NaN"
	case n.InfinityModifier == pgtype.Infinity:
		return "Infinity"
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return "-Infinity"
	case n.Int == nil:
		return "0"
	}
	digits := new(big.Int).Abs(n.Int).String()
	sign := ""
	if n.Int.Sign() < 0 {
		sign = "-"
	}
	if n.Exp >= 0 {
		if digits == "0" {
			return "0"
		}
		return sign + digits + strings.Repeat("0", int(n.Exp))
	}
	frac := int(-n.Exp)
	if len(digits) <= frac {
		digits = strings.Repeat("0", frac-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-frac] + "." + digits[len(digits)-frac:]
}

// bitString is asyncpg's BitString.as_string(): the bits in groups of four.
func bitString(b pgtype.Bits) string {
	var sb strings.Builder
	for i := int32(0); i < b.Len; i++ {
		if b.Bytes[i/8]>>(7-uint(i%8))&1 == 1 {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
		if i%4 == 3 {
			sb.WriteByte(' ')
		}
	}
	return strings.TrimSpace(sb.String())
}

// isoInterval renders an interval as PostgreSQL does with IntervalStyle iso_8601
// ("P1Y2M3DT4H5M6.5S"). The original cannot index intervals at all (Python's timedelta is not
// JSON-serialisable); an ISO-8601 duration is the standard text for one.
func isoInterval(iv pgtype.Interval) string {
	years, months := iv.Months/12, iv.Months%12
	us := iv.Microseconds
	hours := us / 3_600_000_000
	us -= hours * 3_600_000_000
	mins := us / 60_000_000
	us -= mins * 60_000_000
	secs := us / 1_000_000
	frac := us - secs*1_000_000
	if years == 0 && months == 0 && iv.Days == 0 && hours == 0 && mins == 0 && secs == 0 && frac == 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if years != 0 {
		fmt.Fprintf(&b, "%dY", years)
	}
	if months != 0 {
		fmt.Fprintf(&b, "%dM", months)
	}
	if iv.Days != 0 {
		fmt.Fprintf(&b, "%dD", iv.Days)
	}
	if hours != 0 || mins != 0 || secs != 0 || frac != 0 {
		b.WriteString("T")
		if hours != 0 {
			fmt.Fprintf(&b, "%dH", hours)
		}
		if mins != 0 {
			fmt.Fprintf(&b, "%dM", mins)
		}
		if secs != 0 || frac != 0 {
			neg := secs < 0 || frac < 0
			if secs < 0 {
				secs = -secs
			}
			if frac < 0 {
				frac = -frac
			}
			s := strconv.FormatInt(secs, 10)
			if frac != 0 {
				s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
			}
			if neg {
				s = "-" + s
			}
			b.WriteString(s + "S")
		}
	}
	return b.String()
}

// parseTimetz reads PostgreSQL's text of a time with time zone ("13:45:10.5+02",
// "01:02:03-07:30").
func parseTimetz(s string) (sqlcore.Value, error) {
	i := strings.LastIndexAny(s, "+-")
	if i < 0 {
		return nil, fmt.Errorf("unexpected time with time zone %q", s)
	}
	clock, zone := s[:i], s[i:]
	t, err := time.Parse("15:04:05.999999", clock)
	if err != nil {
		if clock == "24:00:00" {
			t = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Add(24 * time.Hour)
		} else {
			return nil, fmt.Errorf("unexpected time with time zone %q", s)
		}
	}
	sign := 1
	if zone[0] == '-' {
		sign = -1
	}
	off := 0
	for j, part := range strings.Split(zone[1:], ":") {
		n, err := strconv.Atoi(part)
		if err != nil || j > 2 {
			return nil, fmt.Errorf("unexpected time zone in %q", s)
		}
		off += n * []int{3600, 60, 1}[j]
	}
	of := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	if clock == "24:00:00" {
		of = 24 * time.Hour
	}
	return sqlcore.TimeOfDay{Of: of, Offset: sign * off, HasOffset: true}, nil
}

// parseTextArray splits an array literal ({a,"b c",NULL,{d}}) into nested lists of strings, for
// arrays of types read as text.
func parseTextArray(s string) (sqlcore.Value, error) {
	// An explicit lower bound prefix ("[0:1]={a,b}") carries no value.
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "="); i >= 0 {
			s = s[i+1:]
		}
	}
	p := &arrayParser{s: s}
	v, err := p.parse()
	if err != nil {
		return nil, fmt.Errorf("unexpected array literal %q: %w", s, err)
	}
	return v, nil
}

type arrayParser struct {
	s   string
	pos int
}

func (p *arrayParser) parse() (sqlcore.Value, error) {
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return nil, fmt.Errorf("missing '{' at %d", p.pos)
	}
	p.pos++
	out := []sqlcore.Value{}
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return out, nil
	}
	for {
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("unterminated")
		}
		switch c := p.s[p.pos]; {
		case c == '{':
			v, err := p.parse()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case c == '"':
			p.pos++
			var b strings.Builder
			for {
				if p.pos >= len(p.s) {
					return nil, fmt.Errorf("unterminated string")
				}
				ch := p.s[p.pos]
				if ch == '\\' && p.pos+1 < len(p.s) {
					b.WriteByte(p.s[p.pos+1])
					p.pos += 2
					continue
				}
				p.pos++
				if ch == '"' {
					break
				}
				b.WriteByte(ch)
			}
			out = append(out, b.String())
		default:
			start := p.pos
			for p.pos < len(p.s) && p.s[p.pos] != ',' && p.s[p.pos] != ';' && p.s[p.pos] != '}' {
				p.pos++
			}
			item := strings.TrimSpace(p.s[start:p.pos])
			if item == "NULL" {
				out = append(out, nil)
			} else {
				out = append(out, item)
			}
		}
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("unterminated")
		}
		switch p.s[p.pos] {
		case ',', ';':
			p.pos++
		case '}':
			p.pos++
			return out, nil
		default:
			return nil, fmt.Errorf("unexpected %q at %d", p.s[p.pos], p.pos)
		}
	}
}
