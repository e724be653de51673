// Package checkresult builds the answer to "is this schedule open at t?" in
// the one JSON shape shared by the HTTP check-schedule endpoint and the CLI's
// `check --json`, and the timeline shape shared by the CLI and the admin API.
//
// The first two fields are Twilio's contract ({isOpen, closedReason}); every
// other field is an additive extension that a Twilio Studio flow ignores.
//
//	resp := checkresult.Check(s, at, version) // evaluates s at instant at
//	json.NewEncoder(w).Encode(resp)
//
// or, from an answer computed elsewhere (the scheduler's cache):
//
//	resp := checkresult.New(s, checkresult.Answer{At: at, Status: st, Next: next, HasNext: ok})
package checkresult

import (
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Rule identifies the rule that decided a status.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Next is the first change of state after the evaluated instant.
type Next struct {
	At           time.Time `json:"at"` // RFC 3339, in the schedule's zone
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
}

// Response is the check-schedule answer. IsOpen and ClosedReason are always
// present (ClosedReason is "" when open); NextTransition is null when the
// schedule does not change within the engine's search horizon (always open,
// or manually closed). NextOpening is present only when the schedule is
// closed and opens within 366 days: unlike NextTransition it skips changes
// of closed reason ("holiday" until midnight, then "closed" until 08:00).
type Response struct {
	IsOpen         bool      `json:"isOpen"`
	ClosedReason   string    `json:"closedReason"`
	Schedule       string    `json:"schedule"`
	TimeZone       string    `json:"timeZone"`
	At             time.Time `json:"at"` // the evaluated instant, in the schedule's zone
	Rule           *Rule     `json:"rule,omitempty"`
	Holiday        string    `json:"holiday,omitempty"`
	NextTransition *Next     `json:"nextTransition"`
	NextOpening    time.Time `json:"nextOpening,omitzero"` // RFC 3339, in the schedule's zone
	ConfigVersion  uint64    `json:"configVersion,omitempty"`
}

// Answer is what a Response reports about one schedule, computed by the
// engine (Check) or read from the scheduler's cache.
type Answer struct {
	At      time.Time     // the evaluated instant
	Status  engine.Status // the status at At
	Next    engine.Transition
	HasNext bool // false: no change of state within 366 days
	// Opening is the first instant after At at which the schedule opens
	// (engine.Schedule.NextOpening); it is rendered only when Status is
	// closed.
	Opening       time.Time
	HasOpening    bool
	ConfigVersion uint64 // 0 is omitted
}

// New builds the response for schedule s from answer a. Times are rendered
// in the schedule's zone and truncated to whole seconds, since statuses
// change only on whole minutes.
func New(s *engine.Schedule, a Answer) Response {
	loc := s.Location()
	st := a.Status
	r := Response{
		IsOpen:        st.IsOpen,
		ClosedReason:  st.ClosedReason,
		Schedule:      s.Name(),
		TimeZone:      loc.String(),
		At:            inZone(a.At, loc),
		Rule:          ruleOf(st),
		Holiday:       st.Holiday,
		ConfigVersion: a.ConfigVersion,
	}
	if st.IsOpen {
		r.ClosedReason = ""
	}
	if a.HasNext {
		r.NextTransition = &Next{
			At:           inZone(a.Next.At, loc),
			IsOpen:       a.Next.Status.IsOpen,
			ClosedReason: a.Next.Status.ClosedReason,
		}
	}
	if a.HasOpening && !st.IsOpen {
		r.NextOpening = inZone(a.Opening, loc)
	}
	return r
}

// Check evaluates s at instant at and builds the response: the status, the
// deciding rule, the next transition and, when closed, the next opening.
func Check(s *engine.Schedule, at time.Time, configVersion uint64) Response {
	a := Answer{At: at, Status: s.At(at), ConfigVersion: configVersion}
	a.Next, a.HasNext = s.NextTransition(at)
	if !a.Status.IsOpen {
		a.Opening, a.HasOpening = s.NextOpening(at)
	}
	return New(s, a)
}

// Segment is one timeline interval [Start, End) with one status.
type Segment struct {
	Start        time.Time `json:"start"` // RFC 3339, in the schedule's zone
	End          time.Time `json:"end"`
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
	Rule         *Rule     `json:"rule,omitempty"`
	Holiday      string    `json:"holiday,omitempty"`
}

// Timeline is a schedule's timeline over a range.
type Timeline struct {
	Schedule string    `json:"schedule"`
	TimeZone string    `json:"timeZone"`
	Segments []Segment `json:"segments"`
}

// NewTimeline renders segs (from s.Timeline) with times in the schedule's
// zone. Segments is never nil, so it encodes as [] rather than null.
func NewTimeline(s *engine.Schedule, segs []engine.Segment) Timeline {
	loc := s.Location()
	out := Timeline{Schedule: s.Name(), TimeZone: loc.String(), Segments: make([]Segment, 0, len(segs))}
	for _, sg := range segs {
		seg := Segment{
			Start:        sg.Start.In(loc),
			End:          sg.End.In(loc),
			IsOpen:       sg.IsOpen,
			ClosedReason: sg.ClosedReason,
			Rule:         ruleOf(sg.Status),
			Holiday:      sg.Holiday,
		}
		if seg.IsOpen {
			seg.ClosedReason = ""
		}
		out.Segments = append(out.Segments, seg)
	}
	return out
}

func ruleOf(st engine.Status) *Rule {
	if st.RuleID == "" {
		return nil
	}
	return &Rule{ID: st.RuleID, Name: st.RuleName}
}

func inZone(t time.Time, loc *time.Location) time.Time {
	return t.In(loc).Truncate(time.Second)
}
