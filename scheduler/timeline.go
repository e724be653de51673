package scheduler

import (
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// timeline is an immutable precomputed window of one schedule.
type timeline struct {
	from, to time.Time
	segs     []engine.Segment
	// fromNs and ends are the window start and segment ends in Unix
	// nanoseconds, so a cached read is integer comparisons only.
	fromNs int64
	ends   []int64
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

func buildTimeline(s *engine.Schedule, from, to time.Time) *timeline {
	segs := s.Timeline(from, to)
	tl := &timeline{from: from, to: to, segs: segs, nextChange: make([]int32, len(segs)),
		nextOpen: make([]int32, len(segs)), fromNs: from.UnixNano(), ends: make([]int64, len(segs))}
	for i, seg := range segs {
		tl.ends[i] = seg.End.UnixNano()
	}
	next, open := int32(-1), int32(-1)
	for i := len(segs) - 1; i >= 0; i-- {
		if i+1 < len(segs) && !segs[i+1].Status.SameState(segs[i].Status) {
			next = int32(i + 1)
			if segs[i+1].IsOpen && !segs[i].IsOpen {
				open = int32(i + 1)
			}
		}
		tl.nextChange[i] = next
		tl.nextOpen[i] = open
	}
	if n := len(segs); n > 0 {
		last := segs[n-1]
		tl.tail, tl.hasTail = s.NextTransition(last.Start)
		if tl.hasTail && !tl.tail.At.After(last.Start) {
			tl.hasTail = false
		}
		switch {
		case last.IsOpen:
		case tl.hasTail && tl.tail.Status.IsOpen:
			tl.openTail, tl.hasOpenTail = tl.tail.At, true
		default:
			// Searched from the last closed instant of the window, so the
			// 366 days cover those of any instant inside it.
			tl.openTail, tl.hasOpenTail = s.NextOpening(to.Add(-time.Nanosecond))
		}
	}
	return tl
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
	if j := tl.nextChange[i]; j >= 0 {
		return engine.Transition{At: tl.segs[j].Start, Status: tl.segs[j].Status}, true
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
	if j := tl.nextOpen[i]; j >= 0 {
		at, ok = tl.segs[j].Start, true
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
	st := tl.segs[i].Status
	for i > 0 && tl.segs[i-1].Status.SameState(st) {
		i--
	}
	if i > 0 || !tl.segs[0].Start.Equal(tl.from) {
		return tl.segs[i].Start
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
