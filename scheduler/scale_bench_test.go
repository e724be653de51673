package scheduler_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// BenchmarkScale measures the scheduler's writers at 1,000, 10,000 and
// 100,000 schedules of a realistic document (internal/scalegen), each in
// its own scheduler, and the longest hold of the scheduler's lock in each
// (target at 100,000: 50 ms):
//
//   - apply: the first Apply (every timeline built);
//
//   - edit: an Apply in which one rule of the pool changed (the schedules
//     listing it are rebuilt) and one schedule was renamed;
//
//   - flip: every schedule opening at one instant (Advance across it);
//
//   - stampede: the clock jumps half a horizon ahead, so that every
//     horizon is due for extension at once (a suspended host);
//
//   - reconcile: one Reconcile with nothing to repair;
//
//   - covered: Covered (what /readyz asks) the first time after an Apply,
//     which reads every timeline, and then, which does not.
//
//     go test -run '^$' -bench Scale -benchtime 1x ./scheduler
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				scaleRun(b, n)
			}
		})
	}
}

func scaleRun(b *testing.B, n int) {
	at := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	doc := scalegen.Document(scalegen.Options{Schedules: n})
	cfg, err := engine.Compile(doc)
	if err != nil {
		b.Fatal(err)
	}
	var now atomic.Int64
	now.Store(at.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	var events atomic.Int64
	newSched := func() *scheduler.Scheduler {
		return scheduler.New(scheduler.Options{Now: clock, OnTransition: func(scheduler.Event) { events.Add(1) }})
	}
	report := func(what string, d time.Duration, s *scheduler.Scheduler) {
		b.ReportMetric(float64(d.Milliseconds()), what+"-ms")
		b.ReportMetric(float64(s.LongestLockHold().Microseconds())/1000, what+"-lock-ms")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newSched()
	start := time.Now()
	s.Apply(cfg, 1, time.Time{})
	report("apply", time.Since(start), s)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "timeline-B/schedule")
	for _, what := range []string{"covered-first-us", "covered-us"} {
		start := time.Now()
		if !s.Covered() {
			b.Fatal("not covered after Apply")
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/1000, what)
	}

	edited := doc
	edited.Rules = append([]engine.Rule(nil), doc.Rules...)
	edited.Schedules = append([]engine.ScheduleDoc(nil), doc.Schedules...)
	for i, r := range edited.Rules {
		if r.IsOpen && r.EndTime == "17:00" || i == len(edited.Rules)-1 {
			edited.Rules[i].EndTime = "17:30"
			break
		}
	}
	edited.Schedules[0].Name += " (renamed)"
	cfg2, err := engine.Compile(edited)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	s.Apply(cfg2, 2, time.Time{})
	report("edit", time.Since(start), s)

	s = newSched()
	s.Apply(cfg, 1, time.Time{})
	start = time.Now()
	s.Reconcile()
	report("reconcile", time.Since(start), s)

	now.Store(at.Add(84 * time.Hour).UnixNano())
	start = time.Now()
	s.Advance(clock())
	report("stampede", time.Since(start), s)

	flipAt := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	flip, err := engine.Compile(scalegen.Document(scalegen.Options{Schedules: n, FlipAt: flipAt}))
	if err != nil {
		b.Fatal(err)
	}
	now.Store(flipAt.Add(-time.Minute).UnixNano())
	s = newSched()
	s.Apply(flip, 1, time.Time{})
	events.Store(0)
	now.Store(flipAt.UnixNano())
	start = time.Now()
	s.Advance(flipAt)
	report("flip", time.Since(start), s)
	if got := events.Load(); got < int64(n) {
		b.Fatalf("flip: %d events, want %d", got, n)
	}
}
