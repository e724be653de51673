package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher"
	natspub "github.com/schedule-manager/schedule-manager/publisher/nats"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// setup runs a server with the event stream and returns a connection.
func setup(t testing.TB) (*server.Server, *natsgo.Conn, jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	srv := natstest.Server(t)
	nc, js := natstest.Connect(t, srv.ClientURL(), natstest.Reconnect)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := natspub.EnsureStream(ctx, js, natspub.StreamOptions{})
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

// event returns a transition event of schedule at instant at, caused by
// a timeline boundary.
func event(schedule string, at time.Time, open bool) publisher.Event {
	st := engine.Status{IsOpen: open}
	if !open {
		st.ClosedReason = "closed"
	}
	return publisher.New("test", scheduler.Event{Schedule: schedule, TimeZone: "UTC", At: at, Status: st,
		Previous: engine.Status{IsOpen: !open}, ConfigVersion: 1, Cause: scheduler.CauseSchedule})
}

// storedEvents reads every message of the stream, in order.
func storedEvents(t testing.TB, js jetstream.JetStream) []publisher.Event {
	t.Helper()
	ctx := ctxT(t)
	st, err := js.Stream(ctx, natspub.DefaultStreamName)
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
	var out []publisher.Event
	for uint64(len(out)) < n {
		batch, err := cons.Fetch(int(min(n-uint64(len(out)), 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			var ev publisher.Event
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

func describeIDs(evs []publisher.Event) string {
	s := ""
	for _, e := range evs {
		s += fmt.Sprintf("%s@%s open=%v; ", e.Data.Schedule, e.Time.Format(time.RFC3339Nano), e.Data.IsOpen)
	}
	return s
}
