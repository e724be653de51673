package webhook

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// malformedLane queues the messages that are not CloudEvents, which are
// dead-lettered in stream order.
const malformedLane = "\x00malformed"

// item is one event a session holds: received from the consumer and not
// yet acknowledged, dead-lettered or handed back.
type item struct {
	msg    jetstream.Msg
	seq    uint64 // in the delivery stream
	origin uint64 // in the events stream
	ev     stored
	lane   *lane

	attempts   int
	retries    int       // scheduled retries so far: the backoff step
	firstFail  time.Time // of the first failed attempt
	dueAt      time.Time // of the next scheduled attempt, after a failure
	last       result
	deadReason string // set when it is to be dead-lettered
	heapIdx    int    // in session.waiting, -1 when not there
}

// lane is the queue of one schedule's events in stream order. Only its
// head is ever attempted, so a schedule's events arrive in order, and a
// failing head holds back its own schedule only.
type lane struct {
	key   string
	items []*item
	busy  bool // the head is in flight (attempt or dead-letter store)
	ready bool // queued in session.ready
}

type outcomeKind int

const (
	outAttempt          outcomeKind = iota // an HTTP attempt ended
	outDeadLettered                        // stored as a dead letter and terminated
	outDeadLetterFailed                    // the dead-letter store failed
)

// outcome is what an attempt or dead-letter goroutine reports.
type outcome struct {
	kind    outcomeKind
	it      *item
	res     result
	probe   bool // the attempt probed a failing endpoint
	aborted bool // cut short by shutdown or a lost pin
	err     error
}

// fetched is a message, a pull failure, or the news that a pull ended
// with fewer messages than asked (caughtUp) from the fetcher.
type fetched struct {
	msg      jetstream.Msg
	err      error
	caughtUp bool
}

// session delivers from one binding of the consumer. One goroutine (run)
// owns the lanes, the retry queue and the circuit; attempts run in
// goroutines of their own and report on results; a fetcher pulls.
type session struct {
	w    *worker
	d    *Dispatcher
	o    *Options
	t    timings
	cons jetstream.Consumer
	log  *slog.Logger

	incoming  chan fetched
	results   chan outcome
	held      atomic.Int64 // messages received and not yet settled
	draining  atomic.Bool  // the fetcher pulls one at a time, to keep the pin
	fetchStop chan struct{}
	fetchDone chan struct{}

	lanes    map[string]*lane
	bySeq    map[uint64]*item
	ready    []*lane
	waiting  waitQueue // heads waiting for their next attempt
	inflight int

	attemptCtx    context.Context
	cancelAttempt context.CancelFunc

	// The circuit: open while the endpoint fails as a whole; then one
	// probe at a time, at most ProbeMax apart, until it answers.
	open        bool
	consecutive int
	failedIn    map[string]bool
	probeAt     time.Time
	probeDelay  time.Duration
	probing     bool

	paused bool   // after a 410 Gone: no new attempt until retired
	pinID  string // this replica's pin, from the messages received
	// warm is false from taking the pin until every event due again has
	// arrived: the server sends those first, but not in stream order, so
	// nothing is attempted before they are all queued in their lanes.
	warm bool
}

func newSession(w *worker, c jetstream.Consumer) *session {
	s := &session{w: w, d: w.d, o: &w.d.opts, t: w.d.timings, cons: c, log: w.log,
		incoming: make(chan fetched), results: make(chan outcome, w.d.opts.Concurrency+1),
		fetchStop: make(chan struct{}), fetchDone: make(chan struct{}),
		lanes: map[string]*lane{}, bySeq: map[uint64]*item{}, failedIn: map[string]bool{}}
	s.attemptCtx, s.cancelAttempt = context.WithCancel(w.ctx)
	return s
}

// run delivers until the worker stops (nil) or the consumer fails (the
// error: the worker binds again). Either way it first hands back every
// event it holds.
func (s *session) run() error {
	go s.fetch()
	defer s.cancelAttempt()
	hb := time.NewTicker(s.t.heartbeat)
	defer hb.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var err error
loop:
	for {
		now := time.Now()
		s.dispatch(now)
		s.arm(timer, now)
		select {
		case f := <-s.incoming:
			if f.caughtUp {
				s.warm = true
				continue
			}
			if f.err == nil {
				s.add(f.msg)
				continue
			}
			if errors.Is(f.err, jetstream.ErrPinIDMismatch) {
				s.pinLost(hb)
				continue
			}
			err = f.err
			break loop
		case o := <-s.results:
			s.settle(o, time.Now())
		case <-timer.C:
		case <-hb.C:
			s.heartbeat()
		case <-s.w.stopping:
			break loop
		}
	}
	s.log.Debug("webhook: session ends", "err", err, "stopping", s.w.stopped())
	s.shutdown(hb)
	return err
}

// fetch pulls as many messages as the session has room for, each pull
// waiting at most fetchWait, and hands them to run. It keeps pulling
// (one at a time while draining) until fetchStop, so this replica keeps
// the pin while it holds events.
func (s *session) fetch() {
	defer close(s.fetchDone)
	for {
		select {
		case <-s.fetchStop:
			return
		default:
		}
		n := 1
		if !s.draining.Load() {
			n = max(s.o.MaxPending-int(s.held.Load()), 1)
		}
		batch, err := s.cons.Fetch(n, jetstream.FetchMaxWait(s.t.fetchWait), jetstream.FetchPriorityGroup(priorityGroup))
		if err == nil {
			k := 0
			for m := range batch.Messages() {
				s.held.Add(1)
				s.incoming <- fetched{msg: m}
				k++
			}
			err = batch.Error()
			if k < n && (err == nil || isTimeout(err)) {
				// Fewer than asked: when the pull ended the server had
				// nothing more to send, so no event is due again. (On a
				// standby, which holds nothing, this means nothing; a
				// pin taken later starts a new warm-up.)
				s.incoming <- fetched{caughtUp: true}
			}
		}
		if err == nil || isTimeout(err) {
			continue
		}
		s.incoming <- fetched{err: err}
		if !errors.Is(err, jetstream.ErrPinIDMismatch) {
			select {
			case <-s.fetchStop:
				return
			case <-time.After(s.t.fetchWait):
			}
		}
	}
}

func isTimeout(err error) bool {
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// add queues a received message in its schedule's lane.
func (s *session) add(m jetstream.Msg) {
	if pin := m.Headers().Get("Nats-Pin-Id"); pin != "" && pin != s.pinID {
		s.pinID, s.warm = pin, false // taken (again): events due again come first
	}
	meta, err := m.Metadata()
	if err != nil {
		s.log.Error("webhook: message without JetStream metadata", "err", err)
		_ = m.Term()
		s.held.Add(-1)
		return
	}
	if meta.NumDelivered == 1 {
		s.warm = true // a new event: the server sent every event due again before it
	}
	seq := meta.Sequence.Stream
	if it, ok := s.bySeq[seq]; ok {
		// Delivered again while held (NATS was unreachable longer than
		// the ack wait): keep the newer delivery.
		it.msg = m
		s.held.Add(-1)
		return
	}
	it := &item{msg: m, seq: seq, origin: seq, heapIdx: -1}
	if raw, err := originOf(m); err == nil {
		it.origin = raw
	}
	key := ""
	ev, err := parseEvent(m.Subject(), m.Data())
	switch {
	case err != nil:
		it.last = result{Err: err}
		it.deadReason = ReasonMalformed
		ev.ID = "seq-" + strconv.FormatUint(it.origin, 10)
		key = malformedLane
	case !s.w.ep.matches(ev.Schedule, ev.Type):
		_ = m.Ack()
		s.held.Add(-1)
		return
	default:
		key = ev.Schedule
	}
	it.ev = ev
	l := s.lanes[key]
	if l == nil {
		l = &lane{key: key}
		s.lanes[key] = l
	}
	i, _ := slices.BinarySearchFunc(l.items, seq, func(a *item, seq uint64) int { return compareSeq(a.seq, seq) })
	l.items = slices.Insert(l.items, i, it)
	it.lane = l
	s.bySeq[seq] = it
	if i == 0 && !l.busy {
		s.makeReady(l)
	}
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// originOf reads a delivered message's events-stream sequence.
func originOf(m jetstream.Msg) (uint64, error) {
	return originSeq(&jetstream.RawStreamMsg{Header: m.Headers()})
}

func (s *session) makeReady(l *lane) {
	if !l.ready {
		l.ready = true
		s.ready = append(s.ready, l)
	}
}

// isHead reports whether it is its lane's head and free to go.
func isHead(it *item) bool {
	l := it.lane
	return len(l.items) > 0 && l.items[0] == it && !l.busy
}

// dispatch starts attempts up to the concurrency: heads whose retry is
// due, then heads of lanes that became ready. While the circuit is open
// only one probe runs at a time, at probeAt; with nothing ready, the
// probe is the waiting head due first, attempted early.
func (s *session) dispatch(now time.Time) {
	if s.paused || !s.warm {
		return
	}
	for s.waiting.Len() > 0 && !s.waiting.peek().dueAt.After(now) {
		if it := heap.Pop(&s.waiting).(*item); isHead(it) {
			s.makeReady(it.lane)
		}
	}
	for s.inflight < s.o.Concurrency && len(s.ready) > 0 {
		probe := s.open
		if probe && (s.probing || now.Before(s.probeAt)) {
			return
		}
		l := s.ready[0]
		s.ready = s.ready[1:]
		l.ready = false
		if l.busy || len(l.items) == 0 {
			continue
		}
		s.start(l.items[0], probe)
	}
	if s.open && !s.probing && !now.Before(s.probeAt) && s.inflight < s.o.Concurrency {
		for s.waiting.Len() > 0 {
			if it := heap.Pop(&s.waiting).(*item); isHead(it) {
				s.start(it, true)
				return
			}
		}
	}
}

// start attempts (or dead-letters) a lane's head.
func (s *session) start(it *item, probe bool) {
	it.lane.busy = true
	s.inflight++
	if probe {
		s.probing = true
	}
	if it.deadReason != "" {
		go s.deadLetter(s.attemptCtx, it, it.msg)
		return
	}
	it.attempts++
	go s.attempt(s.attemptCtx, it, it.msg, probe)
}

// attempt POSTs one event and acknowledges it on success. It runs in a
// goroutine of its own and touches no session state.
func (s *session) attempt(ctx context.Context, it *item, msg jetstream.Msg, probe bool) {
	res := s.d.sender.send(ctx, s.w.ep.URL, s.w.key, it.ev.ID, msg.Data())
	o := outcome{kind: outAttempt, it: it, res: res, probe: probe}
	if !res.ok() && ctx.Err() != nil {
		o.aborted = true // not the receiver's fault
	} else if res.ok() {
		// Confirm the ack even when shutdown began: the receiver has it.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := msg.DoubleAck(actx); err != nil {
			s.log.Warn("webhook: delivered but the ack was not confirmed; the event may be delivered again", "event", it.ev.ID, "err", err)
		}
		cancel()
	}
	s.results <- o
}

// deadLetter stores a head in the dead-letter stream and terminates it.
func (s *session) deadLetter(ctx context.Context, it *item, msg jetstream.Msg) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.d.dead.put(ctx, s.w.ep.ID, msg, it.origin, it.ev.ID, it.deadReason, it.attempts, it.last)
	if err != nil {
		s.results <- outcome{kind: outDeadLetterFailed, it: it, err: err}
		return
	}
	_ = msg.TermWithReason("dead-lettered: " + it.deadReason)
	s.results <- outcome{kind: outDeadLettered, it: it}
}

// settle applies what an attempt or a dead-letter store reported.
func (s *session) settle(o outcome, now time.Time) {
	it, l, id := o.it, o.it.lane, s.w.ep.ID
	s.inflight--
	if o.probe {
		s.probing = false
	}
	l.busy = false
	switch o.kind {
	case outDeadLettered:
		s.d.metrics.deadLetters.WithLabelValues(id, it.deadReason).Inc()
		s.d.metrics.deliveries.WithLabelValues(id, OutcomeDeadLettered).Inc()
		s.log.Warn("webhook: event dead-lettered", "event", it.ev.ID, "schedule", it.ev.Schedule, "reason", it.deadReason,
			"attempts", it.attempts, "status", it.last.Status, "err", it.last.Err)
		s.remove(it)
		s.advance(l, now)
		return
	case outDeadLetterFailed:
		s.log.Error("webhook: cannot store a dead letter; the event stays queued", "event", it.ev.ID, "err", o.err)
		it.dueAt = now.Add(min(s.o.BackoffMax, time.Minute))
		heap.Push(&s.waiting, it)
		return
	}
	if o.aborted {
		it.attempts--
		return // shutting down or handing over: everything held goes back
	}
	res := o.res
	s.d.metrics.observe(id, res)
	log := s.log.With("event", it.ev.ID, "schedule", it.ev.Schedule, "attempt", it.attempts)
	it.last = res
	switch {
	case res.ok():
		s.d.metrics.deliveries.WithLabelValues(id, OutcomeDelivered).Inc()
		s.remove(it)
		s.advance(l, now)
		s.answered(now)
	case res.Gone:
		log.Warn("webhook: the receiver answered 410 Gone; disabling the endpoint (enable it again through the API)", "detail", res.Detail)
		s.paused = true
		go s.d.disableGone(s.w, res.Status, now)
	case !res.Retryable:
		log.Warn("webhook: the receiver rejected the event; dead-lettering it", "status", res.Status, "err", res.Err, "detail", res.Detail)
		s.answered(now)
		it.deadReason = ReasonRejected
		s.start(it, false)
	default:
		s.failed(l.key, res, o.probe, now)
		if it.firstFail.IsZero() {
			it.firstFail = now
		}
		deadline := it.firstFail.Add(s.o.RetryFor)
		if !now.Before(deadline) || (s.o.MaxDeliver > 0 && it.attempts >= s.o.MaxDeliver) {
			log.Warn("webhook: delivery failed on the last attempt; dead-lettering the event", "status", res.Status, "err", res.Err, "detail", res.Detail)
			it.deadReason = ReasonExhausted
			s.start(it, false)
			return
		}
		// An early attempt (a probe, or a retry after the endpoint
		// recovered) keeps the scheduled one if it is still ahead.
		if !it.dueAt.After(now) {
			it.retries++
			it.dueAt = now.Add(backoff(s.o.BackoffBase, s.o.BackoffMax, it.retries, res.RetryAfter))
			if it.dueAt.After(deadline) {
				it.dueAt = deadline
			}
		}
		log.Info("webhook: delivery failed; will retry", "status", res.Status, "err", res.Err, "detail", res.Detail,
			"retryIn", it.dueAt.Sub(now))
		heap.Push(&s.waiting, it)
	}
}

// remove drops a settled item from its lane: the head, unless an older
// event of its schedule arrived while it was in flight.
func (s *session) remove(it *item) {
	l := it.lane
	if i := slices.Index(l.items, it); i >= 0 {
		l.items = slices.Delete(l.items, i, i+1)
	}
	delete(s.bySeq, it.seq)
	s.held.Add(-1)
}

// advance queues a lane's next head: ready now, or waiting for its retry.
func (s *session) advance(l *lane, now time.Time) {
	if len(l.items) == 0 {
		if s.lanes[l.key] == l {
			delete(s.lanes, l.key)
		}
		return
	}
	if l.busy {
		return
	}
	if h := l.items[0]; h.dueAt.After(now) {
		if h.heapIdx < 0 {
			heap.Push(&s.waiting, h)
		}
		return
	}
	s.makeReady(l)
}

// arm sets timer to the next retry or probe.
func (s *session) arm(timer *time.Timer, now time.Time) {
	next := now.Add(time.Hour)
	if s.waiting.Len() > 0 {
		next = s.waiting.peek().dueAt
	}
	if s.open && !s.probing && s.probeAt.Before(next) {
		next = s.probeAt
	}
	if !timer.Stop() {
		select {
		case <-timer.C:
		default:
		}
	}
	timer.Reset(max(next.Sub(now), time.Millisecond))
}
