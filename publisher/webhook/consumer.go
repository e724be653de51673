package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/jscopy"
)

// consumerPrefix starts the durable consumer name of every endpoint.
const consumerPrefix = "schedmgr_webhook_"

// ConsumerName is the durable consumer delivering to endpoint id, on the
// delivery stream (and, before version 2 of delivery, on the events
// stream).
func ConsumerName(id string) string { return consumerPrefix + id }

// priorityGroup is the one priority group of a delivery consumer: the
// server pins it to one replica at a time.
const priorityGroup = "deliver"

// Metadata of a consumer left on the events stream after its endpoint
// moved to the delivery stream.
const (
	metaMovedTo = "schedmgr_moved_to"
	metaMovedAt = "schedmgr_moved_at"
)

// sourceHeader is the header JetStream adds to a sourced message: "<origin
// stream> <origin sequence> …".
const sourceHeader = "Nats-Stream-Source"

// deliveryStreamConfig is the stream the delivery consumers live on. It
// sources every event of the events stream, so event readers, who may
// create consumers on the events stream, never reach a delivery consumer.
func deliveryStreamConfig(o Options) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        o.DeliveryStream,
		Description: "Schedule Manager webhook deliveries: the events of " + o.Stream + ", for the service only",
		Sources:     []*jetstream.StreamSource{{Name: o.Stream, FilterSubject: event.SubjectAll}},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      o.DeliveryMaxAge,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		Duplicates:  2 * time.Minute,
	}
}

// openDeliveryStream creates or updates the delivery stream. Created
// anew with from zero, it copies the events stream from its first event,
// so a consumer moved from the events stream finds its position; with a
// time, from the events stored since then. An existing stream keeps the
// source it was created with (jscopy.Ensure).
func openDeliveryStream(ctx context.Context, js jetstream.JetStream, o Options, from time.Time) (jetstream.Stream, error) {
	cfg := deliveryStreamConfig(o)
	if !from.IsZero() {
		cfg.Sources[0].OptStartTime = &from
	}
	s, err := jscopy.Ensure(ctx, js, cfg)
	if err != nil {
		return nil, fmt.Errorf("delivery stream %s: %w", o.DeliveryStream, err)
	}
	return s, nil
}

// deliveryInUse reports whether the delivery stream must be opened at
// start: it exists, or there are endpoints (configured, in the bucket, or
// consumers an earlier version left on the events stream). Otherwise it
// is created with the first endpoint (deliveryStream), so that a service
// without webhooks does not store every event twice: a third of the
// embedded server's work when 100,000 schedules change at once.
func (d *Dispatcher) deliveryInUse(ctx context.Context) (bool, error) {
	if len(d.static) > 0 {
		return true, nil
	}
	if _, err := d.js.Stream(ctx, d.opts.DeliveryStream); err == nil {
		return true, nil
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return false, fmt.Errorf("delivery stream %s: %w", d.opts.DeliveryStream, err)
	}
	if found, err := d.reg.any(ctx); err != nil || found {
		return found, err
	}
	events, err := d.js.Stream(ctx, d.opts.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stream %s: %w", d.opts.Stream, err)
	}
	found := false
	names := events.ConsumerNames(ctx)
	for n := range names.Name() {
		if strings.HasPrefix(n, consumerPrefix) {
			found = true
		}
	}
	if err := names.Err(); err != nil {
		return false, fmt.Errorf("consumers of stream %s: %w", d.opts.Stream, err)
	}
	return found, nil
}

// deliveryStream returns the delivery stream, creating it if this
// dispatcher started without one: it then copies the events stored from
// now on (an endpoint receives events from its creation).
func (d *Dispatcher) deliveryStream(ctx context.Context) (jetstream.Stream, error) {
	d.deliveryMu.Lock()
	defer d.deliveryMu.Unlock()
	if d.delivery != nil {
		return d.delivery, nil
	}
	s, err := openDeliveryStream(ctx, d.js, d.opts, d.opts.Now().UTC())
	if err != nil {
		return nil, err
	}
	d.log.Info("webhook: delivery stream opened for the first endpoint", "stream", d.opts.DeliveryStream)
	d.delivery = s
	return s, nil
}

// consumerConfig is the durable consumer of an endpoint: new events only
// (from its creation), explicit acks, up to MaxPending events held, and no
// server-side max-deliver (the worker dead-letters events itself, which
// the server's limit would instead drop with only an advisory). The pinned
// priority group hands all of the endpoint's events to one replica at a
// time; the pin moves when that replica stops pulling for pinnedTTL.
func (d *Dispatcher) consumerConfig(e Endpoint) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(e.ID),
		Description:    "webhook deliveries to endpoint " + e.ID,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        d.opts.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  d.opts.MaxPending,
		FilterSubjects: e.filterSubjects(),
		PriorityPolicy: jetstream.PriorityPolicyPinned,
		PriorityGroups: []string{priorityGroup},
		PinnedTTL:      d.timings.pinnedTTL,
		Metadata:       map[string]string{"schedmgr_endpoint": e.ID, "schedmgr_source": e.Source},
	}
}

// ensureConsumer binds the endpoint's consumer, updating its settings, or
// creates it: at the position of the endpoint's consumer on the events
// stream if an earlier version left one (which it then retires), else for
// new events. An API endpoint's consumer is only created while the
// endpoint is stored, so a replica that has not yet seen a deletion cannot
// resurrect it.
func (d *Dispatcher) ensureConsumer(ctx context.Context, e Endpoint) (jetstream.Consumer, error) {
	if _, err := d.deliveryStream(ctx); err != nil {
		return nil, err
	}
	name := ConsumerName(e.ID)
	cfg := d.consumerConfig(e)
	c, err := d.js.Consumer(ctx, d.opts.DeliveryStream, name)
	if err == nil {
		// The start position cannot change; keep the one it was made with.
		old := c.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = old.DeliverPolicy, old.OptStartSeq, old.OptStartTime
		if c, err = d.js.UpdateConsumer(ctx, d.opts.DeliveryStream, cfg); err != nil {
			return nil, fmt.Errorf("update consumer %s on stream %s: %w", name, d.opts.DeliveryStream, err)
		}
		return c, nil
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("consumer %s on stream %s: %w", name, d.opts.DeliveryStream, err)
	}
	if e.Source == SourceAPI {
		if _, err := d.reg.get(ctx, e.ID); err != nil {
			return nil, err
		}
	}
	start, legacy, err := d.legacyPosition(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if legacy {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start
	}
	c, err = d.js.CreateConsumer(ctx, d.opts.DeliveryStream, cfg)
	if errors.Is(err, jetstream.ErrConsumerExists) {
		c, err = d.js.Consumer(ctx, d.opts.DeliveryStream, name) // another replica made it
	}
	if err != nil {
		return nil, fmt.Errorf("create consumer %s on stream %s: %w", name, d.opts.DeliveryStream, err)
	}
	if legacy {
		d.log.Info("webhook: endpoint moved to the delivery stream", "endpoint", e.ID,
			"from", d.opts.Stream, "to", d.opts.DeliveryStream, "startSeq", start)
		if err := d.retireLegacy(ctx, e.ID); err != nil {
			d.log.Warn("webhook: cannot retire the endpoint's consumer on the events stream", "endpoint", e.ID, "err", err)
		}
	}
	return c, nil
}

// isTombstone reports whether a consumer on the events stream is the
// marker left by retireLegacy.
func isTombstone(info *jetstream.ConsumerInfo) bool {
	return info != nil && info.Config.Metadata[metaMovedTo] != ""
}

// legacyPosition finds the consumer an earlier version kept for endpoint
// id on the events stream and returns the delivery-stream sequence where
// its deliveries resume: the first event after everything it had
// acknowledged. legacy is false when there is no such consumer.
//
// Events after the acknowledged floor are delivered again, so an event in
// flight at the switch reaches the receiver twice at most (at least once,
// as always); none is skipped.
func (d *Dispatcher) legacyPosition(ctx context.Context, id string) (start uint64, legacy bool, err error) {
	c, err := d.js.Consumer(ctx, d.opts.Stream, ConsumerName(id))
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look for the endpoint's consumer on stream %s: %w", d.opts.Stream, err)
	}
	info := c.CachedInfo()
	if isTombstone(info) {
		return 0, false, nil
	}
	floor := info.AckFloor.Stream
	events, err := d.js.Stream(ctx, d.opts.Stream)
	if err != nil {
		return 0, false, fmt.Errorf("stream %s: %w", d.opts.Stream, err)
	}
	ei, err := events.Info(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("stream %s: %w", d.opts.Stream, err)
	}
	// The delivery stream must have copied every event up to the floor.
	need := min(floor, ei.State.LastSeq)
	for {
		last, err := d.lastOrigin(ctx)
		if err != nil {
			return 0, false, err
		}
		if last >= need {
			break
		}
		select {
		case <-ctx.Done():
			return 0, false, fmt.Errorf("wait for stream %s to copy event %d of %s: %w", d.opts.DeliveryStream, need, d.opts.Stream, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	seq, err := d.lastCopiedUpTo(ctx, floor)
	if err != nil {
		return 0, false, err
	}
	return seq + 1, true, nil
}

// originSeq reads the events-stream sequence of a message of the delivery
// stream.
func originSeq(m *jetstream.RawStreamMsg) (uint64, error) {
	fields := strings.Fields(m.Header.Get(sourceHeader))
	if len(fields) < 2 {
		return 0, fmt.Errorf("message %d of the delivery stream has no %s header", m.Sequence, sourceHeader)
	}
	return strconv.ParseUint(fields[1], 10, 64)
}

// deliveryRange returns the first and last sequence of the delivery
// stream (last < first when it is empty).
func (d *Dispatcher) deliveryRange(ctx context.Context) (first, last uint64, err error) {
	s, err := d.deliveryStream(ctx)
	if err != nil {
		return 0, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", d.opts.DeliveryStream, err)
	}
	return info.State.FirstSeq, info.State.LastSeq, nil
}

// originAtOrAfter returns the sequence and origin sequence of the first
// delivery-stream message at or after seq.
func (d *Dispatcher) originAtOrAfter(ctx context.Context, seq uint64) (uint64, uint64, error) {
	s, err := d.deliveryStream(ctx)
	if err != nil {
		return 0, 0, err
	}
	m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(event.SubjectAll))
	if err != nil {
		return 0, 0, fmt.Errorf("read message %d of stream %s: %w", seq, d.opts.DeliveryStream, err)
	}
	o, err := originSeq(m)
	return m.Sequence, o, err
}

// lastOrigin is the origin sequence of the delivery stream's last message
// (0 when it is empty).
func (d *Dispatcher) lastOrigin(ctx context.Context) (uint64, error) {
	first, last, err := d.deliveryRange(ctx)
	if err != nil || last < first || last == 0 {
		return 0, err
	}
	s, err := d.deliveryStream(ctx)
	if err != nil {
		return 0, err
	}
	m, err := s.GetMsg(ctx, last)
	if err != nil {
		return 0, fmt.Errorf("read message %d of stream %s: %w", last, d.opts.DeliveryStream, err)
	}
	return originSeq(m)
}

// lastCopiedUpTo returns the last delivery-stream sequence whose origin
// sequence is at most floor (one before the first message when there is
// none), by binary search: origin sequences grow with the sequence.
func (d *Dispatcher) lastCopiedUpTo(ctx context.Context, floor uint64) (uint64, error) {
	first, last, err := d.deliveryRange(ctx)
	if err != nil {
		return 0, err
	}
	if last < first || last == 0 {
		return last, nil
	}
	lo, hi := first, last+1 // the answer + 1 is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		seq, origin, err := d.originAtOrAfter(ctx, mid)
		if err != nil {
			return 0, err
		}
		if origin <= floor {
			lo = seq + 1
		} else {
			hi = mid
		}
	}
	return lo - 1, nil
}

// tombstoneConfig replaces an endpoint's consumer on the events stream.
// Its deliver policy differs from the one earlier versions create, which
// the server refuses to update, so an earlier version's replica still
// running during an upgrade cannot take it over and deliver again; it
// matches no event and is paused.
func (d *Dispatcher) tombstoneConfig(id string) jetstream.ConsumerConfig {
	pause := time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	return jetstream.ConsumerConfig{
		Durable: ConsumerName(id),
		Description: "webhook deliveries to endpoint " + id + " moved to stream " + d.opts.DeliveryStream +
			"; delete this consumer once no replica older than the move runs",
		DeliverPolicy: jetstream.DeliverLastPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		// "~" followed by letters never starts a schedule's subject token.
		FilterSubject: event.SubjectPrefix + ".~moved.~moved",
		PauseUntil:    &pause,
		Metadata:      map[string]string{metaMovedTo: d.opts.DeliveryStream, metaMovedAt: d.opts.Now().UTC().Format(time.RFC3339)},
	}
}

// retireLegacy replaces the endpoint's consumer on the events stream by a
// tombstone. An earlier version's replica may re-create the consumer
// between the delete and the create; then the delete is repeated.
func (d *Dispatcher) retireLegacy(ctx context.Context, id string) error {
	name := ConsumerName(id)
	for range 5 {
		c, err := d.js.Consumer(ctx, d.opts.Stream, name)
		switch {
		case err == nil && isTombstone(c.CachedInfo()):
			return nil
		case err == nil:
			if err := d.js.DeleteConsumer(ctx, d.opts.Stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				return fmt.Errorf("delete consumer %s on stream %s: %w", name, d.opts.Stream, err)
			}
		case errors.Is(err, jetstream.ErrStreamNotFound):
			return nil
		case !errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("consumer %s on stream %s: %w", name, d.opts.Stream, err)
		}
		_, err = d.js.CreateConsumer(ctx, d.opts.Stream, d.tombstoneConfig(id))
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrConsumerExists) {
			return fmt.Errorf("leave a marker consumer %s on stream %s: %w", name, d.opts.Stream, err)
		}
	}
	return fmt.Errorf("consumer %s on stream %s keeps being re-created by an older replica", name, d.opts.Stream)
}

// deleteConsumers removes an endpoint's consumer from the delivery stream
// and its consumer or tombstone from the events stream.
func (d *Dispatcher) deleteConsumers(ctx context.Context, id string) {
	for _, stream := range []string{d.opts.DeliveryStream, d.opts.Stream} {
		if err := d.js.DeleteConsumer(ctx, stream, ConsumerName(id)); err != nil &&
			!errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			d.log.Warn("webhook: delete consumer of a deleted endpoint", "endpoint", id, "stream", stream, "err", err)
		}
	}
}
