package networkdrive

import (
	"fmt"
	"time"
)

// filetimeEpoch is 1970-01-01 as a FILETIME (100-nanosecond intervals since 1601-01-01).
const filetimeEpoch = 116444736000000000

// pyISO renders a FILETIME as the original does: its SMB library turns the value into a naive
// Python datetime (microseconds, rounded down), and the connector writes that with isoformat():
// no time zone, and no fraction when the microseconds are zero. Dates past the year 9999 become
// datetime.max, as there.
func pyISO(ft uint64) string {
	const maxISO = "9999-12-31T23:59:59.999999"
	if ft > 1<<63-1 {
		return maxISO
	}
	d := int64(ft) - filetimeEpoch
	us := d / 10
	if d%10 != 0 && d < 0 {
		us-- // floor division, as Python's //
	}
	sec, frac := us/1_000_000, us%1_000_000
	if frac < 0 {
		sec--
		frac += 1_000_000
	}
	t := time.Unix(sec, frac*1000).UTC()
	if t.Year() > 9999 {
		return maxISO
	}
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	if frac != 0 {
		s += fmt.Sprintf(".%06d", frac)
	}
	return s
}
