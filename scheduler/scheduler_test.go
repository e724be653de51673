package scheduler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

const weekdayDoc = `{
 "rules": [
  {"id": "hours", "name": "Hours", "isOpen": true, "startTime": "08:00", "endTime": "17:00", "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
  {"id": "lunch", "name": "Lunch", "isOpen": false, "closedReason": "lunch", "startTime": "12:00", "endTime": "13:00"},
  {"id": "xmas", "name": "Christmas", "isOpen": false, "closedReason": "holiday", "dateRRule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"}
 ],
 "schedules": [
  {"name": "Support", "timeZone": "America/Chicago", "rules": ["lunch", "xmas", "hours"]},
  {"name": "Always", "timeZone": "UTC", "rules": []}
 ]
}`

// clock is a settable clock for driving the scheduler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func chicago(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }
func (r *recorder) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func load(t testing.TB, doc string) *engine.Config {
	cfg, err := engine.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newTestScheduler(t *testing.T, start time.Time) (*Scheduler, *clock, *recorder) {
	c := &clock{t: start}
	rec := &recorder{}
	s := New(Options{Now: c.Now, OnTransition: rec.add})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	return s, c, rec
}

func describe(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s %s open=%v %q %s|", e.Schedule, e.At.UTC().Format(time.RFC3339), e.Status.IsOpen, e.Status.ClosedReason, e.Cause)
	}
	return b.String()
}

func TestTransitionsFireOnceInOrder(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	s, c, rec := newTestScheduler(t, mon)
	if evs := rec.take(); len(evs) != 0 {
		t.Fatalf("first apply announced %s; want nothing", describe(evs))
	}
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"before opening", mon.Add(59 * time.Minute), ""},
		{"opening", mon.Add(time.Hour), "Support 2026-11-23T14:00:00Z open=true \"\" schedule|"},
		{"same instant again", mon.Add(time.Hour + time.Second), ""},
		{"lunch and after lunch", mon.Add(6*time.Hour + time.Minute),
			"Support 2026-11-23T18:00:00Z open=false \"lunch\" schedule|Support 2026-11-23T19:00:00Z open=true \"\" schedule|"},
		// A suspended host: every missed change is announced late, once, in order.
		{"after a suspend", mon.Add(25*time.Hour + 30*time.Minute),
			"Support 2026-11-23T23:00:00Z open=false \"closed\" schedule|Support 2026-11-24T14:00:00Z open=true \"\" schedule|"},
	}
	for _, tt := range tests {
		c.Set(tt.now)
		s.processDue(tt.now)
		if got := describe(rec.take()); got != tt.want {
			t.Errorf("%s: events %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestStatusIsExactWithoutTimer(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	s, c, _ := newTestScheduler(t, mon)
	// The timer never ran; reads are still right at each instant.
	for _, tt := range []struct {
		at     time.Time
		open   bool
		reason string
	}{
		{time.Date(2026, 11, 23, 7, 59, 59, 0, loc), false, "closed"},
		{time.Date(2026, 11, 23, 8, 0, 0, 0, loc), true, ""},
		{time.Date(2026, 11, 23, 12, 30, 0, 0, loc), false, "lunch"},
		{time.Date(2026, 12, 25, 10, 0, 0, 0, loc), false, "holiday"}, // beyond the horizon
	} {
		c.Set(tt.at)
		cur, ok := s.Status("Support")
		if !ok || cur.Status.IsOpen != tt.open || cur.Status.ClosedReason != tt.reason {
			t.Errorf("at %v: %+v, want open=%v %q", tt.at, cur.Status, tt.open, tt.reason)
		}
		if direct := cur.Schedule.At(tt.at); direct != cur.Status {
			t.Errorf("at %v: cache %+v != direct %+v", tt.at, cur.Status, direct)
		}
	}
	c.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, loc))
	cur, _ := s.Status("Support")
	if !cur.HasNext || !cur.Next.At.Equal(time.Date(2026, 11, 23, 12, 0, 0, 0, loc)) || cur.Next.Status.ClosedReason != "lunch" {
		t.Errorf("next transition %+v, want lunch at 12:00", cur.Next)
	}
	if _, ok := s.Status("Nope"); ok {
		t.Error("unknown schedule found")
	}
}

func TestApplyRebuildsOnlyChangedAndAnnouncesFlips(t *testing.T) {
	loc := chicago(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	s, _, rec := newTestScheduler(t, now)
	snap := s.state.Load()
	alwaysBefore := snap.entries["Always"]

	closed := strings.Replace(weekdayDoc, `"name": "Support", "timeZone"`, `"name": "Support", "manualClose": true, "timeZone"`, 1)
	written := now.Add(-time.Second)
	s.Apply(load(t, closed), 2, written)
	evs := rec.take()
	if len(evs) != 1 || evs[0].Schedule != "Support" || evs[0].Status.ClosedReason != engine.ReasonManual ||
		!evs[0].At.Equal(written) || evs[0].Cause != CauseConfig || !evs[0].Previous.IsOpen || evs[0].ConfigVersion != 2 {
		t.Fatalf("events %s (%+v)", describe(evs), evs)
	}
	if s.state.Load().entries["Always"] != alwaysBefore {
		t.Error("unchanged schedule was rebuilt")
	}
	cur, _ := s.Status("Support")
	if cur.Status.ClosedReason != engine.ReasonManual || cur.ConfigVersion != 2 || cur.HasNext {
		t.Errorf("after manual close: %+v", cur)
	}
	// Removing a schedule drops it from the cache and the heap.
	s.Apply(load(t, strings.Replace(closed, `,
  {"name": "Always", "timeZone": "UTC", "rules": []}`, "", 1)), 3, time.Time{})
	if _, ok := s.Status("Always"); ok {
		t.Error("removed schedule still served")
	}
	for _, it := range s.queue {
		if it.live() && it.e.sched.Load().Name() == "Always" {
			t.Error("removed schedule still in the heap")
		}
	}
}

func TestReconcileRepairsClockJump(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	s, c, rec := newTestScheduler(t, mon)
	c.Set(mon.Add(2 * time.Hour))
	if n := s.Reconcile(); n != 0 {
		t.Errorf("late timer counted as %d repairs; it is not drift", n)
	}
	if got := describe(rec.take()); got != "Support 2026-11-23T14:00:00Z open=true \"\" schedule|" {
		t.Errorf("late events %s", got)
	}
	// The clock jumps back before opening: the announced state is wrong.
	c.Set(mon.Add(30 * time.Minute))
	if n := s.Reconcile(); n != 1 {
		t.Errorf("repairs = %d, want 1", n)
	}
	evs := rec.take()
	if len(evs) != 1 || evs[0].Status.IsOpen || evs[0].Cause != CauseReconcile {
		t.Errorf("repair events %s", describe(evs))
	}
	if n := s.Reconcile(); n != 0 {
		t.Errorf("second reconcile repaired %d", n)
	}
	if s.Repairs() != 1 {
		t.Errorf("Repairs() = %d", s.Repairs())
	}
}

func TestHorizonExtends(t *testing.T) {
	loc := chicago(t)
	start := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	c := &clock{t: start}
	rec := &recorder{}
	s := New(Options{Now: c.Now, OnTransition: rec.add, Horizon: 48 * time.Hour})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	// Walk three weeks a few hours at a time; every weekday must open once.
	opens := 0
	for now := start; now.Before(start.Add(21 * 24 * time.Hour)); now = now.Add(5 * time.Hour) {
		c.Set(now)
		s.processDue(now)
		for _, e := range rec.take() {
			if e.Schedule == "Support" && e.Status.IsOpen && e.Previous.ClosedReason == "closed" {
				opens++
			}
		}
	}
	// 15 weekdays minus Thanksgiving? No: the doc has no Thanksgiving; Christmas is outside.
	if opens != 15 {
		t.Errorf("opened %d times in three weeks, want 15", opens)
	}
	tl := s.state.Load().entries["Support"].tl.Load()
	if !tl.to.After(start.Add(21 * 24 * time.Hour)) {
		t.Errorf("horizon not extended: ends %v", tl.to)
	}
}

func TestRunStopsOnCancelAndApplyAnnouncesAtOnce(t *testing.T) {
	// A schedule that changes state every minute, driven by the real clock.
	doc := `{"rules":[{"id":"r","name":"r","isOpen":true,"dateRRule":"FREQ=DAILY"}],
	 "schedules":[{"name":"S","timeZone":"UTC","rules":["r"]}]}`
	rec := &recorder{}
	s := New(Options{OnTransition: rec.add})
	s.Apply(load(t, doc), 1, time.Time{})
	if !s.Ready() {
		t.Fatal("not ready after Apply")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	// Manual close through a new version is announced without waiting.
	closedDoc := strings.Replace(doc, `"rules":["r"]}`, `"manualClose":true,"rules":["r"]}`, 1)
	s.Apply(load(t, closedDoc), 2, time.Time{})
	cancel()
	if err := <-done; err == nil {
		t.Error("Run returned nil after cancel")
	}
	if evs := rec.take(); len(evs) != 1 || evs[0].Status.ClosedReason != "manual" {
		t.Errorf("events %s", describe(evs))
	}
}

func BenchmarkStatusRead(b *testing.B) {
	s := New(Options{})
	s.Apply(load(b, weekdayDoc), 1, time.Time{})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := s.Status("Support"); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkCacheRead measures the cache lookup alone, at a given instant
// (Status adds one clock read, about 70 ns on these VMs).
func BenchmarkCacheRead(b *testing.B) {
	s := New(Options{})
	s.Apply(load(b, weekdayDoc), 1, time.Time{})
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := s.Evaluate("Support", now); !ok {
			b.Fatal("missing")
		}
	}
}

// BenchmarkCacheReadClosed is the cache lookup of a closed schedule, whose
// answer also says when it next opens (Sunday: Monday 08:00).
func BenchmarkCacheReadClosed(b *testing.B) {
	sunday := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return sunday }})
	s.Apply(load(b, weekdayDoc), 1, time.Time{})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if c, ok := s.Evaluate("Support", sunday); !ok || c.Status.IsOpen {
			b.Fatal("not closed")
		}
	}
}

// Reads race with applies that keep unchanged schedules (run with -race).
func TestConcurrentReadsDuringApply(t *testing.T) {
	s := New(Options{})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c, ok := s.Status("Support"); !ok || c.Schedule.Name() != "Support" {
					t.Error("lost Support during apply")
					return
				}
				_ = s.All()
			}
		}()
	}
	for v := uint64(2); v < 50; v++ {
		s.Apply(load(t, weekdayDoc), v, time.Time{})
	}
	close(stop)
	wg.Wait()
	if _, v := s.Config(); v != 49 {
		t.Errorf("version %d", v)
	}
}

// Each answer is for one reading of the clock, which it returns: with a
// clock that moves an hour per reading, Status and All still answer for the
// instant they report, and All answers every schedule for the same one.
func TestAnswersCarryTheirInstant(t *testing.T) {
	loc := chicago(t)
	start := time.Date(2026, 11, 23, 6, 30, 0, 0, loc)
	var mu sync.Mutex
	readings := 0
	tick := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		readings++
		return start.Add(time.Duration(readings) * time.Hour)
	}
	s := New(Options{Now: tick})
	s.Apply(load(t, weekdayDoc), 1, time.Time{})
	for range 12 {
		cur, ok := s.Status("Support")
		if !ok {
			t.Fatal("Support missing")
		}
		if direct := cur.Schedule.At(cur.At); direct != cur.Status {
			t.Errorf("Status at %v: %+v, but the schedule there is %+v", cur.At, cur.Status, direct)
		}
		all := s.All()
		for _, c := range all {
			if !c.At.Equal(all[0].At) {
				t.Errorf("All: %s at %v, %s at %v", c.Schedule.Name(), c.At, all[0].Schedule.Name(), all[0].At)
			}
			if direct := c.Schedule.At(c.At); direct != c.Status {
				t.Errorf("All: %s at %v: %+v, but the schedule there is %+v", c.Schedule.Name(), c.At, c.Status, direct)
			}
		}
	}
	at := time.Date(2026, 12, 25, 10, 0, 0, 0, loc)
	if cur, _ := s.Evaluate("Support", at); !cur.At.Equal(at) {
		t.Errorf("Evaluate(%v).At = %v", at, cur.At)
	}
}
