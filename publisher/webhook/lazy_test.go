package webhook

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// Without endpoints the events are not copied into the delivery stream:
// it is created with the first endpoint, copies the events from then on
// (none of the earlier ones), and delivers them; a restarted dispatcher
// opens the stream it finds even when no endpoint is left.
func TestDeliveryStreamWithTheFirstEndpoint(t *testing.T) {
	js := connect(t, natstest.Server(t))
	eventsStream(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exists := func() bool {
		_, err := js.Stream(ctx, DefaultDeliveryStream)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	d := startDispatcher(t, js, fastOptions(t))
	publish(t, js, "Before", true, 1)
	if exists() {
		t.Fatal("the delivery stream exists without any endpoint")
	}

	r := newReceiver(t, nil)
	if _, err := d.CreateEndpoint(ctx, Endpoint{ID: "first", URL: r.URL(), Secret: testSecret}); err != nil {
		t.Fatal(err)
	}
	if !exists() {
		t.Fatal("no delivery stream after the first endpoint")
	}
	id := publish(t, js, "After", true, 2)
	poll.Until(t, "the event after the endpoint to be delivered", func() bool { return len(r.accepted()) >= 1 })
	s, err := js.Stream(ctx, DefaultDeliveryStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("the delivery stream holds %d events, want only the one after the endpoint", info.State.Msgs)
	}
	if got := r.accepted(); len(got) != 1 || got[0].ID != id {
		t.Errorf("delivered %+v, want only %s", got, id)
	}

	// The endpoint goes; a dispatcher started now opens the stream, which
	// keeps the source it was created with.
	if err := d.DeleteEndpoint(ctx, "first", "test"); err != nil {
		t.Fatal(err)
	}
	d2 := startDispatcher(t, js, fastOptions(t))
	if d2.delivery == nil {
		t.Error("a dispatcher started with a delivery stream in place did not open it")
	}
	if s, err = js.Stream(ctx, DefaultDeliveryStream); err != nil {
		t.Fatal(err)
	}
	if src := s.CachedInfo().Config.Sources; len(src) != 1 || src[0].OptStartTime == nil {
		t.Errorf("sources after a restart: %+v, want the one from the first endpoint's time", src)
	}
}

// The bucket holds an endpoint only for an endpoint's key, not for the
// state a deleted endpoint may leave.
func TestRegistryAny(t *testing.T) {
	js := connect(t, natstest.Server(t))
	ctx := t.Context()
	r, err := openRegistry(ctx, js, DefaultBucket, 1)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string, want bool) {
		t.Helper()
		if got, err := r.any(ctx); err != nil || got != want {
			t.Errorf("%s: any = %v, %v; want %v", when, got, err, want)
		}
	}
	check("empty", false)
	if err := r.updateState(ctx, "gone", func(s *State) bool { s.Failing = &Failing{Since: time.Now()}; return true }); err != nil {
		t.Fatal(err)
	}
	check("a state only", false)
	if err := r.create(ctx, Endpoint{ID: "one", URL: "https://hooks.example.test/x", Secret: testSecret}); err != nil {
		t.Fatal(err)
	}
	check("an endpoint", true)
}
