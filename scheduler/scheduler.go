package scheduler

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
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
	// MetricsMaxSchedules is the most schedules a config may have for
	// each to get series of its own in /metrics (schedmgr_schedule_open,
	// schedmgr_schedule_next_transition_timestamp_seconds,
	// schedmgr_transitions_total); above it only the totals are exported.
	// Zero means DefaultMetricsMaxSchedules, negative none.
	MetricsMaxSchedules int
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

	// applyMu serialises Apply calls: each works out its changes from the
	// snapshot it replaces, outside mu.
	applyMu sync.Mutex

	// mu serialises the writers' short critical sections: Apply's swap,
	// processDue (Run, Advance) and Reconcile. It guards queue, the
	// entries' announced, due, gen, queued, removed and rebuilding fields,
	// timeline swaps, pending and delivering. It is never held while
	// OnTransition runs, nor while timelines are built (see lock.go for
	// how long it is held).
	mu    sync.Mutex
	queue dueHeap
	stale int // items of queue whose entry was rescheduled or retired
	// pending are events decided under mu and not yet passed to
	// OnTransition, in the order they were decided; delivering is set
	// while one goroutine passes them on (deliver).
	pending    []Event
	spare      []Event // a delivered batch, emptied, for pending to reuse
	delivering bool
	wake       chan struct{}
	hold       lockStats

	repairs atomic.Uint64

	// covered is what Covered found last: until it ends, Covered answers
	// without reading 100,000 timelines on every probe of /readyz.
	covered atomic.Pointer[coverage]

	// buildHook replaces buildTimeline in tests that need an engine panic
	// on demand (no input that validates makes the RRULE library panic
	// today). It may be called from several goroutines at once.
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
	// jitter moves the horizon extensions of this schedule earlier than
	// half the horizon, by up to a quarter of it (from its name), so that
	// schedules built together are not all rebuilt at one instant.
	jitter time.Duration

	// Guarded by Scheduler.mu.
	announced  engine.Status // the last state announced (queued for delivery)
	due        time.Time     // when the heap item for this entry fires
	gen        uint32        // of its live heap item (see queue.go)
	queued     bool          // it has a live heap item
	removed    bool
	rebuilding bool      // out of the heap while its horizon is extended
	extendDue  time.Time // when a short first window is extended (zero: none)
}

// A first Apply of at least shortBuildMin schedules builds windows of
// shortWindow (about a third of the work of a week and its tail), and
// extends each to the full horizon at a moment spread over firstSpread:
// 100,000 schedules are served a second sooner after a restart, and the
// rest of the work is done in the background, a little at a time.
const (
	shortBuildMin = 2000
	shortWindow   = 24 * time.Hour
	firstSpread   = 10 * time.Minute
)

// newEntry is the entry of a schedule, not yet in the heap.
func (s *Scheduler) newEntry(sc *engine.Schedule) *entry {
	e := &entry{jitter: jitterOf(sc.Name(), s.opts.Horizon)}
	e.sched.Store(sc)
	return e
}

// jitterOf spreads the horizon extensions of schedules over a quarter of
// the horizon, by a hash of the name: the same on every replica and after
// a restart.
func jitterOf(name string, horizon time.Duration) time.Duration { return spread(name, horizon/4) }

// spread is a duration in [0, span) from a hash of name.
func spread(name string, span time.Duration) time.Duration {
	if span <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = io.WriteString(h, name)
	return time.Duration(h.Sum64() % uint64(span))
}

// extendAt is when the timeline tl of e is rebuilt further ahead: half
// the horizon (less the entry's jitter) before it ends, or, for the short
// window of a first start, the entry's extendDue.
func (s *Scheduler) extendAt(e *entry, tl *timeline) time.Time {
	if !e.extendDue.IsZero() {
		return e.extendDue
	}
	return tl.to.Add(-s.opts.Horizon/2 - e.jitter)
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
	if opts.MetricsMaxSchedules == 0 {
		opts.MetricsMaxSchedules = DefaultMetricsMaxSchedules
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
//
// A true answer holds until the earliest end among the timelines read,
// for the same snapshot: a timeline is only ever replaced by one that
// reaches further, and a schedule that fails stops counting. So Covered
// reads every timeline about once per horizon extension, not per call
// (at 100,000 schedules a read of them all took 10–15 ms, and /readyz is
// probed often).
func (s *Scheduler) Covered() bool {
	snap := s.state.Load()
	if snap == nil {
		return false
	}
	now := s.opts.Now()
	ns := now.UnixNano()
	if c := s.covered.Load(); c != nil && c.snap == snap && c.from <= ns && ns < c.until {
		return true
	}
	until := int64(math.MaxInt64)
	for _, e := range snap.order {
		if e.failed.Load() != nil {
			continue
		}
		tl := e.tl.Load()
		if tl.index(now) < 0 {
			return false
		}
		until = min(until, tl.ends[len(tl.ends)-1])
	}
	s.covered.Store(&coverage{snap: snap, from: ns, until: until})
	return true
}

// coverage is a true answer of Covered: every timeline of snap covered
// [from, until).
type coverage struct {
	snap        *snapshot
	from, until int64
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
	snap.answer(e, t, cur)
	return true
}

// answer fills cur, which is zero, with the answer for entry e of snap at
// t.
func (snap *snapshot) answer(e *entry, t time.Time, cur *Current) {
	sched := e.sched.Load()
	cur.Schedule, cur.At, cur.ConfigVersion = sched, t, snap.version
	if f := e.failed.Load(); f != nil {
		cur.Err = f.err
		return
	}
	tl := e.tl.Load()
	if i := tl.index(t); i >= 0 {
		cur.Status = tl.statusAt(i)
		cur.Next, cur.HasNext = tl.next(i)
		if !cur.Status.IsOpen {
			cur.Opening, cur.HasOpening = tl.opening(i, t)
		}
		return
	}
	cur.Err = contain(func() {
		cur.Status = sched.At(t)
		cur.Next, cur.HasNext = sched.NextTransition(t)
		if !cur.Status.IsOpen {
			cur.Opening, cur.HasOpening = openingAfter(sched, t, cur.Next, cur.HasNext)
		}
	})
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
		snap.answer(e, now, &out[len(out)-1])
	}
	return out
}

// Apply installs a new config version. Schedules whose definition is
// unchanged keep their timelines; the others are rebuilt, and an event is
// sent for every schedule whose state the change flipped (or that is new).
// writtenAt is when the version was written (zero means now): events caused
// by the change carry it, so every replica announces the same instant.
//
// The timelines are built before the lock is taken, on every core; under
// the lock Apply only decides the events, updates the heap and swaps the
// snapshot in. Concurrent Apply calls run one after the other.
//
// The events are passed to OnTransition before Apply returns, unless a
// delivery is already under way (in another goroutine, or Apply was called
// from OnTransition): that delivery then passes them on after the events
// queued before them.
func (s *Scheduler) Apply(cfg *engine.Config, version uint64, writtenAt time.Time) {
	s.apply(cfg, version, writtenAt)
	s.deliver()
}

// applied is a schedule of a new version and what replaces its old entry.
type applied struct {
	e    *entry // the new entry (built is its timeline)
	prev *entry // the old version's entry of that name, if any
	job  buildJob
	i    int // the segment of job.tl holding the instant of the build
}

// apply installs cfg and queues the events it causes.
func (s *Scheduler) apply(cfg *engine.Config, version uint64, writtenAt time.Time) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	now := s.opts.Now()
	// The write time is used as is, even when this replica's clock is
	// behind the writer's: it is part of the event id, which must be the
	// same on every replica for JetStream to store the event once.
	if writtenAt.IsZero() {
		writtenAt = now
	}
	// Outside mu: match the schedules with the old entries (old is only
	// replaced by Apply, which applyMu serialises) and build the timelines
	// of those whose definition changed.
	old := s.state.Load()
	scheds := cfg.Schedules()
	snap := &snapshot{cfg: cfg, version: version, entries: make(map[string]*entry, len(scheds)),
		order: make([]*entry, 0, len(scheds))}
	var changed []applied
	type keptEntry struct {
		e  *entry
		sc *engine.Schedule
	}
	var kept []keptEntry
	for _, sc := range scheds {
		var prev *entry
		if old != nil {
			prev = old.entries[sc.Name()]
		}
		e := prev
		if prev == nil || !prev.sched.Load().SameDefinition(sc) {
			e = s.newEntry(sc)
			changed = append(changed, applied{e: e, prev: prev, job: buildJob{sched: sc, from: now}})
		} else {
			kept = append(kept, keptEntry{e, sc})
		}
		snap.entries[sc.Name()] = e
		snap.order = append(snap.order, e)
	}
	// A first start with many schedules builds a short window first, so
	// that the replica is ready sooner, and extends each to the full
	// horizon within firstSpread (see extendAt).
	short := old == nil && len(changed) >= shortBuildMin && s.opts.Horizon > shortWindow
	jobs := make([]*buildJob, len(changed))
	for i := range changed {
		changed[i].job.short = short
		jobs[i] = &changed[i].job
	}
	s.buildAll(jobs)
	// The new entries are reachable by no one yet (neither the snapshot
	// nor the heap holds them): set them up here, and their heap items,
	// so that the lock is held only to compare with the old entries and
	// to merge the heaps.
	items := make(dueHeap, 0, len(changed))
	for k := range changed {
		c := &changed[k]
		if c.job.err != nil {
			s.fail(c.e, c.job.err)
			continue
		}
		tl := c.job.tl
		c.i = tl.index(now) // built at now: inside
		c.e.tl.Store(tl)
		c.e.announced = tl.statusAt(c.i)
		if short {
			c.e.extendDue = now.Add(spread(c.job.sched.Name(), firstSpread))
		}
		c.e.due = s.firstDue(c.e, tl, c.i)
		c.e.gen, c.e.queued = 1, true
		items = append(items, dueItem{at: c.e.due.UnixNano(), gen: 1, e: c.e})
	}
	heap.Init(&items)
	var gone []*entry
	if old != nil {
		for _, e := range old.order {
			if snap.entries[e.sched.Load().Name()] == nil {
				gone = append(gone, e)
			}
		}
	}
	var events []Event // allocated here: allocating under the lock waits for the GC
	if old != nil {
		events = make([]Event, 0, len(changed))
	}

	// Same definition: the new config's Schedule, the same timeline and
	// heap position. Readers of the old snapshot may see it already: it
	// evaluates the same.
	for _, k := range kept {
		k.e.sched.Store(k.sc)
	}
	s.lock()
	for k := range changed {
		c := &changed[k]
		if c.prev != nil {
			s.retire(c.prev)
		}
		// A config change is announced at once, but a new schedule on a
		// first start is just the initial state: announce only real flips.
		// (If the clock has crossed a boundary since now, the entry is
		// due already and announces it next, in order.)
		if c.job.err != nil || old == nil || c.prev != nil && c.prev.announced.SameState(c.e.announced) {
			continue
		}
		sc := c.job.sched
		ev := Event{Schedule: sc.Name(), TimeZone: sc.Location().String(), At: writtenAt, Status: c.e.announced, ConfigVersion: version, Cause: CauseConfig}
		if c.prev != nil {
			ev.Previous = c.prev.announced
		}
		ev.Next, ev.HasNext = c.job.tl.next(c.i)
		events = append(events, ev)
	}
	for _, e := range gone {
		s.retire(e)
	}
	s.merge(items)
	s.state.Store(snap)
	if len(s.pending) == 0 {
		s.pending = events
	} else {
		s.pending = append(s.pending, events...)
	}
	s.unlock()
	if s.metrics.applied(snap, s.opts.MetricsMaxSchedules) {
		if s.metrics.perSchedule.Load() {
			s.log.Info("metrics: series per schedule exported again", "schedules", len(snap.order), "metrics_max_schedules", s.opts.MetricsMaxSchedules)
		} else {
			s.log.Warn("metrics: no series per schedule, only totals (schedmgr_schedules_by_state, schedmgr_transitions_by_cause_total): the config has more schedules than metrics-max-schedules",
				"schedules", len(snap.order), "metrics_max_schedules", s.opts.MetricsMaxSchedules)
		}
	}
	for _, e := range gone {
		s.metrics.forget(e.sched.Load().Name())
	}
	s.signal()
}

// retire takes the entry of a schedule that was replaced or removed out of
// the heap (under mu); an extension under way for it is dropped.
func (s *Scheduler) retire(e *entry) {
	e.removed = true
	s.dequeue(e)
}

// build computes a timeline starting slightly before now, so that reads for
// "now" taken just before the build are inside it, to the horizon (to
// shortWindow when short).
func (s *Scheduler) build(sc *engine.Schedule, now time.Time, short bool) *timeline {
	h := s.opts.Horizon
	if short {
		h = min(h, shortWindow)
	}
	if s.buildHook != nil {
		return s.buildHook(sc, now.Add(-time.Minute), now.Add(h))
	}
	return buildTimeline(sc, now.Add(-time.Minute), now.Add(h))
}

// failure is why a schedule cannot be evaluated.
type failure struct{ err error }

// safeBuild is build with a panic of the engine contained: the RRULE
// library has panicked on inputs that validated, and one schedule must not
// crash the replica (the watch would re-deliver the config, so every
// replica would crash-loop).
func (s *Scheduler) safeBuild(sc *engine.Schedule, now time.Time, short bool) (tl *timeline, err error) {
	err = contain(func() { tl = s.build(sc, now, short) })
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

// fail marks e as not evaluable (under mu, e out of the heap): reads
// answer the error, and the failure is logged and counted once.
func (s *Scheduler) fail(e *entry, err error) {
	name := e.sched.Load().Name()
	err = fmt.Errorf("schedule %q %w", name, err)
	e.failed.Store(&failure{err: err})
	s.metrics.evaluationFailures.Inc()
	s.log.Error("a schedule cannot be evaluated; it answers an error state until the config changes",
		"schedule", name, "err", err)
}

// firstDue is when e, whose timeline tl is at segment i, is next due: its
// next boundary, or the instant its horizon needs extending, whichever
// is first.
func (s *Scheduler) firstDue(e *entry, tl *timeline, i int) time.Time {
	due := s.extendAt(e, tl)
	if i+1 < tl.len() {
		if b := tl.start(i + 1); b.Before(due) {
			due = b
		}
	}
	return due
}

// schedule puts e in the heap (under mu) at firstDue.
func (s *Scheduler) schedule(e *entry, tl *timeline, i int) {
	e.due = s.firstDue(e, tl, i)
	s.enqueue(e)
}

func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
