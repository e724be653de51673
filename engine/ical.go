package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// Limits on one iCalendar calendar in a document (DESIGN.md §6 Calendars).
// They keep a hostile or runaway calendar from exhausting memory; a fetched
// calendar over a limit is refused and the last good copy stays.
const (
	// MaxCalendars is the number of calendars one document may carry.
	MaxCalendars = 50
	// MaxCalendarBytes is the size of one calendar's text.
	MaxCalendarBytes = 1 << 20
	// MaxCalendarEvents is the number of VEVENT components of one calendar.
	MaxCalendarEvents = 5000
	// MaxCalendarOccurrencesPerYear bounds the occurrences one calendar can
	// have in a year, as estimated from its recurrence rules (an upper bound:
	// a daily rule counts 366, a weekly one 53 per BYDAY, a yearly one 1).
	MaxCalendarOccurrencesPerYear = 200000
	maxURLLength                  = 2000
)

// calEvent is one VEVENT, reduced to what evaluation needs. Its occurrences
// are the members of set (RRULE, RDATE, DTSTART, minus EXDATE and
// overridden instances), or start alone when set is nil.
type calEvent struct {
	summary string
	// kind says how occurrence times map to a schedule's wall clock.
	kind  eventKind
	start time.Time // DTSTART: UTC midnight for all-day, wall clock as UTC for floating
	// dur is the length of each occurrence: whole days for all-day events
	// (days), an exact duration otherwise.
	dur  time.Duration
	days int
	set  *rrule.Set // nil for a single event
}

type eventKind uint8

const (
	eventAllDay   eventKind = iota // VALUE=DATE: covers whole local dates
	eventZoned                     // UTC or TZID: an interval of instants
	eventFloating                  // a local time with no zone: the schedule's wall clock
)

// parseCalendar parses the text of an iCalendar calendar with
// github.com/emersion/go-ical and reduces its events. Every problem is
// reported with the event's UID or SUMMARY, so an admin can find it.
func parseCalendar(text string) (events []calEvent, err error) {
	// go-ical panics on some malformed content lines (an index out of range
	// in its parameter decoder, found by FuzzCalendar); a fetched calendar
	// must not take the service down, so a panic is a parse error.
	defer func() {
		if v := recover(); v != nil {
			events, err = nil, fmt.Errorf("is not a valid iCalendar calendar: the parser failed (%v)", v)
		}
	}()
	if len(text) > MaxCalendarBytes {
		return nil, fmt.Errorf("is %d bytes long, the limit is %d", len(text), MaxCalendarBytes)
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("is empty; expected an iCalendar text starting with BEGIN:VCALENDAR")
	}
	c, err := ical.NewDecoder(strings.NewReader(text)).Decode()
	if err != nil {
		return nil, fmt.Errorf("is not a valid iCalendar calendar: %s", truncate(strings.TrimPrefix(err.Error(), "ical: "), 200))
	}
	vevents := c.Events()
	if len(vevents) > MaxCalendarEvents {
		return nil, fmt.Errorf("has %d events, the limit is %d", len(vevents), MaxCalendarEvents)
	}
	// Instances changed one by one (RECURRENCE-ID) replace the instance of
	// their series: collect them first, by UID.
	zones := zoneCache{}
	overridden := map[string][]time.Time{}
	for _, ev := range vevents {
		rid := ev.Props.Get(ical.PropRecurrenceID)
		if rid == nil {
			continue
		}
		t, _, err := propTime(rid, zones)
		if err != nil {
			return nil, fmt.Errorf("%s: RECURRENCE-ID: %w", eventLabel(ev), err)
		}
		uid := propText(ev.Component, ical.PropUID)
		overridden[uid] = append(overridden[uid], t)
	}
	events = make([]calEvent, 0, len(vevents))
	bound := 0
	for _, ev := range vevents {
		e, n, skip, err := reduceEvent(ev, overridden, zones)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", eventLabel(ev), err)
		}
		if skip {
			continue
		}
		bound += n
		if bound > MaxCalendarOccurrencesPerYear {
			return nil, fmt.Errorf("its recurring events can have more than %d occurrences a year (the limit)", MaxCalendarOccurrencesPerYear)
		}
		events = append(events, e)
	}
	return events, nil
}

// eventLabel names an event in messages: its SUMMARY, else its UID.
func eventLabel(ev ical.Event) string {
	if s := propText(ev.Component, ical.PropSummary); s != "" {
		return "event " + quote(s)
	}
	if s := propText(ev.Component, ical.PropUID); s != "" {
		return "event with UID " + quote(s)
	}
	return "an event with neither SUMMARY nor UID"
}

func propText(c *ical.Component, name string) string {
	s, err := c.Props.Text(name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// reduceEvent turns one VEVENT into a calEvent and the upper bound of its
// occurrences in a year. Cancelled events are skipped.
func reduceEvent(ev ical.Event, overridden map[string][]time.Time, zones zoneCache) (calEvent, int, bool, error) {
	var e calEvent
	if st, err := ev.Status(); err == nil && st == ical.EventCancelled {
		return e, 0, true, nil
	}
	e.summary = propText(ev.Component, ical.PropSummary)
	if !validText(e.summary) {
		e.summary = ""
	}
	e.summary = truncate(e.summary, MaxReasonLength)
	sp := ev.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return e, 0, false, errors.New("has no DTSTART")
	}
	start, kind, err := propTime(sp, zones)
	if err != nil {
		return e, 0, false, fmt.Errorf("DTSTART: %w", err)
	}
	e.start, e.kind = start, kind
	switch ep, dp := ev.Props.Get(ical.PropDateTimeEnd), ev.Props.Get(ical.PropDuration); {
	case ep != nil && dp != nil:
		return e, 0, false, errors.New("has both DTEND and DURATION")
	case ep != nil:
		end, ekind, err := propTime(ep, zones)
		if err != nil {
			return e, 0, false, fmt.Errorf("DTEND: %w", err)
		}
		if (ekind == eventAllDay) != (kind == eventAllDay) {
			return e, 0, false, errors.New("DTSTART and DTEND must both be dates or both be date-times")
		}
		if end.Before(start) {
			return e, 0, false, fmt.Errorf("DTEND %s is before DTSTART %s", ep.Value, sp.Value)
		}
		e.dur = end.Sub(start)
	case dp != nil:
		d, err := dp.Duration()
		if err != nil {
			return e, 0, false, fmt.Errorf("DURATION: %s", strings.TrimPrefix(err.Error(), "ical: "))
		}
		if d < 0 {
			return e, 0, false, fmt.Errorf("DURATION %s is negative", dp.Value)
		}
		e.dur = d
	case kind == eventAllDay:
		e.dur = 24 * time.Hour // RFC 5545 §3.6.1: a date with no end lasts one day
	}
	if kind == eventAllDay {
		// Round up: a DURATION of PT12H on a date still covers that date.
		e.days = int((e.dur + 24*time.Hour - 1) / (24 * time.Hour))
	}
	if e.dur > 366*24*time.Hour {
		return e, 0, false, errors.New("lasts more than 366 days")
	}
	if ev.Props.Get(ical.PropRecurrenceID) != nil {
		return e, 1, false, nil // one changed instance: a single event
	}
	set, bound, err := recurrenceSet(ev, start, overridden[propText(ev.Component, ical.PropUID)], zones)
	if err != nil {
		return e, 0, false, err
	}
	e.set = set
	return e, bound, false, nil
}

// validText reports whether s may appear in answers (as a closed reason's
// holiday name): valid UTF-8 without control characters.
func validText(s string) bool {
	return !strings.ContainsFunc(s, isControl) && strings.ToValidUTF8(s, "\uFFFD") == s
}

// recurrenceSet builds the occurrences of a recurring event with
// teambition/rrule-go from its RRULE, RDATE and EXDATE properties (read
// with go-ical's value parsers) and the instances overridden elsewhere. It
// returns nil for an event that does not recur.
func recurrenceSet(ev ical.Event, start time.Time, overridden []time.Time, zones zoneCache) (*rrule.Set, int, error) {
	rr := ev.Props.Values(ical.PropRecurrenceRule)
	rdates := ev.Props.Values(ical.PropRecurrenceDates)
	if len(rr) == 0 && len(rdates) == 0 {
		return nil, 1, nil
	}
	if len(rr) > 1 {
		return nil, 0, errors.New("has more than one RRULE")
	}
	set := &rrule.Set{}
	bound := 1
	if len(rr) == 1 {
		opt, err := ev.Props.RecurrenceRule()
		if err != nil {
			return nil, 0, fmt.Errorf("RRULE: %s", truncate(strings.TrimPrefix(err.Error(), "ical: "), 200))
		}
		if err := checkEventRRule(opt, start); err != nil {
			return nil, 0, fmt.Errorf("RRULE: %w", err)
		}
		opt.Dtstart = start
		r, err := rrule.NewRRule(*opt)
		if err != nil {
			return nil, 0, fmt.Errorf("RRULE: %s", truncate(err.Error(), 200))
		}
		set.RRule(r)
		bound = yearlyBound(opt)
	}
	set.DTStart(start)
	set.RDate(start) // RFC 5545: DTSTART is always the first instance
	for _, p := range rdates {
		ts, err := timeList(p, zones)
		if err != nil {
			return nil, 0, fmt.Errorf("RDATE: %w", err)
		}
		for _, t := range ts {
			set.RDate(t)
		}
		bound += len(ts)
	}
	for _, p := range ev.Props.Values(ical.PropExceptionDates) {
		ts, err := timeList(p, zones)
		if err != nil {
			return nil, 0, fmt.Errorf("EXDATE: %w", err)
		}
		for _, t := range ts {
			set.ExDate(t)
		}
	}
	for _, t := range overridden {
		set.ExDate(t)
	}
	return set, bound, nil
}

// checkEventRRule refuses what rrule-go cannot expand safely or cheaply.
// It panics on BYDAY positions a month cannot have and BYEASTER offsets
// outside Easter's year, and cannot expand year 0 (recurrence.go checks
// the same for dateRRule). A rule that can never occur makes rrule-go
// search every period up to the year 9999 on each expansion (0.6 s for a
// daily one), so the impossible month-day combinations are refused, and
// the daily and weekly rules that could hide one.
func checkEventRRule(o *rrule.ROption, start time.Time) error {
	switch {
	case o.Freq > rrule.DAILY: // HOURLY, MINUTELY, SECONDLY
		return fmt.Errorf("FREQ=%s is not supported (events may recur at most daily)", o.Freq)
	case len(o.Byhour) > 0 || len(o.Byminute) > 0 || len(o.Bysecond) > 0:
		return errors.New("BYHOUR, BYMINUTE and BYSECOND are not supported (events may recur at most daily)")
	case o.Interval < 0 || o.Count < 0:
		return errors.New("INTERVAL and COUNT must be positive")
	case o.Interval > 1000:
		return errors.New("INTERVAL is larger than 1000")
	case start.Year() < 1 || start.Year() > 9000:
		return errors.New("DTSTART must be between the years 1 and 9000")
	case (o.Freq == rrule.DAILY || o.Freq == rrule.WEEKLY) && (len(o.Byyearday) > 0 || len(o.Byweekno) > 0 || len(o.Bysetpos) > 0):
		return fmt.Errorf("BYYEARDAY, BYWEEKNO and BYSETPOS are not supported with FREQ=%s (use MONTHLY or YEARLY)", o.Freq)
	}
	inMonth := o.Freq == rrule.MONTHLY || (o.Freq == rrule.YEARLY && len(o.Bymonth) > 0)
	for _, w := range o.Byweekday {
		if n := w.N(); (inMonth && (n > 5 || n < -5)) || n > 53 || n < -53 {
			return fmt.Errorf("BYDAY position %d is out of range", n)
		}
	}
	for _, e := range o.Byeaster {
		if e < -80 || e > 249 {
			return fmt.Errorf("BYEASTER offset %d is out of range (-80 to 249, within Easter's year)", e)
		}
	}
	if len(o.Bymonthday) > 0 && len(o.Bymonth) > 0 {
		possible := false
		for _, m := range o.Bymonth {
			for _, d := range o.Bymonthday {
				n := daysIn(2024, time.Month(m)) // a leap year: 29 February exists
				if (d > 0 && d <= n) || (d < 0 && -d <= n) {
					possible = true
				}
			}
		}
		if !possible {
			return errors.New("BYMONTH and BYMONTHDAY name no date that exists: the event would never occur")
		}
	}
	return nil
}

// yearlyBound is an upper bound of the occurrences of a recurrence rule in
// one year (see MaxCalendarOccurrencesPerYear).
func yearlyBound(o *rrule.ROption) int {
	n := 366
	switch o.Freq {
	case rrule.WEEKLY:
		n = 53 * max(1, len(o.Byweekday))
	case rrule.MONTHLY:
		n = 12 * max(1, len(o.Bymonthday)+5*len(o.Byweekday))
	case rrule.YEARLY:
		if len(o.Byweekno) == 0 && len(o.Byyearday) == 0 && len(o.Byweekday) == 0 && len(o.Byeaster) == 0 {
			n = max(1, len(o.Bymonth)) * max(1, len(o.Bymonthday))
		}
	}
	n = min(n, 366) * max(1, len(o.Byhour)) * max(1, len(o.Byminute)) * max(1, len(o.Bysecond))
	if o.Interval > 1 {
		n = (n + o.Interval - 1) / o.Interval
	}
	if o.Count > 0 && o.Count < n {
		n = o.Count
	}
	return n
}

// timeList reads an RDATE or EXDATE property, whose value may be a
// comma-separated list (go-ical reads one value at a time).
func timeList(p ical.Prop, zones zoneCache) ([]time.Time, error) {
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "PERIOD") {
		return nil, errors.New("PERIOD values are not supported")
	}
	var out []time.Time
	for v := range strings.SplitSeq(p.Value, ",") {
		one := p
		one.Value = strings.TrimSpace(v)
		t, _, err := propTime(&one, zones)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// propTime reads a DATE or DATE-TIME property with go-ical. All-day dates
// and floating times come back as UTC wall clocks; TZID names that Go does
// not know (Outlook's Windows names) are mapped to IANA ones first, and
// each zone is loaded once per calendar (zones).
func propTime(p *ical.Prop, zones zoneCache) (time.Time, eventKind, error) {
	q := *p
	q.Params = ical.Params{}
	for k, v := range p.Params {
		if k != ical.PropTimezoneID {
			q.Params[k] = v
		}
	}
	kind, loc := eventZoned, time.UTC
	tzid := p.Params.Get(ical.PropTimezoneID)
	switch {
	case strings.EqualFold(q.Params.Get(ical.ParamValue), "DATE") || len(q.Value) == len("20060102"):
		kind = eventAllDay // a date has no zone
	case strings.HasSuffix(q.Value, "Z"):
	case tzid != "":
		var err error
		if loc, err = zones.load(tzid); err != nil {
			return time.Time{}, 0, err
		}
	default:
		kind = eventFloating
	}
	// Without TZID, go-ical reads a local date-time in loc.
	t, err := q.DateTime(loc)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("%s is not a date or date-time: %s", quote(p.Value), strings.TrimPrefix(err.Error(), "ical: "))
	}
	return t, kind, nil
}

// zoneCache holds the zones of one calendar's TZIDs.
type zoneCache map[string]*time.Location

func (z zoneCache) load(tzid string) (*time.Location, error) {
	if loc, ok := z[tzid]; ok {
		return loc, nil
	}
	name, err := resolveTZID(tzid)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s", quote(tzid))
	}
	z[tzid] = loc
	return loc, nil
}

// resolveTZID maps a TZID parameter to an IANA zone name that Go loads.
func resolveTZID(tzid string) (string, error) {
	name := strings.Trim(tzid, "\" ")
	if i := strings.LastIndex(name, "/mozilla.org/"); i >= 0 { // old Lightning prefix
		name = name[i+len("/mozilla.org/"):]
		if j := strings.IndexByte(name, '/'); j >= 0 {
			name = name[j+1:]
		}
	}
	if iana, ok := windowsZone(name); ok {
		name = iana
	}
	if name == "" || name == "Local" {
		return "", fmt.Errorf("unknown time zone %s", quote(tzid))
	}
	if _, err := time.LoadLocation(name); err != nil {
		return "", fmt.Errorf("unknown time zone %s (use an IANA name such as \"Europe/Paris\")", quote(tzid))
	}
	return name, nil
}
