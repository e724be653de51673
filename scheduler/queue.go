package scheduler

import "container/heap"

// The heap of due entries, one timer for all. Items are values ordered by
// an int64 (no pointer chasing in comparisons: 100,000 entries are heaped
// in a few milliseconds), and deleted lazily: rescheduling or retiring an
// entry bumps its generation, which makes its old item stale, instead of
// finding the item. Stale items are dropped when they reach the top, and
// all at once when they outnumber the live ones. Every method is called
// under mu.

// dueItem says that entry e is due at (Unix nanoseconds), while e.gen is
// still gen.
type dueItem struct {
	at  int64
	gen uint32
	e   *entry
}

func (it dueItem) live() bool { return it.e.queued && it.e.gen == it.gen }

// dueHeap is a min-heap of items by at.
type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = dueItem{}
	*h = old[:len(old)-1]
	return it
}

// enqueue puts e in the heap at e.due, replacing its item if it had one.
func (s *Scheduler) enqueue(e *entry) {
	s.invalidate(e)
	e.gen++
	e.queued = true
	heap.Push(&s.queue, dueItem{at: e.due.UnixNano(), gen: e.gen, e: e})
	s.compact()
}

// merge adds the items of a heap of new entries: taken as the heap when
// it is empty (the first Apply of 100,000 schedules: heaped before the
// lock was taken), pushed one at a time when they are few, else appended
// and heaped again in linear time.
func (s *Scheduler) merge(items dueHeap) {
	switch {
	case len(s.queue) == 0 && s.stale == 0:
		s.queue = items
	case len(items) < len(s.queue)/8+16:
		for _, it := range items {
			heap.Push(&s.queue, it)
		}
	default:
		s.queue = append(s.queue, items...)
		heap.Init(&s.queue)
	}
	s.compact()
}

// dequeue takes e out of the heap (its item becomes stale).
func (s *Scheduler) dequeue(e *entry) { s.invalidate(e) }

func (s *Scheduler) invalidate(e *entry) {
	if e.queued {
		e.queued = false
		e.gen++
		s.stale++
	}
}

// peek returns the live entry due first, dropping stale items on the way.
func (s *Scheduler) peek() (*entry, bool) {
	for len(s.queue) > 0 {
		if it := s.queue[0]; it.live() {
			return it.e, true
		}
		heap.Pop(&s.queue)
		s.stale--
	}
	return nil, false
}

// pop removes the entry peek returned.
func (s *Scheduler) pop() {
	it := heap.Pop(&s.queue).(dueItem)
	it.e.queued = false
}

// compact drops every stale item once they outnumber the live ones.
func (s *Scheduler) compact() {
	if s.stale < 1024 || s.stale < len(s.queue)/2 {
		return
	}
	live := s.queue[:0]
	for _, it := range s.queue {
		if it.live() {
			live = append(live, it)
		}
	}
	clear(s.queue[len(live):])
	s.queue = live
	heap.Init(&s.queue)
	s.stale = 0
}
