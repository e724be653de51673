package scheduler

import (
	"context"
	"time"
)

// Run fires transitions until ctx ends. It re-arms one timer for the
// earliest due schedule, measured after the events were delivered.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, ok := s.processDue(s.opts.Now())
		timer.Reset(waitFor(due, ok, s.opts.Now()))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// Advance handles every transition due at or before now, as Run does when
// its timer fires, and returns how long until the next one. For callers
// that drive the scheduler with their own clock (load tests, simulations);
// do not mix it with Run.
func (s *Scheduler) Advance(now time.Time) time.Duration {
	due, ok := s.processDue(now)
	return waitFor(due, ok, now)
}

// maxWait bounds a sleep so a host clock jump is noticed within it even
// without the reconcile job.
const maxWait = time.Minute

// waitFor is how long to sleep at now until due (ok false: nothing is due).
func waitFor(due time.Time, ok bool, now time.Time) time.Duration {
	if !ok {
		return maxWait
	}
	return min(max(due.Sub(now), 0), maxWait)
}

// dueChunk bounds the heap items handled in one hold of the lock: 100,000
// schedules opening at 08:00 are announced in chunks, so that Apply,
// Reconcile and the extension swaps are never held up long; extendChunk
// bounds the rebuilt timelines swapped in at once (each is new memory, so
// slower to index and heap).
const (
	dueChunk    = 1024
	extendChunk = 512
)

// processDue handles every heap item due at or before now, in chunks of
// dueChunk under the lock, delivering the events after each; horizons due
// for extension are rebuilt outside the lock. It returns when the next
// item is due (ok false: none).
func (s *Scheduler) processDue(now time.Time) (due time.Time, ok bool) {
	var buf []extension
	for {
		// The list is allocated here, not under the lock (an allocation
		// there may have to help the garbage collector first), and small:
		// this runs at every wake-up, and horizons come due for extension
		// a few at a time (they are jittered), so a chunk's worth (over
		// 200 KB, cleared each time) cost more than the rare growth under
		// the lock.
		if buf == nil {
			buf = make([]extension, 0, 64)
		}
		extend, more := s.fireDue(now, buf)
		s.deliver()
		if len(extend) > 0 {
			s.extend(extend)
			clear(extend)
			buf = extend[:0]
			continue // extended entries may be due again at once
		}
		if !more {
			break
		}
	}
	s.lock()
	defer s.unlock()
	if e, ok := s.peek(); ok {
		return e.due, true
	}
	return time.Time{}, false
}

// extension is an entry taken out of the heap for its horizon to be
// extended from instant at.
type extension struct {
	e   *entry
	at  time.Time
	job buildJob
}

// fireDue handles at most dueChunk heap items due at or before now under
// mu, queueing their events. Entries due for a horizon extension leave the
// heap and are returned (extend rebuilds them); more is true when due
// items remain.
func (s *Scheduler) fireDue(now time.Time, extend []extension) (_ []extension, more bool) {
	s.lock()
	defer s.unlock()
	if s.pending == nil && s.spare != nil {
		s.pending, s.spare = s.spare, nil
	}
	snap := s.state.Load()
	var version uint64
	if snap != nil {
		version = snap.version
	}
	for n := 0; ; n++ {
		e, ok := s.peek()
		if !ok || e.due.After(now) {
			break
		}
		if n == dueChunk {
			return extend, true
		}
		s.pop()
		at := e.due
		tl := e.tl.Load()
		i := tl.index(at)
		if i < 0 || !at.Before(s.extendAt(e, tl)) {
			// Horizon extension: rebuilt from the boundary being
			// processed, outside the lock, so that boundaries between it
			// and now are still announced in order.
			e.rebuilding = true
			extend = append(extend, extension{e: e, at: at, job: buildJob{sched: e.sched.Load(), from: at}})
			continue
		}
		s.announce(e, tl, i, version)
		s.schedule(e, tl, i)
	}
	return extend, false
}

// announce queues the event of entry e entering segment i of tl, when its
// state differs from the one last announced (under mu).
func (s *Scheduler) announce(e *entry, tl *timeline, i int, version uint64) {
	st := tl.statusAt(i)
	if !st.SameState(e.announced) {
		sc := e.sched.Load()
		ev := Event{Schedule: sc.Name(), TimeZone: sc.Location().String(), At: tl.start(i),
			Status: st, Previous: e.announced, ConfigVersion: version, Cause: CauseSchedule}
		ev.Next, ev.HasNext = tl.next(i)
		s.pending = append(s.pending, ev)
	}
	e.announced = st
}

// extend rebuilds the timelines of the entries fireDue took out of the
// heap, on every core and without the lock, then swaps them in and puts
// the entries back in the heap (dropping those an Apply replaced
// meanwhile).
func (s *Scheduler) extend(list []extension) {
	jobs := make([]*buildJob, len(list))
	for i := range list {
		jobs[i] = &list[i].job
	}
	s.buildAll(jobs)
	for start := 0; start < len(list); start += extendChunk {
		s.lock()
		snap := s.state.Load()
		var version uint64
		if snap != nil {
			version = snap.version
		}
		for _, x := range list[start:min(start+extendChunk, len(list))] {
			e := x.e
			e.rebuilding = false
			if e.removed {
				continue
			}
			if x.job.err != nil {
				s.fail(e, x.job.err)
				continue
			}
			tl := x.job.tl
			e.tl.Store(tl)
			e.extendDue = time.Time{} // the full horizon now
			i := tl.index(x.at)
			s.announce(e, tl, i, version)
			s.schedule(e, tl, i)
		}
		s.unlock()
		s.deliver()
	}
}
