package mssql

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/connectors-go/connectors/sources/internal/sqlcore"
)

// convert maps a go-mssqldb value to what pytds (the original's driver) returns for the column
// type: Decimal for decimal and money, uuid.UUID for uniqueidentifier, date, time and naive or
// aware datetimes, bytes for binary types.
func convert(typeName string, v any) (sqlcore.Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, int64, float64, string:
		return x, nil
	case float32:
		return float64(x), nil
	case time.Time:
		switch typeName {
		case "DATE":
			return sqlcore.Date{T: x}, nil
		case "TIME":
			of := time.Duration(x.Hour())*time.Hour + time.Duration(x.Minute())*time.Minute +
				time.Duration(x.Second())*time.Second + time.Duration(x.Nanosecond()/1000)*time.Microsecond
			return sqlcore.TimeOfDay{Of: of}, nil
		case "DATETIMEOFFSET":
			return sqlcore.DateTime{T: x.Truncate(time.Microsecond), Aware: true}, nil
		}
		return sqlcore.DateTime{T: wallClock(x).Truncate(time.Microsecond)}, nil
	case []byte:
		switch typeName {
		case "DECIMAL", "MONEY", "SMALLMONEY":
			return sqlcore.Decimal(string(x)), nil
		case "UNIQUEIDENTIFIER":
			if len(x) != 16 {
				return nil, fmt.Errorf("uniqueidentifier of %d bytes", len(x))
			}
			return guidString(x), nil
		case "VARCHAR", "NVARCHAR", "CHAR", "NCHAR", "TEXT", "NTEXT", "XML":
			return string(x), nil
		}
		return sqlcore.Bytes(append([]byte(nil), x...)), nil
	}
	return nil, fmt.Errorf("unexpected %T value for a %s column", v, typeName)
}

// wallClock keeps a time's clock reading in UTC fields: SQL Server's datetime types carry no
// zone, and the original's datetimes are naive.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// guidString prints a uniqueidentifier as uuid.UUID(bytes_le=…) does: SQL Server stores the
// first three groups little-endian.
func guidString(b []byte) string {
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]),
		binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}
