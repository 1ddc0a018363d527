package oracle

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// column is what converting a value needs to know about its column: go-ora's type name and,
// for NUMBER, the declared precision and scale (-1 when the driver does not say).
type column struct {
	typeName         string
	precision, scale int64
}

// convert maps a go-ora value to what python-oracledb through SQLAlchemy gives the original:
// NUMBER without a scale is an int (an integral value of an unconstrained NUMBER too), other
// numbers a Decimal; DATE and TIMESTAMP are naive datetimes (python-oracledb drops time zones);
// RAW and BLOB are bytes; character types and CLOBs are str.
func convert(c column, v any) (sqlcore.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, int64, float64:
		return x, nil
	case float32:
		return float64(x), nil
	case time.Time:
		return sqlcore.DateTime{T: wallClock(x).Truncate(time.Microsecond)}, nil
	case []byte:
		if isCharacter(c.typeName) {
			return string(x), nil
		}
		return sqlcore.Bytes(append([]byte(nil), x...)), nil
	case string:
		if c.typeName == "NUMBER" {
			return number(c, x)
		}
		return x, nil
	}
	return fmt.Sprint(v), nil
}

func isCharacter(typeName string) bool {
	switch typeName {
	case "NCHAR", "CHAR", "VARCHAR", "LONG", "CHARZ", "LongVarChar", "OCIClobLocator", "ROWID", "UROWID", "XMLType":
		return true
	}
	return false
}

// number converts NUMBER text: an int when the column has no scale, or when an unconstrained
// NUMBER holds an integral value; a Decimal otherwise.
func number(c column, text string) (sqlcore.Value, error) {
	text = strings.TrimSpace(text)
	integral := !strings.ContainsAny(text, ".eE")
	// go-ora reports an unconstrained NUMBER (and FLOAT) with scale 255 (-127 on the wire).
	unconstrained := c.precision == 0 || c.scale < 0 || c.scale == 255
	if integral && ((c.scale == 0 && c.precision > 0) || unconstrained) {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, nil
		}
		if n, ok := new(big.Int).SetString(text, 10); ok {
			return n, nil
		}
	}
	return sqlcore.Decimal(text), nil
}

// wallClock keeps a time's clock reading in UTC fields (naive datetimes).
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
