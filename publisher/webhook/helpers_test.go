package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// testSecret is a fixed valid secret (24 zero bytes would do as well).
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("WEBHOOK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// connect opens a connection of its own (a replica) to srv.
func connect(t *testing.T, srv *server.Server) jetstream.JetStream {
	t.Helper()
	_, js := natstest.Connect(t, srv.ClientURL())
	return js
}

// eventsStream creates the events stream as the event publisher does.
func eventsStream(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	_, err := js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{
		Name: DefaultStream, Subjects: []string{event.SubjectAll}, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
}

var testBase = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// publish stores event n of schedule (n orders the events of a schedule:
// it is the minute of the event time) and returns its id.
func publish(t *testing.T, js jetstream.JetStream, schedule string, open bool, n int) string {
	t.Helper()
	at := testBase.Add(time.Duration(n) * time.Minute)
	typ := event.TypeClosed
	if open {
		typ = event.TypeOpened
	}
	ev := event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("%s-%03d", strings.ReplaceAll(schedule, " ", "_"), n), Source: "test",
		Type: typ, Subject: schedule, Time: at, DataContentType: "application/json",
		Data: event.Data{Schedule: schedule, IsOpen: open, At: at}}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), event.EventSubject(schedule, open), body, jetstream.WithMsgID(ev.ID)); err != nil {
		t.Fatalf("publish %s: %v", ev.ID, err)
	}
	return ev.ID
}

// delivery is one request a receiver got.
type delivery struct {
	ID       string
	Schedule string
	Minute   int // n of publish
	Type     string
	At       time.Time
	Status   int // what the receiver answered
}

// receiver is a webhook endpoint on loopback that verifies every request
// and answers what status returns (200 when nil).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	status func(d delivery) int
	bad    int          // requests that failed verification
	secret atomic.Value // the endpoint's secret (default testSecret)
}

func newReceiver(t *testing.T, status func(delivery) int) *receiver {
	r := &receiver{t: t, status: status}
	r.secret.Store(testSecret)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// newReceiverAt starts a receiver on a given address (to come back on the
// port of an endpoint that was refusing connections).
func newReceiverAt(t *testing.T, addr string, status func(delivery) int) *receiver {
	r := &receiver{t: t, status: status}
	r.secret.Store(testSecret)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s again: %v", addr, err)
	}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Listener.Close()
	r.srv.Listener = l
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := event.Verify(r.secret.Load().(string), req.Header, body, time.Now(), 0); err != nil || req.Header.Get("Content-Type") != event.ContentType {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		r.t.Errorf("receiver: bad delivery (%v, content-type %q)", err, req.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev event.Event
	_ = json.Unmarshal(body, &ev)
	d := delivery{ID: req.Header.Get(event.HeaderID), Schedule: ev.Subject, Minute: int(ev.Time.Sub(testBase) / time.Minute),
		Type: event.KindOf(event.EventSubject(ev.Subject, ev.Data.IsOpen)), At: time.Now(), Status: http.StatusOK}
	if d.ID != ev.ID {
		r.t.Errorf("webhook-id %q is not the event id %q", d.ID, ev.ID)
	}
	r.mu.Lock()
	if r.status != nil {
		d.Status = r.status(d)
	}
	r.got = append(r.got, d)
	r.mu.Unlock()
	w.WriteHeader(d.Status)
}

// accepted returns the deliveries answered 2xx, in arrival order.
func (r *receiver) accepted() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.got {
		if d.Status/100 == 2 {
			out = append(out, d)
		}
	}
	return out
}

// attempts returns every request for one event id.
func (r *receiver) attempts(id string) []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.got {
		if d.ID == id {
			out = append(out, d)
		}
	}
	return out
}

// positions returns where the requests for an event id are among all
// requests received, in order.
func (r *receiver) positions(id string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for i, d := range r.got {
		if d.ID == id {
			out = append(out, i)
		}
	}
	return out
}

// checkOnceInOrder asserts that exactly the ids in want were accepted, each
// once, and in order per schedule.
func checkOnceInOrder(t *testing.T, got []delivery, want []string) {
	t.Helper()
	count := map[string]int{}
	last := map[string]int{}
	dups := 0
	for _, d := range got {
		count[d.ID]++
		if count[d.ID] > 1 {
			dups++
			continue
		}
		if prev, ok := last[d.Schedule]; ok && d.Minute <= prev {
			t.Errorf("schedule %s: event %d arrived after event %d", d.Schedule, d.Minute, prev)
		}
		last[d.Schedule] = d.Minute
	}
	var missing []string
	for _, id := range want {
		if count[id] == 0 {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d events never arrived: %v", len(missing), len(want), missing)
	}
	if len(count) != len(want) {
		t.Errorf("%d distinct events arrived, want %d", len(count), len(want))
	}
	if dups != 0 {
		t.Errorf("%d duplicate deliveries", dups)
	}
}

// fastOptions are Options with tiny timings for tests, and loopback
// receivers allowed.
func fastOptions(t *testing.T, eps ...Endpoint) Options {
	return Options{
		Endpoints:      eps,
		AttemptTimeout: 2 * time.Second,
		BackoffBase:    20 * time.Millisecond,
		BackoffMax:     200 * time.Millisecond,
		ProbeMax:       200 * time.Millisecond,
		AckWait:        3 * time.Second,
		AllowPrivate:   true,
		Registerer:     prometheus.NewRegistry(),
		Logger:         testLogger(t),
	}
}

func startDispatcher(t *testing.T, js jetstream.JetStream, o Options) *Dispatcher {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := Start(ctx, js, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return d
}

// metricValue sums the samples of a metric family whose labels include
// want (counters and gauges).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}
