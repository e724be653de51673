package engine_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Shared helpers for the engine tests. Every test uses fixed instants: no
// clock, no sleeps.

// mustLoc loads an IANA zone or fails the test.
func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load location %q: %v", name, err)
	}
	return loc
}

// schedule compiles a one-schedule document named "S" in zone. Rules without
// an id get "r0", "r1", … in order; the schedule lists every rule in the
// order given (so rules[0] is the topmost).
func schedule(tb testing.TB, zone string, manual bool, rules ...engine.Rule) *engine.Schedule {
	tb.Helper()
	doc := engine.Document{Rules: make([]engine.Rule, len(rules))}
	ids := make([]string, len(rules))
	for i, r := range rules {
		if r.ID == "" {
			r.ID = "r" + strconv.Itoa(i)
		}
		doc.Rules[i] = r
		ids[i] = r.ID
	}
	doc.Schedules = []engine.ScheduleDoc{{Name: "S", TimeZone: zone, ManualClose: manual, Rules: ids}}
	cfg, err := engine.Compile(doc)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	s, ok := cfg.Schedule("S")
	if !ok {
		tb.Fatal(`schedule "S" missing after compile`)
	}
	return s
}

// localTime parses "2006-01-02 15:04[:05[.999999999]]" as a wall clock in
// loc. It is for instants that are not ambiguous; DST tests use UTC.
func localTime(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t
		}
	}
	tb.Fatalf("bad local time %q", s)
	return time.Time{}
}

// utc parses an RFC 3339 instant.
func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatalf("bad instant %q: %v", s, err)
	}
	return t
}

// Status constructors that keep the tables short.
func open(ruleID string) engine.Status { return engine.Status{IsOpen: true, RuleID: ruleID} }

func closedBy(reason, ruleID string) engine.Status {
	return engine.Status{ClosedReason: reason, RuleID: ruleID}
}

var noMatch = engine.Status{ClosedReason: engine.ReasonClosed}

var manual = engine.Status{ClosedReason: engine.ReasonManual}

// segmentAt returns the segment of segs containing t.
func segmentAt(segs []engine.Segment, t time.Time) (engine.Segment, bool) {
	for _, s := range segs {
		if !t.Before(s.Start) && t.Before(s.End) {
			return s, true
		}
	}
	return engine.Segment{}, false
}

// checkAgreement asserts that At(t) equals the status Timeline reports for t
// in a window around it: the two evaluation paths must never disagree.
func checkAgreement(tb testing.TB, s *engine.Schedule, t time.Time) {
	tb.Helper()
	segs := s.Timeline(t.Add(-26*time.Hour), t.Add(26*time.Hour))
	seg, ok := segmentAt(segs, t)
	if !ok {
		tb.Fatalf("Timeline around %v has no segment containing it", t)
	}
	if got := s.At(t); seg.Status != got {
		tb.Errorf("at %v: Timeline says %+v, At says %+v", t, seg.Status, got)
	}
}

// validationErrors returns the field errors of err, failing if err is not a
// *engine.ValidationError.
func validationErrors(tb testing.TB, err error) []engine.FieldError {
	tb.Helper()
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("want *engine.ValidationError, got %T: %v", err, err)
	}
	return ve.Errors
}
