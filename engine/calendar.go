package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"sync"
	"time"
)

// compiledCalendar is one parsed iCalendar calendar of a document.
type compiledCalendar struct {
	id     string
	path   string // "calendars[2].ics", for an ExpansionPanic
	name   string
	hash   string // sha256 of the text: schedules using it change fingerprint with it
	events []calEvent
	// views holds one per-zone view for each zone a schedule using the
	// calendar is in. Filled while compiling (by the goroutines compiling
	// schedules: under viewsMu), read-only afterwards.
	viewsMu sync.Mutex
	views   map[string]*calView
}

// CalendarHash is the content address of a calendar's text (hex SHA-256),
// as reported by the API and used by the fetcher to tell a changed calendar.
func CalendarHash(ics string) string {
	h := sha256.Sum256([]byte(ics))
	return hex.EncodeToString(h[:])
}

// view returns the calendar as seen from one time zone.
func (c *compiledCalendar) view(loc *time.Location) *calView {
	c.viewsMu.Lock()
	defer c.viewsMu.Unlock()
	if v, ok := c.views[loc.String()]; ok {
		return v
	}
	v := &calView{cal: c, loc: loc}
	v.years = newYearMemo(v.expand)
	v.years.label = c.path
	if c.views == nil {
		c.views = map[string]*calView{}
	}
	c.views[loc.String()] = v
	return v
}

// calView is a calendar's events on the wall clock of one zone, expanded a
// year at a time and memoised.
type calView struct {
	cal   *compiledCalendar
	loc   *time.Location
	years *yearMemo[*calYear]
}

// calYear holds the covered minutes of each local date of one year: the
// spans of day i are spans[off[i]:off[i+1]], sorted; breaks likewise lists
// each day's distinct span boundaries strictly inside the day.
type calYear struct {
	off    [367]int32
	spans  []calSpan
	boff   [367]int32
	breaks []int
}

// calSpan is a covered wall-clock interval [from, to) of one day, in minutes.
type calSpan struct {
	from, to int16
	name     string
}

// covers reports whether the calendar has an event at local date d, minute
// m, and the event's name (the first one by start, then name).
func (v *calView) covers(d date, m int) (bool, string) {
	y, doy := dayOfYear(d)
	cy := v.years.get(y)
	for _, s := range cy.spans[cy.off[doy]:cy.off[doy+1]] {
		if int(s.from) > m {
			break
		}
		if m < int(s.to) {
			return true, s.name
		}
	}
	return false, ""
}

// dayBreaks returns the minutes of local date d where coverage may change.
func (v *calView) dayBreaks(d date) []int {
	y, doy := dayOfYear(d)
	cy := v.years.get(y)
	return cy.breaks[cy.boff[doy]:cy.boff[doy+1]]
}

// expand computes one year of the view: every occurrence of every event
// that touches the year, mapped to the zone's wall clock.
func (v *calView) expand(year int) (cy *calYear) {
	// The rules were checked when the calendar was compiled (checkEventRRule)
	// against the inputs rrule-go is known to panic on; should another one
	// panic, the year has no events rather than the process stopping.
	defer func() {
		if recover() != nil {
			cy = emptyCalYear()
		}
	}()
	jan1 := civil(year, 1, 1)
	ndays := int(civil(year+1, 1, 1) - jan1)
	perDay := make([][]calSpan, ndays)
	// addWall records the wall-clock seconds [wFrom, wTo), to the minute
	// (start rounded down, end rounded up).
	addWall := func(wFrom, wTo int64, name string) {
		from := floorDiv(wFrom, 60)
		to := -floorDiv(-wTo, 60)
		for from < to {
			day := floorDiv(from, minutesPerDay)
			dayEnd := (day + 1) * minutesPerDay
			end := min(to, dayEnd)
			if i := int(date(day) - jan1); i >= 0 && i < ndays {
				perDay[i] = append(perDay[i], calSpan{from: int16(from - day*minutesPerDay), to: int16(end - day*minutesPerDay), name: name})
			}
			from = end
		}
	}
	// The year's wall-clock range, widened by two days for zone offsets
	// (at most ±26 h) when comparing with UTC instants.
	lo := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Add(-48 * time.Hour)
	hi := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(48 * time.Hour)
	for i := range v.cal.events {
		e := &v.cal.events[i]
		name := e.summary
		if name == "" {
			name = v.cal.name
		}
		each := func(t time.Time) {
			switch e.kind {
			case eventAllDay:
				w := t.Unix()
				addWall(w, w+int64(e.days)*secondsPerDay, name)
			case eventFloating:
				w := t.Unix()
				addWall(w, w+int64(e.dur/time.Second), name)
			default:
				v.addInstants(t, t.Add(e.dur), name, addWall)
			}
		}
		if e.set == nil {
			if !e.start.After(hi) && !e.start.Add(e.dur).Before(lo) {
				each(e.start)
			}
			continue
		}
		for _, t := range e.set.Between(lo.Add(-e.dur), hi, true) {
			each(t)
		}
	}
	cy = &calYear{}
	for i, spans := range perDay {
		sort.Slice(spans, func(a, b int) bool {
			if spans[a].from != spans[b].from {
				return spans[a].from < spans[b].from
			}
			if spans[a].to != spans[b].to {
				return spans[a].to > spans[b].to
			}
			return spans[a].name < spans[b].name
		})
		cy.off[i] = int32(len(cy.spans))
		cy.spans = append(cy.spans, spans...)
		cy.boff[i] = int32(len(cy.breaks))
		start := len(cy.breaks)
		for _, s := range spans {
			if s.from > 0 {
				cy.breaks = append(cy.breaks, int(s.from))
			}
			if s.to < minutesPerDay {
				cy.breaks = append(cy.breaks, int(s.to))
			}
		}
		day := cy.breaks[start:]
		slices.Sort(day)
		cy.breaks = cy.breaks[:start+len(slices.Compact(day))]
	}
	for i := len(perDay); i <= 366; i++ {
		cy.off[i] = int32(len(cy.spans))
		cy.boff[i] = int32(len(cy.breaks))
	}
	return cy
}

// emptyCalYear is a year without events.
func emptyCalYear() *calYear { return &calYear{} }

// addInstants maps the instants [from, to) to the view's wall clock. Inside
// one constant-offset period the wall clock is linear in instants; a
// period boundary (a DST change) splits the interval, so an event across
// the repeated hour covers both readings of the clock.
func (v *calView) addInstants(from, to time.Time, name string, addWall func(wFrom, wTo int64, name string)) {
	forEachPeriod(from, to, v.loc, func(start, end time.Time, off int64) {
		addWall(start.Unix()+off, end.Unix()+off+ceilSecond(end), name)
	})
}

// ceilSecond is 1 when t has a fraction of a second, so that an end
// instant rounds up.
func ceilSecond(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return 1
	}
	return 0
}
