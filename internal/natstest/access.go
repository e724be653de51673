package natstest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// permissionWait bounds how long a check waits for the server to report a
// permissions violation (asynchronously, as NATS does).
const permissionWait = 10 * time.Second

// AsyncErrors collects the asynchronous errors of a connection (NATS
// reports a denied publish or subscription that way).
type AsyncErrors struct {
	mu   sync.Mutex
	errs []error
	more chan struct{}
}

// NewAsyncErrors returns an empty collector; Option installs it.
func NewAsyncErrors() *AsyncErrors { return &AsyncErrors{more: make(chan struct{}, 1)} }

// Option is the connection option that feeds e.
func (e *AsyncErrors) Option() nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		e.mu.Lock()
		e.errs = append(e.errs, err)
		e.mu.Unlock()
		select {
		case e.more <- struct{}{}:
		default:
		}
	})
}

// Wait returns the first error received whose text contains want, or nil
// after d.
func (e *AsyncErrors) Wait(want string, d time.Duration) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		for _, err := range e.errs {
			if strings.Contains(err.Error(), want) {
				e.mu.Unlock()
				return err
			}
		}
		e.mu.Unlock()
		select {
		case <-e.more:
		case <-deadline.C:
			return nil
		}
	}
}

// All returns every error received so far.
func (e *AsyncErrors) All() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// RefusesAnonymous fails the test unless the server at url refuses a
// connection without credentials.
func RefusesAnonymous(t testing.TB, url string) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(0), nats.Timeout(5*time.Second))
	if err == nil {
		nc.Close()
		t.Fatalf("a connection without credentials to %s was accepted", url)
	}
	if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(err.Error(), "Authorization Violation") {
		t.Fatalf("a connection without credentials failed with %v, want an authorization violation", err)
	}
	t.Logf("without credentials: %v", err)
}

// Forbidden is something an events reader must not be able to do: Do
// tries it on the reader's connection; Violation is the subject named in
// the permissions violation the server must report.
type Forbidden struct {
	Name      string
	Do        func(ctx context.Context, nc *nats.Conn, js jetstream.JetStream)
	Violation string
}

// ReaderForbidden are the attacks of issue 10 and their kin, tried with
// reader credentials: read the webhook secrets, write the config or token
// buckets, publish an event, reach the object store or any other stream.
var ReaderForbidden = []Forbidden{
	{"read the webhooks bucket", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) {
		_, _ = js.KeyValue(ctx, "schedmgr_webhooks")
	}, `Publish to "$JS.API.STREAM.INFO.KV_schedmgr_webhooks"`},
	{"get a webhook endpoint directly", func(ctx context.Context, nc *nats.Conn, _ jetstream.JetStream) {
		_, _ = nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET.KV_schedmgr_webhooks.$KV.schedmgr_webhooks.crm", nil)
	}, `Publish to "$JS.API.DIRECT.GET.KV_schedmgr_webhooks.$KV.schedmgr_webhooks.crm"`},
	{"watch the webhooks bucket", func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) {
		_, _ = nc.SubscribeSync("$KV.schedmgr_webhooks.>")
	}, `Subscription to "$KV.schedmgr_webhooks.>"`},
	{"write a config version", func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) {
		_ = nc.Publish("$KV.schedmgr_config.config", []byte(`{"rules":[],"schedules":[]}`))
	}, `Publish to "$KV.schedmgr_config.config"`},
	{"replace the generated admin token's hash", func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) {
		_ = nc.Publish("$KV.schedmgr_auth.generated-admin", []byte("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"))
	}, `Publish to "$KV.schedmgr_auth.generated-admin"`},
	{"publish a forged event", func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) {
		_ = nc.Publish(event.EventSubject("Support", false), []byte(`{"specversion":"1.0","id":"forged","type":"`+event.TypeClosed+`"}`))
	}, `Publish to "` + event.EventSubject("Support", false) + `"`},
	{"open the config documents object store", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) {
		_, _ = js.ObjectStore(ctx, "schedmgr_docs")
	}, `Publish to "$JS.API.STREAM.INFO.OBJ_schedmgr_docs"`},
	{"create a stream", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) {
		_, _ = js.CreateStream(ctx, jetstream.StreamConfig{Name: "STOLEN", Subjects: []string{"stolen.>"}})
	}, `Publish to "$JS.API.STREAM.CREATE.STOLEN"`},
	{"delete the events stream", func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) {
		_ = js.DeleteStream(ctx, event.StreamName)
	}, `Publish to "$JS.API.STREAM.DELETE.` + event.StreamName + `"`},
}

// streamsState is the last sequence of every stream the service sees but
// the presence bucket, which a running service writes every few seconds.
func streamsState(t testing.TB, ctx context.Context, js jetstream.JetStream) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	names := js.StreamNames(ctx)
	for n := range names.Name() {
		if n == "KV_schedmgr_replicas" {
			continue
		}
		s, err := js.Stream(ctx, n)
		if err != nil {
			t.Fatalf("stream %s: %v", n, err)
		}
		if cfg := s.CachedInfo().Config; cfg.Mirror != nil || len(cfg.Sources) > 0 {
			// Filled from another stream (the webhook delivery stream):
			// it moves when its origin does, which is checked itself.
			continue
		}
		out[n] = s.CachedInfo().State.LastSeq
	}
	if err := names.Err(); err != nil {
		t.Fatalf("stream names: %v", err)
	}
	return out
}

// CheckEventsReader connects to readerURL with reader credentials and
// checks, against the running server, that the reader can do what a
// subscriber needs and nothing else: a core subscription receives events
// and snapshots; an ordered consumer and a durable consumer of its own on
// SCHEDMGR_EVENTS receive stored events (and the durable one takes acks);
// every action of ReaderForbidden fails with a permissions violation; and
// a JetStream request whose reply subject names a bucket or an event
// subject (the server would write its answer there) changes no stream of
// the service. service is a connection with the service's identity: it
// publishes a probe event into the events stream, which must exist, as
// must the readers' mirror of it.
func CheckEventsReader(t *testing.T, service *nats.Conn, readerURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sjs, err := jetstream.New(service)
	if err != nil {
		t.Fatal(err)
	}
	errs := NewAsyncErrors()
	reader, err := nats.Connect(readerURL, errs.Option(), nats.Name("natstest reader"))
	if err != nil {
		t.Fatalf("connect as the reader: %v", err)
	}
	defer reader.Close()
	rjs, err := jetstream.New(reader)
	if err != nil {
		t.Fatal(err)
	}

	probe := event.EventSubject("Reader Probe", false)
	t.Run("core subscription", func(t *testing.T) {
		events, err := reader.SubscribeSync(event.SubjectAll)
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := reader.SubscribeSync(event.SnapshotSubject)
		if err != nil {
			t.Fatal(err)
		}
		if err := reader.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, err := sjs.Publish(ctx, probe, []byte(`{"probe":1}`)); err != nil {
			t.Fatalf("the service publishes an event: %v", err)
		}
		if err := service.Publish(event.SnapshotSubject, []byte(`{"probe":"snapshot"}`)); err != nil {
			t.Fatal(err)
		}
		if m, err := events.NextMsg(permissionWait); err != nil || m.Subject != probe {
			t.Errorf("event on a core subscription: %v, %v", m, err)
		}
		if _, err := snaps.NextMsg(permissionWait); err != nil {
			t.Errorf("snapshot on a core subscription: %v", err)
		}
		_ = events.Unsubscribe()
		_ = snaps.Unsubscribe()
	})
	src, err := sjs.Stream(ctx, event.StreamName)
	if err != nil {
		t.Fatalf("events stream: %v", err)
	}
	last := src.CachedInfo().State.LastSeq

	t.Run("ordered consumer", func(t *testing.T) {
		cons, err := rjs.OrderedConsumer(ctx, event.StreamName, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{probe}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy})
		if err != nil {
			t.Fatalf("ordered consumer: %v", err)
		}
		// The mirror may trail the stream for a moment.
		deadline := time.Now().Add(permissionWait)
		for {
			m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
			if err == nil {
				if md, _ := m.Metadata(); md != nil && md.Sequence.Stream == last {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the ordered consumer did not receive stream sequence %d: %v", last, err)
			}
		}
	})

	t.Run("durable consumer of its own", func(t *testing.T) {
		cons, err := rjs.CreateOrUpdateConsumer(ctx, event.StreamName, jetstream.ConsumerConfig{
			Durable: "natstest-reader", FilterSubject: probe, AckPolicy: jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy})
		if err != nil {
			t.Fatalf("durable consumer: %v", err)
		}
		defer func() {
			if err := rjs.DeleteConsumer(ctx, event.StreamName, "natstest-reader"); err != nil {
				t.Errorf("delete its own consumer: %v", err)
			}
		}()
		deadline := time.Now().Add(permissionWait)
		for {
			m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
			if err == nil {
				if err := m.DoubleAck(ctx); err != nil {
					t.Fatalf("ack: %v", err)
				}
				md, _ := m.Metadata()
				if md != nil && md.Sequence.Stream == last {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the durable consumer did not receive stream sequence %d: %v", last, err)
			}
		}
		info, err := cons.Info(ctx)
		if err != nil || info.AckFloor.Stream != last {
			t.Errorf("ack floor after the ack: %v, %v; want stream sequence %d", info, err, last)
		}
	})

	before := streamsState(t, ctx, sjs)
	for _, f := range ReaderForbidden {
		t.Run("forbidden: "+f.Name, func(t *testing.T) {
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			f.Do(actx, reader, rjs)
			err := errs.Wait(f.Violation, permissionWait)
			if err == nil {
				t.Fatalf("no permissions violation for %s (errors: %v)", f.Violation, errs.All())
			}
			t.Logf("%s: %v", f.Name, err)
		})
	}
	t.Run("reply subjects cannot aim the server's answers", func(t *testing.T) {
		for _, reply := range []string{"$KV.schedmgr_auth.generated-admin", "$KV.schedmgr_config.config", probe} {
			if err := reader.PublishRequest("$JS.API.CONSUMER.INFO."+event.StreamName+".none", reply, nil); err != nil {
				t.Fatal(err)
			}
		}
		// A round trip after them: the server has handled them.
		if _, err := rjs.Stream(ctx, event.StreamName); err != nil {
			t.Fatalf("stream info as the reader: %v", err)
		}
		if err := reader.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	after := streamsState(t, ctx, sjs)
	for name, seq := range after {
		if before[name] != seq {
			t.Errorf("stream %s of the service changed while the reader tried what it may not: last sequence %d, then %d", name, before[name], seq)
		}
	}
}
