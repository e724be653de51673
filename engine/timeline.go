package engine

import (
	"slices"
	"time"
)

// Segment is a maximal interval [Start, End) with one status.
type Segment struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Status
}

// Transition is a change of a schedule's state (isOpen or closedReason).
type Transition struct {
	At     time.Time // the first instant of the new state
	Status Status    // the new state
}

// MaxTimelineRange bounds one Timeline call so that a request cannot make
// the engine enumerate centuries.
const MaxTimelineRange = 5 * 366 * 24 * time.Hour

// Timeline returns contiguous segments covering [from, to) exactly, with
// neighbours always different (as Status values), with times in the
// schedule's zone. It agrees with At at every instant. A range longer than MaxTimelineRange is cut to that length.
//
// It walks one constant-UTC-offset period at a time: inside a period the
// wall clock is linear in instants, so the status can only change at local
// midnights and at rule start/end minutes, which are mapped back to instants.
func (s *Schedule) Timeline(from, to time.Time) []Segment {
	if !to.After(from) {
		return nil
	}
	if to.Sub(from) > MaxTimelineRange {
		to = from.Add(MaxTimelineRange)
	}
	if s.manual {
		return []Segment{{Start: from.In(s.loc), End: to.In(s.loc), Status: manualStatus}}
	}
	b := segmentBuilder{}
	forEachPeriod(from, to, s.loc, func(start, end time.Time, off int64) { s.period(&b, start, end, off) })
	return b.finish(to, s.loc)
}

// forEachPeriod splits [from, to) into the pieces during which loc's UTC
// offset is constant, and calls f for each in order with that offset in
// seconds. Inside one piece the wall clock is linear in instants.
func forEachPeriod(from, to time.Time, loc *time.Location, f func(start, end time.Time, off int64)) {
	for cur := from; cur.Before(to); {
		lt := cur.In(loc)
		_, off := lt.Zone()
		_, periodEnd := lt.ZoneBounds()
		if !periodEnd.IsZero() && !periodEnd.After(cur) {
			// Go bug golang/go#81583: past a zone's last explicit transition,
			// ZoneBounds ends a year 365 days after 1 January UTC, so on the
			// last UTC day of a leap year (2040-12-31…) it returns an end not
			// after cur, and this loop would never advance. The offset is the
			// same up to the next UTC midnight, where a sane period starts.
			y, m, d := cur.UTC().Date()
			periodEnd = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		}
		end := to
		if !periodEnd.IsZero() && periodEnd.Before(to) {
			end = periodEnd
		}
		f(cur, end, int64(off))
		cur = end
	}
}

// period adds the segments of [from, to), during which the UTC offset is off
// seconds.
func (s *Schedule) period(b *segmentBuilder, from, to time.Time, off int64) {
	wFrom := from.Unix() + off // wall-clock seconds, as if UTC
	wTo := to.Unix() + off
	if to.Nanosecond() > 0 {
		wTo++ // to is exclusive: a breakpoint at the truncated second still counts
	}
	day := floorDiv(wFrom, secondsPerDay)
	minute := int((wFrom - day*secondsPerDay) / 60)
	dm := &b.days
	b.add(from, s.evalDay(date(day), minute, dm))
	var buf []int
	for ; day*secondsPerDay < wTo; day++ {
		breaks := s.breaks
		if s.cals != nil {
			buf = s.calendarBreaks(date(day), buf[:0])
			breaks = buf
		}
		for _, m := range breaks {
			w := day*secondsPerDay + int64(m)*60
			if w <= wFrom {
				continue
			}
			if w >= wTo {
				break
			}
			at := time.Unix(w-off, 0)
			if !at.Before(to) {
				break
			}
			b.add(at, s.evalDay(date(day), m, dm))
		}
	}
}

// calendarBreaks returns the schedule's breakpoints on local date d merged
// with its calendars' event boundaries that day, sorted and distinct, in buf.
func (s *Schedule) calendarBreaks(d date, buf []int) []int {
	buf = append(buf, s.breaks...)
	for _, v := range s.cals {
		if v != nil {
			buf = append(buf, v.dayBreaks(d)...)
		}
	}
	if len(buf) > len(s.breaks) {
		slices.Sort(buf)
		buf = slices.Compact(buf)
	}
	return buf
}

// segmentBuilder records segment starts compactly (an instant and an index
// into the few distinct statuses) and builds the exact-size []Segment once at
// the end. Appending 120-byte Segments directly made slice growth allocate
// ~3x the result in garbage, which dominated memory when precomputing
// thousands of timelines.
type segmentBuilder struct {
	first    time.Time // the first start, as given
	marks    []mark
	statuses []Status
	days     dayMatches // the rules' date conditions on the day being walked
}

type mark struct {
	sec  int64
	nsec int32
	st   int32 // index into statuses
}

func (b *segmentBuilder) add(at time.Time, st Status) {
	n := len(b.marks)
	if n > 0 && b.statuses[b.marks[n-1].st] == st {
		return
	}
	i := slices.Index(b.statuses, st)
	if i < 0 {
		i = len(b.statuses)
		b.statuses = append(b.statuses, st)
	}
	if n == 0 {
		b.first = at
	}
	b.marks = append(b.marks, mark{sec: at.Unix(), nsec: int32(at.Nanosecond()), st: int32(i)})
}

// finish builds the segments, with every time in loc (the schedule's zone),
// so that results do not depend on the process's local zone.
func (b *segmentBuilder) finish(to time.Time, loc *time.Location) []Segment {
	if len(b.marks) == 0 {
		return nil
	}
	segs := make([]Segment, len(b.marks))
	for i, m := range b.marks {
		start := b.first.In(loc)
		if i > 0 {
			start = time.Unix(m.sec, int64(m.nsec)).In(loc)
			segs[i-1].End = start
		}
		segs[i].Start = start
		segs[i].Status = b.statuses[m.st]
	}
	segs[len(segs)-1].End = to.In(loc)
	return segs
}

// transitionSearch is how far NextTransition looks ahead.
const transitionSearch = 366 * 24 * time.Hour

// NextTransition returns the first change of state (isOpen or closedReason)
// after t, looking up to 366 days ahead. A schedule that never changes (always
// open, or manually closed) has none.
func (s *Schedule) NextTransition(t time.Time) (Transition, bool) {
	if s.manual {
		return Transition{}, false
	}
	now := s.At(t)
	limit := t.Add(transitionSearch)
	step := 8 * 24 * time.Hour
	for from := t; from.Before(limit); {
		to := from.Add(step)
		if to.After(limit) {
			to = limit
		}
		for _, seg := range s.Timeline(from, to) {
			if !seg.Status.SameState(now) {
				return Transition{At: seg.Start, Status: seg.Status}, true
			}
		}
		from = to
		step = 32 * 24 * time.Hour // most schedules change within a week
	}
	return Transition{}, false
}
