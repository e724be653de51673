package scheduler

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/schedule-manager/schedule-manager/engine"
)

// manyDoc is n schedules named d0000… in one zone, open 08:00–17:00
// every day.
func manyDoc(t testing.TB, n int, zone string) *engine.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],"schedules":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"d%04d","timeZone":%q,"rules":["day"]}`, i, zone)
	}
	b.WriteString("]}")
	return load(t, b.String())
}

// Schedules built together are extended at instants spread over a
// quarter of the horizon, not all at once: half the horizon after the
// build, less each schedule's jitter.
func TestHorizonExtensionsAreSpread(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }, Horizon: 8 * 24 * time.Hour})
	s.Apply(manyDoc(t, 200, "UTC"), 1, time.Time{})
	distinct := map[time.Time]bool{}
	s.lock()
	for _, e := range s.state.Load().order {
		at := s.extendAt(e, e.tl.Load())
		lo, hi := now.Add(2*24*time.Hour-time.Minute), now.Add(4*24*time.Hour)
		if at.Before(lo) || at.After(hi) {
			t.Errorf("%s extends at %v, want within [%v, %v]", e.sched.Load().Name(), at, lo, hi)
		}
		distinct[at] = true
	}
	s.unlock()
	if len(distinct) < 190 {
		t.Errorf("200 schedules extend at %d distinct instants; want them spread", len(distinct))
	}
	// Jitter is a function of the name: the same on every replica.
	first, again := jitterOf("d0001", 8*24*time.Hour), jitterOf("d0001", 8*24*time.Hour)
	if first != again || jitterOf("a", 0) != 0 {
		t.Error("jitter is not a function of the name and horizon")
	}
}

// A first start with many schedules builds a short window, then extends
// every one to the full horizon within firstSpread, without announcing
// anything (no state changes meanwhile).
func TestFirstStartShortWindowsAreExtended(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC) // closed, no boundary within the next hour
	c := &clock{t: now}
	var events atomic.Int32
	s := New(Options{Now: c.Now, OnTransition: func(Event) { events.Add(1) }})
	s.Apply(manyDoc(t, shortBuildMin, "UTC"), 1, time.Time{})
	for _, e := range s.state.Load().order {
		if to := e.tl.Load().to; !to.Equal(now.Add(shortWindow)) {
			t.Fatalf("first window of %s ends %v, want %v", e.sched.Load().Name(), to, now.Add(shortWindow))
		}
	}
	if cur, _ := s.Status("d0007"); cur.Status.IsOpen || !cur.HasNext || !cur.Next.At.Equal(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("answer from the short window: %+v", cur)
	}
	c.Set(now.Add(firstSpread))
	s.Advance(c.Now())
	for _, e := range s.state.Load().order {
		if to := e.tl.Load().to; to.Before(now.Add(7 * 24 * time.Hour)) {
			t.Fatalf("%s not extended after %s: ends %v", e.sched.Load().Name(), firstSpread, to)
		}
	}
	if n := events.Load(); n != 0 {
		t.Errorf("%d events while extending", n)
	}
	// A small first start builds the full horizon at once.
	s2 := New(Options{Now: c.Now})
	s2.Apply(manyDoc(t, 10, "UTC"), 1, time.Time{})
	if to := s2.state.Load().order[0].tl.Load().to; !to.Equal(c.Now().Add(7 * 24 * time.Hour)) {
		t.Errorf("small first start: window ends %v", to)
	}
}

// More schedules than one chunk of the lock change state at one instant:
// each is announced exactly once, and the lock was held (and measured).
func TestFlipInChunksAnnouncesEachOnce(t *testing.T) {
	const n = 3*dueChunk + 17
	now := time.Date(2026, 12, 2, 7, 59, 0, 0, time.UTC)
	c := &clock{t: now}
	rec := &recorder{}
	s := New(Options{Now: c.Now, OnTransition: rec.add})
	s.Apply(manyDoc(t, n, "UTC"), 1, time.Time{})
	eight := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	c.Set(eight)
	s.Advance(eight)
	seen := map[string]int{}
	for _, ev := range rec.take() {
		if !ev.Status.IsOpen || !ev.At.Equal(eight) || ev.Cause != CauseSchedule {
			t.Fatalf("unexpected event %+v", ev)
		}
		seen[ev.Schedule]++
	}
	if len(seen) != n {
		t.Fatalf("%d schedules announced, want %d", len(seen), n)
	}
	for name, k := range seen {
		if k != 1 {
			t.Fatalf("%s announced %d times", name, k)
		}
	}
	if s.LongestLockHold() <= 0 {
		t.Error("lock holds not measured")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s)
	for _, name := range []string{"schedmgr_scheduler_lock_hold_max_seconds", "schedmgr_scheduler_lock_hold_seconds"} {
		if k, err := testutil.GatherAndCount(reg, name); err != nil || k != 1 {
			t.Errorf("%s: %d series, %v", name, k, err)
		}
	}
}

// Renaming every schedule again and again leaves no pile of stale heap
// items, and only the current entries are live in the heap.
func TestHeapStaysCompact(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	const n = 1500
	for v := range 6 {
		var b strings.Builder
		b.WriteString(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],"schedules":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"v%d-%d","timeZone":"UTC","rules":["day"]}`, v, i)
		}
		b.WriteString("]}")
		s.Apply(load(t, b.String()), uint64(v+1), time.Time{})
	}
	s.lock()
	defer s.unlock()
	live := 0
	for _, it := range s.queue {
		if it.live() {
			live++
			if !strings.HasPrefix(it.e.sched.Load().Name(), "v5-") {
				t.Fatalf("a retired entry is live: %s", it.e.sched.Load().Name())
			}
		}
	}
	if live != n || len(s.queue) > 3*n {
		t.Errorf("heap: %d items, %d live; want %d live and few stale", len(s.queue), live, n)
	}
}
