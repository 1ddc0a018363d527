package cron

import "time"

// cycleYears is the length of the Gregorian calendar cycle: dates and weekdays repeat every 400
// years, so a schedule with no year restriction that has not fired within one cycle never will.
const cycleYears = 400

// Next returns the first minute at or after from at which the schedule fires, in UTC. from is used
// to the nanosecond: it is included only when it falls exactly on second 0 of a minute, as the Python
// service did. The boolean is false when the schedule can never fire again (its years are past, or
// its days never occur, such as 31 February).
func (s *Schedule) Next(from time.Time) (time.Time, bool) {
	t := from.UTC()
	start := t.Truncate(time.Minute)
	if start.Before(t) {
		start = start.Add(time.Minute)
	}

	years := &s.fields[fieldYear]
	firstYear, lastYear := start.Year(), start.Year()+cycleYears
	if !years.any {
		firstYear = max(firstYear, minYear)
		lastYear = maxYear
	}
	months, hours, minutes := &s.fields[fieldMonth], &s.fields[fieldHour], &s.fields[fieldMinute]

	for year := firstYear; year <= lastYear; year++ {
		if !years.any && !years.values.has(year-minYear) {
			continue
		}
		firstMonth := time.January
		if year == start.Year() {
			firstMonth = start.Month()
		}
		for month := firstMonth; month <= time.December; month++ {
			if !months.any && !months.values.has(int(month)) {
				continue
			}
			first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
			dim := first.AddDate(0, 1, -1).Day()
			weekday1 := int(first.Weekday())
			firstDay := 1
			sameMonth := year == start.Year() && month == start.Month()
			if sameMonth {
				firstDay = start.Day()
			}
			for day := firstDay; day <= dim; day++ {
				if !s.dayMatches(day, dim, weekday1) {
					continue
				}
				h0, m0 := 0, 0
				if sameMonth && day == start.Day() {
					h0, m0 = start.Hour(), start.Minute()
				}
				if h, m, ok := timeOfDay(hours, minutes, h0, m0); ok {
					return time.Date(year, month, day, h, m, 0, 0, time.UTC), true
				}
			}
		}
	}
	return time.Time{}, false
}

// timeOfDay finds the first hour:minute at or after h0:m0 allowed by the two fields.
func timeOfDay(hours, minutes *spec, h0, m0 int) (int, int, bool) {
	for h := h0; h < 24; h++ {
		if !hours.any && !hours.values.has(h) {
			continue
		}
		m := 0
		if h == h0 {
			m = m0
		}
		for ; m < 60; m++ {
			if minutes.any || minutes.values.has(m) {
				return h, m, true
			}
		}
	}
	return 0, 0, false
}

// dayMatches reports whether day (1..dim) of a month whose first day falls on weekday1
// (0 = Sunday) satisfies both day fields.
func (s *Schedule) dayMatches(day, dim, weekday1 int) bool {
	weekdayOf := func(d int) int { return (weekday1 + d - 1) % 7 }

	dom := &s.fields[fieldDayOfMonth]
	switch {
	case dom.any:
	case dom.lastDay:
		target := dim - dom.lastOffset
		if target < 1 {
			return false
		}
		if dom.nearestWeekday {
			target = nearestWeekday(target, dim, weekdayOf(target))
		}
		if day != target {
			return false
		}
	case dom.nearestWeekday:
		if dom.weekdayOf > dim {
			return false
		}
		if day != nearestWeekday(dom.weekdayOf, dim, weekdayOf(dom.weekdayOf)) {
			return false
		}
	default:
		if !dom.values.has(day) {
			return false
		}
	}

	dow := &s.fields[fieldDayOfWeek]
	if dow.any {
		return true
	}
	quartzDay := weekdayOf(day) + 1 // Quartz numbers days 1 = Sunday .. 7 = Saturday
	if !dow.values.has(quartzDay) {
		return false
	}
	switch {
	case dow.lastOfMonth:
		return day+7 > dim
	case dow.nth != 0:
		return (day-1)/7+1 == dow.nth
	}
	return true
}

// nearestWeekday moves day, which falls on weekday (0 = Sunday), to the nearest Monday-Friday
// without leaving the month: Saturday the 1st becomes Monday the 3rd and Sunday the last day
// becomes the Friday before.
func nearestWeekday(day, dim, weekday int) int {
	switch time.Weekday(weekday) {
	case time.Saturday:
		if day == 1 {
			return 3
		}
		return day - 1
	case time.Sunday:
		if day == dim {
			return day - 2
		}
		return day + 1
	}
	return day
}
