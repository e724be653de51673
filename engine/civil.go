package engine

import (
	"fmt"
	"strconv"
	"time"
)

// date is a civil date counted in days since 1970-01-01. Matching happens on
// local dates, so working with day numbers keeps it free of time zones.
type date int32

// civil returns the day number of y-m-d (proleptic Gregorian calendar).
// Algorithm from Howard Hinnant's days_from_civil.
func civil(y int, m time.Month, d int) date {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (int(m) + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return date(era*146097 + doe - 719468)
}

// ymd converts a day number back to year, month and day.
func (d date) ymd() (int, time.Month, int) {
	z := int(d) + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, time.Month(m), day
}

func (d date) String() string {
	y, m, dd := d.ymd()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// parseDate parses YYYY-MM-DD strictly.
func parseDate(s string) (date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("%s is not a date (YYYY-MM-DD)", quote(s))
	}
	y, err1 := strconv.Atoi(s[0:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:10])
	if err1 != nil || err2 != nil || err3 != nil || !allDigits(s[0:4]+s[5:7]+s[8:10]) {
		return 0, fmt.Errorf("%s is not a date (YYYY-MM-DD)", quote(s))
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return 0, fmt.Errorf("%s is not a valid calendar date", quote(s))
	}
	return civil(y, time.Month(m), d), nil
}

// parseClock parses HH:MM into minutes after midnight. 24:00 is accepted
// only where allow24 is set (as an end time).
func parseClock(s string, allow24 bool) (int, error) {
	if len(s) != 5 || s[2] != ':' || !allDigits(s[0:2]+s[3:5]) {
		return 0, fmt.Errorf("%s is not a time (HH:MM)", quote(s))
	}
	h, _ := strconv.Atoi(s[0:2])
	m, _ := strconv.Atoi(s[3:5])
	switch {
	case h == 24 && m == 0 && allow24:
		return minutesPerDay, nil
	case h == 24 && m == 0:
		return 0, fmt.Errorf("%s is only allowed as an end time", quote(s))
	case h > 23 || m > 59:
		return 0, fmt.Errorf("%s is not a time (HH:MM)", quote(s))
	}
	return h*60 + m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
)

// floorDiv divides rounding towards negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
