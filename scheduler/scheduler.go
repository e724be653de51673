package scheduler

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Event is a change of a schedule's state (isOpen or closedReason).
type Event struct {
	Schedule      string
	TimeZone      string
	At            time.Time     // the transition instant (or the config apply time)
	Status        engine.Status // the new status
	Previous      engine.Status
	Next          engine.Transition
	HasNext       bool
	ConfigVersion uint64
	Cause         string // CauseSchedule, CauseConfig or CauseReconcile
}

// Causes of an Event.
const (
	CauseSchedule  = "schedule"  // a boundary of the timeline was reached
	CauseConfig    = "config"    // a config change flipped the status
	CauseReconcile = "reconcile" // the reconcile job found a missed change
)

// Options configure a Scheduler. Zero values give working defaults.
type Options struct {
	// Horizon is how far ahead timelines are precomputed (default 7 days).
	Horizon time.Duration
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time
	// OnTransition is called for every event, outside the scheduler's lock,
	// one call at a time, in the order the events happened (see the package
	// doc for which goroutine calls it). It may call the Scheduler's
	// methods. It should not block for long: events queue behind it.
	OnTransition func(Event)
	Logger       *slog.Logger
}

// Current is a cached answer for one schedule.
type Current struct {
	Schedule *engine.Schedule
	// At is the instant the answer is for: the one clock reading behind
	// Status and Next (Status, All) or the instant asked (Evaluate).
	// Callers render it rather than reading the clock again, so the
	// answer's instant and its status always agree.
	At      time.Time
	Status  engine.Status
	Next    engine.Transition
	HasNext bool
	// Opening is the first instant after At at which the schedule opens
	// (engine.Schedule.NextOpening), set only when Status is closed;
	// HasOpening is false when it does not open within 366 days.
	Opening       time.Time
	HasOpening    bool
	ConfigVersion uint64
	// Err is set when the schedule cannot be evaluated: expanding one of
	// its rules panicked (see engine.ExpansionPanic). Status is then
	// meaningless; callers answer an error state, as for an unknown
	// schedule. The other schedules are unaffected.
	Err error
}

// Scheduler holds the status cache and fires transitions. Safe for
// concurrent use; Run must be called once.
type Scheduler struct {
	opts    Options
	log     *slog.Logger
	metrics *schedulerMetrics

	// state is read without locking (Status, Evaluate, All, Config) and
	// replaced under mu (Apply).
	state atomic.Pointer[snapshot]

	// mu serialises the writers: Apply, processDue (Run, Advance) and
	// Reconcile. It guards queue, the entries' announced, due, heapIndex
	// and removed fields, timeline swaps, pending and delivering. It is
	// never held while OnTransition runs.
	mu    sync.Mutex
	queue dueHeap
	// pending are events decided under mu and not yet passed to
	// OnTransition, in the order they were decided; delivering is set
	// while one goroutine passes them on (deliver).
	pending    []Event
	delivering bool
	wake       chan struct{}

	repairs atomic.Uint64

	// buildHook replaces buildTimeline in tests that need an engine panic
	// on demand (no input that validates makes the RRULE library panic
	// today).
	buildHook func(sc *engine.Schedule, from, to time.Time) *timeline
}

// snapshot is the immutable set of entries for one config version.
type snapshot struct {
	cfg     *engine.Config
	version uint64
	entries map[string]*entry
	order   []*entry
}

type entry struct {
	// sched is atomic because an Apply with an unchanged definition swaps
	// in the new config's Schedule while readers of the old snapshot run.
	sched atomic.Pointer[engine.Schedule]
	tl    atomic.Pointer[timeline]
	// failed is set when the schedule cannot be evaluated (a rule's
	// expansion panicked); reads then answer Current.Err.
	failed atomic.Pointer[failure]

	// Guarded by Scheduler.mu.
	announced engine.Status // the last state announced (queued for delivery)
	due       time.Time     // when the heap item for this entry fires
	heapIndex int           // -1 when not in the heap
	removed   bool
}

// New returns a Scheduler with no config; call Apply, then Run.
func New(opts Options) *Scheduler {
	if opts.Horizon <= 0 {
		opts.Horizon = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnTransition == nil {
		opts.OnTransition = func(Event) {}
	}
	return &Scheduler{opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), metrics: newSchedulerMetrics()}
}

// Ready reports whether a config has been applied and every schedule's
// status is computed.
func (s *Scheduler) Ready() bool { return s.state.Load() != nil }

// Covered reports whether every schedule's precomputed timeline covers
// now, so that a cached read needs no evaluation. The scheduler's loop
// extends horizons long before they end; a false answer means it is stuck.
// Schedules that cannot be evaluated do not count: they answer their error.
func (s *Scheduler) Covered() bool {
	snap := s.state.Load()
	if snap == nil {
		return false
	}
	now := s.opts.Now()
	for _, e := range snap.order {
		if e.failed.Load() != nil {
			continue
		}
		if e.tl.Load().index(now) < 0 {
			return false
		}
	}
	return true
}

// Config returns the applied config and its version (nil before Apply).
func (s *Scheduler) Config() (*engine.Config, uint64) {
	snap := s.state.Load()
	if snap == nil {
		return nil, 0
	}
	return snap.cfg, snap.version
}

// Status returns the cached status of a schedule now (one reading of the
// clock, returned as Current.At). It does not allocate.
func (s *Scheduler) Status(name string) (cur Current, ok bool) {
	ok = s.lookup(name, s.opts.Now(), &cur)
	return cur, ok
}

// Evaluate answers for instant t (a simulate request): from the precomputed
// timeline when t is inside the horizon, else by direct evaluation.
func (s *Scheduler) Evaluate(name string, t time.Time) (cur Current, ok bool) {
	ok = s.lookup(name, t, &cur)
	return cur, ok
}

// lookup fills cur, which is zero, with the answer for schedule name at t.
// It writes in place: Current is large enough for copies to show in a
// cached read.
func (s *Scheduler) lookup(name string, t time.Time, cur *Current) bool {
	snap := s.state.Load()
	if snap == nil {
		return false
	}
	e, ok := snap.entries[name]
	if !ok {
		return false
	}
	sched := e.sched.Load()
	cur.Schedule, cur.At, cur.ConfigVersion = sched, t, snap.version
	if f := e.failed.Load(); f != nil {
		cur.Err = f.err
		return true
	}
	tl := e.tl.Load()
	if i := tl.index(t); i >= 0 {
		cur.Status = tl.segs[i].Status
		cur.Next, cur.HasNext = tl.next(i)
		if !cur.Status.IsOpen {
			cur.Opening, cur.HasOpening = tl.opening(i, t)
		}
		return true
	}
	cur.Err = contain(func() {
		cur.Status = sched.At(t)
		cur.Next, cur.HasNext = sched.NextTransition(t)
		if !cur.Status.IsOpen {
			cur.Opening, cur.HasOpening = openingAfter(sched, t, cur.Next, cur.HasNext)
		}
	})
	return true
}

// All returns the cached status of every schedule, in document order, all
// for one reading of the clock (Current.At).
func (s *Scheduler) All() []Current {
	snap := s.state.Load()
	if snap == nil {
		return nil
	}
	now := s.opts.Now()
	out := make([]Current, 0, len(snap.order))
	for _, e := range snap.order {
		out = append(out, Current{})
		s.lookup(e.sched.Load().Name(), now, &out[len(out)-1])
	}
	return out
}

// Apply installs a new config version. Schedules whose definition is
// unchanged keep their timelines; the others are rebuilt, and an event is
// sent for every schedule whose state the change flipped (or that is new).
// writtenAt is when the version was written (zero means now): events caused
// by the change carry it, so every replica announces the same instant.
//
// The events are passed to OnTransition before Apply returns, unless a
// delivery is already under way (in another goroutine, or Apply was called
// from OnTransition): that delivery then passes them on after the events
// queued before them.
func (s *Scheduler) Apply(cfg *engine.Config, version uint64, writtenAt time.Time) {
	s.apply(cfg, version, writtenAt)
	s.deliver()
}

// apply installs cfg under mu and queues the events it causes.
func (s *Scheduler) apply(cfg *engine.Config, version uint64, writtenAt time.Time) {
	now := s.opts.Now()
	// The write time is used as is, even when this replica's clock is
	// behind the writer's: it is part of the event id, which must be the
	// same on every replica for JetStream to store the event once.
	if writtenAt.IsZero() {
		writtenAt = now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.state.Load()
	snap := &snapshot{cfg: cfg, version: version, entries: make(map[string]*entry, len(cfg.Schedules()))}
	var events []Event
	for _, sc := range cfg.Schedules() {
		var prev *entry
		if old != nil {
			prev = old.entries[sc.Name()]
		}
		if prev != nil && prev.sched.Load().SameDefinition(sc) {
			// Same definition: keep the timeline and heap position.
			prev.sched.Store(sc)
			snap.entries[sc.Name()] = prev
			snap.order = append(snap.order, prev)
			continue
		}
		e := &entry{heapIndex: -1}
		e.sched.Store(sc)
		tl, err := s.safeBuild(sc, now)
		if err != nil {
			s.fail(e, err)
			if prev != nil {
				prev.removed = true
				if prev.heapIndex >= 0 {
					heap.Remove(&s.queue, prev.heapIndex)
				}
			}
			snap.entries[sc.Name()] = e
			snap.order = append(snap.order, e)
			continue
		}
		e.tl.Store(tl)
		i := tl.index(now)
		e.announced = tl.segs[i].Status
		if prev == nil || !prev.announced.SameState(e.announced) {
			ev := Event{Schedule: sc.Name(), TimeZone: sc.Location().String(), At: writtenAt, Status: e.announced, ConfigVersion: version, Cause: CauseConfig}
			if prev != nil {
				ev.Previous = prev.announced
			}
			ev.Next, ev.HasNext = tl.next(i)
			events = append(events, ev)
		}
		if prev != nil {
			prev.removed = true
			if prev.heapIndex >= 0 {
				heap.Remove(&s.queue, prev.heapIndex)
			}
		}
		s.schedule(e, tl, i, now)
		snap.entries[sc.Name()] = e
		snap.order = append(snap.order, e)
	}
	if old != nil {
		for name, e := range old.entries {
			if _, kept := snap.entries[name]; !kept {
				e.removed = true
				if e.heapIndex >= 0 {
					heap.Remove(&s.queue, e.heapIndex)
				}
				s.metrics.forget(name)
			}
		}
	}
	s.state.Store(snap)
	s.metrics.applied(snap)
	// A config change is announced at once, but a new schedule on a first
	// start is just the initial state: announce only real flips.
	if old != nil {
		s.pending = append(s.pending, events...)
	}
	s.signal()
}

// build computes a timeline starting slightly before now, so that reads for
// "now" taken just before the build are inside it.
func (s *Scheduler) build(sc *engine.Schedule, now time.Time) *timeline {
	if s.buildHook != nil {
		return s.buildHook(sc, now.Add(-time.Minute), now.Add(s.opts.Horizon))
	}
	return buildTimeline(sc, now.Add(-time.Minute), now.Add(s.opts.Horizon))
}

// failure is why a schedule cannot be evaluated.
type failure struct{ err error }

// safeBuild is build with a panic of the engine contained: the RRULE
// library has panicked on inputs that validated, and one schedule must not
// crash the replica (the watch would re-deliver the config, so every
// replica would crash-loop).
func (s *Scheduler) safeBuild(sc *engine.Schedule, now time.Time) (tl *timeline, err error) {
	err = contain(func() { tl = s.build(sc, now) })
	return tl, err
}

// contain runs f and turns a panic into an error that names the rule when
// the engine says which (an *engine.ExpansionPanic).
func contain(f func()) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if p, ok := v.(*engine.ExpansionPanic); ok {
			err = fmt.Errorf("cannot be evaluated: %w", p)
			return
		}
		err = fmt.Errorf("cannot be evaluated: the engine panicked: %v", v)
	}()
	f()
	return nil
}

// fail marks e as not evaluable (under mu): reads answer the error, the
// entry leaves the heap's future work, and the failure is logged and
// counted once.
func (s *Scheduler) fail(e *entry, err error) {
	name := e.sched.Load().Name()
	err = fmt.Errorf("schedule %q %w", name, err)
	e.failed.Store(&failure{err: err})
	s.metrics.evaluationFailures.Inc()
	s.log.Error("a schedule cannot be evaluated; it answers an error state until the config changes",
		"schedule", name, "err", err)
}

// schedule puts e in the heap at its next boundary after segment i, or at
// the point where its horizon needs extending, whichever is first.
func (s *Scheduler) schedule(e *entry, tl *timeline, i int, now time.Time) {
	due := tl.to.Add(-s.opts.Horizon / 2)
	if i+1 < len(tl.segs) && tl.segs[i+1].Start.Before(due) {
		due = tl.segs[i+1].Start
	}
	e.due = due
	if e.heapIndex >= 0 {
		heap.Fix(&s.queue, e.heapIndex)
	} else {
		heap.Push(&s.queue, e)
	}
}

func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run fires transitions until ctx ends. It re-arms one timer for the
// earliest due schedule, measured after the events were delivered.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, ok := s.fireDue(s.opts.Now())
		s.deliver()
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
func (s *Scheduler) Advance(now time.Time) time.Duration { return s.processDue(now) }

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

// processDue handles every heap item due at or before now, delivers the
// events, and returns how long to sleep until the next one.
func (s *Scheduler) processDue(now time.Time) time.Duration {
	due, ok := s.fireDue(now)
	s.deliver()
	return waitFor(due, ok, now)
}

// fireDue handles every heap item due at or before now under mu, queueing
// its events, and returns when the next item is due (ok false: none).
func (s *Scheduler) fireDue(now time.Time) (due time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.state.Load()
	var version uint64
	if snap != nil {
		version = snap.version
	}
	for len(s.queue) > 0 && !s.queue[0].due.After(now) {
		e := s.queue[0]
		at := e.due
		tl := e.tl.Load()
		i := tl.index(at)
		if i < 0 || !at.Before(tl.to.Add(-s.opts.Horizon/2)) {
			// Horizon extension: rebuild from the boundary being processed,
			// so boundaries between it and now are still announced in order.
			var err error
			if tl, err = s.safeBuild(e.sched.Load(), at); err != nil {
				heap.Remove(&s.queue, e.heapIndex)
				s.fail(e, err)
				continue
			}
			e.tl.Store(tl)
			i = tl.index(at)
		}
		seg := tl.segs[i]
		if !seg.Status.SameState(e.announced) {
			ev := Event{Schedule: e.sched.Load().Name(), TimeZone: e.sched.Load().Location().String(), At: seg.Start,
				Status: seg.Status, Previous: e.announced, ConfigVersion: version, Cause: CauseSchedule}
			ev.Next, ev.HasNext = tl.next(i)
			e.announced = seg.Status
			s.pending = append(s.pending, ev)
		} else {
			e.announced = seg.Status
		}
		s.schedule(e, tl, i, at)
	}
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].due, true
}

// Reconcile compares every cached status with direct evaluation now and
// repairs drift (a clock jump, a suspended host): the timeline is rebuilt and
// a missed change is announced once. It returns the number of repairs.
// Events are delivered as by Apply.
func (s *Scheduler) Reconcile() int {
	now := s.opts.Now()
	// Announce whatever is merely late first.
	s.fireDue(now)
	n := s.reconcile(now)
	s.deliver()
	return n
}

// reconcile repairs drift at now under mu, queueing the events.
func (s *Scheduler) reconcile(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.state.Load()
	if snap == nil {
		return 0
	}
	repairs := 0
	for _, e := range snap.order {
		if e.failed.Load() != nil {
			continue
		}
		var direct engine.Status
		if err := contain(func() { direct = e.sched.Load().At(now) }); err != nil {
			if e.heapIndex >= 0 {
				heap.Remove(&s.queue, e.heapIndex)
			}
			s.fail(e, err)
			continue
		}
		tl := e.tl.Load()
		i := tl.index(now)
		cachedOK := i >= 0 && tl.segs[i].Status == direct
		if cachedOK && e.announced.SameState(direct) {
			continue
		}
		repairs++
		s.log.Warn("reconcile repaired a schedule", "schedule", e.sched.Load().Name(), "cached_ok", cachedOK,
			"announced_open", e.announced.IsOpen, "announced_reason", e.announced.ClosedReason,
			"open", direct.IsOpen, "reason", direct.ClosedReason)
		tl, err := s.safeBuild(e.sched.Load(), now)
		if err != nil {
			if e.heapIndex >= 0 {
				heap.Remove(&s.queue, e.heapIndex)
			}
			s.fail(e, err)
			continue
		}
		e.tl.Store(tl)
		i = tl.index(now)
		if !e.announced.SameState(tl.segs[i].Status) {
			// The instant the state began, not the clipped window start:
			// replicas repairing the same drift must announce the same
			// instant (it is part of the event id).
			ev := Event{Schedule: e.sched.Load().Name(), TimeZone: e.sched.Load().Location().String(),
				At: stateStart(e.sched.Load(), tl, i), Status: tl.segs[i].Status, Previous: e.announced,
				ConfigVersion: snap.version, Cause: CauseReconcile}
			ev.Next, ev.HasNext = tl.next(i)
			e.announced = tl.segs[i].Status
			s.pending = append(s.pending, ev)
		}
		s.schedule(e, tl, i, now)
	}
	s.repairs.Add(uint64(repairs))
	s.metrics.repairs.Add(float64(repairs))
	return repairs
}

// Repairs returns the total number of reconcile repairs.
func (s *Scheduler) Repairs() uint64 { return s.repairs.Load() }

// dueHeap orders entries by due time.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}
func (h *dueHeap) Push(x any) {
	e := x.(*entry)
	e.heapIndex = len(*h)
	*h = append(*h, e)
}
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.heapIndex = -1
	*h = old[:len(old)-1]
	return e
}
