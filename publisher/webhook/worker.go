package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// consumerPrefix starts the durable consumer name of every endpoint.
const consumerPrefix = "schedmgr_webhook_"

// ConsumerName is the durable consumer delivering to endpoint id.
func ConsumerName(id string) string { return consumerPrefix + id }

// stored is what delivery needs of a stored CloudEvent.
type stored struct {
	ID       string
	Schedule string
	Type     string // TypeOpened or TypeClosed
}

// parseEvent reads the id, subject (schedule) and kind of a stored event.
// The kind is the subject's last token, or else the suffix of the
// CloudEvents type.
func parseEvent(subject string, data []byte) (stored, error) {
	var ce struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(data, &ce); err != nil {
		return stored{}, fmt.Errorf("not a JSON CloudEvent: %w", err)
	}
	if ce.ID == "" {
		return stored{}, errors.New("the CloudEvent has no id")
	}
	typ := event.KindOf(subject)
	if typ == "" {
		typ = ce.Type[strings.LastIndexByte(ce.Type, '.')+1:]
	}
	return stored{ID: ce.ID, Schedule: ce.Subject, Type: typ}, nil
}

// worker delivers the events of one endpoint from its durable consumer.
// Several replicas run a worker for the same endpoint; the consumer hands
// each event to one of them, and MaxAckPending 1 keeps one event in flight
// so deliveries stay in stream order (and so in order per schedule).
//
// It pulls one message per request (Consumer.Next) rather than through
// Consumer.Messages: with a one-message buffer the latter can miss its
// refill and sit until the pull request expires.
type worker struct {
	d   *Dispatcher
	ep  Endpoint
	key []byte

	stopping chan struct{}      // closed by stop: take no new event
	pullCtx  context.Context    // cancelled with ctx (abort), not by a graceful stop
	stopPull context.CancelFunc // cancels pullCtx
	ctx      context.Context    // cancelled to abort an attempt in flight
	abort    context.CancelFunc // cancels ctx
	done     chan struct{}      // closed when run returns
	stopOnce sync.Once
}

// pullWait bounds one pull request: how long an idle worker waits before
// asking again, and how long a graceful stop waits for a pull to end. Stop
// lets a pending pull finish rather than cancelling it: a cancelled pull can
// leave a message assigned to it that nobody receives, which would then hold
// the endpoint (MaxAckPending 1) until AckWait.
const pullWait = time.Second

func newWorker(d *Dispatcher, ep Endpoint) (*worker, error) {
	key, err := event.ParseSecret(ep.Secret)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", ep.ID, err)
	}
	w := &worker{d: d, ep: ep, key: key, stopping: make(chan struct{}), done: make(chan struct{})}
	w.ctx, w.abort = context.WithCancel(context.Background())
	w.pullCtx, w.stopPull = context.WithCancel(w.ctx)
	return w, nil
}

// stop asks the worker to finish: it takes no new event and lets the
// attempt in flight finish. Call w.abort to cut that attempt short.
func (w *worker) stop() {
	w.stopOnce.Do(func() {
		close(w.stopping)
	})
}

func (w *worker) stopped() bool {
	select {
	case <-w.stopping:
		return true
	default:
		return false
	}
}

// sleep waits d or until stop; it reports whether to go on.
func (w *worker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.stopping:
		return false
	case <-t.C:
		return true
	}
}

// run binds the consumer and handles its messages until stop. Failures
// (stream missing, NATS down, consumer deleted) are retried with a growing
// pause.
func (w *worker) run() {
	defer close(w.done)
	defer w.abort()
	log := w.d.log.With("endpoint", w.ep.ID)
	const firstPause = 250 * time.Millisecond
	pause := firstPause
	var lastErr string
	fail := func(err error) bool {
		if msg := err.Error(); msg != lastErr {
			log.Warn("webhook: cannot consume events; retrying", "err", err)
			lastErr = msg
		}
		ok := w.sleep(pause)
		pause = min(2*pause, 30*time.Second)
		return ok
	}
	var cons jetstream.Consumer
	for !w.stopped() {
		if cons == nil {
			ctx, cancel := context.WithTimeout(w.pullCtx, 10*time.Second)
			c, err := w.d.ensureConsumer(ctx, w.ep)
			cancel()
			if errors.Is(err, ErrNotFound) {
				return // the endpoint was deleted; the registry watch retires us
			}
			if err != nil {
				if w.stopped() || !fail(err) {
					return
				}
				continue
			}
			cons = c
		}
		ctx, cancel := context.WithTimeout(w.pullCtx, pullWait)
		msg, err := cons.Next(jetstream.FetchContext(ctx))
		cancel()
		if err != nil {
			if w.stopped() {
				return
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				continue // idle
			}
			cons = nil // re-bind: the consumer may be gone
			if !fail(fmt.Errorf("pull from consumer %s: %w", ConsumerName(w.ep.ID), err)) {
				return
			}
			continue
		}
		if lastErr != "" {
			log.Info("webhook: consuming events again")
			lastErr, pause = "", firstPause
		}
		if w.stopped() {
			_ = msg.Nak() // hand it to another replica now
			return
		}
		w.handle(msg)
	}
}

// handle makes one delivery attempt of msg and settles it: Ack on success,
// NakWithDelay(backoff) on a retryable failure, and on a permanent failure
// or the last attempt a dead letter, then Term.
func (w *worker) handle(msg jetstream.Msg) {
	d, id := w.d, w.ep.ID
	meta, err := msg.Metadata()
	if err != nil {
		d.log.Error("webhook: message without JetStream metadata", "endpoint", id, "err", err)
		_ = msg.Term()
		return
	}
	attempt := int(meta.NumDelivered)
	ev, err := parseEvent(msg.Subject(), msg.Data())
	if err != nil {
		w.deadLetter(msg, meta, "seq-"+strconv.FormatUint(meta.Sequence.Stream, 10), ReasonMalformed, 0, result{Err: err})
		return
	}
	if !w.ep.matches(ev.Schedule, ev.Type) {
		_ = msg.Ack()
		return
	}
	res := d.sender.send(w.ctx, w.ep.URL, w.key, ev.ID, msg.Data())
	if !res.ok() && w.ctx.Err() != nil { // cut short by shutdown: not the receiver's fault
		_ = msg.Nak()
		return
	}
	d.metrics.observe(id, res)
	log := d.log.With("endpoint", id, "event", ev.ID, "schedule", ev.Schedule, "attempt", attempt)
	switch {
	case res.ok():
		d.metrics.deliveries.WithLabelValues(id, OutcomeOK).Inc()
		// Confirm the ack even when shutdown began: the receiver has it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 5*time.Second)
		defer cancel()
		if err := msg.DoubleAck(ctx); err != nil {
			log.Warn("webhook: delivered but the ack was not confirmed; the event may be delivered again", "err", err)
		}
	case res.Retryable && attempt < d.opts.MaxDeliver:
		d.metrics.deliveries.WithLabelValues(id, OutcomeRetry).Inc()
		delay := backoff(d.opts.BackoffBase, d.opts.BackoffMax, attempt, res.RetryAfter)
		log.Info("webhook: delivery failed; will retry", "status", res.Status, "err", res.Err, "retryIn", delay)
		_ = msg.NakWithDelay(delay)
	case res.Retryable:
		d.metrics.deliveries.WithLabelValues(id, OutcomeDeadLetter).Inc()
		log.Warn("webhook: delivery failed on the last attempt; dead-lettered", "status", res.Status, "err", res.Err)
		w.deadLetter(msg, meta, ev.ID, ReasonExhausted, attempt, res)
	default:
		d.metrics.deliveries.WithLabelValues(id, OutcomeFailed).Inc()
		log.Warn("webhook: receiver rejected the event; dead-lettered", "status", res.Status, "err", res.Err)
		w.deadLetter(msg, meta, ev.ID, ReasonRejected, attempt, res)
	}
}

// deadLetter stores msg in the dead-letter stream and terminates it. If
// the store fails the message is retried later rather than lost.
func (w *worker) deadLetter(msg jetstream.Msg, meta *jetstream.MsgMetadata, eventID, reason string, attempts int, last result) {
	d := w.d
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	if err := d.dead.put(ctx, w.ep.ID, msg, meta, eventID, reason, attempts, last); err != nil {
		if w.ctx.Err() != nil {
			_ = msg.Nak() // shutting down: another replica takes it over
			return
		}
		d.log.Error("webhook: cannot store a dead letter; the event stays queued", "endpoint", w.ep.ID, "event", eventID, "err", err)
		_ = msg.NakWithDelay(d.opts.BackoffMax)
		return
	}
	d.metrics.deadLetters.WithLabelValues(w.ep.ID, reason).Inc()
	_ = msg.TermWithReason("dead-lettered: " + reason)
}
