package engine

import (
	"time"
)

// How a schedule differs between two configs (ScheduleDiff.Change).
const (
	ChangeAdded     = "added"     // only in the new config
	ChangeRemoved   = "removed"   // only in the old config: callers of its name get 404
	ChangeChanged   = "changed"   // in both, with a different definition
	ChangeUnchanged = "unchanged" // in both, defined alike
)

// MaxDifferences bounds the differences listed for one schedule; a
// ScheduleDiff that had more says Truncated.
const MaxDifferences = 1000

// State is the public answer of a schedule: open, or closed and why.
type State struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
}

// Difference is a maximal interval [Start, End) over which a schedule
// answers differently in the two configs. Before is nil where the schedule
// does not exist in the old config, After where it does not exist in the
// new one.
type Difference struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Before *State    `json:"before"`
	After  *State    `json:"after"`
}

// ScheduleDiff is what a new config changes in one schedule.
type ScheduleDiff struct {
	Name   string `json:"name"`
	Change string `json:"change"` // ChangeAdded, ChangeRemoved, ChangeChanged or ChangeUnchanged
	// Differences are in time order; empty for an unchanged schedule, and
	// possibly for a changed one whose change shows only outside the range.
	Differences []Difference `json:"differences"`
	Truncated   bool         `json:"truncated,omitempty"` // more than MaxDifferences
}

// Diff compares, schedule by schedule, what before and after answer over
// [from, to): the schedules of after in document order, then those only in
// before, in its order. A schedule matches by name, so a rename is a
// removal and an addition. before may be nil (nothing published yet: every
// schedule is added). Times are in the schedule's zone (after's, for a
// schedule in both).
//
// A schedule whose definition (fields and rules) is unchanged is not
// evaluated, so a draft that touches a few schedules of thousands is cheap.
func Diff(before, after *Config, from, to time.Time) []ScheduleDiff {
	if to.Sub(from) > MaxTimelineRange {
		to = from.Add(MaxTimelineRange)
	}
	var out []ScheduleDiff
	if after != nil {
		out = make([]ScheduleDiff, 0, len(after.schedules))
		for _, a := range after.schedules {
			var b *Schedule
			if before != nil {
				b = before.byName[a.name]
			}
			out = append(out, diffSchedule(b, a, from, to))
		}
	}
	if before != nil {
		for _, b := range before.schedules {
			if after == nil || after.byName[b.name] == nil {
				out = append(out, diffSchedule(b, nil, from, to))
			}
		}
	}
	return out
}

// diffSchedule compares one schedule; b or a is nil where it does not exist.
func diffSchedule(b, a *Schedule, from, to time.Time) ScheduleDiff {
	d := ScheduleDiff{Differences: []Difference{}}
	var before, after []Segment
	var loc *time.Location
	switch {
	case b == nil:
		d.Name, d.Change, loc = a.name, ChangeAdded, a.loc
		after = a.Timeline(from, to)
	case a == nil:
		d.Name, d.Change, loc = b.name, ChangeRemoved, b.loc
		before = b.Timeline(from, to)
	case b.fingerprint == a.fingerprint:
		d.Name, d.Change = a.name, ChangeUnchanged
		return d
	default:
		d.Name, d.Change, loc = a.name, ChangeChanged, a.loc
		before, after = b.Timeline(from, to), a.Timeline(from, to)
	}
	// Walk both timelines together; a missing side has no segments.
	i, j := 0, 0
	for cur := from; cur.Before(to); {
		end := to
		var sb, sa side
		if i < len(before) {
			sb = side{State{before[i].IsOpen, before[i].ClosedReason}, true}
			end = minTime(end, before[i].End)
		}
		if j < len(after) {
			sa = side{State{after[j].IsOpen, after[j].ClosedReason}, true}
			end = minTime(end, after[j].End)
		}
		if !(sb.ok && sa.ok && sb.st == sa.st) && !d.extend(cur, end, sb, sa) {
			if len(d.Differences) == MaxDifferences {
				d.Truncated = true
				break
			}
			d.Differences = append(d.Differences, Difference{Start: cur.In(loc), End: end.In(loc), Before: sb.ptr(), After: sa.ptr()})
		}
		if i < len(before) && !before[i].End.After(end) {
			i++
		}
		if j < len(after) && !after[j].End.After(end) {
			j++
		}
		cur = end
	}
	return d
}

// side is one config's state over an interval; ok is false where the
// schedule does not exist.
type side struct {
	st State
	ok bool
}

func (s side) ptr() *State {
	if !s.ok {
		return nil
	}
	st := s.st
	return &st
}

func (s side) is(p *State) bool { return s.ok == (p != nil) && (p == nil || *p == s.st) }

// extend lengthens the last difference to end when it ends at start with
// the same states (timeline segments also differ by deciding rule, which a
// difference ignores).
func (d *ScheduleDiff) extend(start, end time.Time, b, a side) bool {
	n := len(d.Differences)
	if n == 0 {
		return false
	}
	last := &d.Differences[n-1]
	if !last.End.Equal(start) || !b.is(last.Before) || !a.is(last.After) {
		return false
	}
	last.End = end.In(last.End.Location())
	return true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
