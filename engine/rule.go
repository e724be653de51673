package engine

import (
	"strings"
)

// compiledRule is a validated rule ready for matching.
type compiledRule struct {
	src        Rule
	index      int
	start, end int // minutes after midnight, [start, end); end may be 1440
	overnight  bool
	startDate  date
	endDate    date
	hasStart   bool
	hasEnd     bool
	rec        *recurrence
	holidays   *yearCache
	cal        *compiledCalendar // the rule's calendar; matched per zone through Schedule.cals
	digest     [32]byte          // of what it evaluates by, for schedule fingerprints
}

func compileRule(path string, r Rule, errs *errorList, holidays map[string]*yearCache, recs map[string]*recurrence) *compiledRule {
	cr := &compiledRule{src: r, end: minutesPerDay}
	checkName(path+".id", "id", r.ID, MaxNameLength, true, errs)
	checkName(path+".name", "name", r.Name, MaxNameLength, false, errs)
	if !r.IsOpen {
		if strings.TrimSpace(r.ClosedReason) == "" {
			errs.add(path+".closedReason", "a closed rule needs a closed reason (e.g. \"holiday\", \"closed\", \"lunch\")")
		} else {
			checkName(path+".closedReason", "closed reason", r.ClosedReason, MaxReasonLength, false, errs)
		}
	}
	var err error
	if r.StartDate != "" {
		if cr.startDate, err = parseDate(r.StartDate); err != nil {
			errs.add(path+".startDate", "%s", err.Error())
		} else {
			cr.hasStart = true
		}
	}
	if r.EndDate != "" {
		if cr.endDate, err = parseDate(r.EndDate); err != nil {
			errs.add(path+".endDate", "%s", err.Error())
		} else {
			cr.hasEnd = true
		}
	}
	if cr.hasStart && cr.hasEnd && cr.endDate < cr.startDate {
		errs.add(path+".endDate", "%s is before startDate %s", quote(r.EndDate), quote(r.StartDate))
	}
	timesOK := true
	if r.StartTime != "" {
		if cr.start, err = parseClock(r.StartTime, false); err != nil {
			errs.add(path+".startTime", "%s", err.Error())
			timesOK = false
		}
	}
	if r.EndTime != "" {
		if cr.end, err = parseClock(r.EndTime, true); err != nil {
			errs.add(path+".endTime", "%s", err.Error())
			timesOK = false
		}
	}
	if timesOK && r.StartTime != "" && r.EndTime != "" {
		switch {
		case cr.start == cr.end:
			errs.add(path+".endTime", "%s equals startTime: the window would be empty (use neither for all day)", quote(r.EndTime))
		case cr.end == minutesPerDay:
			// 24:00 ends at midnight: an ordinary window.
		case cr.start > cr.end:
			cr.overnight = true // runs past midnight into the next day
		}
	}
	if r.Holidays != "" {
		code := normalizeCalendarCode(r.Holidays)
		if c, ok := holidays[code]; ok {
			cr.holidays = c
		} else if list, ok := holidayList(code); ok {
			cr.holidays = newHolidayCache(list)
			cr.holidays.label = path + ".holidays"
			holidays[code] = cr.holidays
		} else {
			errs.add(path+".holidays", "unknown holiday calendar %s (known: %s)", quote(r.Holidays), strings.Join(HolidayCalendars(), ", "))
		}
	}
	if r.DateRRule != "" {
		if len(r.DateRRule) > maxRRuleLength {
			errs.add(path+".dateRRule", "is %d bytes long, the limit is %d", len(r.DateRRule), maxRRuleLength)
			return cr
		}
		p, err := parseRRule(r.DateRRule)
		if err != nil {
			errs.add(path+".dateRRule", "%s", err.Error())
			return cr
		}
		anchor, anchored := p.dtstart, p.hasAnchor
		if !anchored && cr.hasStart {
			anchor, anchored = cr.startDate, true
		}
		key := strings.TrimSpace(r.DateRRule) + "|" + anchor.String() + "|" + boolKey(anchored)
		if rec, ok := recs[key]; ok {
			cr.rec = rec
		} else if rec, err := newRecurrence(p, anchor, anchored); err != nil {
			errs.add(path+".dateRRule", "%s", err.Error())
		} else {
			rec.cache.label = path + ".dateRRule"
			cr.rec = rec
			recs[key] = rec
		}
	}
	return cr
}

func boolKey(b bool) string {
	if b {
		return "a"
	}
	return "u"
}

// dateMatch reports whether the rule's date condition holds on d, and the
// holiday name when a holiday calendar decided it.
func (r *compiledRule) dateMatch(d date) (bool, string) {
	if r.hasStart && d < r.startDate || r.hasEnd && d > r.endDate {
		return false, ""
	}
	if r.rec != nil && !r.rec.matches(d) {
		return false, ""
	}
	if r.holidays != nil {
		return holidayName(r.holidays, d)
	}
	return true, ""
}

// match reports whether the rule matches local date d at minute m.
func (r *compiledRule) match(d date, m int) (bool, string) {
	if !r.overnight {
		if m < r.start || m >= r.end {
			return false, ""
		}
		return r.dateMatch(d)
	}
	if m >= r.start {
		return r.dateMatch(d)
	}
	if m < r.end {
		// The window that began yesterday evening.
		return r.dateMatch(d - 1)
	}
	return false, ""
}

// matchOn is match at minute m with the rule's date condition already
// known for the date (today) and the day before (before, for an overnight
// window).
func (r *compiledRule) matchOn(m int, today, before dateMatch) (bool, string) {
	if !r.overnight {
		if m < r.start || m >= r.end || !today.ok {
			return false, ""
		}
		return true, today.holiday
	}
	if m >= r.start {
		return today.ok, today.holiday
	}
	if m < r.end {
		return before.ok, before.holiday
	}
	return false, ""
}
