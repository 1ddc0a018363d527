package estest

import (
	"fmt"
	"strconv"
	"strings"
)

// validateCron checks a Quartz cron expression field by field (seconds, minutes, hours, day of month,
// month, day of week, optional year), as the _scheduling endpoint must refuse invalid ones such as
// "61 0 0 * * ?". It is a range and syntax check only; internal/cron will replace it.
func validateCron(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) < 6 || len(fields) > 7 {
		return fmt.Errorf("invalid cron expression [%s]: expected 6 or 7 fields but found %d", expr, len(fields))
	}
	type spec struct {
		name    string
		lo, hi  int
		names   []string
		special string // extra tokens allowed: ? L W #
	}
	months := []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	days := []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	specs := []spec{
		{"seconds", 0, 59, nil, ""},
		{"minutes", 0, 59, nil, ""},
		{"hours", 0, 23, nil, ""},
		{"day of month", 1, 31, nil, "?LW"},
		{"month", 1, 12, months, ""},
		{"day of week", 1, 7, days, "?L#"},
		{"year", 1970, 2099, nil, ""},
	}
	for i, f := range fields {
		sp := specs[i]
		if f == "?" {
			if !strings.Contains(sp.special, "?") {
				return fmt.Errorf("invalid cron expression [%s]: '?' can only be specified for day-of-month or day-of-week", expr)
			}
			continue
		}
		for _, item := range strings.Split(f, ",") {
			if err := cronItem(item, sp.lo, sp.hi, sp.names, sp.special); err != nil {
				return fmt.Errorf("invalid cron expression [%s]: %s field %v", expr, sp.name, err)
			}
		}
	}
	if (fields[3] == "?") == (fields[5] == "?") {
		return fmt.Errorf("invalid cron expression [%s]: support for specifying both a day-of-week and a day-of-month parameter is not implemented; one of them must be '?'", expr)
	}
	return nil
}

func cronItem(item string, lo, hi int, names []string, special string) error {
	value := func(s string) (int, error) {
		for i, n := range names {
			if strings.EqualFold(s, n) {
				return i + lo, nil
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("has an illegal value [%s]", s)
		}
		if n < lo || n > hi {
			return 0, fmt.Errorf("value %d is out of range %d-%d", n, lo, hi)
		}
		return n, nil
	}
	if item == "" {
		return fmt.Errorf("has an empty item")
	}
	if strings.Contains(special, "L") {
		switch {
		case item == "L", item == "LW" && strings.Contains(special, "W"):
			return nil
		case strings.HasPrefix(item, "L-") && strings.Contains(special, "W"):
			n, err := strconv.Atoi(item[2:])
			if err != nil || n < 0 || n > 30 {
				return fmt.Errorf("has an illegal offset [%s]", item)
			}
			return nil
		case strings.HasSuffix(item, "L") && strings.Contains(special, "#"):
			_, err := value(strings.TrimSuffix(item, "L"))
			return err
		}
	}
	if strings.Contains(special, "W") && strings.HasSuffix(item, "W") {
		_, err := value(strings.TrimSuffix(item, "W"))
		return err
	}
	if strings.Contains(special, "#") && strings.Contains(item, "#") {
		parts := strings.SplitN(item, "#", 2)
		if _, err := value(parts[0]); err != nil {
			return err
		}
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 1 || n > 5 {
			return fmt.Errorf("has an illegal occurrence [%s]", parts[1])
		}
		return nil
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 || n > hi-lo+1 && hi < 100 {
			return fmt.Errorf("has an illegal increment [%s]", step)
		}
	}
	if base == "*" {
		return nil
	}
	from, to, isRange := strings.Cut(base, "-")
	a, err := value(from)
	if err != nil {
		return err
	}
	if isRange {
		if _, err := value(to); err != nil {
			return err
		}
	}
	_ = a
	return nil
}
