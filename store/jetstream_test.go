package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var prefixSeq atomic.Int64

func newTestJetStream(t *testing.T, js jetstream.JetStream, opts Options) *JetStream {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = fmt.Sprintf("t%d", prefixSeq.Add(1))
	}
	opts.Logger = quiet
	s, err := NewJetStream(t.Context(), js, opts)
	if err != nil {
		t.Fatalf("NewJetStream: %v", err)
	}
	return s
}

func TestJetStream(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	testStore(t, func(t *testing.T) Store { return newTestJetStream(t, js, Options{}) })
}

// TestJetStreamAllObjects runs the contract with every document in the
// object store rather than inline, compressed and not.
func TestJetStreamAllObjects(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	for _, c := range []Compression{CompressAlways, CompressNever} {
		t.Run(c.String(), func(t *testing.T) {
			testStore(t, func(t *testing.T) Store { return newTestJetStream(t, js, Options{InlineMaxBytes: -1, Compression: c}) })
		})
	}
}

func TestJetStreamRestart(t *testing.T) {
	dir := t.TempDir()
	srv := natstest.Server(t, natstest.StoreDir(dir))
	nc, js := natstest.Connect(t, srv.ClientURL())
	s := newTestJetStream(t, js, Options{Prefix: "restart"})
	v1 := mustPut(t, s, `{"n":1}`, 0)
	big := largeDoc(3 << 20)
	v2 := mustPut(t, s, string(big), v1)
	v3 := mustPutMeta(t, s, `{"n":3}`, v2, Meta{Author: "carol", Message: "before restart"})
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	_, js = natstest.Connect(t, natstest.Server(t, natstest.StoreDir(dir)).ClientURL())
	s = newTestJetStream(t, js, Options{Prefix: "restart"})
	ctx := t.Context()
	got, err := s.Get(ctx)
	if err != nil || got.Version != v3 || string(got.Data) != `{"n":3}` || got.Meta.Message != "before restart" {
		t.Fatalf("Get after restart = %+v, %v; want v%d", got, err, v3)
	}
	if e, err := s.Version(ctx, v2); err != nil || string(e.Data) != string(big) {
		t.Fatalf("Version(%d) after restart: %d bytes, %v", v2, len(e.Data), err)
	}
	if h, err := s.History(ctx, 0); err != nil || len(h) != 3 || h[0].Version != v3 || h[2].Version != v1 {
		t.Fatalf("History after restart = %+v, %v", h, err)
	}
	if v4 := mustPut(t, s, `{"n":4}`, v3); v4 <= v3 {
		t.Fatalf("Put after restart = %d, want > %d", v4, v3)
	}
}

// TestJetStreamMissingHistoryRecord simulates a writer that crashed after
// updating the head but before writing the history record.
func TestJetStreamMissingHistoryRecord(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	for _, tc := range []struct {
		name   string
		repair func(t *testing.T, s *JetStream, head uint64) // must restore the record
	}{
		{"backfilled by NewJetStream", func(t *testing.T, s *JetStream, _ uint64) {
			newTestJetStream(t, js, s.opts)
		}},
		{"backfilled by next Put", func(t *testing.T, s *JetStream, head uint64) {
			mustPut(t, s, `{"next":true}`, head)
		}},
		{"backfilled by Version", func(t *testing.T, s *JetStream, head uint64) {
			if _, err := s.Version(t.Context(), head); err != nil {
				t.Fatalf("Version(%d): %v", head, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s := newTestJetStream(t, js, Options{})
			v1 := mustPut(t, s, `{"n":1}`, 0)
			v2 := mustPutMeta(t, s, `{"n":2}`, v1, Meta{Author: "dave"})
			if err := s.history.Purge(ctx, historyKey(v2)); err != nil {
				t.Fatal(err)
			}
			// Reads repair the record in the background: wait for that
			// before removing it again, so no repair is in flight when
			// the one under test runs.
			restored := func() bool {
				_, err := s.history.Get(ctx, historyKey(v2))
				return err == nil
			}
			// Everything still answers from the head key meanwhile.
			if e, err := s.Version(ctx, v2); err != nil || string(e.Data) != `{"n":2}` {
				t.Fatalf("Version(%d) without record = %s, %v", v2, e.Data, err)
			}
			poll.Until(t, "Version's repair", restored)
			if err := s.history.Purge(ctx, historyKey(v2)); err != nil {
				t.Fatal(err)
			}
			if h, err := s.History(ctx, 0); err != nil || len(h) != 2 || h[0].Version != v2 || h[0].Meta.Author != "dave" {
				t.Fatalf("History without record = %+v, %v", h, err)
			}
			poll.Until(t, "History's repair", restored)
			if err := s.history.Purge(ctx, historyKey(v2)); err != nil {
				t.Fatal(err)
			}
			tc.repair(t, s, v2)
			poll.Until(t, "the repair under test", restored)
			kve, err := s.history.Get(ctx, historyKey(v2))
			if err != nil {
				t.Fatalf("history record %d not restored: %v", v2, err)
			}
			if rec, err := decodeRecord(kve.Value()); err != nil || rec.Version != v2 || string(rec.inline) != `{"n":2}` {
				t.Fatalf("restored record = %+v, %v", rec, err)
			}
		})
	}
}

func TestJetStreamLimits(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	s := newTestJetStream(t, js, Options{MaxDocumentBytes: 1000})
	for _, tc := range []struct {
		name string
		doc  []byte
		want error
	}{
		{"too large", largeDoc(1001), ErrTooLarge},
		{"empty", nil, nil},
	} {
		_, err := s.Put(t.Context(), tc.doc, 0, Meta{})
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: Put err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := s.Put(t.Context(), largeDoc(1000), 0, Meta{}); err != nil {
		t.Errorf("Put at the limit: %v", err)
	}
	for _, opts := range []Options{{Prefix: "bad.prefix"}, {Replicas: 9}} {
		if _, err := NewJetStream(t.Context(), js, opts); err == nil {
			t.Errorf("NewJetStream(%+v) succeeded, want error", opts)
		}
	}
}

func TestPresence(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx := t.Context()
	const ttl = 500 * time.Millisecond
	p, err := NewPresence(ctx, js, Options{Prefix: "presence", PresenceTTL: ttl})
	if err != nil {
		t.Fatalf("NewPresence: %v", err)
	}
	list := func() string {
		t.Helper()
		rs, err := p.Replicas(ctx)
		if err != nil {
			t.Fatalf("Replicas: %v", err)
		}
		var b strings.Builder
		for _, r := range rs {
			if time.Since(r.Seen) > time.Minute || r.Seen.After(time.Now().Add(time.Second)) {
				t.Errorf("replica %s seen at %v", r.ID, r.Seen)
			}
			if !slices.Equal(r.Encodings, []string{encodingZstd}) {
				t.Errorf("replica %s announces it reads %q, want zstd", r.ID, r.Encodings)
			}
			fmt.Fprintf(&b, "%s=%d ", r.ID, r.Version)
		}
		return b.String()
	}
	if got := list(); got != "" {
		t.Fatalf("Replicas on empty bucket = %q", got)
	}
	steps := []struct {
		id      string
		version uint64
		want    string
	}{
		{"web-b", 3, "web-b=3 "},
		{"web-a.example.com", 2, "web-a.example.com=2 web-b=3 "},
		{"web-a.example.com", 3, "web-a.example.com=3 web-b=3 "},
	}
	for _, st := range steps {
		if err := p.Announce(ctx, st.id, st.version); err != nil {
			t.Fatalf("Announce(%s, %d): %v", st.id, st.version, err)
		}
		if got := list(); got != st.want {
			t.Fatalf("after Announce(%s, %d): Replicas = %q, want %q", st.id, st.version, got, st.want)
		}
	}
	if err := p.Announce(ctx, "bad id", 1); err == nil {
		t.Error("Announce with an invalid ID succeeded")
	}
	if err := p.Withdraw(ctx, "web-b"); err != nil {
		t.Fatalf("Withdraw: %v", err)
	}
	if got := list(); got != "web-a.example.com=3 " {
		t.Fatalf("after Withdraw: Replicas = %q", got)
	}
	// Without heartbeats the remaining announcement expires.
	poll.Until(t, fmt.Sprintf("the announcement to expire after its %v TTL", ttl), func() bool { return list() == "" })
	if p.TTL() != ttl {
		t.Errorf("TTL() = %v, want %v", p.TTL(), ttl)
	}
}

// The replicas bucket lives in memory: a restart of the NATS servers loses
// it. Announce brings it back instead of failing forever.
func TestPresenceBucketComesBack(t *testing.T) {
	srv := natstest.Server(t)
	_, js := natstest.Connect(t, srv.ClientURL())
	ctx := t.Context()
	p, err := NewPresence(ctx, js, Options{Prefix: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Announce(ctx, "r1", 3); err != nil {
		t.Fatal(err)
	}
	// What a restart of an in-memory stream does.
	if err := js.DeleteKeyValue(ctx, "gone_replicas"); err != nil {
		t.Fatal(err)
	}
	if err := p.Announce(ctx, "r1", 4); err != nil {
		t.Fatalf("announce after the bucket was lost: %v", err)
	}
	reps, err := p.Replicas(ctx)
	if err != nil || len(reps) != 1 || reps[0].ID != "r1" || reps[0].Version != 4 {
		t.Fatalf("replicas after the bucket came back: %+v, %v", reps, err)
	}
}

// The document read or written last is kept: reading it again does not
// touch the object store and shares the bytes (no copy of up to 64 MB), a
// kept document a caller wrote into is not served again, and a record
// naming another object is read from the object store as before.
func TestJetStreamKeepsLastObject(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	s := newTestJetStream(t, js, Options{InlineMaxBytes: -1})
	ctx := t.Context()
	first := largeDoc(1 << 20)
	v1 := mustPut(t, s, string(first), 0)
	second := largeDoc(1<<20 + 7)
	v2 := mustPut(t, s, string(second), v1)

	// v2's object was written last: kept, and shared by its readers.
	// Gone from the object store, it is still read (from what is kept).
	if err := s.docs.Delete(ctx, objectOf(t, s, v2)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Version(ctx, v2)
	if err != nil || string(got.Data) != string(second) {
		t.Fatalf("Version(%d) from the kept object: %d bytes, %v", v2, len(got.Data), err)
	}
	again, err := s.Get(ctx)
	if err != nil || &again.Data[0] != &got.Data[0] {
		t.Fatalf("Get after Version(%d): %v; shares the kept bytes: %v", v2, err, err == nil && &again.Data[0] == &got.Data[0])
	}
	// A caller that writes into the shared bytes breaks their digest: the
	// next reader goes to the object store (which no longer has it here)
	// rather than get the changed document.
	got.Data[0] = 'X'
	if e, err := s.Get(ctx); err == nil {
		t.Fatalf("Get after a caller changed the kept bytes: %.20q, no error", e.Data)
	}
	// v1 is not kept: read from the object store, and kept from then on.
	if e, err := s.Version(ctx, v1); err != nil || string(e.Data) != string(first) {
		t.Fatalf("Version(%d): %d bytes, %v", v1, len(e.Data), err)
	}
	if _, err := s.Version(ctx, v2); err == nil {
		t.Fatalf("Version(%d) after its object was deleted and another kept: no error", v2)
	}
}

// objectOf returns the name of the object holding version v's document.
func objectOf(t *testing.T, s *JetStream, v uint64) string {
	t.Helper()
	kve, err := s.head.GetRevision(t.Context(), headKey, v)
	if err != nil {
		t.Fatalf("head revision %d: %v", v, err)
	}
	rec, err := decodeRecord(kve.Value())
	if err != nil || rec.Object == "" {
		t.Fatalf("record of version %d: %+v, %v", v, rec, err)
	}
	return rec.Object
}
