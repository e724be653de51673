package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
)

// ErrConfigured is returned by DeleteEndpoint for an endpoint defined in
// the service settings, which only the settings can remove.
var ErrConfigured = errors.New("webhook: endpoint is configured in the service settings")

// InvalidError is returned by CreateEndpoint for an endpoint that does
// not validate; Fields names every problem.
type InvalidError struct {
	Fields []FieldError
}

func (e *InvalidError) Error() string {
	msg := "invalid webhook endpoint"
	for i, f := range e.Fields {
		if i == 0 {
			msg += ": "
		} else {
			msg += "; "
		}
		msg += f.Error()
	}
	return msg
}

// Status is an endpoint with its delivery state. Backlog and DeadLetters
// are nil when they could not be read (NATS unavailable).
type Status struct {
	Endpoint
	// State tells whether the endpoint is disabled or failing.
	State State
	// Consumer is the durable JetStream consumer delivering to it, on
	// the delivery stream.
	Consumer string
	// Backlog is the number of events not yet settled.
	Backlog *uint64
	// DeadLetters is the number of stored dead letters.
	DeadLetters *uint64
}

// Redelivery is the outcome of a dead letter sent again.
type Redelivery struct {
	Seq       uint64 `json:"seq"`
	EventID   string `json:"eventId"`
	Delivered bool   `json:"delivered"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// status adds the delivery state to e; dead holds the dead-letter counts
// (nil: unknown).
func (d *Dispatcher) status(ctx context.Context, e Endpoint, dead map[string]uint64) Status {
	s := Status{Endpoint: e, State: d.stateOf(e), Consumer: ConsumerName(e.ID)}
	if n, err := d.backlog(ctx, e.ID); err == nil {
		s.Backlog = &n
	}
	if dead != nil {
		n := dead[e.ID]
		s.DeadLetters = &n
	}
	return s
}

// EndpointStatuses lists every endpoint with its delivery state, by id.
func (d *Dispatcher) EndpointStatuses(ctx context.Context) []Status {
	dead, _ := d.dead.counts(ctx)
	eps := d.Endpoints()
	out := make([]Status, 0, len(eps))
	for _, e := range eps {
		out = append(out, d.status(ctx, e, dead))
	}
	return out
}

// EndpointStatus returns one endpoint with its delivery state, or an error
// matching ErrNotFound.
func (d *Dispatcher) EndpointStatus(ctx context.Context, id string) (Status, error) {
	e, _, err := d.endpoint(id)
	if err != nil {
		return Status{}, err
	}
	dead, _ := d.dead.counts(ctx)
	return d.status(ctx, e, dead), nil
}

// NewEndpointID returns a random endpoint id, "wh_" and 16 hex digits.
func NewEndpointID() (string, error) { return newID() }

// CreateEndpoint stores a new API endpoint and starts delivering to it on
// every replica. e.ID and e.Secret must be set (NewEndpointID,
// event.NewSecret). Unless Options.AllowPrivate is set, a URL whose host
// is, or now resolves to, a refused address (loopback, link-local,
// private, cloud metadata) is invalid. Errors: *InvalidError, ErrExists,
// or a storage error.
func (d *Dispatcher) CreateEndpoint(ctx context.Context, e Endpoint) (Status, error) {
	e.Source = SourceAPI
	errs := e.Validate()
	if len(errs) == 0 && !d.opts.AllowPrivate {
		err := checkTarget(e.URL)
		if err == nil {
			err = checkResolved(ctx, d.opts.LookupIP, e.URL)
		}
		if err != nil {
			errs = append(errs, FieldError{Path: "url", Message: err.Error()})
		}
	}
	if len(errs) > 0 {
		return Status{}, &InvalidError{Fields: errs}
	}
	if _, _, err := d.endpoint(e.ID); err == nil {
		return Status{}, fmt.Errorf("%w: %q", ErrExists, e.ID)
	}
	// Create the consumer before storing the endpoint: events from now on
	// are kept for it even before any replica's worker starts. A consumer
	// or state left over from an endpoint of the same id goes first.
	d.deleteConsumers(ctx, e.ID)
	if err := d.reg.deleteState(ctx, e.ID); err != nil {
		return Status{}, err
	}
	if _, err := d.deliveryStream(ctx); err != nil {
		return Status{}, err
	}
	if _, err := d.js.CreateConsumer(ctx, d.opts.DeliveryStream, d.consumerConfig(e)); err != nil {
		return Status{}, fmt.Errorf("create the delivery consumer: %w", err)
	}
	if err := d.reg.create(ctx, e); err != nil {
		_ = d.js.DeleteConsumer(context.WithoutCancel(ctx), d.opts.DeliveryStream, ConsumerName(e.ID))
		if errors.Is(err, ErrExists) {
			return Status{}, fmt.Errorf("%w: %q", ErrExists, e.ID)
		}
		return Status{}, fmt.Errorf("store the endpoint: %w", err)
	}
	d.log.Info("webhook: endpoint created", "endpoint", e, "by", e.CreatedBy)
	// Serve it here at once rather than when the watch reports it.
	d.mu.Lock()
	d.dynamic[e.ID] = e
	d.mu.Unlock()
	d.reconcile()
	return d.status(ctx, e, nil), nil
}

// DeleteEndpoint removes an API endpoint, its consumers, its state and
// its dead letters. by names who asked, for the log. Errors: ErrNotFound,
// ErrConfigured, or a storage error.
func (d *Dispatcher) DeleteEndpoint(ctx context.Context, id, by string) error {
	e, _, err := d.endpoint(id)
	if err != nil {
		return err
	}
	if e.Source == SourceConfig {
		return fmt.Errorf("%w: %q", ErrConfigured, id)
	}
	if err := d.reg.delete(ctx, id); err != nil {
		return fmt.Errorf("delete the endpoint: %w", err)
	}
	d.deleteConsumers(ctx, id)
	if err := d.reg.deleteState(ctx, id); err != nil {
		d.log.Warn("webhook: delete the state of a deleted endpoint", "endpoint", id, "err", err)
	}
	if err := d.dead.purge(ctx, id); err != nil {
		d.log.Warn("webhook: purge dead letters", "endpoint", id, "err", err)
	}
	d.mu.Lock()
	delete(d.dynamic, id)
	d.mu.Unlock()
	d.reconcile()
	d.log.Info("webhook: endpoint deleted", "endpoint", e, "by", by)
	return nil
}

// DeadLetters lists the dead letters of endpoint ("" for every endpoint's)
// after stream sequence after, at most limit, oldest first; more reports
// whether further ones exist. An unknown endpoint matches ErrNotFound.
func (d *Dispatcher) DeadLetters(ctx context.Context, endpoint string, after uint64, limit int) (list []DeadLetter, more bool, err error) {
	if endpoint != "" {
		if _, _, err := d.endpoint(endpoint); err != nil {
			return nil, false, err
		}
	}
	return d.dead.list(ctx, endpoint, after, limit)
}

// deadLetter resolves an endpoint and one of its dead letters. A missing
// dead letter matches ErrNoDeadLetter.
func (d *Dispatcher) deadLetter(ctx context.Context, endpoint string, seq uint64) (Endpoint, DeadLetter, error) {
	e, _, err := d.endpoint(endpoint)
	if err != nil {
		return Endpoint{}, DeadLetter{}, err
	}
	dl, err := d.dead.get(ctx, endpoint, seq)
	return e, dl, err
}

// redeliver POSTs one dead letter to its endpoint's current URL, once, with
// a fresh signature. On success the dead letter is removed.
func (d *Dispatcher) redeliver(ctx context.Context, e Endpoint, dl DeadLetter) Redelivery {
	out := Redelivery{Seq: dl.Seq, EventID: dl.EventID}
	key, err := event.ParseSecret(e.Secret)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	res := d.sender.send(ctx, e.URL, key, dl.EventID, dl.data)
	d.metrics.observe(e.ID, res)
	out.Status = res.Status
	if !res.ok() {
		d.metrics.redeliveries.WithLabelValues(e.ID, "failed").Inc()
		out.Error = res.Err.Error()
		return out
	}
	d.metrics.redeliveries.WithLabelValues(e.ID, OutcomeOK).Inc()
	out.Delivered = true
	if err := d.dead.remove(context.WithoutCancel(ctx), dl.Seq); err != nil {
		d.log.Warn("webhook: redelivered but not removed from the dead letters", "endpoint", e.ID, "seq", dl.Seq, "err", err)
	}
	return out
}

// Redeliver sends one dead letter again. Errors (ErrNotFound,
// ErrNoDeadLetter, storage) mean nothing was sent; a failed delivery is a
// Redelivery with Delivered false.
func (d *Dispatcher) Redeliver(ctx context.Context, endpoint string, seq uint64, by string) (Redelivery, error) {
	e, dl, err := d.deadLetter(ctx, endpoint, seq)
	if err != nil {
		return Redelivery{}, err
	}
	res := d.redeliver(ctx, e, dl)
	d.log.Info("webhook: admin redelivery", "endpoint", e.ID, "event", dl.EventID, "delivered", res.Delivered, "by", by)
	return res, nil
}

// RedeliverAll redelivers an endpoint's dead letters oldest first until
// ctx ends, stopping at the first failure so the receiver sees them in
// order; remaining reports whether dead letters are left.
func (d *Dispatcher) RedeliverAll(ctx context.Context, endpoint string) (results []Redelivery, remaining bool, err error) {
	e, _, err := d.endpoint(endpoint)
	if err != nil {
		return nil, false, err
	}
	results = []Redelivery{}
	var after uint64
	for ctx.Err() == nil {
		list, _, err := d.dead.list(ctx, endpoint, after, 1)
		if err != nil || len(list) == 0 {
			break
		}
		res := d.redeliver(ctx, e, list[0])
		results = append(results, res)
		if !res.Delivered {
			return results, true, nil
		}
		after = list[0].Seq
	}
	return results, ctx.Err() != nil, nil
}

// DiscardDeadLetter drops one dead letter without sending it.
func (d *Dispatcher) DiscardDeadLetter(ctx context.Context, endpoint string, seq uint64, by string) error {
	e, dl, err := d.deadLetter(ctx, endpoint, seq)
	if err != nil {
		return err
	}
	if err := d.dead.remove(ctx, dl.Seq); err != nil {
		return fmt.Errorf("discard dead letter %d: %w", seq, err)
	}
	d.log.Info("webhook: dead letter discarded", "endpoint", e.ID, "event", dl.EventID, "by", by)
	return nil
}

// EnableEndpoint resumes deliveries to a disabled endpoint on every
// replica: the events that waited are delivered, in order per schedule.
// Enabling an enabled endpoint does nothing. Errors: ErrNotFound, or a
// storage error.
func (d *Dispatcher) EnableEndpoint(ctx context.Context, id, by string) (Status, error) {
	e, _, err := d.endpoint(id)
	if err != nil {
		return Status{}, err
	}
	changed := false
	err = d.reg.updateState(ctx, id, func(st *State) bool {
		changed = st.Disabled != nil
		st.Disabled, st.Failing = nil, nil
		return changed
	})
	if err != nil {
		return Status{}, err
	}
	if changed {
		d.log.Info("webhook: endpoint enabled", "endpoint", e, "by", by)
		d.setState(id, func(st *State) { st.Disabled, st.Failing = nil, nil })
	}
	return d.EndpointStatus(ctx, id)
}

// DisableEndpoint stops deliveries to an endpoint on every replica until
// EnableEndpoint. Its events wait in its consumer (up to the delivery
// stream's retention). Errors: ErrNotFound, or a storage error.
func (d *Dispatcher) DisableEndpoint(ctx context.Context, id, by string) (Status, error) {
	e, _, err := d.endpoint(id)
	if err != nil {
		return Status{}, err
	}
	dis := &Disabled{At: d.opts.Now().UTC().Truncate(time.Second), Reason: DisabledAdmin, By: by, URLHash: urlHash(e.URL)}
	changed := false
	err = d.reg.updateState(ctx, id, func(st *State) bool {
		if changed = !st.disabledFor(e); changed {
			st.Disabled, st.Failing = dis, nil
		}
		return changed
	})
	if err != nil {
		return Status{}, err
	}
	if changed {
		d.log.Info("webhook: endpoint disabled", "endpoint", e, "by", by)
		d.setState(id, func(st *State) { st.Disabled, st.Failing = dis, nil })
	}
	return d.EndpointStatus(ctx, id)
}

// setState applies a change this replica stored at once, rather than
// when the watch reports it, and reconciles.
func (d *Dispatcher) setState(id string, change func(*State)) {
	d.mu.Lock()
	st := d.states[id]
	change(&st)
	if st == (State{}) {
		delete(d.states, id)
	} else {
		d.states[id] = st
	}
	d.mu.Unlock()
	d.reconcile()
}
