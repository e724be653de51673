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
// A local time inside a DST gap is read with the offset before the gap, so
// it moves forward by the length of the gap: 02:30 on a spring-forward night
// means 03:30 (RFC 5545 §3.3.5). A local time that occurs twice (fall back)
// means the first occurrence.
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
		return wallClock(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), loc), nil
	}
	for _, layout := range absoluteLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	for _, layout := range localLayouts {
		if w, err := time.Parse(layout, v); err == nil {
			return wallClock(w, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is not a date-time; use 2006-01-02T15:04 (local to the schedule), 2006-01-02T15:04:05Z07:00 (absolute) or 2006-01-02 (local midnight)", quote(v))
}

// wallClock returns the instant at which loc's wall clock reads the date and
// time of w (a UTC time). time.Date alone leaves both DST edge cases to the
// sign of the offset: west of UTC it resolves a gap backwards and a repeated
// hour to its first occurrence, east of UTC the other way round.
func wallClock(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	start, _ := t.ZoneBounds()
	before := 0 // the offset of the period before t's
	if !start.IsZero() {
		_, before = start.Add(-time.Nanosecond).Zone()
	}
	tw := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	switch {
	case tw.Equal(w):
		// The wall clock exists; if it also occurred in the previous period
		// (fall back), take that first occurrence.
		if !start.IsZero() {
			if c := w.Add(-time.Duration(before) * time.Second).In(loc); c.Before(t) && sameWall(c, w) {
				return c
			}
		}
		return t
	case tw.Before(w):
		// In a gap, and t is before it: t's offset is the one before the gap.
		_, off := t.Zone()
		return w.Add(-time.Duration(off) * time.Second).In(loc)
	default:
		// In a gap, and t is after it: the previous period's offset is.
		return w.Add(-time.Duration(before) * time.Second).In(loc)
	}
}

func sameWall(t, w time.Time) bool {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return y == w.Year() && m == w.Month() && d == w.Day() && hh == w.Hour() && mm == w.Minute() && ss == w.Second() && t.Nanosecond() == w.Nanosecond()
}
