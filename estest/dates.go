package estest

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// parseISODate parses the ISO-8601 family Elasticsearch calls strict_date_optional_time
// (yyyy[-MM[-dd['T'HH[:mm[:ss[.S+]]]]]][zone]); strict requires the fixed digit counts.
// It returns epoch milliseconds.
func parseISODate(s string, strict bool) (int64, bool) {
	t, ok := parseISOTime(s, strict)
	if !ok {
		return 0, false
	}
	return t.UnixMilli(), true
}

func parseISOTime(s string, strict bool) (time.Time, bool) {
	i := 0
	num := func(min, max int) (int, bool) {
		j := i
		if j < len(s) && (s[j] == '-' || s[j] == '+') && min == 4 && j == 0 {
			j++
		}
		k := j
		for k < len(s) && k-j < max && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k-j < min {
			return 0, false
		}
		n, err := strconv.Atoi(s[i:k])
		if err != nil {
			return 0, false
		}
		i = k
		return n, true
	}
	minDigits := 1
	if strict {
		minDigits = 2
	}
	maxYear := 9
	if strict {
		maxYear = 4 // strict formats want exactly four year digits, so "12345" is not a date
	}
	year, ok := num(4, maxYear)
	if !ok {
		return time.Time{}, false
	}
	month, day, hour, minute, sec, nanos := 1, 1, 0, 0, 0, 0
	loc := time.UTC
	if i < len(s) && s[i] == '-' {
		i++
		if month, ok = num(minDigits, 2); !ok {
			return time.Time{}, false
		}
		if i < len(s) && s[i] == '-' {
			i++
			if day, ok = num(minDigits, 2); !ok {
				return time.Time{}, false
			}
			if i < len(s) && s[i] == 'T' {
				i++
				if hour, ok = num(minDigits, 2); !ok {
					return time.Time{}, false
				}
				if i < len(s) && s[i] == ':' {
					i++
					if minute, ok = num(minDigits, 2); !ok {
						return time.Time{}, false
					}
					if i < len(s) && s[i] == ':' {
						i++
						if sec, ok = num(minDigits, 2); !ok {
							return time.Time{}, false
						}
						if i < len(s) && (s[i] == '.' || s[i] == ',') {
							i++
							j := i
							for i < len(s) && i-j < 9 && s[i] >= '0' && s[i] <= '9' {
								i++
							}
							if i == j {
								return time.Time{}, false
							}
							frac := s[j:i] + strings.Repeat("0", 9-(i-j))
							nanos, _ = strconv.Atoi(frac)
						}
					}
				}
				if i < len(s) {
					var zok bool
					loc, zok = parseZone(s[i:])
					if !zok {
						return time.Time{}, false
					}
					i = len(s)
				}
			}
		}
	}
	if i != len(s) {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, loc)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func parseZone(z string) (*time.Location, bool) {
	if z == "Z" {
		return time.UTC, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	rest := strings.ReplaceAll(z[1:], ":", "")
	if len(rest) != 2 && len(rest) != 4 {
		return nil, false
	}
	h, err := strconv.Atoi(rest[:2])
	if err != nil || h > 18 {
		return nil, false
	}
	m := 0
	if len(rest) == 4 {
		if m, err = strconv.Atoi(rest[2:]); err != nil || m > 59 {
			return nil, false
		}
	}
	return time.FixedZone("", sign*(h*3600+m*60)), true
}

// parseDateFormat parses a date field value with a mapping format such as
// "strict_date_optional_time||epoch_millis" (named ISO formats, epoch_millis, epoch_second and
// simple yyyy/MM/dd-style patterns).
func parseDateFormat(v any, format string) (int64, bool) {
	for _, f := range strings.Split(format, "||") {
		f = strings.TrimSpace(f)
		switch n := v.(type) {
		case Number:
			if f == "epoch_millis" {
				if ms, err := strconv.ParseFloat(string(n), 64); err == nil {
					return int64(ms), true
				}
			}
			if f == "epoch_second" {
				if sec, err := strconv.ParseFloat(string(n), 64); err == nil {
					return int64(sec * 1000), true
				}
			}
			if ms, ok := parseDateString(string(n), f); ok {
				return ms, true
			}
		case string:
			if ms, ok := parseDateString(n, f); ok {
				return ms, true
			}
		}
	}
	return 0, false
}

func parseDateString(s, f string) (int64, bool) {
	switch f {
	case "strict_date_optional_time", "strict_date_optional_time_nanos", "strict_date_time", "strict_date",
		"strict_date_hour_minute_second", "strict_date_time_no_millis", "iso8601":
		return parseISODate(s, true)
	case "date_optional_time", "date_time", "date", "date_time_no_millis":
		return parseISODate(s, false)
	case "epoch_millis":
		if ms, err := strconv.ParseFloat(s, 64); err == nil {
			return int64(ms), true
		}
		return 0, false
	case "epoch_second":
		if sec, err := strconv.ParseFloat(s, 64); err == nil {
			return int64(sec * 1000), true
		}
		return 0, false
	}
	layout := javaToGoLayout(f)
	if layout == "" {
		return 0, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

func javaToGoLayout(f string) string {
	r := strings.NewReplacer("yyyy", "2006", "uuuu", "2006", "MM", "01", "dd", "02", "HH", "15", "mm", "04",
		"ss", "05", "SSS", "000", "XXX", "Z07:00", "Z", "-0700", "'T'", "T")
	out := r.Replace(f)
	if strings.ContainsAny(out, "yMdHmsS") {
		return ""
	}
	return out
}

// parseDateMath evaluates range bounds such as "now-1d/d" or "2024-01-01||+1M". roundUp selects
// the upper rounding used for gt/lte bounds.
func parseDateMath(v any, format string, now time.Time, roundUp bool) (int64, bool) {
	s, isStr := v.(string)
	if !isStr {
		return parseDateFormat(v, format)
	}
	var base time.Time
	var math string
	if strings.HasPrefix(s, "now") {
		base, math = now.UTC(), s[3:]
	} else {
		anchor := s
		if i := strings.Index(s, "||"); i >= 0 {
			anchor, math = s[:i], s[i+2:]
		}
		ms, ok := parseDateFormat(anchor, format)
		if !ok {
			return 0, false
		}
		if roundUp {
			ms += missingTimeFill(anchor)
		}
		base = time.UnixMilli(ms).UTC()
	}
	for len(math) > 0 {
		op := math[0]
		math = math[1:]
		switch op {
		case '+', '-':
			j := 0
			for j < len(math) && math[j] >= '0' && math[j] <= '9' {
				j++
			}
			n := 1
			if j > 0 {
				n, _ = strconv.Atoi(math[:j])
			}
			if j >= len(math) {
				return 0, false
			}
			unit := math[j]
			math = math[j+1:]
			if op == '-' {
				n = -n
			}
			switch unit {
			case 'y':
				base = base.AddDate(n, 0, 0)
			case 'M':
				base = base.AddDate(0, n, 0)
			case 'w':
				base = base.AddDate(0, 0, 7*n)
			case 'd':
				base = base.AddDate(0, 0, n)
			case 'h', 'H':
				base = base.Add(time.Duration(n) * time.Hour)
			case 'm':
				base = base.Add(time.Duration(n) * time.Minute)
			case 's':
				base = base.Add(time.Duration(n) * time.Second)
			default:
				return 0, false
			}
		case '/':
			if len(math) == 0 {
				return 0, false
			}
			unit := math[0]
			math = math[1:]
			var start, next time.Time
			y, mo, d := base.Date()
			switch unit {
			case 'y':
				start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
				next = start.AddDate(1, 0, 0)
			case 'M':
				start = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
				next = start.AddDate(0, 1, 0)
			case 'w':
				wd := (int(base.Weekday()) + 6) % 7
				start = time.Date(y, mo, d-wd, 0, 0, 0, 0, time.UTC)
				next = start.AddDate(0, 0, 7)
			case 'd':
				start = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
				next = start.AddDate(0, 0, 1)
			case 'h', 'H':
				start = base.Truncate(time.Hour)
				next = start.Add(time.Hour)
			case 'm':
				start = base.Truncate(time.Minute)
				next = start.Add(time.Minute)
			case 's':
				start = base.Truncate(time.Second)
				next = start.Add(time.Second)
			default:
				return 0, false
			}
			if roundUp {
				base = next.Add(-time.Millisecond)
			} else {
				base = start
			}
		default:
			return 0, false
		}
	}
	return base.UnixMilli(), true
}

// parseDuration reads Elasticsearch time values ("1s", "500ms", "5m", "-1").
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, true
	}
	if s == "0" {
		return 0, true
	}
	units := []struct {
		suffix string
		d      time.Duration
	}{{"nanos", time.Nanosecond}, {"micros", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second},
		{"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err != nil || n < 0 {
				return 0, false
			}
			return time.Duration(n * float64(u.d)), true
		}
	}
	return 0, false
}

var isoTimePrecision = regexp.MustCompile(`^[+-]?\d{4,}(?:-\d{2}(?:-\d{2})?)?(?:T(\d{2})(:\d{2})?(:\d{2})?([.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$`)

// missingTimeFill is what an upper bound gains from the time fields its
// ISO date leaves out: Elasticsearch parses bounds that round up with the
// missing hour, minute, second and fraction at their maximum (so lte
// 2024-01-15 includes the whole day, while year and month default to 01:
// lte 2024-01 ends on 2024-01-01T23:59:59.999).
func missingTimeFill(anchor string) int64 {
	m := isoTimePrecision.FindStringSubmatch(anchor)
	switch {
	case m == nil, m[4] != "":
		return 0
	case m[1] == "":
		return 24*3600*1000 - 1
	case m[2] == "":
		return 3600*1000 - 1
	case m[3] == "":
		return 60*1000 - 1
	}
	return 999
}
