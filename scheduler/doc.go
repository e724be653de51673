// Package scheduler keeps the status of every schedule in memory and
// announces each change of state once, on time.
//
// # Reads
//
// For each schedule it precomputes the engine's timeline over a horizon
// (default 7 days) into an immutable timeline: segments, with the index of
// the next change of state and of the next opening per segment. A snapshot
// (config, version, one entry per schedule) is published through an atomic
// pointer. Status, Evaluate, All, Config and Ready take no lock: they load
// the snapshot and binary-search the timeline, so a cached answer costs no
// allocation and is right at any instant even when a timer fires late.
// Status and All read the clock once and return that instant in
// Current.At; callers render it rather than reading the clock again.
// Instants outside the timeline are evaluated directly.
//
// # Writers and the lock
//
// Three kinds of calls change the scheduler's state, from whatever
// goroutines the caller uses (in the service: the config watch loop calls
// Apply, the goroutine running Run fires the timer, the cron job calls
// Reconcile; tests call Advance instead of Run to drive time):
//
//   - Apply installs a config version, rebuilds the timelines of the
//     schedules whose definition changed, and announces the flips.
//   - Run (or Advance) pops the due items of a min-heap of next boundaries,
//     one timer for all, announces the changes of state (late after a
//     suspend, never lost) and extends horizons.
//   - Reconcile compares the cache with direct evaluation and repairs drift.
//
// One mutex inside the Scheduler serialises them, and is held only for
// short sections, so that no writer stalls another (the longest hold is
// exported as schedmgr_scheduler_lock_hold_max_seconds; at 100,000
// schedules it stays well under 50 ms). It guards the heap, each entry's
// last announced state and due time, timeline swaps, and the queue of
// events to deliver. It is never held while reading, nor while the
// transition callback runs, nor while timelines are built or schedules
// evaluated:
//
//   - Apply builds the changed schedules' timelines first, on every core,
//     and takes the lock only to compare with the old entries, merge the
//     heap and swap the snapshot in.
//   - Due heap items are handled at most a thousand per hold; a horizon
//     due for extension leaves the heap, is rebuilt outside the lock and
//     swapped back in.
//   - Horizon extensions are jittered by schedule name over a quarter of
//     the horizon, so schedules built together are not rebuilt together;
//     a first start with thousands of schedules builds a one-day window
//     first (ready sooner) and extends each within ten minutes.
//   - Reconcile evaluates outside the lock and checks announced states a
//     chunk at a time.
//
// The heap deletes lazily: retiring or rescheduling an entry makes its
// old item stale (see queue.go).
//
// # Events and the callback
//
// A writer decides its events under the lock and appends them to a queue;
// after unlocking it delivers the queue to Options.OnTransition. One
// goroutine delivers at a time: a writer that finds a delivery under way
// leaves its events to it, queued behind the earlier ones. So the callback
// is never called concurrently, sees events in the order they were decided
// (in order per schedule, across concurrent writers), and runs without the
// lock: it may call Status, Apply or Reconcile, whose events are delivered
// after it returns, by the same loop. A writer's events have been
// delivered when it returns unless another delivery was under way; once
// every call has returned, every event has been delivered. (A panic in the
// callback reaches the writer; the next call delivers the events queued
// after the one that panicked.) While the callback runs, events queue
// behind it, so it should only hand them on (the service enqueues them for
// publishing).
//
//	s := scheduler.New(scheduler.Options{OnTransition: publish})
//	s.Apply(cfg, version, writtenAt)
//	go s.Run(ctx)
//	cur, ok := s.Status("Support") // cur.At, cur.Status, cur.Next, cur.Opening
package scheduler
