package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Dispatcher delivers the events of the events stream to webhook
// endpoints: one durable pull consumer and one worker per endpoint, in
// every replica. It keeps API endpoints in a KV bucket and watches it, so
// an endpoint added on one replica is served by all.
type Dispatcher struct {
	opts    Options
	log     *slog.Logger
	js      jetstream.JetStream
	reg     *registry
	dead    *deadLetters
	sender  *sender
	metrics *metrics
	ackWait time.Duration

	mu      sync.Mutex
	static  map[string]Endpoint // from Options.Endpoints
	dynamic map[string]Endpoint // from the bucket
	workers map[string]*worker
	stopped bool

	cancel   context.CancelFunc // stops the bucket watch
	wg       sync.WaitGroup     // the watch loop and worker stoppers
	stopOnce sync.Once
}

// Start opens the bucket and the dead-letter stream, starts a worker per
// endpoint and returns once the stored endpoints are known. ctx bounds
// only the start; the Dispatcher runs until Stop.
func Start(ctx context.Context, js jetstream.JetStream, opts Options) (*Dispatcher, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	d := &Dispatcher{
		opts: o, log: o.Logger, js: js,
		sender:  newSender(o.Transport, o.AttemptTimeout, o.Now),
		ackWait: o.AttemptTimeout + 15*time.Second,
		static:  map[string]Endpoint{}, dynamic: map[string]Endpoint{}, workers: map[string]*worker{},
	}
	for _, e := range o.Endpoints {
		e.Source = SourceConfig
		e.Schedules, e.Types = slices.Clone(e.Schedules), slices.Clone(e.Types)
		d.static[e.ID] = e
	}
	var err error
	if d.metrics, err = newMetrics(o.Registerer, d); err != nil {
		return nil, fmt.Errorf("webhook metrics: %w", err)
	}
	if d.reg, err = openRegistry(ctx, js, o.Bucket, o.Replicas); err != nil {
		return nil, err
	}
	if d.dead, err = openDeadLetters(ctx, js, o); err != nil {
		return nil, err
	}
	// Create the configured endpoints' consumers now, before the scheduler
	// publishes: they deliver new events only, from their creation.
	for _, e := range d.static {
		if _, err := d.ensureConsumer(ctx, e); err != nil {
			d.log.Warn("webhook: consumer not created yet; its worker will retry", "endpoint", e.ID, "err", err)
		}
	}
	watchCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	w, err := d.watchFrom(ctx, watchCtx)
	if err != nil {
		cancel()
		return nil, err
	}
	d.wg.Add(1)
	go d.watch(watchCtx, w)
	return d, nil
}

// watchFrom starts a watch of the bucket, reads the current endpoints (up
// to the watcher's nil marker), makes them the dynamic set and reconciles.
// ctx bounds the initial read; watchCtx the watch.
func (d *Dispatcher) watchFrom(ctx, watchCtx context.Context) (jetstream.KeyWatcher, error) {
	w, err := d.reg.kv.WatchAll(watchCtx)
	if err != nil {
		return nil, fmt.Errorf("watch webhook bucket: %w", err)
	}
	current := map[string]Endpoint{}
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("read webhook bucket: %w", ctx.Err())
		case e, ok = <-w.Updates():
		}
		if !ok {
			return nil, errors.New("read webhook bucket: watcher closed")
		}
		if e == nil {
			break
		}
		d.apply(current, e)
	}
	d.mu.Lock()
	d.dynamic = current
	d.mu.Unlock()
	d.reconcile()
	return w, nil
}

// watch applies bucket changes until Stop. If the watcher ends for another
// reason it watches again, replacing the dynamic set only once the new
// watch has read it whole (a partial set would retire live endpoints).
func (d *Dispatcher) watch(ctx context.Context, w jetstream.KeyWatcher) {
	defer d.wg.Done()
	for {
		for e := range w.Updates() {
			if e == nil {
				continue
			}
			d.mu.Lock()
			d.apply(d.dynamic, e)
			d.mu.Unlock()
			d.reconcile()
		}
		_ = w.Stop()
		for w = nil; w == nil; {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			var err error
			if w, err = d.watchFrom(rctx, ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("webhook: cannot watch the endpoint bucket; retrying", "err", err)
			}
			cancel()
		}
	}
}

// apply records one bucket entry in set.
func (d *Dispatcher) apply(set map[string]Endpoint, e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		delete(set, e.Key())
		return
	}
	ep, err := decodeRecord(e.Value())
	if err == nil && ep.ID != e.Key() {
		err = fmt.Errorf("id %q differs from the key", ep.ID)
	}
	if err != nil {
		d.log.Error("webhook: ignoring an unreadable endpoint in the bucket", "key", e.Key(), "err", err)
		return
	}
	if _, shadowed := d.static[ep.ID]; shadowed {
		d.log.Warn("webhook: an API endpoint has the id of a configured one; using the configured one", "endpoint", ep.ID)
	}
	set[ep.ID] = ep
}

// desired is the set of endpoints to deliver to: settings first, then the
// bucket. Callers hold d.mu.
func (d *Dispatcher) desired() map[string]Endpoint {
	out := make(map[string]Endpoint, len(d.static)+len(d.dynamic))
	for id, e := range d.dynamic {
		out[id] = e
	}
	for id, e := range d.static {
		out[id] = e
	}
	return out
}

// reconcile starts, restarts and stops workers to match the endpoints.
func (d *Dispatcher) reconcile() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	want := d.desired()
	for id, w := range d.workers {
		if e, ok := want[id]; ok && e.same(w.ep) {
			continue
		}
		delete(d.workers, id)
		_, still := want[id]
		d.retire(w, w.ep.Source == SourceAPI && !still)
	}
	for id, e := range want {
		if _, ok := d.workers[id]; ok {
			continue
		}
		w, err := newWorker(d, e)
		if err != nil {
			d.log.Error("webhook: endpoint not started", "endpoint", id, "err", err)
			continue
		}
		d.workers[id] = w
		go w.run()
		d.log.Info("webhook: delivering to endpoint", "endpoint", e)
	}
}

// retire stops a worker in the background (its attempt in flight may take
// up to the attempt timeout). For a deleted API endpoint it then deletes
// the consumer, in case a worker re-created it while the endpoint was
// being deleted.
func (d *Dispatcher) retire(w *worker, deleted bool) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		w.stop()
		<-w.done
		if deleted {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.js.DeleteConsumer(ctx, d.opts.Stream, ConsumerName(w.ep.ID)); err != nil &&
				!errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
				d.log.Warn("webhook: delete consumer of a deleted endpoint", "endpoint", w.ep.ID, "err", err)
			}
			d.metrics.forget(w.ep.ID)
		}
	}()
}

// Stop stops every worker: no new event is taken, and attempts in flight
// finish until ctx ends, when they are cut short and their events handed
// back to the stream. Call it before closing the NATS connection.
func (d *Dispatcher) Stop(ctx context.Context) error {
	var err error
	d.stopOnce.Do(func() {
		d.cancel()
		d.mu.Lock()
		d.stopped = true
		workers := d.workers
		d.workers = map[string]*worker{}
		d.mu.Unlock()
		for _, w := range workers {
			w.stop()
		}
		for _, w := range workers {
			select {
			case <-w.done:
			case <-ctx.Done():
				w.abort()
				<-w.done
				err = fmt.Errorf("webhook: stop: %w", ctx.Err())
			}
		}
		d.wg.Wait()
	})
	return err
}

// Endpoints returns the endpoints delivered to, sorted by id. Secrets
// are included: do not serve them.
func (d *Dispatcher) Endpoints() []Endpoint {
	d.mu.Lock()
	want := d.desired()
	d.mu.Unlock()
	out := make([]Endpoint, 0, len(want))
	for _, e := range want {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// endpoint returns one endpoint, or ErrNotFound.
func (d *Dispatcher) endpoint(id string) (Endpoint, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.static[id]; ok {
		return e, nil
	}
	if e, ok := d.dynamic[id]; ok {
		return e, nil
	}
	return Endpoint{}, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// consumerConfig is the durable consumer of an endpoint: new events only
// (from its creation), explicit acks, one event in flight, an ack wait
// longer than an attempt, and no server-side max-deliver: the worker
// counts attempts and dead-letters the event itself, which the server's
// limit would instead drop with only an advisory.
func (d *Dispatcher) consumerConfig(e Endpoint) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(e.ID),
		Description:    "webhook deliveries to endpoint " + e.ID,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        d.ackWait,
		MaxDeliver:     -1,
		MaxAckPending:  1,
		FilterSubjects: e.filterSubjects(),
		Metadata:       map[string]string{"schedmgr_endpoint": e.ID, "schedmgr_source": e.Source},
	}
}

// ensureConsumer creates or updates the endpoint's consumer. An API
// endpoint's consumer is only re-created while the endpoint is stored, so
// a replica that has not yet seen a deletion cannot resurrect it.
func (d *Dispatcher) ensureConsumer(ctx context.Context, e Endpoint) (jetstream.Consumer, error) {
	if e.Source == SourceAPI {
		if _, err := d.js.Consumer(ctx, d.opts.Stream, ConsumerName(e.ID)); errors.Is(err, jetstream.ErrConsumerNotFound) {
			if _, err := d.reg.get(ctx, e.ID); err != nil {
				return nil, err
			}
		}
	}
	c, err := d.js.CreateOrUpdateConsumer(ctx, d.opts.Stream, d.consumerConfig(e))
	if err != nil {
		return nil, fmt.Errorf("consumer %s on stream %s: %w", ConsumerName(e.ID), d.opts.Stream, err)
	}
	return c, nil
}

// backlog is the number of events not yet settled for an endpoint.
func (d *Dispatcher) backlog(ctx context.Context, id string) (uint64, error) {
	c, err := d.js.Consumer(ctx, d.opts.Stream, ConsumerName(id))
	if err != nil {
		return 0, err
	}
	info := c.CachedInfo()
	return info.NumPending + uint64(info.NumAckPending), nil
}

// deadLetterCounts returns the stored dead letters per endpoint.
func (d *Dispatcher) deadLetterCounts(ctx context.Context) (map[string]uint64, error) {
	return d.dead.counts(ctx)
}
