package engine

import "time"

// NextOpening returns the first instant after t at which the schedule opens
// (goes from closed to open), looking up to 366 days ahead, like
// NextTransition. Changes of closed reason on the way ("holiday" to
// "closed") are skipped: they are transitions, not openings.
//
// For a schedule closed at t it answers "when does it open?". For one open
// at t it is the reopening after the next close. A schedule that never
// opens within the search (manually closed, closed all year) or never
// closes (always open) has none.
//
// The instant is in the schedule's zone.
func (s *Schedule) NextOpening(t time.Time) (time.Time, bool) {
	if s.manual {
		return time.Time{}, false
	}
	limit := t.Add(transitionSearch)
	closed := false // whether a closed segment was seen since t
	step := 8 * 24 * time.Hour
	for from := t; from.Before(limit); {
		to := from.Add(step)
		if to.After(limit) {
			to = limit
		}
		// Chunks are contiguous, so an open segment starting a chunk after a
		// closed one ending the previous chunk opens at the chunk boundary.
		for _, seg := range s.Timeline(from, to) {
			switch {
			case !seg.IsOpen:
				closed = true
			case closed:
				return seg.Start, true
			}
		}
		from = to
		step = 32 * 24 * time.Hour // most schedules open within a week
	}
	return time.Time{}, false
}

// opensSoon reports whether a schedule closed at t certainly opens within
// the next two weeks: the cheap first look of Lint's never-open check. It
// evaluates each day's breakpoints on the wall clock, without building a
// timeline, and confirms a candidate with At (a wall-clock minute may not
// exist on a DST day). False means "not found", not "never".
func (s *Schedule) opensSoon(t time.Time) bool {
	const days = 14
	lt := t.In(s.loc)
	y, mo, dd := lt.Date()
	today, now := civil(y, mo, dd), lt.Hour()*60+lt.Minute()
	var buf []int
	for k := range days {
		d := today + date(k)
		breaks := s.breaks
		if s.cals != nil {
			buf = s.calendarBreaks(d, buf[:0])
			breaks = buf
		}
		for _, m := range breaks {
			if k == 0 && m <= now || !s.eval(d, m).IsOpen {
				continue
			}
			y, mo, dd := d.ymd()
			if at := time.Date(y, mo, dd, m/60, m%60, 0, 0, s.loc); at.After(t) && s.At(at).IsOpen {
				return true
			}
		}
	}
	return false
}
