// Package scheduler keeps the status of every schedule in memory and fires
// transitions on time.
//
// For each schedule it precomputes the engine's timeline over a horizon;
// a cached read is a binary search in that immutable timeline, so it is
// correct at any instant even if a timer fires late. One goroutine owns a
// min-heap of next boundaries with a single timer, announces each change of
// state once (late after a suspend, never lost), extends horizons, and
// rebuilds only the schedules a config change touched.
//
//	s := scheduler.New(scheduler.Options{OnTransition: publish})
//	s.Apply(cfg, version)
//	go s.Run(ctx)
//	cur, ok := s.Status("Support")
package scheduler
