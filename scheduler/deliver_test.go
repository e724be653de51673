package scheduler

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// returns runs f and fails the test if it has not returned after a long
// time: a deadlock guard, not a measure of speed.
func returns(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return: deadlock", what)
	}
}

var manualDoc = strings.Replace(weekdayDoc, `"name": "Support", "timeZone"`, `"name": "Support", "manualClose": true, "timeZone"`, 1)

// OnTransition runs without the scheduler's lock, whichever call decided
// the event.
func TestCallbackRunsWithoutTheLock(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	tests := []struct {
		name    string
		trigger func(s *Scheduler, c *clock)
		cause   string
	}{
		{"Apply", func(s *Scheduler, _ *clock) { s.Apply(load(t, manualDoc), 2, time.Time{}) }, CauseConfig},
		{"Advance", func(s *Scheduler, c *clock) { s.Advance(mon.Add(time.Hour)) }, CauseSchedule},
		{"Reconcile", func(s *Scheduler, c *clock) {
			c.Set(mon.Add(2 * time.Hour))
			s.Advance(c.Now())
			c.Set(mon.Add(30 * time.Minute)) // the clock jumps back
			s.Reconcile()
		}, CauseReconcile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: mon}
			var s *Scheduler
			var causes []string
			s = New(Options{Now: c.Now, OnTransition: func(ev Event) {
				if !s.mu.TryLock() {
					t.Errorf("OnTransition (%s) called with the scheduler's lock held", ev.Cause)
					return
				}
				s.mu.Unlock()
				causes = append(causes, ev.Cause)
			}})
			s.Apply(load(t, weekdayDoc), 1, time.Time{})
			returns(t, tt.name, func() { tt.trigger(s, c) })
			if len(causes) == 0 || causes[len(causes)-1] != tt.cause {
				t.Errorf("events %v, want the last one caused by %s", causes, tt.cause)
			}
		})
	}
}

// OnTransition may call back into the Scheduler. Events a nested call
// decides are delivered after the current one returns, by the same outer
// call, before it returns.
func TestCallbackMayCallTheScheduler(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	c := &clock{t: mon}
	var s *Scheduler
	var log []string
	s = New(Options{Now: c.Now, OnTransition: func(ev Event) {
		log = append(log, describe([]Event{ev}))
		if ev.Cause != CauseSchedule {
			return
		}
		if cur, ok := s.Status("Support"); !ok || !cur.Status.IsOpen {
			t.Errorf("Status from the callback: %+v", cur)
		}
		if n := s.Reconcile(); n != 0 {
			t.Errorf("Reconcile from the callback repaired %d", n)
		}
		s.Apply(load(t, manualDoc), 2, mon.Add(time.Hour+time.Second))
		log = append(log, "nested Apply returned|")
	}})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	c.Set(mon.Add(time.Hour))
	returns(t, "Advance with a callback calling Status, Reconcile and Apply", func() { s.Advance(c.Now()) })
	want := `Support 2026-11-23T14:00:00Z open=true "" schedule|` + "nested Apply returned|" +
		`Support 2026-11-23T14:00:01Z open=false "manual" config|`
	if got := strings.Join(log, ""); got != want {
		t.Errorf("delivered\n%s\nwant\n%s", got, want)
	}
}

// Concurrent callers (the timer, config changes) never deliver events out
// of order, and OnTransition is never called concurrently: each event of a
// schedule starts from the state the previous one announced. Run with -race.
func TestConcurrentCallersDeliverInOrder(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	c := &clock{t: mon}
	var inside atomic.Int32
	var mu sync.Mutex
	last := map[string]Event{}
	count := 0
	s := New(Options{Now: c.Now, Horizon: 48 * time.Hour, OnTransition: func(ev Event) {
		if inside.Add(1) != 1 {
			t.Error("OnTransition called concurrently")
		}
		defer inside.Add(-1)
		time.Sleep(50 * time.Microsecond) // widen the window for a concurrent call
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := last[ev.Schedule]; ok && !ev.Previous.SameState(prev.Status) {
			t.Errorf("out of order: %s after %s", describe([]Event{ev}), describe([]Event{prev}))
		}
		last[ev.Schedule] = ev
		count++
	}})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the timer: a week in 10-minute steps
		defer wg.Done()
		for now := mon; now.Before(mon.Add(7 * 24 * time.Hour)); now = now.Add(10 * time.Minute) {
			c.Set(now)
			s.Advance(now)
		}
	}()
	go func() { // config changes: manual close, reopen, ...
		defer wg.Done()
		for v := uint64(2); v < 200; v++ {
			doc := weekdayDoc
			if v%2 == 0 {
				doc = manualDoc
			}
			s.Apply(load(t, doc), v, time.Time{})
		}
	}()
	returns(t, "concurrent Advance and Apply", wg.Wait)
	if count < 100 {
		t.Errorf("%d events; the test exercised too little", count)
	}
}

// A panicking OnTransition loses only its own event: the ones queued
// behind it are delivered by the next call.
func TestCallbackPanicKeepsTheRest(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	c := &clock{t: mon}
	var got []string
	panicked := false
	s := New(Options{Now: c.Now, OnTransition: func(ev Event) {
		if !panicked {
			panicked = true
			panic("boom")
		}
		got = append(got, ev.Schedule)
	}})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	// Both schedules close at once: two events in one batch.
	both := strings.ReplaceAll(weekdayDoc, `"timeZone"`, `"manualClose": true, "timeZone"`)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the callback's panic did not reach the caller")
			}
		}()
		s.Apply(load(t, both), 2, time.Time{})
	}()
	returns(t, "Advance after a panic", func() { s.Advance(mon) })
	if len(got) != 1 || got[0] != "Always" {
		t.Errorf("delivered after the panic: %v, want [Always]", got)
	}
}
