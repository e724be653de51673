package webhook

import (
	"container/heap"
	"time"
)

// circuitThreshold is how many attempts in a row, for at least two
// schedules, must fail for the endpoint to count as failing as a whole.
const circuitThreshold = 5

// failed counts a retryable failure for the circuit.
func (s *session) failed(schedule string, res result, probe bool, now time.Time) {
	s.consecutive++
	s.failedIn[schedule] = true
	switch {
	case s.open && probe:
		s.probeDelay = min(2*s.probeDelay, s.o.ProbeMax)
		s.probeAt = now.Add(s.probeDelay)
	case !s.open && s.consecutive >= circuitThreshold && len(s.failedIn) >= 2:
		s.open = true
		s.probeDelay = min(time.Second, s.o.ProbeMax)
		s.probeAt = now.Add(s.probeDelay)
		s.log.Warn("webhook: the endpoint fails for several schedules; probing it until it answers",
			"status", res.Status, "err", res.Err)
		f := &Failing{Since: now.UTC(), LastStatus: res.Status}
		if res.Err != nil {
			f.LastError = shortReason(res.Err.Error())
		}
		s.w.reportFailing(f)
	}
}

// answered notes that the receiver answered (2xx or a rejection). If the
// circuit was open, every waiting head is retried now: the backlog flows
// as soon as the receiver is back, not after each event's retry pause.
func (s *session) answered(now time.Time) {
	s.consecutive = 0
	clear(s.failedIn)
	if !s.open {
		if s.d.stateOf(s.w.ep).Failing != nil {
			s.w.reportFailing(nil) // marked by an earlier session or replica
		}
		return
	}
	s.open, s.probing = false, false
	n := 0
	for s.waiting.Len() > 0 {
		if it := heap.Pop(&s.waiting).(*item); isHead(it) {
			s.makeReady(it.lane)
			n++
		}
	}
	s.log.Info("webhook: the endpoint answers again; retrying its waiting events now", "waiting", n)
	s.w.reportFailing(nil)
}

// waitQueue is a min-heap of items by dueAt.
type waitQueue []*item

func (q waitQueue) Len() int           { return len(q) }
func (q waitQueue) Less(i, j int) bool { return q[i].dueAt.Before(q[j].dueAt) }
func (q waitQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIdx, q[j].heapIdx = i, j
}
func (q *waitQueue) Push(x any) {
	it := x.(*item)
	it.heapIdx = len(*q)
	*q = append(*q, it)
}
func (q *waitQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	it.heapIdx = -1
	return it
}
func (q waitQueue) peek() *item { return q[0] }
