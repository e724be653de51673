package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/jscopy"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// The copies of a stream (the readers' mirror, the webhook delivery
// stream) are written asynchronously. A nats-server process SIGKILLed
// right after acknowledging a burst may lose the copies' last writes; once
// restarted, each copy holds every message exactly once again, fetched
// from the stream it copies.
func TestAsyncCopiesCatchUpAfterServerKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs it as a process")
	}
	c := startProcCluster(t, 1)
	_, js := natstest.Connect(t, c.URLs(), natstest.Reconnect)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORIGIN", Subjects: []string{"o.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	// A copy made by an earlier version, in the default mode: Ensure
	// updates it and keeps its mode (JetStream refuses to change it).
	old := jetstream.StreamConfig{Name: "OLD", Storage: jetstream.FileStorage, Mirror: &jetstream.StreamSource{Name: "ORIGIN"}}
	if _, err := js.CreateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	old.Description = "updated"
	copies := []jetstream.StreamConfig{
		{Name: "SOURCED", Storage: jetstream.FileStorage, Sources: []*jetstream.StreamSource{{Name: "ORIGIN"}}, Duplicates: 2 * time.Minute},
		{Name: "MIRROR", Storage: jetstream.FileStorage, Mirror: &jetstream.StreamSource{Name: "ORIGIN"}},
		old,
	}
	for _, cfg := range copies {
		for range 2 { // create, then update in place
			s, err := jscopy.Ensure(ctx, js, cfg)
			if err != nil {
				t.Fatalf("ensure %s: %v", cfg.Name, err)
			}
			want := jetstream.AsyncPersistMode
			if cfg.Name == "OLD" {
				want = jetstream.DefaultPersistMode
			}
			if got := s.CachedInfo().Config.PersistMode; got != want {
				t.Fatalf("%s: persist mode %v, want %v", cfg.Name, got, want)
			}
		}
	}
	if _, err := jscopy.Ensure(ctx, js, jetstream.StreamConfig{Name: "PLAIN", Subjects: []string{"p.>"}}); err == nil {
		t.Error("Ensure made a stream that copies nothing")
	}

	const n = 20000
	for i := range n {
		if _, err := js.PublishAsync(fmt.Sprintf("o.%d", i%1000), []byte(fmt.Sprintf("message %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publishes not acknowledged")
	}
	c.kill(0) // with the copies' last writes perhaps still in memory
	c.start(0)

	for _, name := range []string{"SOURCED", "MIRROR", "OLD"} {
		var msgs uint64
		poll.Until(t, name+" to hold every message", func() bool {
			c, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			s, err := js.Stream(c, name)
			if err != nil {
				return false
			}
			info, err := s.Info(c)
			if err != nil {
				return false
			}
			msgs = info.State.Msgs
			return msgs >= n
		})
		if msgs != n {
			t.Errorf("%s holds %d messages after the restart, want %d (none twice)", name, msgs, n)
		}
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.GetLastMsgForSubject(ctx, "o.999")
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("message %d", n-1); string(last.Data) != want {
			t.Errorf("%s: last message on o.999 is %q, want %q", name, last.Data, want)
		}
	}
}
