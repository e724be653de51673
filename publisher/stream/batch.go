package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// publishBatch publishes items (distinct schedules) until each is stored,
// retrying the failed ones with exponential backoff. When Close gives up it
// drops what is left, and everything still queued.
func (p *Publisher) publishBatch(items []item) {
	backoff := p.opts.MinBackoff
	pending := items
	for attempt := 1; ; attempt++ {
		failed, busy, lastErr := p.sendAll(pending)
		if len(failed)+len(busy) == 0 {
			return
		}
		wait := p.opts.MinBackoff
		if len(failed) > 0 {
			wait = backoff
			backoff = min(2*backoff, p.opts.MaxBackoff)
			p.log.Warn("publishing transition events failed; retrying", "events", len(failed), "attempt", attempt,
				"backoff", wait, "err", lastErr)
		}
		select {
		case <-time.After(wait):
		case <-p.abort:
			p.dropAll(append(failed, busy...))
			p.mu.Lock()
			rest := p.queue.drain()
			p.mu.Unlock()
			p.dropAll(rest)
			return
		}
		pending = append(failed, busy...)
	}
}

func (p *Publisher) dropAll(items []item) {
	for _, it := range items {
		p.dropped(it.ev, ErrClosed)
		finish(it, fmt.Errorf("event %s: %w", it.ev.ID, ErrClosed))
	}
}

func finish(it item, err error) {
	if it.done != nil {
		it.done <- err
	}
}

// inflight is one asynchronous publish awaiting its acknowledgement.
type inflight struct {
	it  item
	fut jetstream.PubAckFuture
}

// sendAll publishes items asynchronously (at most Window outstanding, the
// JetStream context stalls beyond) and waits for every acknowledgement. It
// returns the items that failed with the last error, and apart those
// another replica is storing right now (a clustered stream answers
// "duplicate message id is in process"): a retry will find them stored.
func (p *Publisher) sendAll(items []item) (failed, busy []item, lastErr error) {
	flights := make([]inflight, 0, len(items))
	skip := p.supersededAll(items)
	for k, it := range items {
		if skip[k] {
			continue
		}
		msg, err := message(it.ev)
		if err != nil {
			// Cannot happen for a event.Event; do not retry forever.
			p.log.Error("encode transition event", "event", it.ev.ID, "err", err)
			p.dropped(it.ev, err)
			finish(it, err)
			continue
		}
		fut, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(it.ev.ID), jetstream.WithExpectStream(p.opts.Stream),
			jetstream.WithStallWait(p.opts.AckTimeout))
		if err != nil {
			p.metrics.published.WithLabelValues(OutcomeError).Inc()
			failed, lastErr = append(failed, it), fmt.Errorf("publish event %s: %w", it.ev.ID, err)
			continue
		}
		flights = append(flights, inflight{it: it, fut: fut})
	}
	if len(flights) > 1 {
		// Wait for the last acknowledgement once rather than park on each
		// future in turn: 100,000 wake-ups of this goroutine cost more CPU
		// than the wait (the loop below then finds each future settled).
		// Only this goroutine publishes on p.js asynchronously.
		<-p.js.PublishAsyncComplete()
	}
	for _, f := range flights {
		select {
		case ack := <-f.fut.Ok():
			p.acked(f.it, ack)
		case err := <-f.fut.Err():
			var apiErr *jetstream.APIError
			if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeDuplicateInProcess {
				busy = append(busy, f.it)
				continue
			}
			p.metrics.published.WithLabelValues(OutcomeError).Inc()
			failed, lastErr = append(failed, f.it), fmt.Errorf("publish event %s: %w", f.it.ev.ID, err)
		}
	}
	return failed, busy, lastErr
}

// errCodeDuplicateInProcess is the JetStream error code of a publish whose
// message id another publish is storing at the same moment
// (JSStreamDuplicateMessageConflict).
const errCodeDuplicateInProcess jetstream.ErrorCode = 10158

func (p *Publisher) acked(it item, ack *jetstream.PubAck) {
	if ack.Duplicate {
		p.metrics.published.WithLabelValues(OutcomeDuplicate).Inc()
	} else {
		p.metrics.published.WithLabelValues(OutcomeStored).Inc()
		p.metrics.lag.Observe(p.opts.Now().Sub(it.ev.Time).Seconds())
	}
	finish(it, nil)
}

// message encodes ev as a NATS message in CloudEvents structured mode.
func message(ev event.Event) (*nats.Msg, error) {
	data, ok := appendEvent(make([]byte, 0, 640), &ev)
	if !ok {
		var err error
		if data, err = json.Marshal(ev); err != nil {
			return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
		}
	}
	msg := nats.NewMsg(ev.NATSSubject())
	msg.Data = data
	msg.Header.Set("Content-Type", event.ContentType)
	return msg, nil
}

// lookupConcurrency bounds the latest-event lookups in flight at once.
const lookupConcurrency = 64

// supersededAll runs superseded for the items that need the check,
// lookupConcurrency at a time: 10,000 events caused by one config write
// must not wait for 10,000 round trips one after the other.
func (p *Publisher) supersededAll(items []item) []bool {
	skip := make([]bool, len(items))
	var check []int
	for k, it := range items {
		if p.needsCheck(it) {
			check = append(check, k)
		}
	}
	if len(check) == 0 {
		return skip
	}
	workers := min(lookupConcurrency, len(check))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(check) {
					return
				}
				k := check[i]
				skip[k] = p.superseded(items[k])
			}
		})
	}
	wg.Wait()
	return skip
}

// needsCheck reports whether an event is compared with the stored ones
// before it is published (see superseded): a late event, or one not caused
// by a timeline boundary (config writes, reconcile repairs). A boundary
// event is on time and the same on every replica, and checking would cost
// a lookup per event at 08:00.
func (p *Publisher) needsCheck(it item) bool {
	late := p.opts.LateAfter >= 0 && p.opts.Now().Sub(it.ev.Time) >= p.opts.LateAfter
	return late || it.ev.Data.Cause != scheduler.CauseSchedule
}

// superseded reports whether an event is already announced by what the
// stream holds for its schedule, in which case it is not published:
//
//   - the latest stored event of the schedule is this one (a duplicate
//     from past the de-duplication window), or is at or after its instant
//     (publishing it would put the schedule's events out of order);
//   - the latest stored event already announces the same state: a replica
//     that missed a config version (its watch skipped it after a NATS
//     failover) would announce the change at a later version's write time,
//     a different id for a transition the others stored already.
//
// The latest event is one lookup of the schedule's subjects (opened and
// closed) with a wildcard. A failed lookup publishes.
func (p *Publisher) superseded(it item) bool {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.AckTimeout)
	defer cancel()
	st, err := p.eventStream(ctx)
	if err != nil {
		return false
	}
	latest, err := st.GetLastMsgForSubject(ctx, event.ScheduleFilter(it.ev.Data.Schedule))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false
	}
	if err != nil {
		p.log.Warn("look up the latest event of a schedule", "event", it.ev.ID, "err", err)
		return false
	}
	var stored event.Event
	if json.Unmarshal(latest.Data, &stored) != nil {
		return false
	}
	var why string
	switch {
	case stored.ID == it.ev.ID:
	case !stored.Time.Before(it.ev.Time):
		why = "a later event of the schedule is stored"
	case stored.Data.IsOpen == it.ev.Data.IsOpen && stored.Data.ClosedReason == it.ev.Data.ClosedReason:
		why = "the stored latest event of the schedule announces the same state"
	default:
		return false
	}
	p.metrics.published.WithLabelValues(OutcomeDuplicate).Inc()
	if why != "" {
		p.log.Info("transition event not published: "+why, "event", it.ev.ID, "schedule", it.ev.Data.Schedule,
			"at", it.ev.Time, "cause", it.ev.Data.Cause, "stored", stored.ID, "stored_at", stored.Time)
	}
	finish(it, nil)
	return true
}

func (p *Publisher) eventStream(ctx context.Context) (jetstream.Stream, error) {
	if s := p.stream.Load(); s != nil {
		return *s, nil
	}
	s, err := p.js.Stream(ctx, p.opts.Stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", p.opts.Stream, err)
	}
	p.stream.Store(&s)
	return s, nil
}
