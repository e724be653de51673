package scheduler

// deliver passes the queued events to OnTransition, in queue order, with mu
// released during each call. One goroutine delivers at a time: a caller
// that finds another one delivering leaves its events to it (they are
// queued behind the ones being delivered), which keeps the order across
// callers and lets OnTransition call back into the Scheduler: events such
// a nested call queues are delivered by the outer loop once the current
// call returns.
func (s *Scheduler) deliver() {
	s.lock()
	if s.delivering {
		s.unlock()
		return
	}
	s.delivering = true
	for len(s.pending) > 0 {
		batch := s.pending
		s.pending = nil
		s.unlock()
		s.deliverBatch(batch)
		clear(batch) // keep no config alive through the spare
		s.lock()
		// The next events are queued into this batch's memory: 100,000
		// events at 08:00 then allocate once, not under the lock per
		// chunk (an allocation under the lock may wait for the GC).
		if cap(batch) <= 4*dueChunk && cap(batch) > cap(s.spare) {
			s.spare = batch[:0]
		}
	}
	s.delivering = false
	s.unlock()
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
		s.lock()
		s.pending = append(batch[done+1:len(batch):len(batch)], s.pending...)
		s.delivering = false
		s.unlock()
	}()
	for _, ev := range batch {
		s.metrics.transition(ev)
		s.opts.OnTransition(ev)
		done++
	}
}
