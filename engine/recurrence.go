package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// recurrence is a compiled dateRRule: its anchor and its per-year memo of
// matching dates.
type recurrence struct {
	anchor   date // zero value meaningful only when anchored
	anchored bool
	cache    *yearCache
}

// parsedRRule is the text of a dateRRule split into its parts.
type parsedRRule struct {
	opt       rrule.ROption
	dtstart   date
	hasAnchor bool
}

// parseRRule normalises the forms Twilio and RFC 5545 allow ("RRULE:" prefix
// or not, an optional DTSTART line in any of its date forms, CRLF) and parses
// the rule. Only the date of DTSTART counts: matching is on local dates.
func parseRRule(text string) (parsedRRule, error) {
	var p parsedRRule
	var body string
	lines := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		upper := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(upper, "DTSTART"):
			if p.hasAnchor {
				return p, errors.New("more than one DTSTART line")
			}
			i := strings.LastIndexByte(line, ':')
			if i < 0 {
				return p, fmt.Errorf("DTSTART line %s has no value", quote(line))
			}
			v := line[i+1:]
			if len(v) < 8 || !allDigits(v[:8]) {
				return p, fmt.Errorf("DTSTART %s is not a date (YYYYMMDD or YYYYMMDDTHHMMSS[Z])", quote(v))
			}
			d, err := parseDate(v[0:4] + "-" + v[4:6] + "-" + v[6:8])
			if err != nil {
				return p, fmt.Errorf("DTSTART: %w", err)
			}
			p.dtstart, p.hasAnchor = d, true
		case strings.HasPrefix(upper, "RRULE:"):
			if body != "" {
				return p, errors.New("more than one RRULE line")
			}
			body = strings.TrimSpace(line[len("RRULE:"):])
		case strings.Contains(upper, "FREQ=") && !strings.Contains(upper, ":"):
			if body != "" {
				return p, errors.New("more than one RRULE line")
			}
			body = line
		default:
			return p, fmt.Errorf("unsupported line %s (only DTSTART and RRULE are allowed)", quote(truncate(line, 40)))
		}
	}
	if body == "" {
		return p, errors.New("no RRULE (expected e.g. \"RRULE:FREQ=WEEKLY;BYDAY=MO,TU\")")
	}
	opt, err := rrule.StrToROptionInLocation(body, time.UTC)
	if err != nil {
		// The library's message can echo the input, escaped, more than once.
		return p, fmt.Errorf("invalid RRULE: %s", truncate(err.Error(), 200))
	}
	switch opt.Freq {
	case rrule.YEARLY, rrule.MONTHLY, rrule.WEEKLY, rrule.DAILY:
	default:
		return p, errors.New("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY: rules match whole dates, use startTime/endTime for hours")
	}
	// rrule-go indexes its year tables with these unchecked and panics (on
	// every evaluation) for a BYDAY position a month cannot have (8MO,
	// -6MO) or a BYEASTER offset outside Easter's year.
	inMonth := opt.Freq == rrule.MONTHLY || (opt.Freq == rrule.YEARLY && len(opt.Bymonth) > 0)
	for _, w := range opt.Byweekday {
		if n := w.N(); inMonth && (n > 5 || n < -5) {
			return p, fmt.Errorf("BYDAY position %d is out of range: a month has at most 5 of each weekday", n)
		}
	}
	for _, e := range opt.Byeaster {
		if e < -80 || e > 249 {
			return p, fmt.Errorf("BYEASTER offset %d is out of range (-80 to 249, within Easter's year)", e)
		}
	}
	if len(opt.Byhour) > 0 || len(opt.Byminute) > 0 || len(opt.Bysecond) > 0 {
		// They only multiply occurrences within a day (up to 86,400 a day,
		// gigabytes per year expanded) without changing which dates match.
		return p, errors.New("BYHOUR, BYMINUTE and BYSECOND are not supported: rules match whole dates, use startTime/endTime for hours")
	}
	if opt.Interval < 0 || opt.Count < 0 {
		return p, errors.New("INTERVAL and COUNT must be positive")
	}
	if opt.Interval > 1000 {
		return p, errors.New("INTERVAL is larger than 1000")
	}
	if !opt.Until.IsZero() {
		// Only the date of UNTIL counts, inclusive, like DTSTART.
		y, m, d := opt.Until.Date()
		opt.Until = time.Date(y, m, d, 23, 59, 59, 0, time.UTC)
	}
	p.opt = *opt
	return p, nil
}

// checkUnanchored rejects what Twilio silently guessed: an unanchored rule
// must pin its days itself and cannot count or skip periods.
func checkUnanchored(o rrule.ROption) error {
	if o.Interval > 1 {
		return errors.New("INTERVAL>1 needs an anchor: add a DTSTART line or a startDate")
	}
	if o.Count > 0 {
		return errors.New("COUNT needs an anchor: add a DTSTART line or a startDate")
	}
	hasDay := len(o.Bymonthday) > 0 || len(o.Byweekday) > 0
	switch o.Freq {
	case rrule.WEEKLY:
		if len(o.Byweekday) == 0 {
			return errors.New("FREQ=WEEKLY without an anchor needs BYDAY (e.g. BYDAY=MO,WE)")
		}
	case rrule.MONTHLY:
		if !hasDay && len(o.Byyearday) == 0 {
			return errors.New("FREQ=MONTHLY without an anchor needs BYMONTHDAY or BYDAY")
		}
	case rrule.YEARLY:
		pinned := (len(o.Bymonth) > 0 && hasDay) || len(o.Byyearday) > 0 ||
			(len(o.Byweekno) > 0 && len(o.Byweekday) > 0)
		if !pinned {
			return errors.New("FREQ=YEARLY without an anchor needs BYMONTH with BYMONTHDAY or BYDAY (or BYYEARDAY)")
		}
	}
	return nil
}

// newRecurrence compiles p. anchor is the rule's DTSTART or startDate.
func newRecurrence(p parsedRRule, anchor date, anchored bool) (*recurrence, error) {
	rec := &recurrence{anchor: anchor, anchored: anchored}
	opt := p.opt
	if anchored {
		y, m, d := anchor.ymd()
		if y < 1 {
			// rrule-go cannot expand year 0 (it panics).
			return nil, errors.New("the anchor (DTSTART or startDate) must be in year 1 or later")
		}
		// Noon, not midnight: rrule-go replaces a zero DTSTART
		// (0001-01-01T00:00Z) with time.Now(). Only dates count.
		opt.Dtstart = time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
		if opt.Until.IsZero() {
			// Without UNTIL rrule-go stops ~290 years after DTSTART.
			opt.Until = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
		}
		rr, err := rrule.NewRRule(opt)
		if err != nil {
			return nil, fmt.Errorf("invalid RRULE: %w", err)
		}
		rec.cache = newYearCache(func(year int) *yearInfo {
			return occurrences(rr, year)
		})
		return rec, nil
	}
	if err := checkUnanchored(opt); err != nil {
		return nil, err
	}
	// Validate once so per-year construction cannot fail later.
	opt.Dtstart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := rrule.NewRRule(opt); err != nil {
		return nil, fmt.Errorf("invalid RRULE: %w", err)
	}
	rec.cache = newYearCache(func(year int) *yearInfo {
		// An unanchored rule pins its days and has INTERVAL 1, so its
		// occurrences in a year do not depend on where it starts; start the
		// expansion a week early so week-based rules see whole weeks.
		if year < 2 {
			return &yearInfo{} // the expansion would start in year 0, which rrule-go cannot expand (it panics)
		}
		o := opt
		o.Dtstart = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -7)
		rr, err := rrule.NewRRule(o)
		if err != nil {
			return &yearInfo{}
		}
		return occurrences(rr, year)
	})
	return rec, nil
}

func occurrences(rr *rrule.RRule, year int) *yearInfo {
	info := &yearInfo{}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
	jan1 := civil(year, 1, 1)
	for _, t := range rr.Between(start, end, true) {
		info.set(int(civil(t.Year(), t.Month(), t.Day())-jan1), "")
	}
	return info
}

func (r *recurrence) matches(d date) bool {
	if r.anchored && d < r.anchor {
		return false
	}
	y, doy := dayOfYear(d)
	return r.cache.get(y).has(doy)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
