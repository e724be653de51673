package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/event"
)

// Publisher defaults.
const (
	DefaultQueueSize  = 65536
	DefaultWindow     = 4096
	DefaultAckTimeout = 5 * time.Second
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// ErrQueueFull is returned by Publish (and counted as dropped by Enqueue)
// when QueueSize events are already waiting.
var ErrQueueFull = errors.New("event queue full")

// ErrClosed is returned for events given after Close, or still queued when
// Close gave up.
var ErrClosed = errors.New("publisher closed")

// Options configure a Publisher. Zero values take the defaults.
type Options struct {
	// Stream is the stream the events must land in (default
	// DefaultStreamName); a publish that no such stream takes fails.
	Stream string
	// QueueSize bounds the events waiting to be published (default
	// DefaultQueueSize). Enqueue never blocks: beyond it an event is
	// dropped, counted and logged.
	QueueSize int
	// Window is the most asynchronous publishes awaiting their
	// acknowledgement (default DefaultWindow).
	Window int
	// AckTimeout bounds the wait for one acknowledgement (default
	// DefaultAckTimeout); a timed out publish is retried.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between retries of failed
	// publishes, doubling from one to the other.
	MinBackoff, MaxBackoff time.Duration
	// LateAfter: an event whose transition is older than this when it is
	// published (a replica that was cut off, a long outage) may be past the
	// de-duplication window, so it is first compared with the latest
	// stored event of its schedule (see superseded in batch.go), as are
	// all events caused by config writes and reconcile repairs. Default
	// DefaultDuplicates/2; negative disables the check for late events.
	LateAfter time.Duration
	// Registerer receives the metrics (nil: not registered).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock of the lag metric and of LateAfter (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Stream == "" {
		o.Stream = DefaultStreamName
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.LateAfter == 0 {
		o.LateAfter = DefaultDuplicates / 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Publisher stores events in the JetStream event stream, each with its id
// as Nats-Msg-Id, so that replicas publishing the same transition store it
// once. Events are queued without blocking (Enqueue, safe to call under
// the scheduler's lock) and published by one goroutine in batches of
// asynchronous publishes; failed publishes are retried with backoff until
// stored or Close gives up. Events of one schedule are stored in the order
// they were queued: a batch holds at most one event per schedule and the
// next batch starts when the previous one is stored.
type Publisher struct {
	opts    Options
	js      jetstream.JetStream
	log     *slog.Logger
	metrics *metrics

	mu      sync.Mutex
	queue   itemQueue
	busy    bool // a batch is being published
	flying  int  // events in that batch
	closing bool
	notify  chan struct{} // cap 1: the queue changed
	idle    chan struct{} // cap 1: queue empty and no batch in flight

	abort   chan struct{} // closed when Close gives up
	done    chan struct{} // closed when the loop returns
	closed  sync.Once
	stream  atomic.Pointer[jetstream.Stream]
	dropLog atomic.Int64 // unix nanos of the last drop log line
	drops   atomic.Uint64
}

// item is a queued event; done (optional) receives the outcome.
type item struct {
	ev   event.Event
	done chan error
}

// New returns a running Publisher on nc; call Close to flush and stop it.
// It uses its own JetStream context so that its window and timeouts do not
// affect other users of the connection.
func New(nc *nats.Conn, opts Options) (*Publisher, error) {
	o := opts.withDefaults()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(o.Window), jetstream.WithPublishAsyncTimeout(o.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	p := &Publisher{opts: o, js: js, log: o.Logger, metrics: m, notify: make(chan struct{}, 1),
		idle: make(chan struct{}, 1), abort: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// Enqueue queues ev for publishing and returns at once. It reports false
// when the event was dropped (queue full or closed); drops are counted in
// schedmgr_events_published_total{outcome="dropped"} and logged.
func (p *Publisher) Enqueue(ev event.Event) bool {
	return p.push(item{ev: ev}) == nil
}

// Publish queues ev behind the events already queued and waits until it is
// stored (or found to be a duplicate), ctx ends, or the publisher closes.
// When ctx ends first the event stays queued.
func (p *Publisher) Publish(ctx context.Context, ev event.Event) error {
	it := item{ev: ev, done: make(chan error, 1)}
	if err := p.push(it); err != nil {
		return err
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("publish event %s: %w", ev.ID, ctx.Err())
	}
}

func (p *Publisher) push(it item) error {
	p.mu.Lock()
	var err error
	switch {
	case p.closing:
		err = ErrClosed
	case p.queue.len() >= p.opts.QueueSize:
		err = ErrQueueFull
	default:
		p.queue.push(it)
		p.metrics.queued.Set(float64(p.queue.len() + p.flying))
	}
	p.mu.Unlock()
	if err != nil {
		p.dropped(it.ev, err)
		return err
	}
	signal(p.notify)
	return nil
}

// dropped counts and logs a lost event (rate-limited to a line a second,
// with the running total).
func (p *Publisher) dropped(ev event.Event, reason error) {
	p.metrics.published.WithLabelValues(OutcomeDropped).Inc()
	total := p.drops.Add(1)
	now := time.Now().UnixNano()
	last := p.dropLog.Load()
	if now-last >= int64(time.Second) && p.dropLog.CompareAndSwap(last, now) {
		p.log.Error("transition event dropped; other replicas may still store it", "event", ev.ID,
			"schedule", ev.Data.Schedule, "at", ev.Time, "reason", reason, "dropped_total", total)
	}
}

// Flush waits until every event queued before it is stored (or dropped),
// or ctx ends.
func (p *Publisher) Flush(ctx context.Context) error {
	for {
		p.mu.Lock()
		empty := p.queue.len() == 0 && !p.busy
		p.mu.Unlock()
		if empty {
			return nil
		}
		select {
		case <-p.idle:
		case <-p.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("flush events: %w", ctx.Err())
		}
	}
}

// Close stops accepting events, publishes what is queued and returns when
// done; when ctx ends first, the rest is dropped (counted, logged) and
// ctx's error returned.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	signal(p.notify)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.closed.Do(func() { close(p.abort) })
		<-p.done
		return fmt.Errorf("close event publisher: %w", ctx.Err())
	}
}

// Drops returns how many events were dropped since New.
func (p *Publisher) Drops() uint64 { return p.drops.Load() }

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// loop publishes batches until closed and empty (or aborted).
func (p *Publisher) loop() {
	defer close(p.done)
	for {
		batch, ok := p.take()
		if !ok {
			return
		}
		p.publishBatch(batch)
		p.mu.Lock()
		p.busy, p.flying = false, 0
		p.metrics.queued.Set(float64(p.queue.len()))
		empty := p.queue.len() == 0
		p.mu.Unlock()
		if empty {
			signal(p.idle)
		}
	}
}

// take waits for queued events and removes the next batch: in queue order,
// at most Window events, at most one per schedule. ok is false when the
// publisher is closing with nothing left, or aborted.
func (p *Publisher) take() (batch []item, ok bool) {
	for {
		p.mu.Lock()
		if p.queue.len() > 0 {
			seen := make(map[string]struct{}, min(p.queue.len(), p.opts.Window))
			n := 0
			for n < p.queue.len() && n < p.opts.Window {
				s := p.queue.at(n).ev.Data.Schedule
				if _, dup := seen[s]; dup {
					break
				}
				seen[s] = struct{}{}
				n++
			}
			batch = p.queue.take(n)
			p.busy, p.flying = true, n
			p.metrics.queued.Set(float64(p.queue.len() + n))
			p.mu.Unlock()
			return batch, true
		}
		closing := p.closing
		p.mu.Unlock()
		if closing {
			return nil, false
		}
		select {
		case <-p.notify:
		case <-p.abort:
			return nil, false
		}
	}
}
