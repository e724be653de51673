package stream_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
)

// An operator's `nats stream edit` survives a restart of the service; a
// setting the service is given explicitly is applied.
func TestEnsureStreamKeepsOperatorEdits(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx := t.Context()
	info := func() jetstream.StreamConfig {
		t.Helper()
		s, err := js.Stream(ctx, event.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().Config
	}
	if _, err := stream.EnsureStream(ctx, js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := info(); c.MaxAge != stream.DefaultMaxAge || c.MaxBytes != -1 || c.Duplicates != stream.DefaultDuplicates || !c.AllowDirect {
		t.Fatalf("new stream: %+v", c)
	}
	// The operator widens the stream by hand.
	edited := info()
	edited.MaxAge, edited.MaxBytes = 30*24*time.Hour, 1<<30
	if _, err := js.UpdateStream(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.EnsureStream(ctx, js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := info(); c.MaxAge != 30*24*time.Hour || c.MaxBytes != 1<<30 {
		t.Errorf("a restart undid the operator's edit: max age %s, max bytes %d", c.MaxAge, c.MaxBytes)
	}
	// A setting given explicitly (--event-max-bytes) is applied.
	if _, err := stream.EnsureStream(ctx, js, stream.StreamOptions{MaxBytes: 256 << 20}); err != nil {
		t.Fatal(err)
	}
	if c := info(); c.MaxBytes != 256<<20 || c.MaxAge != 30*24*time.Hour {
		t.Errorf("explicit max bytes: %d (max age %s kept?)", c.MaxBytes, c.MaxAge)
	}
	// The subjects are the service's, whatever an operator did.
	edited = info()
	edited.Subjects = []string{"other.>"}
	if _, err := js.UpdateStream(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.EnsureStream(ctx, js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := info(); len(c.Subjects) != 1 || c.Subjects[0] != event.SubjectAll {
		t.Errorf("subjects %v", c.Subjects)
	}
	// So are direct gets, which a stream made by an earlier release lacks:
	// the publisher's lookups of the latest event use them.
	edited = info()
	edited.AllowDirect = false
	if _, err := js.UpdateStream(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.EnsureStream(ctx, js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := info(); !c.AllowDirect {
		t.Error("direct gets not allowed after EnsureStream on a stream without them")
	}
}
