package scheduler

import (
	"slices"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// timeline is an immutable precomputed window of one schedule, kept
// compact: 100,000 schedules hold a week of segments each, so a segment
// is its end instant and the index of its status (17 bytes with the next
// change and next opening indexes), not a 120-byte engine.Segment.
type timeline struct {
	from, to time.Time
	loc      *time.Location // the schedule's zone: segment instants are in it
	// fromNs and ends are the window start and segment ends in Unix
	// nanoseconds, so a cached read is integer comparisons only.
	fromNs int64
	ends   []int64
	// status[i] indexes statuses, the distinct statuses of the window.
	status   []uint32
	statuses []engine.Status
	// nextChange[i] is the index of the first segment after i whose state
	// (isOpen, closedReason) differs from segment i, or -1.
	nextChange []int32
	// nextOpen[i] is the index of the first segment after i that opens
	// (open, after a closed one), or -1.
	nextOpen []int32
	// tail is the first change after the window's last segment, if any.
	tail    engine.Transition
	hasTail bool
	// openTail is the first opening after the window's end, when its last
	// segment is closed: the answer for the closed segments with
	// nextOpen -1.
	openTail    time.Time
	hasOpenTail bool
}

// tailLook is how far past its window a timeline is computed, so that the
// first change and the first opening after the window (a night, a
// weekend) come from the same walk instead of searches of their own.
const tailLook = 3 * 24 * time.Hour

func buildTimeline(s *engine.Schedule, from, to time.Time) *timeline {
	all := s.Timeline(from, to.Add(tailLook))
	n := 0 // the segments of the window: those starting before to
	for n < len(all) && all[n].Start.Before(to) {
		n++
	}
	segs, after := all[:n], all[n:]
	loc := s.Location()
	tl := &timeline{from: from, to: to, loc: loc, fromNs: from.UnixNano(), ends: make([]int64, n),
		status: make([]uint32, n), nextChange: make([]int32, n), nextOpen: make([]int32, n)}
	var index map[engine.Status]int // past a few distinct statuses (calendar events)
	for i, seg := range segs {
		tl.ends[i] = seg.End.UnixNano()
		j := -1
		if index == nil {
			j = slices.Index(tl.statuses, seg.Status)
		} else if k, ok := index[seg.Status]; ok {
			j = k
		}
		if j < 0 {
			j = len(tl.statuses)
			tl.statuses = append(tl.statuses, seg.Status)
			if index != nil {
				index[seg.Status] = j
			} else if len(tl.statuses) > 16 {
				index = make(map[engine.Status]int, 2*len(tl.statuses))
				for k, st := range tl.statuses {
					index[st] = k
				}
			}
		}
		tl.status[i] = uint32(j)
	}
	if n > 0 {
		tl.ends[n-1] = to.UnixNano() // the last segment is cut at the window's end
	}
	tl.statuses = slices.Clip(tl.statuses)
	next, open := int32(-1), int32(-1)
	for i := n - 1; i >= 0; i-- {
		if i+1 < n && !segs[i+1].Status.SameState(segs[i].Status) {
			next = int32(i + 1)
			if segs[i+1].IsOpen && !segs[i].IsOpen {
				open = int32(i + 1)
			}
		}
		tl.nextChange[i] = next
		tl.nextOpen[i] = open
	}
	if n == 0 {
		return tl
	}
	last := segs[n-1]
	for _, seg := range after {
		if !seg.Status.SameState(last.Status) {
			tl.tail, tl.hasTail = engine.Transition{At: seg.Start, Status: seg.Status}, true
			break
		}
	}
	if !tl.hasTail {
		tl.tail, tl.hasTail = s.NextTransition(last.Start)
		if tl.hasTail && !tl.tail.At.After(last.Start) {
			tl.hasTail = false
		}
	}
	if last.IsOpen {
		return tl
	}
	if tl.hasTail && tl.tail.Status.IsOpen {
		tl.openTail, tl.hasOpenTail = tl.tail.At, true
		return tl
	}
	for _, seg := range after {
		if seg.IsOpen {
			tl.openTail, tl.hasOpenTail = seg.Start, true
			return tl
		}
	}
	// Searched from the last closed instant of the window, so the 366
	// days cover those of any instant inside it.
	tl.openTail, tl.hasOpenTail = s.NextOpening(to.Add(-time.Nanosecond))
	return tl
}

// len is the number of segments.
func (tl *timeline) len() int { return len(tl.ends) }

// statusAt is the status of segment i.
func (tl *timeline) statusAt(i int) engine.Status { return tl.statuses[tl.status[i]] }

// start is the first instant of segment i, in the schedule's zone.
func (tl *timeline) start(i int) time.Time {
	if i == 0 {
		return tl.from.In(tl.loc)
	}
	return time.Unix(0, tl.ends[i-1]).In(tl.loc)
}

// index returns the segment containing t, or -1 outside the window.
func (tl *timeline) index(t time.Time) int {
	ns := t.UnixNano()
	if ns < tl.fromNs || len(tl.ends) == 0 || ns >= tl.ends[len(tl.ends)-1] {
		return -1
	}
	// First segment whose end is after t.
	lo, hi := 0, len(tl.ends)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if tl.ends[mid] > ns {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// next returns the next change of state after segment i.
func (tl *timeline) next(i int) (engine.Transition, bool) {
	if j := int(tl.nextChange[i]); j >= 0 {
		return engine.Transition{At: tl.start(j), Status: tl.statusAt(j)}, true
	}
	return tl.tail, tl.hasTail
}

// openingSearch is how far ahead an opening is reported, as
// engine.Schedule.NextOpening searches.
const openingSearch = 366 * 24 * time.Hour

// opening returns the first opening after instant t, which is in the closed
// segment i: from the window, else from its precomputed tail. None when it
// is 366 days or more after t, as engine.Schedule.NextOpening(t) answers.
func (tl *timeline) opening(i int, t time.Time) (time.Time, bool) {
	at, ok := tl.openTail, tl.hasOpenTail
	if j := int(tl.nextOpen[i]); j >= 0 {
		at, ok = tl.start(j), true
	}
	if !ok || at.Sub(t) >= openingSearch {
		return time.Time{}, false
	}
	return at, true
}

// openingAfter returns the first opening after t of a schedule closed at t
// whose next change of state after t is next (hasNext false: none within
// 366 days), evaluating only when that change is not itself the opening.
func openingAfter(sc *engine.Schedule, t time.Time, next engine.Transition, hasNext bool) (time.Time, bool) {
	switch {
	case !hasNext:
		return time.Time{}, false
	case next.Status.IsOpen:
		return next.At, true
	}
	at, ok := sc.NextOpening(next.At)
	if !ok || at.Sub(t) >= openingSearch {
		return time.Time{}, false
	}
	return at, true
}

// stateStart returns the instant the state (isOpen, closedReason) of
// segment i began: the start of the run of segments with that state ending
// at i. When the run reaches back to the window start, the schedule is
// evaluated further back, so the answer depends only on the schedule and
// the instant, never on when the window was built.
func stateStart(sc *engine.Schedule, tl *timeline, i int) time.Time {
	st := tl.statusAt(i)
	for i > 0 && tl.statusAt(i-1).SameState(st) {
		i--
	}
	if i > 0 {
		return tl.start(i)
	}
	for _, back := range []time.Duration{24 * time.Hour, 8 * 24 * time.Hour, 367 * 24 * time.Hour} {
		from := tl.from.Add(-back)
		segs := sc.Timeline(from, tl.from.Add(time.Nanosecond))
		j := len(segs) - 1
		if j < 0 {
			break
		}
		for j > 0 && segs[j-1].Status.SameState(st) {
			j--
		}
		if j > 0 || !segs[0].Start.Equal(from) {
			return segs[j].Start
		}
	}
	return tl.from // unchanged for over a year
}
