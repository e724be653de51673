package scheduler

import (
	"fmt"
	"slices"
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
	doc := func(names ...string) *engine.Config { return dayConfig(t, names...) }
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

// Above MetricsMaxSchedules a config's schedules get no series of their
// own, only the totals, which are exported at any size; back under it,
// the series of each schedule return.
func TestMetricsMaxSchedules(t *testing.T) {
	doc := func(n int) *engine.Config {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("S%d", i)
		}
		return dayConfig(t, names...)
	}
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }, MetricsMaxSchedules: 3})
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	count := func(name string) int {
		t.Helper()
		n, err := testutil.GatherAndCount(reg, name)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	totals := func() string {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, mf := range mfs {
			if mf.GetName() != "schedmgr_schedules_by_state" && mf.GetName() != "schedmgr_transitions_by_cause_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
				var labels []string
				for _, l := range m.GetLabel() {
					labels = append(labels, l.GetValue())
				}
				out = append(out, fmt.Sprintf("%s%v=%g", mf.GetName()[len("schedmgr_"):], labels, v))
			}
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}

	s.Apply(doc(3), 1, time.Time{}) // at the limit: series of each
	if n := count("schedmgr_schedule_open"); n != 3 {
		t.Fatalf("3 schedules, limit 3: %d schedmgr_schedule_open series", n)
	}
	s.Apply(doc(5), 2, time.Time{}) // over it: totals only
	now = now.Add(2 * time.Hour)
	s.Advance(now) // all five open
	for _, name := range []string{"schedmgr_schedule_open", "schedmgr_schedule_next_transition_timestamp_seconds", "schedmgr_transitions_total"} {
		if n := count(name); n != 0 {
			t.Errorf("5 schedules, limit 3: %s has %d series", name, n)
		}
	}
	// Labels in name order: (cause, state), (reason, state). The first
	// Apply announces nothing (it is the initial state); the second
	// announces the two new schedules, closed.
	want := "schedules_by_state[ open]=5 transitions_by_cause_total[config closed]=2 transitions_by_cause_total[schedule open]=5"
	if got := totals(); got != want {
		t.Errorf("totals:\n got %s\nwant %s", got, want)
	}
	s.Apply(doc(2), 3, time.Time{}) // under it again
	if n := count("schedmgr_schedule_open"); n != 2 {
		t.Errorf("2 schedules, limit 3: %d schedmgr_schedule_open series", n)
	}

	none := New(Options{Now: func() time.Time { return now }, MetricsMaxSchedules: -1})
	reg = prometheus.NewRegistry()
	reg.MustRegister(none)
	none.Apply(doc(1), 1, time.Time{})
	if n := count("schedmgr_schedule_open"); n != 0 {
		t.Errorf("MetricsMaxSchedules -1: %d schedmgr_schedule_open series", n)
	}
	if n := count("schedmgr_schedules_by_state"); n != 1 {
		t.Errorf("MetricsMaxSchedules -1: %d schedmgr_schedules_by_state series, want 1", n)
	}
}

// dayConfig is a config of schedules named names, each open 08:00–17:00
// UTC.
func dayConfig(t *testing.T, names ...string) *engine.Config {
	t.Helper()
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
