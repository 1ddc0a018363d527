package mysql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// convert maps a driver value of the text protocol to what PyMySQL (the original's driver)
// returns for that column type.
func convert(typeName string, v any) (sqlcore.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64, uint64, float64:
		return x, nil
	case float32:
		// The server sent FLOAT as its shortest text, which PyMySQL reads with float(); the
		// driver read it as a float32, whose shortest text is that text again.
		return strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	case []byte:
		return convertBytes(typeName, x)
	case string:
		return convertBytes(typeName, []byte(x))
	case time.Time:
		return sqlcore.DateTime{T: x}, nil
	}
	return nil, fmt.Errorf("unexpected %T value for a %s column", v, typeName)
}

func convertBytes(typeName string, b []byte) (sqlcore.Value, error) {
	s := string(b)
	switch typeName {
	case "DECIMAL":
		return sqlcore.Decimal(s), nil
	case "DATE":
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return sqlcore.Date{T: t}, nil
		}
		return s, nil // zero dates stay text, as PyMySQL leaves them
	case "DATETIME", "TIMESTAMP":
		if t, err := time.Parse("2006-01-02 15:04:05.999999", s); err == nil {
			return sqlcore.DateTime{T: t}, nil
		}
		return s, nil
	case "TIME":
		return sqlcore.Text{Doc: s, Str: timedeltaStr(s)}, nil
	case "BIT", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "GEOMETRY":
		return sqlcore.Bytes(append([]byte(nil), b...)), nil
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR",
		"UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED MEDIUMINT", "UNSIGNED INT":
		return strconv.ParseInt(s, 10, 64)
	case "UNSIGNED BIGINT":
		return strconv.ParseUint(s, 10, 64)
	case "DOUBLE":
		return strconv.ParseFloat(s, 64)
	case "FLOAT":
		return strconv.ParseFloat(s, 64)
	}
	return s, nil
}

// timedeltaStr is Python's str() of the timedelta PyMySQL makes of a TIME value ("1 day,
// 2:03:04", "-1 day, 23:00:00"), which is what an id holds for a TIME key.
func timedeltaStr(s string) string {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(s, "-")
	clock, frac, _ := strings.Cut(body, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 {
		return s
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return s
	}
	us := 0
	if frac != "" {
		us, _ = strconv.Atoi((frac + "000000")[:6])
	}
	total := int64(((h*60+m)*60+sec))*1_000_000 + int64(us)
	if neg {
		total = -total
	}
	const day = 86_400_000_000
	days := total / day
	rem := total % day
	if rem < 0 {
		rem += day
		days--
	}
	hh := rem / 3_600_000_000
	mm := rem / 60_000_000 % 60
	ss := rem / 1_000_000 % 60
	u := rem % 1_000_000
	out := fmt.Sprintf("%d:%02d:%02d", hh, mm, ss)
	if u != 0 {
		out += fmt.Sprintf(".%06d", u)
	}
	if days != 0 {
		unit := "days"
		if days == 1 || days == -1 {
			unit = "day"
		}
		out = fmt.Sprintf("%d %s, %s", days, unit, out)
	}
	return out
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
