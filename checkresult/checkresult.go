// Package checkresult builds the answer to "is this schedule open at t?" in
// the one JSON shape shared by the HTTP check-schedule endpoint and the CLI's
// `check --json`, and the timeline shape shared by the CLI and the admin API.
//
// The first two fields are Twilio's contract ({isOpen, closedReason}); every
// other field is an additive extension that a Twilio Studio flow ignores.
//
//	st := s.At(at)
//	next, ok := s.NextTransition(at)
//	resp := checkresult.New(s, at, st, next, ok, version)
//	json.NewEncoder(w).Encode(resp)
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
// or manually closed).
type Response struct {
	IsOpen         bool      `json:"isOpen"`
	ClosedReason   string    `json:"closedReason"`
	Schedule       string    `json:"schedule"`
	TimeZone       string    `json:"timeZone"`
	At             time.Time `json:"at"` // the evaluated instant, in the schedule's zone
	Rule           *Rule     `json:"rule,omitempty"`
	Holiday        string    `json:"holiday,omitempty"`
	NextTransition *Next     `json:"nextTransition"`
	ConfigVersion  uint64    `json:"configVersion,omitempty"`
}

// New builds the response for schedule s evaluated at instant at, given its
// status st there and its next transition (hasNext false: none). Times are
// rendered in the schedule's zone and truncated to whole seconds, since
// statuses change only on whole minutes. configVersion 0 is omitted.
func New(s *engine.Schedule, at time.Time, st engine.Status, next engine.Transition, hasNext bool, configVersion uint64) Response {
	loc := s.Location()
	r := Response{
		IsOpen:        st.IsOpen,
		ClosedReason:  st.ClosedReason,
		Schedule:      s.Name(),
		TimeZone:      loc.String(),
		At:            inZone(at, loc),
		Rule:          ruleOf(st),
		Holiday:       st.Holiday,
		ConfigVersion: configVersion,
	}
	if st.IsOpen {
		r.ClosedReason = ""
	}
	if hasNext {
		r.NextTransition = &Next{
			At:           inZone(next.At, loc),
			IsOpen:       next.Status.IsOpen,
			ClosedReason: next.Status.ClosedReason,
		}
	}
	return r
}

// Check evaluates s at instant at and builds the response: the status, the
// deciding rule and the next transition.
func Check(s *engine.Schedule, at time.Time, configVersion uint64) Response {
	next, ok := s.NextTransition(at)
	return New(s, at, s.At(at), next, ok, configVersion)
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
