package engine

import (
	"encoding/hex"
	"slices"
	"time"
)

// Reasons the engine itself produces.
const (
	ReasonManual = "manual" // the schedule is manually closed
	ReasonClosed = "closed" // no rule matched
)

// Status is the answer for one instant.
type Status struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
	RuleID       string `json:"ruleId,omitempty"`   // the deciding rule, if a rule decided
	RuleName     string `json:"ruleName,omitempty"` // its name
	Holiday      string `json:"holiday,omitempty"`  // the holiday, when a holiday calendar decided
}

// SameState reports whether a and b give the same public answer (isOpen and
// closedReason). A change of state is a transition; a change of only the
// deciding rule is not.
func (a Status) SameState(b Status) bool {
	return a.IsOpen == b.IsOpen && a.ClosedReason == b.ClosedReason
}

// Schedule is a compiled schedule. Safe for concurrent use.
type Schedule struct {
	name        string
	index       int
	manual      bool
	loc         *time.Location
	rules       []*compiledRule
	cals        []*calView // nil, or per rule its calendar in the schedule's zone (nil for rules without)
	doc         ScheduleDoc
	breaks      []int // sorted distinct minutes where a rule window starts or ends, 0 included
	fingerprint [16]byte
}

// prepare computes the wall-clock minutes where the status can change.
func (s *Schedule) prepare() {
	var buf [32]int
	b := append(buf[:0], 0)
	for _, r := range s.rules {
		if r.start > 0 {
			b = append(b, r.start)
		}
		if r.end > 0 && r.end < minutesPerDay {
			b = append(b, r.end)
		}
	}
	slices.Sort(b)
	s.breaks = slices.Clone(slices.Compact(b))
}

// Name returns the schedule's name.
func (s *Schedule) Name() string { return s.name }

// Location returns the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// ManualClose reports whether the schedule is manually closed.
func (s *Schedule) ManualClose() bool { return s.manual }

// Doc returns a copy of the schedule as written in the document; changing
// it does not change the schedule or its config.
func (s *Schedule) Doc() ScheduleDoc {
	d := s.doc
	d.Rules = slices.Clone(d.Rules)
	return d
}

// RuleIDs returns a copy of the ids of the schedule's rules in evaluation
// order.
func (s *Schedule) RuleIDs() []string { return slices.Clone(s.doc.Rules) }

// Fingerprint identifies the schedule's definition (its fields and its
// rules' contents): equal fingerprints evaluate identically, so a config
// change can rebuild only the schedules whose fingerprint changed.
func (s *Schedule) Fingerprint() string { return hex.EncodeToString(s.fingerprint[:]) }

// SameDefinition reports whether s and o have the same fingerprint (see
// Fingerprint), without allocating.
func (s *Schedule) SameDefinition(o *Schedule) bool { return s.fingerprint == o.fingerprint }

var manualStatus = Status{IsOpen: false, ClosedReason: ReasonManual}

// At evaluates the schedule at instant t (DESIGN.md §1 "Evaluation").
func (s *Schedule) At(t time.Time) Status {
	if s.manual {
		return manualStatus
	}
	lt := t.In(s.loc)
	y, m, d := lt.Date()
	h, mi, _ := lt.Clock()
	return s.eval(civil(y, m, d), h*60+mi)
}

// AtLocal evaluates the schedule at a local wall-clock date and time, even
// one that does not exist on that day because of a DST change.
func (s *Schedule) AtLocal(year int, month time.Month, day, hour, minute int) Status {
	if s.manual {
		return manualStatus
	}
	return s.eval(civil(year, month, day), hour*60+minute)
}

// eval applies steps 3–6: the topmost matching closed rule, else the topmost
// matching open rule, else closed.
func (s *Schedule) eval(d date, m int) Status { return s.evalDay(d, m, nil) }

// dayMatches caches the date conditions of a schedule's rules on one local
// date (and, for overnight rules, the day before): a timeline evaluates
// several minutes of each day, and the date conditions (recurrences,
// holiday calendars) cost more than the time windows.
type dayMatches struct {
	day    date
	valid  bool
	today  []dateMatch
	before []dateMatch // overnight rules only
}

type dateMatch struct {
	ok      bool
	holiday string
}

// fill computes the date conditions of s's rules on d, unless they are
// already those of d.
func (c *dayMatches) fill(s *Schedule, d date) {
	if c.valid && c.day == d {
		return
	}
	c.day, c.valid = d, true
	c.today, c.before = c.today[:0], c.before[:0]
	for _, r := range s.rules {
		var t, b dateMatch
		t.ok, t.holiday = r.dateMatch(d)
		if r.overnight {
			b.ok, b.holiday = r.dateMatch(d - 1)
		}
		c.today = append(c.today, t)
		c.before = append(c.before, b)
	}
}

// evalDay is eval, with the rules' date conditions from dm when it is not
// nil.
func (s *Schedule) evalDay(d date, m int, dm *dayMatches) Status {
	if dm != nil {
		dm.fill(s, d)
	}
	var open *compiledRule
	var openHoliday string
	for i, r := range s.rules {
		var ok bool
		var holiday string
		if dm == nil {
			ok, holiday = r.match(d, m)
		} else {
			ok, holiday = r.matchOn(m, dm.today[i], dm.before[i])
		}
		if !ok {
			continue
		}
		if s.cals != nil && s.cals[i] != nil {
			// The calendar restricts the rule to the minutes of its events;
			// the event's summary names the answer.
			var event string
			if ok, event = s.cals[i].covers(d, m); !ok {
				continue
			}
			holiday = joinNames(holiday, event)
		}
		if !r.src.IsOpen {
			return Status{ClosedReason: r.src.ClosedReason, RuleID: r.src.ID, RuleName: r.src.Name, Holiday: holiday}
		}
		if open == nil {
			open, openHoliday = r, holiday
		}
	}
	if open != nil {
		return Status{IsOpen: true, RuleID: open.src.ID, RuleName: open.src.Name, Holiday: openHoliday}
	}
	return Status{ClosedReason: ReasonClosed}
}

// joinNames names an answer decided by both a holiday and a calendar event.
func joinNames(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	}
	return a + ", " + b
}
