package engine

import (
	"fmt"
	"slices"
	"strings"
)

// maxCandidateDates bounds the dates of a rule that may be part of a
// fixed-date holiday list: a holiday rule has one date a year.
const maxCandidateDates = 32

// holidayCandidate is a closed, all-day rule on fixed dates that a holiday
// calendar might replace.
type holidayCandidate struct {
	rule  *compiledRule
	dates []date // every date it matches (dated), or those of the next four years (recurring)
	dated bool   // startDate and endDate bound it: it expires
}

// holidayLists suggests a "holidays" calendar for fixed-date holiday rules:
// two or more closed all-day rules, at least one of them on fixed dates that
// expire (Twilio's "On Mon 4 Sep 2023"), whose dates are all public holidays
// of one calendar. A calendar computes them for every year, so the list
// never needs a yearly edit.
func (l *linter) holidayLists() {
	cands := l.holidayCandidates()
	if len(cands) < 2 {
		return
	}
	codes := HolidayCalendars()
	caches := make(map[string]*yearCache, len(codes))
	matches := make(map[string][]int, len(codes)) // candidate indices whose dates are all holidays of code
	for _, code := range codes {
		list, _ := holidayList(code)
		c := newHolidayCache(list)
		caches[code] = c
		for i, cand := range cands {
			if allHolidays(c, cand.dates) {
				matches[code] = append(matches[code], i)
			}
		}
	}
	taken := make([]bool, len(cands))
	for {
		best, ties := l.bestCalendar(codes, matches, cands, taken)
		if best == "" {
			return
		}
		var labels []string
		var covered []date
		for _, i := range matches[best] {
			if taken[i] {
				continue
			}
			taken[i] = true
			r := cands[i].rule
			label := rulePath(r)
			if r.src.Name != "" {
				label += " " + quote(r.src.Name)
			}
			labels = append(labels, label)
			covered = append(covered, cands[i].dates...)
		}
		var msg string
		if len(ties) == 0 {
			msg = fmt.Sprintf("%s are fixed dates that are all %s public holidays: one closed rule with \"holidays\": %q would close on them every year, observed dates included, and never expire",
				quoteList(labels, 5), best, best)
			if more := l.otherHolidays(caches[best], covered); len(more) > 0 {
				msg += "; it also closes on " + quoteList(more, 5)
			}
		} else {
			// Which calendar is right (a state, say) is the author's call.
			msg = fmt.Sprintf("%s are fixed dates that are all public holidays in each of %s: one closed rule with \"holidays\": %q (or whichever of those is yours) would close on them every year, observed dates included, and never expire",
				quoteList(labels, 5), quoteList(append([]string{best}, ties...), 10), best)
		}
		l.add("rules", "%s", msg)
	}
}

// holidayCandidates lists the rules of the config that a holiday calendar
// might replace: closed, all day, on a few fixed dates, listed by a
// schedule without a holiday calendar, not already a "holidays" rule.
func (l *linter) holidayCandidates() []holidayCandidate {
	// For each rule: listed by a schedule, and by one without a holiday
	// calendar (a schedule with one needs no suggestion of another).
	listed := make([]bool, len(l.cfg.rules))
	bare := make([]bool, len(l.cfg.rules))
	for _, s := range l.cfg.schedules {
		hasCalendar := false
		for _, r := range s.rules {
			hasCalendar = hasCalendar || r.holidays != nil
		}
		for _, r := range s.rules {
			listed[r.index] = true
			bare[r.index] = bare[r.index] || !hasCalendar
		}
	}
	var out []holidayCandidate
	for _, r := range l.cfg.rules {
		if !listed[r.index] || !bare[r.index] || r.src.IsOpen || r.holidays != nil || r.overnight || r.start != 0 || r.end != minutesPerDay {
			continue
		}
		c := holidayCandidate{rule: r}
		first, last := l.today, l.today+lintDays
		switch {
		case r.hasStart && r.hasEnd && r.endDate-r.startDate < maxCandidateDates:
			c.dated = true
			first, last = r.startDate, r.endDate
		case r.rec == nil:
			continue // a plain range: not a list of holidays
		}
		r.eachDate(first, last, func(d date) bool {
			c.dates = append(c.dates, d)
			return len(c.dates) <= maxCandidateDates
		})
		if len(c.dates) > 0 && len(c.dates) <= maxCandidateDates {
			out = append(out, c)
		}
	}
	return out
}

// bestCalendar picks the calendar matching the most candidates not yet
// taken, if that is two or more with at least one dated: a country before
// a region (GB before DE-BY), then alphabetically. ties are the other
// calendars matching as many.
func (l *linter) bestCalendar(codes []string, matches map[string][]int, cands []holidayCandidate, taken []bool) (string, []string) {
	type score struct {
		code string
		n    int
	}
	var scores []score
	for _, code := range codes {
		n, dated := 0, false
		for _, i := range matches[code] {
			if !taken[i] {
				n++
				dated = dated || cands[i].dated
			}
		}
		if n >= 2 && dated {
			scores = append(scores, score{code, n})
		}
	}
	if len(scores) == 0 {
		return "", nil
	}
	slices.SortStableFunc(scores, func(a, b score) int {
		if a.n != b.n {
			return b.n - a.n
		}
		ra, rb := strings.Contains(a.code, "-"), strings.Contains(b.code, "-")
		switch {
		case ra == rb:
			return strings.Compare(a.code, b.code)
		case ra:
			return 1
		default:
			return -1
		}
	})
	var ties []string
	for _, s := range scores[1:] {
		if s.n == scores[0].n {
			ties = append(ties, s.code)
		}
	}
	return scores[0].code, ties
}

func allHolidays(c *yearCache, dates []date) bool {
	for _, d := range dates {
		if ok, _ := holidayName(c, d); !ok {
			return false
		}
	}
	return true
}

// otherHolidays names the holidays of the calendar in the next year that
// fall on none of the covered dates' holidays: what switching to the
// calendar would close on as well.
func (l *linter) otherHolidays(c *yearCache, covered []date) []string {
	had := map[string]bool{}
	for _, d := range covered {
		_, name := holidayName(c, d)
		for _, n := range holidayBaseNames(name) {
			had[n] = true
		}
	}
	var out []string
	for d := l.today; d < l.today+366; d++ {
		ok, name := holidayName(c, d)
		if !ok {
			continue
		}
		for _, n := range holidayBaseNames(name) {
			if !had[n] {
				had[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// holidayBaseNames splits a day's holiday names ("A, B (observed)") into
// the holidays themselves.
func holidayBaseNames(name string) []string {
	if name == "" {
		return nil
	}
	parts := strings.Split(name, ", ")
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, " (observed)")
	}
	return parts
}
