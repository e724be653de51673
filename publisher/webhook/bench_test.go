package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// The delivery benchmarks (DESIGN.md §3) run the real path: events
// published to an in-process nats-server, the Dispatcher with its default
// settings (benchOptions), and a loopback receiver that verifies each
// signature and answers after a fixed delay:
//
//	go test -run '^$' -bench 'Webhook' -benchtime 1x ./publisher/webhook
//
// BenchmarkWebhookThroughput200ms: ≥ 200 events/s across ≥ 200
// schedules with a receiver answering in 200 ms, order kept per schedule.
// BenchmarkWebhookFlips10k50ms: 10,000 flips to one endpoint answering in
// 50 ms delivered within 60 s. TestDeliveryRunSmoke runs the same code
// small in the ordinary test run.

// slowReceiver is a loopback webhook receiver that verifies every
// request, records the first arrival of each event, and answers 200 after
// delay.
type slowReceiver struct {
	srv   *httptest.Server
	delay time.Duration

	mu       sync.Mutex
	first    map[string]time.Time // event id → first arrival
	order    map[string][]int     // schedule → minutes in first-arrival order
	requests int
	bad      int
	done     chan struct{} // closed when want distinct events arrived
	want     int
}

func newSlowReceiver(tb testing.TB, delay time.Duration, want int) *slowReceiver {
	r := &slowReceiver{delay: delay, first: map[string]time.Time{}, order: map[string][]int{}, done: make(chan struct{}), want: want}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *slowReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	time.Sleep(r.delay)
	if err := event.Verify(testSecret, req.Header, body, time.Now(), 0); err != nil {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev event.Event
	_ = json.Unmarshal(body, &ev)
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if _, dup := r.first[ev.ID]; !dup {
		r.first[ev.ID] = now
		r.order[ev.Subject] = append(r.order[ev.Subject], int(ev.Time.Sub(testBase)/time.Minute))
		if len(r.first) == r.want {
			close(r.done)
		}
	}
}

// deliveryRun publishes rounds events to each of schedules schedules
// (round by round, all at once), waits until every event reached a
// receiver answering after delay, checks the order per schedule, and
// returns how long it took from the first publish to the last first
// arrival.
func deliveryRun(tb testing.TB, schedules, rounds int, delay time.Duration) (elapsed time.Duration, duplicates int) {
	tb.Helper()
	srv := natstest.Server(tb)
	_, js := natstest.Connect(tb, srv.ClientURL())
	if _, err := js.CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{
		Name: DefaultStream, Subjects: []string{event.SubjectAll}, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
	}); err != nil {
		tb.Fatal(err)
	}
	total := schedules * rounds
	r := newSlowReceiver(tb, delay, total)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := Start(ctx, js, benchOptions(tb, Endpoint{ID: "bench", URL: r.srv.URL + "/hook", Secret: testSecret}))
	if err != nil {
		tb.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	}()

	bodies := make([][]byte, 0, total)
	subjects := make([]string, 0, total)
	ids := make([]string, 0, total)
	for n := range rounds {
		for i := range schedules {
			s := fmt.Sprintf("Schedule %05d", i)
			at := testBase.Add(time.Duration(n) * time.Minute)
			open := (n+i)%2 == 0
			typ := event.TypeClosed
			if open {
				typ = event.TypeOpened
			}
			ev := event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("%s-%03d", strings.ReplaceAll(s, " ", "_"), n), Source: "bench",
				Type: typ, Subject: s, Time: at, DataContentType: "application/json", Data: event.Data{Schedule: s, IsOpen: open, At: at}}
			b, _ := json.Marshal(ev)
			bodies, subjects, ids = append(bodies, b), append(subjects, event.EventSubject(s, open)), append(ids, ev.ID)
		}
	}
	start := time.Now()
	for i := range bodies {
		if _, err := js.PublishAsync(subjects[i], bodies[i], jetstream.WithMsgID(ids[i])); err != nil {
			tb.Fatal(err)
		}
		if i%2000 == 1999 || i == len(bodies)-1 { // stay below the client's pending limit
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				tb.Fatal("publishing did not complete")
			}
		}
	}
	limit := time.Duration(total)*delay + 5*time.Minute // a hang, not a slow run
	select {
	case <-r.done:
	case <-time.After(limit):
		r.mu.Lock()
		n := len(r.first)
		r.mu.Unlock()
		tb.Fatalf("%d of %d events arrived within %s", n, total, limit)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var last time.Time
	for _, t := range r.first {
		if t.After(last) {
			last = t
		}
	}
	if r.bad > 0 {
		tb.Errorf("%d requests failed verification", r.bad)
	}
	for s, minutes := range r.order {
		for i, m := range minutes {
			if m != i {
				tb.Fatalf("schedule %s: events arrived in the order %v", s, minutes)
			}
		}
	}
	return last.Sub(start), r.requests - total
}

// TestDeliveryRunSmoke runs the benchmarks' code on a small load: every
// event arrives, in order per schedule. It asserts no duration.
func TestDeliveryRunSmoke(t *testing.T) {
	elapsed, dups := deliveryRun(t, 40, 3, 5*time.Millisecond)
	t.Logf("120 events in %s (%d duplicates)", elapsed.Round(time.Millisecond), dups)
	if dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
}

// BenchmarkWebhookThroughput200ms: 1,000 events over 200 schedules (five
// each, interleaved) to one endpoint answering in 200 ms.
func BenchmarkWebhookThroughput200ms(b *testing.B) {
	const schedules, rounds = 200, 5
	for range b.N {
		elapsed, dups := deliveryRun(b, schedules, rounds, 200*time.Millisecond)
		b.ReportMetric(float64(schedules*rounds)/elapsed.Seconds(), "events/s")
		b.ReportMetric(elapsed.Seconds(), "s/run")
		b.ReportMetric(float64(dups), "duplicates")
	}
}

// BenchmarkWebhookFlips10k50ms: 10,000 schedules flip at one instant; one
// endpoint answering in 50 ms receives every event.
func BenchmarkWebhookFlips10k50ms(b *testing.B) {
	const schedules = 10_000
	for range b.N {
		elapsed, dups := deliveryRun(b, schedules, 1, 50*time.Millisecond)
		b.ReportMetric(elapsed.Seconds(), "s-to-deliver-all")
		b.ReportMetric(float64(schedules)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(dups), "duplicates")
	}
}
