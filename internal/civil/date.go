// Package civil holds the calendar date used everywhere a claim or a code set
// speaks of a day: dates of service, coverage windows, add and termination
// dates. A Date is a day count, so comparisons are integer comparisons and
// parsing allocates nothing.
package civil

import (
	"errors"
	"strconv"
)

// Date is a calendar day, counted from 1970-01-01 (day 0). The zero value is
// 1970-01-01; use Min and Max for open ends.
type Date int32

// Open ends of a date range.
const (
	Min Date = -1 << 30
	Max Date = 1<<30 - 1
)

// ErrDate is returned for text that is not a valid calendar date.
var ErrDate = errors.New("not a valid date")

// FromYMD returns the date of year y, month m (1-12), day d. It does not
// check its arguments; use Parse for text.
func FromYMD(y, m, d int) Date {
	// Days from civil, after Howard Hinnant's algorithm.
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

// YMD returns the year, month and day of d.
func (d Date) YMD() (y, m, day int) {
	z := int(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, day
}

// DaysIn is the number of days of month m (1–12) of year y, leap years
// by the Gregorian rule.
func DaysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func build(ys, ms, ds string) (Date, error) {
	y, ok1 := digits(ys)
	m, ok2 := digits(ms)
	d, ok3 := digits(ds)
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, m) {
		return 0, ErrDate
	}
	return FromYMD(y, m, d), nil
}

// Parse reads YYYY-MM-DD.
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, ErrDate
	}
	return build(s[:4], s[5:7], s[8:])
}

// ParseCompact reads YYYYMMDD, the form CMS files use.
func ParseCompact(s string) (Date, error) {
	if len(s) != 8 {
		return 0, ErrDate
	}
	return build(s[:4], s[4:6], s[6:])
}

// String returns YYYY-MM-DD, or "open" for Min and Max.
func (d Date) String() string {
	if d == Min || d == Max {
		return "open"
	}
	y, m, day := d.YMD()
	b := make([]byte, 0, 10)
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, m, 2)
	b = append(b, '-')
	b = pad(b, day, 2)
	return string(b)
}

func pad(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Range is an inclusive range of days.
type Range struct{ From, To Date }

// Contains reports whether d is within r.
func (r Range) Contains(d Date) bool { return d >= r.From && d <= r.To }

// Overlaps reports whether r and o share a day.
func (r Range) Overlaps(o Range) bool { return r.From <= o.To && o.From <= r.To }

// String returns "FROM..TO".
func (r Range) String() string { return r.From.String() + ".." + r.To.String() }
