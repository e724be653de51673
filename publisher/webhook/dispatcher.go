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
// endpoints: one durable consumer per endpoint on the delivery stream, and
// a worker per enabled endpoint in every replica. It keeps API endpoints
// and every endpoint's state in a KV bucket and watches it, so an endpoint
// added, disabled or enabled on one replica is so on all.
type Dispatcher struct {
	opts    Options
	timings timings
	log     *slog.Logger
	js      jetstream.JetStream
	reg     *registry
	dead    *deadLetters
	sender  *sender
	metrics *metrics

	mu      sync.Mutex
	static  map[string]Endpoint // from Options.Endpoints
	dynamic map[string]Endpoint // from the bucket
	states  map[string]State    // from the bucket
	workers map[string]*worker
	stopped bool

	deliveryMu sync.Mutex
	delivery   jetstream.Stream // nil until the first endpoint when none existed at start

	cancel   context.CancelFunc // stops the bucket watch
	wg       sync.WaitGroup     // the watch loop, worker stoppers, state writers
	stopOnce sync.Once
}

// Start opens the bucket, the delivery and dead-letter streams, starts a
// worker per enabled endpoint and returns once the stored endpoints are
// known. ctx bounds only the start; the Dispatcher runs until Stop.
func Start(ctx context.Context, js jetstream.JetStream, opts Options) (*Dispatcher, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	d := &Dispatcher{
		opts: o, timings: o.timings(), log: o.Logger, js: js,
		sender: newSender(newDialer(o.AllowPrivate, o.LookupIP), o.AttemptTimeout, o.Concurrency, o.Now),
		static: map[string]Endpoint{}, dynamic: map[string]Endpoint{}, states: map[string]State{}, workers: map[string]*worker{},
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
	inUse, err := d.deliveryInUse(ctx)
	if err != nil {
		return nil, err
	}
	if inUse {
		if d.delivery, err = openDeliveryStream(ctx, js, o, time.Time{}); err != nil {
			return nil, err
		}
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

// bucketSet is what the bucket holds: API endpoints and endpoint states.
type bucketSet struct {
	endpoints map[string]Endpoint
	states    map[string]State
}

// watchFrom starts a watch of the bucket, reads its current content (up
// to the watcher's nil marker), makes it the dynamic set and reconciles.
// ctx bounds the initial read; watchCtx the watch.
func (d *Dispatcher) watchFrom(ctx, watchCtx context.Context) (jetstream.KeyWatcher, error) {
	w, err := d.reg.kv.WatchAll(watchCtx)
	if err != nil {
		return nil, fmt.Errorf("watch webhook bucket: %w", err)
	}
	current := bucketSet{endpoints: map[string]Endpoint{}, states: map[string]State{}}
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
	d.dynamic, d.states = current.endpoints, current.states
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
			d.apply(bucketSet{endpoints: d.dynamic, states: d.states}, e)
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
func (d *Dispatcher) apply(set bucketSet, e jetstream.KeyValueEntry) {
	if id, ok := strings.CutPrefix(e.Key(), stateKeyPrefix); ok {
		if e.Operation() != jetstream.KeyValuePut {
			delete(set.states, id)
			return
		}
		st, err := decodeState(e.Value())
		if err != nil {
			d.log.Error("webhook: ignoring an unreadable endpoint state in the bucket", "key", e.Key(), "err", err)
			return
		}
		set.states[id] = st
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(set.endpoints, e.Key())
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
	set.endpoints[ep.ID] = ep
}

// all is every endpoint: settings first, then the bucket. Callers hold
// d.mu.
func (d *Dispatcher) all() map[string]Endpoint {
	out := make(map[string]Endpoint, len(d.static)+len(d.dynamic))
	for id, e := range d.dynamic {
		out[id] = e
	}
	for id, e := range d.static {
		out[id] = e
	}
	return out
}

// reconcile starts, restarts and stops workers to match the enabled
// endpoints.
func (d *Dispatcher) reconcile() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	all := d.all()
	want := make(map[string]Endpoint, len(all))
	for id, e := range all {
		if !d.states[id].disabledFor(e) {
			want[id] = e
		}
	}
	for id, w := range d.workers {
		if e, ok := want[id]; ok && e.same(w.ep) {
			continue
		}
		delete(d.workers, id)
		_, exists := all[id]
		d.retire(w, w.ep.Source == SourceAPI && !exists)
		if exists && !d.stopped {
			if _, enabled := want[id]; !enabled {
				d.log.Warn("webhook: endpoint disabled; its events wait until it is enabled again", "endpoint", w.ep)
			}
		}
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

// retire stops a worker in the background (its attempts in flight may
// take up to the attempt timeout). For a deleted API endpoint it then
// deletes the consumers, in case a worker re-created one while the
// endpoint was being deleted.
func (d *Dispatcher) retire(w *worker, deleted bool) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		w.stop()
		<-w.done
		if deleted {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d.deleteConsumers(ctx, w.ep.ID)
			d.metrics.forget(w.ep.ID)
		}
	}()
}

// Stop stops every worker: no new event is taken, and attempts in flight
// finish until ctx ends, when they are cut short. Every event a worker
// holds goes back to the consumer for the next replica. Call it before
// closing the NATS connection.
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

// Endpoints returns every endpoint, enabled or not, sorted by id. Secrets
// are included: do not serve them.
func (d *Dispatcher) Endpoints() []Endpoint {
	d.mu.Lock()
	all := d.all()
	d.mu.Unlock()
	out := make([]Endpoint, 0, len(all))
	for _, e := range all {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// endpoint returns one endpoint and its state, or ErrNotFound.
func (d *Dispatcher) endpoint(id string) (Endpoint, State, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.static[id]; ok {
		return e, d.states[id], nil
	}
	if e, ok := d.dynamic[id]; ok {
		return e, d.states[id], nil
	}
	return Endpoint{}, State{}, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// stateOf returns the state of an endpoint as the watch last saw it, with
// a disable of another URL dropped.
func (d *Dispatcher) stateOf(e Endpoint) State {
	d.mu.Lock()
	st := d.states[e.ID]
	d.mu.Unlock()
	if st.Disabled != nil && !st.disabledFor(e) {
		st.Disabled = nil
	}
	return st
}

// backlog is the number of events not yet settled for an endpoint.
func (d *Dispatcher) backlog(ctx context.Context, id string) (uint64, error) {
	c, err := d.js.Consumer(ctx, d.opts.DeliveryStream, ConsumerName(id))
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

// disableGone records that endpoint w.ep answered 410 Gone, retrying until
// it is stored or the worker stops; the bucket watch then retires every
// replica's worker.
func (d *Dispatcher) disableGone(w *worker, status int, at time.Time) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := d.reg.updateState(ctx, w.ep.ID, func(st *State) bool {
			if st.disabledFor(w.ep) {
				return false
			}
			st.Disabled = &Disabled{At: at.UTC(), Reason: DisabledGone, Status: status, URLHash: urlHash(w.ep.URL)}
			st.Failing = nil
			return true
		})
		cancel()
		if err == nil {
			return
		}
		d.log.Error("webhook: cannot record the endpoint as disabled; retrying", "endpoint", w.ep.ID, "err", err)
		if !w.sleep(5 * time.Second) {
			return
		}
	}
}

// writeFailing stores (f) or clears (nil) the failing mark of an
// endpoint, keeping the first Since of a mark already stored.
func (d *Dispatcher) writeFailing(ctx context.Context, id string, f *Failing) error {
	return d.reg.updateState(ctx, id, func(st *State) bool {
		if (f == nil) == (st.Failing == nil) {
			return false
		}
		st.Failing = f
		return true
	})
}
