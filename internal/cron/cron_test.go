package cron

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// monday is the reference instant of the go-modules.md comparison table.
var monday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fires returns the first n fire times from from, each following one computed just after the
// previous (1ns later, which Next must push to the following minute).
func fires(t *testing.T, s *Schedule, from time.Time, n int) []time.Time {
	t.Helper()
	var out []time.Time
	for range n {
		next, ok := s.Next(from)
		if !ok {
			break
		}
		out = append(out, next)
		from = next.Add(time.Nanosecond)
	}
	return out
}

func TestNextSequences(t *testing.T) {
	tests := []struct {
		expr string
		from time.Time
		want []string // "" entries never appear; a short list means "no further fire time"
		n    int      // how many to ask for; defaults to len(want)
	}{
		// The go-modules.md table, evaluated from Monday 2026-11-23 00:00 (inclusive).
		{"0 0 12 * * ?", monday, []string{"2026-11-23 12:00", "2026-11-24 12:00"}, 0},
		{"0 15 10 ? * MON-FRI", monday, []string{"2026-11-23 10:15", "2026-11-24 10:15", "2026-11-25 10:15",
			"2026-11-26 10:15", "2026-11-27 10:15", "2026-11-30 10:15"}, 0},
		{"0 0 0 ? * 1", monday, []string{"2026-11-29 00:00", "2026-12-06 00:00"}, 0},
		{"0 0 0 ? * 2,4,6", monday, []string{"2026-11-23 00:00", "2026-11-25 00:00", "2026-11-27 00:00", "2026-11-30 00:00"}, 0},
		{"0 0 0 ? * 7", monday, []string{"2026-11-28 00:00", "2026-12-05 00:00"}, 0},
		{"0 15 10 L * ?", monday, []string{"2026-11-30 10:15", "2026-12-31 10:15", "2027-01-31 10:15", "2027-02-28 10:15"}, 0},
		{"0 15 10 L-3 * ?", monday, []string{"2026-11-27 10:15", "2026-12-28 10:15", "2027-01-28 10:15", "2027-02-25 10:15"}, 0},
		{"0 15 10 15W * ?", monday, []string{"2026-12-15 10:15", "2027-01-15 10:15", "2027-02-15 10:15",
			"2027-03-15 10:15", "2027-04-15 10:15", "2027-05-14 10:15"}, 0},
		{"0 15 10 LW * ?", monday, []string{"2026-11-30 10:15", "2026-12-31 10:15", "2027-01-29 10:15", "2027-02-26 10:15"}, 0},
		{"0 15 10 ? * 6L", monday, []string{"2026-11-27 10:15", "2026-12-25 10:15", "2027-01-29 10:15"}, 0},
		{"0 15 10 ? * 6#3", monday, []string{"2026-12-18 10:15", "2027-01-15 10:15"}, 0},
		{"0 15 10 ? * FRI#3", monday, []string{"2026-12-18 10:15", "2027-01-15 10:15"}, 0},
		{"0 0 0 ? * L", monday, []string{"2026-11-28 00:00", "2026-12-05 00:00"}, 0},
		{"0 0 2 ? * SUN#5", monday, []string{"2026-11-29 02:00", "2027-01-31 02:00"}, 0},
		{"0 0 12 1 1 ? 2030", monday, []string{"2030-01-01 12:00"}, 2},
		{"0 0 12 * * ? 2030-2032", monday, []string{"2030-01-01 12:00", "2030-01-02 12:00"}, 0},
		{"0 0 12 * * ? *", monday, []string{"2026-11-23 12:00"}, 0},
		{"0 0 0 31 * ?", monday, []string{"2026-12-31 00:00", "2027-01-31 00:00", "2027-03-31 00:00", "2027-05-31 00:00"}, 0},
		{"0 0 0 29 2 ?", monday, []string{"2028-02-29 00:00", "2032-02-29 00:00"}, 0},
		{"0 0 12 31 2 ?", monday, nil, 1},
		{"0 0 12 30 2 ? 2027-2030", monday, nil, 1},

		// Seconds are dropped: every one of these fires once a minute at second 0.
		{"* * * * * ?", monday.Add(30 * time.Second), []string{"2026-11-23 00:01", "2026-11-23 00:02"}, 0},
		{"1 * * * * ?", monday, []string{"2026-11-23 00:00", "2026-11-23 00:01"}, 0},
		{"0/10 * * * * ?", monday.Add(time.Second), []string{"2026-11-23 00:01"}, 0},

		// Steps start where Quartz starts them.
		{"0 0/30 * * * ?", monday, []string{"2026-11-23 00:00", "2026-11-23 00:30", "2026-11-23 01:00"}, 0},
		{"0 10/20 * * * ?", monday, []string{"2026-11-23 00:10", "2026-11-23 00:30", "2026-11-23 00:50", "2026-11-23 01:10"}, 0},
		{"0 */20 * * * ?", monday, []string{"2026-11-23 00:00", "2026-11-23 00:20", "2026-11-23 00:40"}, 0},
		{"0 /45 * * * ?", monday, []string{"2026-11-23 00:00", "2026-11-23 00:45", "2026-11-23 01:00"}, 0},
		{"0 5-20/5 3 * * ?", monday, []string{"2026-11-23 03:05", "2026-11-23 03:10", "2026-11-23 03:15",
			"2026-11-23 03:20", "2026-11-24 03:05"}, 0},
		{"0 0 0 1/10 * ?", monday, []string{"2026-12-01 00:00", "2026-12-11 00:00", "2026-12-21 00:00", "2026-12-31 00:00",
			"2027-01-01 00:00"}, 0},
		{"0 0 0 1 */4 ?", monday, []string{"2027-01-01 00:00", "2027-05-01 00:00", "2027-09-01 00:00", "2028-01-01 00:00"}, 0},
		{"0 0 0 ? * */3", monday, []string{"2026-11-25 00:00", "2026-11-28 00:00", "2026-11-29 00:00"}, 0}, // SUN, WED, SAT

		// Quartz day-of-week numbers in ranges and lists.
		{"0 0 0 ? * 2-6", at("2026-11-28 00:00"), []string{"2026-11-30 00:00", "2026-12-01 00:00", "2026-12-02 00:00",
			"2026-12-03 00:00", "2026-12-04 00:00", "2026-12-07 00:00"}, 0},
		{"0 0 0 ? * 1,7", monday, []string{"2026-11-28 00:00", "2026-11-29 00:00", "2026-12-05 00:00"}, 0},
		{"0 0 0 ? * sat,Sun", monday, []string{"2026-11-28 00:00", "2026-11-29 00:00"}, 0},

		// Wrapping ranges.
		{"0 0 22-1 * * ?", monday, []string{"2026-11-23 00:00", "2026-11-23 01:00", "2026-11-23 22:00", "2026-11-23 23:00",
			"2026-11-24 00:00"}, 0},
		{"0 0 0 ? * FRI-MON", monday, []string{"2026-11-23 00:00", "2026-11-27 00:00", "2026-11-28 00:00",
			"2026-11-29 00:00", "2026-11-30 00:00", "2026-12-04 00:00"}, 0},
		{"0 0 0 1 NOV-FEB ?", monday, []string{"2026-12-01 00:00", "2027-01-01 00:00", "2027-02-01 00:00", "2027-11-01 00:00"}, 0},

		// Month names, lists mixing forms.
		{"0 30 9 1 JAN,jul ?", monday, []string{"2027-01-01 09:30", "2027-07-01 09:30", "2028-01-01 09:30"}, 0},
		{"0 0,15,50-52 8 23 11 ?", monday, []string{"2026-11-23 08:00", "2026-11-23 08:15", "2026-11-23 08:50",
			"2026-11-23 08:51", "2026-11-23 08:52", "2027-11-23 08:00"}, 0},

		// W next to the month's edges, and days that a month lacks.
		{"0 0 0 1W * ?", at("2027-04-02 00:00"), []string{"2027-05-03 00:00", "2027-06-01 00:00"}, 0},
		{"0 0 0 31W * ?", monday, []string{"2026-12-31 00:00", "2027-01-29 00:00", "2027-03-31 00:00",
			"2027-05-31 00:00", "2027-07-30 00:00"}, 0},
		{"0 0 0 L-30 * ?", monday, []string{"2026-12-01 00:00", "2027-01-01 00:00", "2027-03-01 00:00"}, 0},
		{"0 0 0 L-2W * ?", at("2027-01-01 00:00"), []string{"2027-01-29 00:00", "2027-02-26 00:00"}, 0}, // Jan 29 is a Fri; Feb 26 a Fri
		{"0 0 0 ? * 5#5", monday, []string{"2026-12-31 00:00", "2027-04-29 00:00"}, 0},

		// Leap years, including a century that is not one.
		{"0 0 0 L 2 ?", at("2027-03-01 00:00"), []string{"2028-02-29 00:00", "2029-02-28 00:00"}, 0},
		{"0 0 0 L 2 ?", at("2099-03-01 00:00"), []string{"2100-02-28 00:00", "2101-02-28 00:00"}, 0},
		{"0 0 0 29 2 ?", at("2097-01-01 00:00"), []string{"2104-02-29 00:00"}, 0},
		{"0 0 0 29 2 ? 2097-2103", at("2097-01-01 00:00"), nil, 1},
		{"0 0 0 29 2 ? 2000,2096", at("1999-01-01 00:00"), []string{"2000-02-29 00:00", "2096-02-29 00:00"}, 3},

		// Year boundary.
		{"0 0 0 1 1 ?", at("2026-12-31 23:59"), []string{"2027-01-01 00:00", "2028-01-01 00:00"}, 0},
		{"0 59 23 31 12 ?", at("2026-12-31 23:59"), []string{"2026-12-31 23:59", "2027-12-31 23:59"}, 0},
		{"0 * * * * ?", at("2026-12-31 23:59").Add(time.Second), []string{"2027-01-01 00:00"}, 0},
		{"0 0 0 ? * MON 2026", at("2026-12-28 00:00"), []string{"2026-12-28 00:00"}, 2},

		// Parse only: both day fields restricted are ANDed (Friday the 13th); "?" anywhere is "*".
		{"0 0 0 13 * FRI", monday, []string{"2027-08-13 00:00", "2028-10-13 00:00", "2029-04-13 00:00"}, 0},
		{"0 0 0 * * *", monday, []string{"2026-11-23 00:00", "2026-11-24 00:00"}, 0},
		{"? ? 3 ? ? ?", monday, []string{"2026-11-23 03:00", "2026-11-23 03:01"}, 0},
		{"0  0\t12  * * ?", monday, []string{"2026-11-23 12:00"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.expr+"@"+tc.from.Format(time.DateTime), func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			n := tc.n
			if n == 0 {
				n = len(tc.want)
			}
			got := fires(t, s, tc.from, n)
			var gotS []string
			for _, g := range got {
				if g.Location() != time.UTC || g.Second() != 0 || g.Nanosecond() != 0 {
					t.Errorf("fire time %v is not a UTC minute", g)
				}
				gotS = append(gotS, g.Format("2006-01-02 15:04"))
			}
			if strings.Join(gotS, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("got  %v\nwant %v", gotS, tc.want)
			}
		})
	}
}

func TestNextFromSubMinuteInstants(t *testing.T) {
	s, err := Parse("0 0 12 * * ?")
	if err != nil {
		t.Fatal(err)
	}
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tomorrow := noon.AddDate(0, 0, 1)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	tests := []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"exactly on the minute is included", noon, noon},
		{"one nanosecond later is not", noon.Add(time.Nanosecond), tomorrow},
		{"one microsecond later is not", noon.Add(time.Microsecond), tomorrow},
		{"inside second 0 is not", noon.Add(500 * time.Millisecond), tomorrow},
		{"second 1 is not", noon.Add(time.Second), tomorrow},
		{"just before", noon.Add(-time.Nanosecond), noon},
		{"a minute before", noon.Add(-time.Minute), noon},
		{"another zone, same instant", noon.In(paris), noon},
		{"another zone, one second late", noon.Add(time.Second).In(paris), tomorrow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.Next(tc.from)
			if !ok || !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("Next(%v) = %v, %v; want %v", tc.from, got, ok, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr, field, value, reason string
	}{
		{"0 0 12 * *", "", "", "expected 6 or 7 fields"},
		{"0 0 12 * * ? 2030 x", "", "", "got 8"},
		{"", "", "", "got 0"},
		{"61 0 0 * * ?", "seconds", "61", "out of range 0-59"},
		{"0 60 0 * * ?", "minutes", "60", "out of range 0-59"},
		{"0 0 24 * * ?", "hours", "24", "out of range 0-23"},
		{"0 0 0 0 * ?", "day-of-month", "0", "out of range 1-31"},
		{"0 0 0 32 * ?", "day-of-month", "32", "out of range 1-31"},
		{"0 0 0 1 13 ?", "month", "13", "out of range 1-12"},
		{"0 0 0 1 FOO ?", "month", "FOO", "neither a number nor one of JAN"},
		{"0 0 0 ? * 0", "day-of-week", "0", "out of range 1-7"},
		{"0 0 0 ? * 8", "day-of-week", "8", "out of range 1-7"},
		{"0 0 0 ? * MON-XYZ", "day-of-week", "MON-XYZ", "neither a number nor one of SUN"},
		{"0 0 0 * * ? 1969", "year", "1969", "out of range 1970-2199"},
		{"0 0 0 * * ? 2030-2020", "year", "2030-2020", "must not end before"},
		{"0 */0 * * * ?", "minutes", "*/0", "increment"},
		{"0 */60 * * * ?", "minutes", "*/60", "from 1 to 59"},
		{"0 0 */24 * * ?", "hours", "*/24", "from 1 to 23"},
		{"0 0 0 ? * */8", "day-of-week", "*/8", "from 1 to 7"},
		{"0 0 0 1 */13 ?", "month", "*/13", "from 1 to 12"},
		{"0 5/ * * * ?", "minutes", "5/", "increment"},
		{"0 5x * * * ?", "minutes", "5x", "not a number"},
		{"0 1-2-3 * * * ?", "minutes", "1-2-3", "not a number"},
		{"0 -5 * * * ?", "minutes", "-5", "not a number"},
		{"0 1,,2 * * * ?", "minutes", "1,,2", "empty list element"},
		{"0 1, * * * ?", "minutes", "1,", "empty list element"},
		{"0 0 L * * ?", "hours", "L", "only allowed in day-of-month or day-of-week"},
		{"0 0 0 ? 1W ?", "month", "1W", "neither a number"},
		{"0 0 0 5L * ?", "day-of-month", "5L", "L and W are used as"},
		{"0 0 0 L-31 * ?", "day-of-month", "L-31", "from 0 to 30"},
		{"0 0 0 L- * ?", "day-of-month", "L-", "from 0 to 30"},
		{"0 0 0 LX * ?", "day-of-month", "LX", "expected L, LW"},
		{"0 0 0 W * ?", "day-of-month", "W", "single day from 1 to 31"},
		{"0 0 0 32W * ?", "day-of-month", "32W", "single day from 1 to 31"},
		{"0 0 0 1-5W * ?", "day-of-month", "1-5W", "single day"},
		{"0 0 0 L,15 * ?", "day-of-month", "L,15", "cannot be combined"},
		{"0 0 0 15W,20 * ?", "day-of-month", "15W,20", "cannot be combined"},
		{"0 0 0 ? * 6#6", "day-of-week", "6#6", "from 1 to 5"},
		{"0 0 0 ? * 6#0", "day-of-week", "6#0", "from 1 to 5"},
		{"0 0 0 ? * 6#", "day-of-week", "6#", "from 1 to 5"},
		{"0 0 0 ? * 8#1", "day-of-week", "8#1", "out of range"},
		{"0 0 0 ? * 6#3,2", "day-of-week", "6#3,2", "cannot be combined"},
		{"0 0 0 ? * 6#1#2", "day-of-week", "6#1#2", "from 1 to 5"},
		{"0 0 0 ? * 8L", "day-of-week", "8L", "out of range"},
		{"0 0 0 ? * L,2", "day-of-week", "L,2", "cannot be combined"},
		{"0 0 0 ? * 1-3L", "day-of-week", "1-3L", "single day of week"},
		{"0 0 0 1,? * ?", "day-of-month", "1,?", "whole field"},
		{"0 0 0 1 * ? 99999", "year", "99999", "not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			for name, check := range map[string]func(string) error{
				"Parse":    func(e string) error { _, err := Parse(e); return err },
				"Validate": Validate,
			} {
				err := check(tc.expr)
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("%s(%q) = %v, want *Error", name, tc.expr, err)
				}
				if ce.Field != tc.field || ce.Value != tc.value || !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("%s(%q) = %q (field %q value %q); want field %q value %q and %q in the message",
						name, tc.expr, err, ce.Field, ce.Value, tc.field, tc.value, tc.reason)
				}
				if tc.field != "" && !strings.Contains(err.Error(), tc.field) {
					t.Errorf("message %q does not name the field", err)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		expr  string
		valid bool // under Validate; every expression here must be accepted by Parse
	}{
		{"0 0 0 * * ?", true}, // the default Kibana writes
		{"0 0/15 * * * ?", true},
		{"0 15 10 ? * MON-FRI", true},
		{"0 15 10 ? * mon-fri", true},
		{"0 0 12 1 1 ? 2030", true},
		{"0 0 12 * * ? 2030-2032", true},
		{"0 15 10 L-3 * ?", true},
		{"0 15 10 LW * ?", true},
		{"0 15 10 15W * ?", true},
		{"0 15 10 ? * 6L", true},
		{"0 15 10 ? * 6#3", true},
		{"0 0 0 ? * L", true},
		{"0 0 12 31 2 ?", true}, // never fires, but well formed
		{"* * * * * ?", true},
		{"0 0 0 ? * *", true},
		{"0\t0  0 * * ?", true},
		{"0 0 12 * * *", false},   // both day fields given
		{"0 0 12 ? * ?", false},   // neither
		{"0 0 0 13 * FRI", false}, // both
		{"? 0 0 * * ?", false},    // "?" in seconds
		{"0 0 0 * ? ?", false},    // "?" in month
		{"0 0 0 * * ? ?", false},  // "?" in year
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			if _, err := Parse(tc.expr); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err := Validate(tc.expr)
			if (err == nil) != tc.valid {
				t.Fatalf("Validate = %v, want valid=%v", err, tc.valid)
			}
			var ce *Error
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("Validate error %T is not *Error", err)
			}
		})
	}
}

func TestScheduleString(t *testing.T) {
	const expr = "0 0 0 * * ?"
	s, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != expr {
		t.Errorf("String() = %q", s.String())
	}
}

func BenchmarkNextNever(b *testing.B) {
	s, err := Parse("0 0 12 31 2 ?")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := s.Next(monday); ok {
			b.Fatal("fired")
		}
	}
}

func BenchmarkNextDaily(b *testing.B) {
	s, err := Parse("0 0 0 * * ?")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s.Next(monday.Add(time.Second))
	}
}
