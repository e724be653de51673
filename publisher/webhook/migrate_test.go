package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// legacyConsumerConfig is the consumer earlier versions kept per endpoint
// on the events stream.
func legacyConsumerConfig(e Endpoint) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(e.ID),
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        25 * time.Second,
		MaxDeliver:     -1,
		MaxAckPending:  1,
		FilterSubjects: e.filterSubjects(),
	}
}

// TestMoveFromEventsStream: an endpoint whose consumer an earlier version
// kept on the events stream, which had delivered the first events and
// had one in flight, moves to the delivery stream: the receiver gets
// every event from the one in flight on, each once and in order, none of
// those delivered before; the old consumer becomes a marker an earlier
// version cannot take over.
func TestMoveFromEventsStream(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	ctx := context.Background()
	r := newReceiver(t, nil)
	ep := Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret, Schedules: []string{"Support", "Ops 24x7"}}
	legacy, err := js.CreateConsumer(ctx, DefaultStream, legacyConsumerConfig(ep))
	if err != nil {
		t.Fatal(err)
	}
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }
	var all []string
	for n := range 5 {
		all = append(all, publishRound(t, pub, n)...) // Support, Ops 24x7, Ünïcode.sales (filtered out)
	}
	var want []string
	for i, id := range all {
		if i%3 != 2 {
			want = append(want, id)
		}
	}
	// The earlier version delivered four events and has the fifth in flight.
	for i := range 5 {
		m, err := legacy.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := parseEvent(m.Subject(), m.Data())
		if ev.ID != want[i] {
			t.Fatalf("legacy consumer gave %s, want %s", ev.ID, want[i])
		}
		if i < 4 {
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	d := startDispatcher(t, js, fastOptions(t, ep))
	poll.Until(t, "the events from the one in flight on", func() bool { return len(r.accepted()) >= len(want)-4 })
	time.Sleep(100 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want[4:])

	c, err := js.Consumer(ctx, DefaultStream, ConsumerName("crm"))
	if err != nil || !isTombstone(c.CachedInfo()) {
		t.Fatalf("the consumer on the events stream is not a marker: %v", err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, DefaultStream, legacyConsumerConfig(ep)); err == nil {
		t.Error("an earlier version could take the marker over")
	}
	if c.CachedInfo().NumPending != 0 {
		t.Errorf("the marker has %d events pending", c.CachedInfo().NumPending)
	}
	more := publishRound(t, pub, 5)
	want = append(want, more[0], more[1])
	poll.Until(t, "new events", func() bool { return len(r.accepted()) >= len(want)-4 })
	checkOnceInOrder(t, r.accepted(), want[4:])

	// A restart finds the moved consumer and the marker, and moves nothing.
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.Stop(ctx2); err != nil {
		t.Fatal(err)
	}
	startDispatcher(t, js, fastOptions(t, ep))
	more = publishRound(t, pub, 6)
	want = append(want, more[0], more[1])
	poll.Until(t, "events after a restart", func() bool { return len(r.accepted()) >= len(want)-4 })
	time.Sleep(100 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want[4:])
}

// TestLastCopiedUpTo: the binary search over the delivery stream finds
// the last event copied up to an events-stream sequence.
func TestLastCopiedUpTo(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	d := startDispatcher(t, js, fastOptions(t))
	ctx := context.Background()
	if seq, err := d.lastCopiedUpTo(ctx, 5); err != nil || seq != 0 {
		t.Errorf("empty stream: %d, %v", seq, err)
	}
	for n := range 7 {
		publish(t, js, "Support", n%2 == 0, n)
	}
	poll.Until(t, "the copies", func() bool {
		last, err := d.lastOrigin(ctx)
		return err == nil && last == 7
	})
	for floor, want := range map[uint64]uint64{0: 0, 1: 1, 4: 4, 7: 7, 100: 7} {
		if seq, err := d.lastCopiedUpTo(ctx, floor); err != nil || seq != want {
			t.Errorf("lastCopiedUpTo(%d) = %d, %v; want %d", floor, seq, err, want)
		}
	}
}
