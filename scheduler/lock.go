package scheduler

import (
	"sync/atomic"
	"time"
)

// lockStats measures how long the scheduler's lock is held: the longest
// hold bounds how late a transition, an Apply or a reconcile can be made
// by another writer (check-schedule reads never take it). The target at
// 100,000 schedules is 50 ms; builds and evaluations run outside it.
type lockStats struct {
	since   time.Time // when mu was taken, under mu
	longest atomic.Int64
}

// lock takes mu and starts timing the hold.
func (s *Scheduler) lock() {
	s.mu.Lock()
	s.hold.since = time.Now()
}

// unlock records the hold and releases mu.
func (s *Scheduler) unlock() {
	d := time.Since(s.hold.since)
	s.mu.Unlock()
	s.metrics.lockHold.Observe(d.Seconds())
	for {
		old := s.hold.longest.Load()
		if int64(d) <= old || s.hold.longest.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// LongestLockHold is the longest time the scheduler's internal lock has
// been held since New (also exported as the metric
// schedmgr_scheduler_lock_hold_max_seconds): how long a writer (Apply,
// the transition timer, Reconcile) can have waited for another.
func (s *Scheduler) LongestLockHold() time.Duration { return time.Duration(s.hold.longest.Load()) }
