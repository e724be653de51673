package engine

import (
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// FieldWarning is one lint finding in a config document, with its JSON path
// (rules[2].startDate; "" for the document as a whole). Warnings never make
// a document invalid: they point at rules that cannot do what their author
// probably meant.
type FieldWarning struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (w FieldWarning) String() string {
	if w.Path == "" {
		return w.Message
	}
	return w.Path + ": " + w.Message
}

// lintDays is how far ahead Lint looks for a rule's next date: four years
// and a day always hold a 29 February, so only a date that cannot exist (30
// February) or a rule whose dates are all far away finds none.
const lintDays = 4*366 + 1

// LoadWithWarnings is Load followed by Lint, plus UnknownFields of data: the
// config, every warning, and Load's error. An invalid document still gets
// its unknown-field warnings (a misspelt field often explains an error).
// It applies the default Limits (see Loader).
func LoadWithWarnings(data []byte, now time.Time) (*Config, []FieldWarning, error) {
	return Loader{}.LoadWithWarnings(data, now)
}

// Lint returns the warnings of the config as of instant now, in a fixed
// order (rules, then holiday lists, then schedules):
//
//   - a rule that can no longer match: its endDate or one-off date is past
//     (in every time zone: a day's margin),
//     its RRULE's UNTIL or COUNT has run out, or it matches no date in the
//     next four years (an impossible date such as 30 February);
//   - a rule that no schedule lists;
//   - two or more closed all-day rules on fixed dates (one at least
//     expiring), listed by schedules without a holiday calendar, whose
//     dates are all public holidays of one calendar: a "holidays" rule
//     would replace them for good;
//   - a closed rule that never decides in a schedule because an earlier
//     closed rule matches whenever it does (checked soundly: only a proven
//     cover is reported, never a guess);
//   - a schedule, not manually closed, that is never open in the next 366
//     days.
//
// Unknown fields need the document's bytes: see UnknownFields and
// LoadWithWarnings. Lint is a pure function of the config and now.
func (c *Config) Lint(now time.Time) []FieldWarning {
	l := &linter{cfg: c, now: now, today: lintToday(now), dead: make([]bool, len(c.rules))}
	for _, r := range c.rules {
		l.ruleDates(r)
	}
	l.unused()
	l.holidayLists()
	for _, s := range c.schedules {
		l.shadowed(s)
		l.neverOpen(s)
	}
	return l.out
}

// lintToday is the first date that may still come in some zone: the UTC
// date of now minus one, because local dates run at most a day behind UTC
// (UTC-12). So a rule is called past only once its dates are past
// everywhere.
func lintToday(now time.Time) date {
	y, m, d := now.UTC().Date()
	return civil(y, m, d) - 1
}

type linter struct {
	cfg      *Config
	covered  map[[2]int32]bool   // covers(a, b) by rule indexes: schedules share rules
	messages map[[2]int32]string // shadowMessage(a, b)
	now      time.Time
	today    date
	dead     []bool // by rule index: matches no date from today on
	spent    int    // of shadowBudget
	out      []FieldWarning
}

func (l *linter) add(path, format string, args ...any) {
	l.out = append(l.out, FieldWarning{Path: path, Message: fmt.Sprintf(format, args...)})
}

func rulePath(r *compiledRule) string { return fmt.Sprintf("rules[%d]", r.index) }

// ruleLabel names a rule in a message: its id, and its name when it has one.
func ruleLabel(r *compiledRule) string {
	if r.src.Name != "" && r.src.Name != r.src.ID {
		return quote(r.src.ID) + " (" + quote(r.src.Name) + ")"
	}
	return quote(r.src.ID)
}

// ruleDates warns about a rule that matches no date from today through the
// next four years, saying why where it can tell.
func (l *linter) ruleDates(r *compiledRule) {
	from := l.today
	if r.overnight {
		from-- // the window of the day before runs into today
	}
	to := l.today + lintDays
	if r.hasStart && r.startDate > to || r.rec != nil && r.rec.anchored && r.rec.anchor > to {
		return // it starts later: far away, not impossible
	}
	found := false
	r.eachDate(from, to, func(date) bool { found = true; return false })
	if found {
		return
	}
	l.dead[r.index] = true
	path := rulePath(r)
	switch {
	case r.hasEnd && r.endDate < from && r.hasStart && r.startDate == r.endDate && r.rec == nil:
		l.add(path+".startDate", "the one-off date %s is in the past: the rule can no longer match", r.endDate)
	case r.hasEnd && r.endDate < from:
		l.add(path+".endDate", "endDate %s is in the past: the rule can no longer match", r.endDate)
	case r.rec != nil:
		l.add(path+".dateRRule", "%s", rruleEnded(r, from, to))
	case r.holidays != nil:
		l.add(path+".holidays", "no %s holiday falls between startDate and endDate: the rule never applies", normalizeCalendarCode(r.src.Holidays))
	default:
		l.add(path, "matches no date from %s through %s: the rule never applies", from, to)
	}
}

// maxCountWalk and maxCountYears bound the expansion rruleEnded does to
// tell whether a COUNT has run out.
const (
	maxCountWalk  = 10000
	maxCountYears = 100
)

// rruleEnded explains why an RRULE rule matches no date in [from, to]: its
// UNTIL or COUNT ran out, or its dates never exist.
func rruleEnded(r *compiledRule, from, to date) string {
	p, err := parseRRule(r.src.DateRRule)
	if err != nil {
		return "matches no date" // cannot happen: the rule compiled
	}
	if u := p.opt.Until; !u.IsZero() {
		if ud := civil(u.Date()); ud < from {
			return fmt.Sprintf("UNTIL %s is in the past: the rule can no longer match", ud)
		}
	}
	if p.opt.Count > 0 && p.opt.Count <= maxCountWalk && r.rec.anchored && from-r.rec.anchor <= maxCountYears*366 {
		// Expand up to the day before from: COUNT dates there mean it ran
		// out. The cut bounds the walk even for a rule with no dates.
		opt := p.opt
		y, m, d := r.rec.anchor.ymd()
		opt.Dtstart = time.Date(y, m, d, 12, 0, 0, 0, time.UTC) // as newRecurrence does
		y, m, d = (from - 1).ymd()
		if cut := time.Date(y, m, d, 23, 59, 59, 0, time.UTC); opt.Until.IsZero() || opt.Until.After(cut) {
			opt.Until = cut
		}
		if rr, err := rrule.NewRRule(opt); err == nil {
			if all := rr.All(); len(all) == p.opt.Count {
				return fmt.Sprintf("its COUNT=%d dates ended on %s: the rule can no longer match", p.opt.Count, civil(all[len(all)-1].Date()))
			}
		}
	}
	msg := fmt.Sprintf("matches no date from %s through %s", from, to)
	if r.hasStart || r.hasEnd || r.holidays != nil {
		return msg + " within its other date conditions: the rule never applies"
	}
	return msg + " (an impossible date, such as 30 February?): the rule never applies"
}

// unused warns about rules that no schedule lists.
func (l *linter) unused() {
	used := make([]bool, len(l.cfg.rules))
	for _, s := range l.cfg.schedules {
		for _, r := range s.rules {
			used[r.index] = true
		}
	}
	for i, r := range l.cfg.rules {
		if !used[i] {
			l.add(rulePath(r), "rule %s is in no schedule's rules, so it has no effect", ruleLabel(r))
		}
	}
}

// neverOpen warns about a schedule that is not manually closed and yet is
// never open in the next 366 days.
func (l *linter) neverOpen(s *Schedule) {
	if s.manual {
		return // closed on purpose
	}
	path := fmt.Sprintf("schedules[%d]", s.index)
	hasOpen := false
	for _, r := range s.rules {
		hasOpen = hasOpen || r.src.IsOpen
	}
	if !hasOpen {
		l.add(path, "never open: it has no open rule (\"isOpen\": true)")
		return
	}
	if s.At(l.now).IsOpen || s.opensSoon(l.now) {
		return
	}
	if _, ok := s.NextOpening(l.now); ok {
		return
	}
	end := l.now.Add(transitionSearch).In(s.loc)
	l.add(path, "never open from now through %s: its open rules never match outside its closed ones", end.Format("2006-01-02"))
}

// shadowBudget bounds the date comparisons of the shadowed-rule check of
// one config, so that a config of thousands of long date ranges costs
// milliseconds; past it, pairs are left unchecked (no warning, never a
// wrong one).
const shadowBudget = 2_000_000

// shadowed warns about each closed rule of s that never decides because an
// earlier closed rule of s matches at every instant it does: closed rules
// are checked top down and the first match decides.
func (l *linter) shadowed(s *Schedule) {
	for j, b := range s.rules {
		if b.src.IsOpen || l.dead[b.index] {
			continue
		}
		for _, a := range s.rules[:j] {
			if a.src.IsOpen || !l.coversMemo(a, b) {
				continue
			}
			l.out = append(l.out, FieldWarning{Path: fmt.Sprintf("schedules[%d].rules[%d]", s.index, j), Message: l.shadowMessage(a, b)})
			break
		}
	}
}

// shadowMessage words "b never decides because of a", once per pair:
// thousands of schedules may share the pair.
func (l *linter) shadowMessage(a, b *compiledRule) string {
	k := [2]int32{int32(a.index), int32(b.index)}
	if m, ok := l.messages[k]; ok {
		return m
	}
	if l.messages == nil {
		l.messages = map[[2]int32]string{}
	}
	m := fmt.Sprintf("rule %s never decides: rules[%d] %s, listed before it, closes the schedule whenever it would",
		ruleLabel(b), a.index, ruleLabel(a))
	l.messages[k] = m
	return m
}

// coversMemo is covers, computed once per pair of rules of the config.
func (l *linter) coversMemo(a, b *compiledRule) bool {
	k := [2]int32{int32(a.index), int32(b.index)}
	if v, ok := l.covered[k]; ok {
		return v
	}
	if l.covered == nil {
		l.covered = map[[2]int32]bool{}
	}
	v := l.covers(a, b)
	l.covered[k] = v
	return v
}

// covers reports whether rule a matches at every (date, minute) at which
// rule b matches. It answers true only when that is proven: from the rules'
// structure, or by checking each date of a b with few dates.
func (l *linter) covers(a, b *compiledRule) bool {
	// Time windows first: a must hold b's whole window.
	switch {
	case b.overnight:
		// b also matches the next morning: only an all-day a covers that.
		if a.overnight || a.start != 0 || a.end != minutesPerDay {
			return false
		}
	case a.overnight:
		return false // conservative
	case a.start > b.start || a.end < b.end:
		return false
	}
	if structuralCover(a, b) {
		return true
	}
	// Few dates: check each one.
	if !b.hasStart || !b.hasEnd || b.endDate-b.startDate > 3660 {
		return false
	}
	covered := true
	b.eachDate(b.startDate, b.endDate, func(d date) bool {
		if l.budget() {
			covered = false
			return false
		}
		ok, _ := a.dateMatch(d)
		if ok && b.overnight {
			ok, _ = a.dateMatch(d + 1)
		}
		covered = ok
		return ok
	})
	return covered
}

// eachDate calls fn, in order, for each date in [first, last] on which r's
// date condition holds, until fn returns false. A recurrence or a holiday
// calendar is read a year of bits at a time, not a date at a time: a yearly
// rule has a few dates in four years.
func (r *compiledRule) eachDate(first, last date, fn func(date) bool) {
	if r.hasStart && r.startDate > first {
		first = r.startDate
	}
	if r.hasEnd && r.endDate < last {
		last = r.endDate
	}
	if r.rec != nil && r.rec.anchored && r.rec.anchor > first {
		first = r.rec.anchor
	}
	var cache *yearCache
	switch {
	case r.rec != nil:
		cache = r.rec.cache
	case r.holidays != nil:
		cache = r.holidays
	default:
		for d := first; d <= last; d++ {
			// dateMatch, not every day: a date condition added to rules
			// later is honoured here without a change.
			if ok, _ := r.dateMatch(d); ok && !fn(d) {
				return
			}
		}
		return
	}
	for first <= last {
		y, _ := dayOfYear(first)
		jan1 := civil(y, 1, 1)
		info := cache.get(y)
		for w, word := range info.bits {
			for word != 0 {
				doy := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				d := jan1 + date(doy)
				if d < first {
					continue
				}
				if d > last {
					return
				}
				if ok, _ := r.dateMatch(d); ok && !fn(d) {
					return
				}
			}
		}
		first = civil(y+1, 1, 1)
	}
}

// budget spends one unit of the shadow check's budget and reports whether
// it was exhausted.
func (l *linter) budget() bool {
	if l.spent >= shadowBudget {
		return true
	}
	l.spent++
	return false
}

// structuralCover reports whether each date condition of a is implied by
// b's: the same recurrence (compiled once per distinct RRULE and anchor),
// the same holiday calendar, and a date range that holds b's. A b with an
// overnight window also needs a to match the day after each of its dates,
// which only a plain date range guarantees.
func structuralCover(a, b *compiledRule) bool {
	if !onlyKnownConditions(a.src) {
		return false // a has a date condition this proof does not know
	}
	if a.rec != nil && a.rec != b.rec || a.holidays != nil && a.holidays != b.holidays {
		return false
	}
	if b.overnight && (a.rec != nil || a.holidays != nil) {
		return false
	}
	if first, ok := firstDate(b); a.hasStart && (!ok || first < a.startDate) {
		return false
	}
	if a.hasEnd {
		if !b.hasEnd {
			return false
		}
		last := b.endDate
		if b.overnight {
			last++
		}
		if last > a.endDate {
			return false
		}
	}
	return true
}

// onlyKnownConditions reports whether r uses no field beyond those
// structuralCover reasons about. A field added to Rule later (a calendar,
// say) makes it answer false, so the proof stays sound until it learns the
// new condition; conditions of the covered rule need no such care, as they
// only remove dates.
func onlyKnownConditions(r Rule) bool {
	r.ID, r.Name, r.IsOpen, r.ClosedReason = "", "", false, ""
	r.DateRRule, r.StartDate, r.EndDate, r.StartTime, r.EndTime, r.Holidays = "", "", "", "", "", ""
	return reflect.ValueOf(r).IsZero()
}

// firstDate is the earliest date rule r can match, if it has one: its
// startDate or its RRULE's anchor, whichever is later.
func firstDate(r *compiledRule) (date, bool) {
	first, ok := r.startDate, r.hasStart
	if r.rec != nil && r.rec.anchored && (!ok || r.rec.anchor > first) {
		first, ok = r.rec.anchor, true
	}
	return first, ok
}

// quoteList renders up to n items and says how many more there are.
func quoteList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
