package engine

import (
	"fmt"
	"strings"
	"time"
)

// Layouts accepted for a local wall-clock time (no offset): Twilio's
// simulate parameter is one of these, interpreted in the schedule's zone.
var localLayouts = []string{
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
}

// Layouts accepted for an absolute instant (with Z or an offset).
var absoluteLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04Z07:00",
}

// ParseTime parses a simulate value (also used for CLI --at/--from/--to):
//   - "2022-08-08T07:59" (no offset): local wall clock in loc, as Twilio meant;
//   - "2022-08-08T07:59:00Z" or "…-05:00": an absolute instant;
//   - "2022-08-08": local midnight in loc.
//
// A local time inside a DST gap is moved forward by the length of the gap
// (Go's time.Date rule), so 02:30 on a spring-forward night means 03:30.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return time.Time{}, fmt.Errorf("empty time; use 2006-01-02T15:04 (local), 2006-01-02T15:04:05Z07:00 (absolute) or 2006-01-02")
	}
	if len(v) > 64 {
		return time.Time{}, fmt.Errorf("time %s is too long", quote(v))
	}
	if loc == nil {
		loc = time.UTC
	}
	if len(v) == 10 {
		d, err := parseDate(v)
		if err != nil {
			return time.Time{}, err
		}
		y, m, dd := d.ymd()
		return time.Date(y, m, dd, 0, 0, 0, 0, loc), nil
	}
	for _, layout := range absoluteLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date-time; use 2006-01-02T15:04 (local to the schedule), 2006-01-02T15:04:05Z07:00 (absolute) or 2006-01-02 (local midnight)", quote(v))
}
