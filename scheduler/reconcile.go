package scheduler

import (
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// reconcileChunk bounds the entries checked in one hold of the lock.
const reconcileChunk = 4096

// Reconcile compares every cached status with direct evaluation now and
// repairs drift (a clock jump, a suspended host): the timeline is rebuilt and
// a missed change is announced once. It returns the number of repairs.
// Events are delivered as by Apply.
//
// Evaluation and rebuilds run outside the lock; under it, entries are
// checked a chunk at a time.
func (s *Scheduler) Reconcile() int {
	now := s.opts.Now()
	// Announce whatever is merely late first.
	s.processDue(now)
	n := s.reconcile(now)
	s.deliver()
	return n
}

// suspect is an entry the reconcile repairs: its timeline or its
// announced state disagrees with direct evaluation.
type suspect struct {
	e   *entry
	bad bool // the timeline is wrong, or evaluation failed (err)
	err error
	job buildJob
}

// evalAt is sc.At(t) with a panic of the engine contained.
func evalAt(sc *engine.Schedule, t time.Time) (st engine.Status, err error) {
	err = contain(func() { st = sc.At(t) })
	return st, err
}

// reconcile repairs drift at now and queues the events.
func (s *Scheduler) reconcile(now time.Time) int {
	snap := s.state.Load()
	if snap == nil {
		return 0
	}
	// Outside mu: the timelines against direct evaluation (both are
	// immutable or pure).
	bad := map[*entry]*suspect{}
	for _, e := range snap.order {
		if e.failed.Load() != nil {
			continue
		}
		direct, err := evalAt(e.sched.Load(), now)
		tl := e.tl.Load()
		if i := tl.index(now); err == nil && i >= 0 && tl.statusAt(i) == direct {
			continue
		}
		bad[e] = &suspect{e: e, bad: true, err: err}
	}
	// Under mu, a chunk at a time: the announced states against the
	// (checked) timelines.
	var list []*suspect
	for start := 0; start < len(snap.order); start += reconcileChunk {
		s.lock()
		for _, e := range snap.order[start:min(start+reconcileChunk, len(snap.order))] {
			if x := bad[e]; x != nil {
				list = append(list, x)
				continue
			}
			if e.removed || e.rebuilding || e.failed.Load() != nil {
				continue
			}
			tl := e.tl.Load()
			if i := tl.index(now); i >= 0 && e.announced.SameState(tl.statusAt(i)) {
				continue
			}
			list = append(list, &suspect{e: e})
		}
		s.unlock()
	}
	if len(list) == 0 {
		return 0
	}
	jobs := make([]*buildJob, 0, len(list))
	for _, x := range list {
		if x.err == nil {
			x.job = buildJob{sched: x.e.sched.Load(), from: now}
			jobs = append(jobs, &x.job)
		}
	}
	s.buildAll(jobs)

	s.lock()
	defer s.unlock()
	repairs := 0
	for _, x := range list {
		e := x.e
		if e.removed || e.rebuilding || e.failed.Load() != nil {
			continue
		}
		err := x.err
		if err == nil {
			err = x.job.err
		}
		if err != nil {
			s.dequeue(e)
			s.fail(e, err)
			continue
		}
		tl := x.job.tl
		i := tl.index(now)
		repairs++
		s.log.Warn("reconcile repaired a schedule", "schedule", e.sched.Load().Name(), "cached_ok", !x.bad,
			"announced_open", e.announced.IsOpen, "announced_reason", e.announced.ClosedReason,
			"open", tl.statusAt(i).IsOpen, "reason", tl.statusAt(i).ClosedReason)
		e.tl.Store(tl)
		if st := tl.statusAt(i); !e.announced.SameState(st) {
			// The instant the state began, not the clipped window start:
			// replicas repairing the same drift must announce the same
			// instant (it is part of the event id).
			sc := e.sched.Load()
			ev := Event{Schedule: sc.Name(), TimeZone: sc.Location().String(),
				At: stateStart(sc, tl, i), Status: st, Previous: e.announced,
				ConfigVersion: snap.version, Cause: CauseReconcile}
			ev.Next, ev.HasNext = tl.next(i)
			e.announced = st
			s.pending = append(s.pending, ev)
		}
		s.schedule(e, tl, i)
	}
	s.repairs.Add(uint64(repairs))
	s.metrics.repairs.Add(float64(repairs))
	return repairs
}

// Repairs returns the total number of reconcile repairs.
func (s *Scheduler) Repairs() uint64 { return s.repairs.Load() }
