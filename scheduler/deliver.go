package scheduler

// deliver passes the queued events to OnTransition, in queue order, with mu
// released during each call. One goroutine delivers at a time: a caller
// that finds another one delivering leaves its events to it (they are
// queued behind the ones being delivered), which keeps the order across
// callers and lets OnTransition call back into the Scheduler: events such
// a nested call queues are delivered by the outer loop once the current
// call returns.
func (s *Scheduler) deliver() {
	s.mu.Lock()
	if s.delivering {
		s.mu.Unlock()
		return
	}
	s.delivering = true
	for len(s.pending) > 0 {
		batch := s.pending
		s.pending = nil
		s.mu.Unlock()
		s.deliverBatch(batch)
		s.mu.Lock()
	}
	s.delivering = false
	s.mu.Unlock()
}

// deliverBatch calls OnTransition for each event of batch. If a call
// panics, the events after it go back to the front of the queue and the
// role of deliverer is released, so the next caller delivers them.
func (s *Scheduler) deliverBatch(batch []Event) {
	done := 0
	defer func() {
		if done == len(batch) {
			return
		}
		s.mu.Lock()
		s.pending = append(batch[done+1:len(batch):len(batch)], s.pending...)
		s.delivering = false
		s.mu.Unlock()
	}()
	for _, ev := range batch {
		s.metrics.transition(ev)
		s.opts.OnTransition(ev)
		done++
	}
}
