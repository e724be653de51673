package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// setup runs a server with the event stream and returns a connection.
func setup(t testing.TB) (*server.Server, *nats.Conn, jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	srv := natstest.Server(t)
	nc, js := natstest.Connect(t, srv.ClientURL(), natstest.Reconnect)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := stream.EnsureStream(ctx, js, stream.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return srv, nc, js, st
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newEvent returns a transition event of schedule at instant at, caused
// by a timeline boundary.
func newEvent(schedule string, at time.Time, open bool) event.Event {
	d := event.Data{Schedule: schedule, TimeZone: "UTC", At: at, IsOpen: open, Previous: event.State{IsOpen: !open},
		ConfigVersion: 1, Cause: scheduler.CauseSchedule}
	if !open {
		d.ClosedReason = "closed"
	}
	return event.New("test", d)
}

// storedEvents reads every message of the stream, in order.
func storedEvents(t testing.TB, js jetstream.JetStream) []event.Event {
	t.Helper()
	ctx := ctxT(t)
	st, err := js.Stream(ctx, stream.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := info.State.Msgs
	if n == 0 {
		return nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for uint64(len(out)) < n {
		batch, err := cons.Fetch(int(min(n-uint64(len(out)), 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			var ev event.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatalf("stored message %s: %v", m.Data(), err)
			}
			if m.Headers().Get(jetstream.MsgIDHeader) != ev.ID || m.Subject() != ev.NATSSubject() {
				t.Fatalf("message %s: msg id %q, subject %s", ev.ID, m.Headers().Get(jetstream.MsgIDHeader), m.Subject())
			}
			out = append(out, ev)
			got++
		}
		if got == 0 {
			t.Fatalf("read %d of %d stored events: %v", len(out), n, batch.Error())
		}
	}
	return out
}

func describeIDs(evs []event.Event) string {
	s := ""
	for _, e := range evs {
		s += fmt.Sprintf("%s@%s open=%v; ", e.Data.Schedule, e.Time.Format(time.RFC3339Nano), e.Data.IsOpen)
	}
	return s
}
