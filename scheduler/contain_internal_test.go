package scheduler

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/schedule-manager/schedule-manager/engine"
)

// A schedule whose evaluation panics answers an error state; the others
// keep working, the scheduler keeps running, and the failure is counted.
func TestPanicIsContainedToItsSchedule(t *testing.T) {
	cfg, err := engine.Load([]byte(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],
		"schedules":[{"name":"Good","timeZone":"UTC","rules":["day"]},{"name":"Bad","timeZone":"UTC","rules":["day"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var events atomic.Int32
	s := New(Options{Now: clock, OnTransition: func(Event) { events.Add(1) }})
	breakAfter := time.Time{} // zero: Bad always panics; else only past this instant
	s.buildHook = func(sc *engine.Schedule, from, to time.Time) *timeline {
		if sc.Name() == "Bad" && (breakAfter.IsZero() || from.After(breakAfter)) {
			panic(&engine.ExpansionPanic{Path: "rules[0].dateRRule", Year: 2027, Value: "index out of range"})
		}
		return buildTimeline(sc, from, to)
	}
	s.Apply(cfg, 1, time.Time{}) // must not panic

	if cur, ok := s.Status("Bad"); !ok || cur.Err == nil || !strings.Contains(cur.Err.Error(), "rules[0].dateRRule") {
		t.Fatalf("Bad: ok %v, err %v; want an error naming the rule", ok, cur.Err)
	}
	if cur, ok := s.Status("Good"); !ok || cur.Err != nil || cur.Status.IsOpen {
		t.Fatalf("Good at 07:00: %+v, %v; want closed, no error", cur, ok)
	}
	now = now.Add(90 * time.Minute) // 08:30: Good opens
	s.Advance(now)
	if cur, _ := s.Status("Good"); !cur.Status.IsOpen {
		t.Errorf("Good at 08:30 is %+v, want open", cur.Status)
	}
	if n := s.Reconcile(); n != 0 {
		t.Errorf("reconcile repaired %d schedules", n)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	if got := testutil.ToFloat64(s.metrics.evaluationFailures); got != 1 {
		t.Errorf("evaluation failures = %v, want 1 (counted once)", got)
	}
	if n, err := testutil.GatherAndCount(reg, "schedmgr_schedules_failed"); err != nil || n != 1 {
		t.Errorf("schedmgr_schedules_failed series: %d, %v", n, err)
	}

	// A schedule that fails later, when its horizon is extended, is
	// contained the same way inside the scheduler's loop.
	s2 := New(Options{Now: clock, Horizon: 48 * time.Hour})
	breakAfter = now.Add(time.Hour)
	s2.buildHook = s.buildHook
	s2.Apply(cfg, 1, time.Time{})
	if cur, _ := s2.Status("Bad"); cur.Err != nil {
		t.Fatalf("Bad failed before its horizon was extended: %v", cur.Err)
	}
	now = now.Add(30 * time.Hour) // past half the horizon: extension
	s2.Advance(now)
	if cur, _ := s2.Status("Bad"); cur.Err == nil {
		t.Error("Bad did not fail when its horizon extension panicked")
	}
	if cur, _ := s2.Status("Good"); cur.Err != nil {
		t.Errorf("Good failed: %v", cur.Err)
	}
}

// A schedule removed from the config leaves no series behind.
func TestRemovedScheduleSeriesAreDeleted(t *testing.T) {
	doc := func(names ...string) *engine.Config {
		var b strings.Builder
		b.WriteString(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],"schedules":[`)
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":"` + n + `","timeZone":"UTC","rules":["day"]}`)
		}
		b.WriteString("]}")
		cfg, err := engine.Load([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	s.Apply(doc("A", "B"), 1, time.Time{})
	s.Apply(doc("A", "B", "C"), 2, time.Time{}) // C announced: a transitions series
	now = now.Add(2 * time.Hour)
	s.Advance(now) // all open: series for A, B, C
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	count := func() int {
		n, err := testutil.GatherAndCount(reg, "schedmgr_transitions_total")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	s.Apply(doc("A"), 3, time.Time{})
	if after := count(); after >= before || after == 0 {
		t.Errorf("transitions series: %d before removing B and C, %d after; want fewer but A's kept", before, after)
	}
	n, _ := testutil.GatherAndCount(reg, "schedmgr_schedule_open")
	if n != 1 {
		t.Errorf("schedmgr_schedule_open has %d series, want 1", n)
	}
}

// Covered turns false when the timelines no longer reach now (a stuck
// loop), and true again once the loop catches up.
func TestCovered(t *testing.T) {
	cfg, err := engine.Load([]byte(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],
		"schedules":[{"name":"A","timeZone":"UTC","rules":["day"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }, Horizon: 48 * time.Hour})
	if s.Covered() {
		t.Fatal("covered before any config")
	}
	s.Apply(cfg, 1, time.Time{})
	if !s.Covered() {
		t.Fatal("not covered right after Apply")
	}
	now = now.Add(72 * time.Hour) // the loop did not run for three days
	if s.Covered() {
		t.Fatal("covered three days past a two-day horizon")
	}
	s.Advance(now)
	if !s.Covered() {
		t.Fatal("not covered after the loop caught up")
	}
}
