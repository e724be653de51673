package webhook

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// manySchedules names n schedules.
func manySchedules(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Sched %03d", i)
	}
	return out
}

// publishRounds publishes rounds events of every schedule, round by round
// (interleaved in the stream), and returns the ids.
func publishRounds(t *testing.T, pub func(string, bool, int) string, scheds []string, from, rounds int) []string {
	t.Helper()
	var ids []string
	for n := from; n < from+rounds; n++ {
		for i, s := range scheds {
			ids = append(ids, pub(s, (n+i)%2 == 0, n))
		}
	}
	return ids
}

// checkAtLeastOnceInOrder asserts that every id in want was accepted, and
// that per schedule the first acceptance of each event came in order;
// duplicates are allowed (after a crash). It returns the duplicates.
func checkAtLeastOnceInOrder(t *testing.T, got []delivery, want []string) int {
	t.Helper()
	seen := map[string]bool{}
	last := map[string]int{}
	dups := 0
	for _, d := range got {
		if seen[d.ID] {
			dups++
			continue
		}
		seen[d.ID] = true
		if prev, ok := last[d.Schedule]; ok && d.Minute <= prev {
			t.Errorf("schedule %s: event %d first arrived after event %d", d.Schedule, d.Minute, prev)
		}
		last[d.Schedule] = d.Minute
	}
	missing := 0
	for _, id := range want {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d events never arrived", missing, len(want))
	}
	return dups
}

// TestFailingScheduleDoesNotBlockOthers: the receiver fails every event
// of one schedule (say its handler for that schedule is broken); the
// events of every other schedule are delivered meanwhile, each once and in
// order, and the broken schedule's events follow, in order, once it is
// fixed. No duration is asserted.
func TestFailingScheduleDoesNotBlockOthers(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	var broken atomic.Bool
	broken.Store(true)
	r := newReceiver(t, func(d delivery) int {
		if d.Schedule == "Broken" && broken.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	o := fastOptions(t, Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret})
	o.Concurrency = 4
	d := startDispatcher(t, js, o)
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }

	others := manySchedules(12)
	var wantOthers, wantBroken []string
	for n := range 5 {
		wantBroken = append(wantBroken, pub("Broken", n%2 == 0, n))
		wantOthers = append(wantOthers, publishRounds(t, pub, others, n, 1)...)
	}
	poll.Until(t, "every event of the working schedules", func() bool { return len(r.accepted()) >= len(wantOthers) })
	got := r.accepted()
	checkOnceInOrder(t, got, wantOthers)
	if n := len(r.attempts(wantBroken[0])); n < 2 {
		t.Errorf("the broken schedule's first event was attempted %d times, want retries", n)
	}
	for _, id := range wantBroken[1:] {
		if n := len(r.attempts(id)); n != 0 {
			t.Errorf("event %s was attempted %d times while an earlier event of its schedule was failing", id, n)
		}
	}
	if st, _ := d.EndpointStatus(context.Background(), "crm"); st.State.Failing != nil || st.State.Disabled != nil {
		t.Errorf("one failing schedule marked the endpoint %+v", st.State)
	}

	broken.Store(false)
	poll.Until(t, "the broken schedule's events once fixed", func() bool {
		return len(r.accepted()) >= len(wantOthers)+len(wantBroken)
	})
	time.Sleep(50 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), append(wantOthers, wantBroken...))
}

// TestConcurrencyBoundedPerEndpoint: attempts to one endpoint run in
// parallel across schedules, never more than Concurrency at once, and
// never two of one schedule at once.
func TestConcurrencyBoundedPerEndpoint(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	perSchedule := map[string]int{}
	r := newReceiver(t, nil)
	slow := newReceiver(t, nil)
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sched := req.Header.Get("webhook-id")[:9] // "Sched_0xx"
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		perSchedule[sched]++
		if perSchedule[sched] > 1 {
			t.Errorf("two events of %s in flight at once", sched)
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inFlight--
		perSchedule[sched]--
		mu.Unlock()
		r.serve(w, req)
	})
	o := fastOptions(t, Endpoint{ID: "crm", URL: slow.URL(), Secret: testSecret})
	o.Concurrency = 6
	startDispatcher(t, js, o)
	want := publishRounds(t, func(s string, open bool, n int) string { return publish(t, js, s, open, n) }, manySchedules(30), 0, 4)
	poll.Until(t, "every event", func() bool { return len(r.accepted()) >= len(want) })
	checkOnceInOrder(t, r.accepted(), want)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("at most %d attempts in flight (concurrency %d)", peak, o.Concurrency)
	if peak > o.Concurrency || peak < 2 {
		t.Errorf("at most %d attempts in flight, want 2 to %d", peak, o.Concurrency)
	}
}

// TestEndpointRecoveryDeliversBacklogPromptly: a receiver failing every
// event makes the endpoint failing (state and metric), it is then only
// probed; once it answers, every waiting event is delivered, in order per
// schedule, although their scheduled retries are an hour away. The
// condition holding before poll.Timeout proves the prompt retry.
func TestEndpointRecoveryDeliversBacklogPromptly(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	var down atomic.Bool
	down.Store(true)
	r := newReceiver(t, func(delivery) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	o := fastOptions(t, Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret})
	o.BackoffBase, o.BackoffMax = time.Hour, time.Hour
	reg := o.Registerer.(*prometheus.Registry)
	d := startDispatcher(t, js, o)
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }
	scheds := manySchedules(8)
	want := publishRounds(t, pub, scheds, 0, 3)
	poll.Until(t, "the endpoint to be marked failing", func() bool {
		st, err := d.EndpointStatus(context.Background(), "crm")
		return err == nil && st.State.Failing != nil
	})
	st, _ := d.EndpointStatus(context.Background(), "crm")
	if f := st.State.Failing; f.LastStatus != 503 || f.LastError != "HTTP 503 Service Unavailable" {
		t.Errorf("failing %+v", f)
	}
	if v := metricValue(t, reg, "schedmgr_webhook_endpoint_failing", map[string]string{"endpoint": "crm"}); v != 1 {
		t.Errorf("endpoint_failing = %v, want 1", v)
	}
	attempts := len(r.got)
	poll.Until(t, "a few probes", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.got) >= attempts+3
	})
	want = append(want, publishRounds(t, pub, scheds, 3, 2)...) // while failing
	down.Store(false)
	poll.Until(t, "the backlog after the receiver recovered", func() bool { return len(r.accepted()) >= len(want) })
	time.Sleep(50 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want)
	poll.Until(t, "the failing mark to clear", func() bool {
		st, err := d.EndpointStatus(context.Background(), "crm")
		return err == nil && st.State.Failing == nil
	})
	if n := metricValue(t, reg, "schedmgr_webhook_dead_letters_total", nil); n != 0 {
		t.Errorf("%v dead letters", n)
	}
}

// TestGoneDisablesEndpoint: 410 Gone disables the endpoint on every
// replica (state, metric); its events wait, and once an admin enables it
// they are delivered in order, from the event that got the 410.
func TestGoneDisablesEndpoint(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	var gone atomic.Bool
	gone.Store(true)
	r := newReceiver(t, func(d delivery) int {
		if d.ID == "Support-002" && gone.Load() {
			return http.StatusGone
		}
		return http.StatusOK
	})
	ep := Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret}
	oa, ob := fastOptions(t, ep), fastOptions(t, ep)
	a := startDispatcher(t, connect(t, srv), oa)
	b := startDispatcher(t, connect(t, srv), ob)
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }
	var want []string
	for n := range 4 {
		want = append(want, pub("Support", n%2 == 0, n))
	}
	for _, d := range []*Dispatcher{a, b} {
		poll.Until(t, "the endpoint to be disabled on every replica", func() bool {
			st, err := d.EndpointStatus(context.Background(), "crm")
			return err == nil && st.State.Disabled != nil
		})
	}
	st, _ := a.EndpointStatus(context.Background(), "crm")
	if dis := st.State.Disabled; dis.Reason != DisabledGone || dis.Status != 410 {
		t.Errorf("disabled %+v", dis)
	}
	for _, reg := range []prometheus.Gatherer{oa.Registerer.(*prometheus.Registry), ob.Registerer.(*prometheus.Registry)} {
		if v := metricValue(t, reg.(*prometheus.Registry), "schedmgr_webhook_endpoint_disabled", map[string]string{"endpoint": "crm"}); v != 1 {
			t.Errorf("endpoint_disabled = %v, want 1", v)
		}
	}
	want = append(want, pub("Support", true, 4), pub("Sales", true, 4)) // while disabled
	poll.Until(t, "the disabled endpoint's backlog", func() bool {
		st, err := b.EndpointStatus(context.Background(), "crm")
		return err == nil && st.Backlog != nil && *st.Backlog == 4 // Support-002..004, Sales-004
	})
	if got := r.accepted(); len(got) != 2 {
		t.Errorf("accepted %d events, want the 2 before the 410", len(got))
	}
	if n := metricValue(t, oa.Registerer.(*prometheus.Registry), "schedmgr_webhook_dead_letters_total", nil) +
		metricValue(t, ob.Registerer.(*prometheus.Registry), "schedmgr_webhook_dead_letters_total", nil); n != 0 {
		t.Errorf("%v dead letters: a 410 must disable the endpoint, not dead-letter the event", n)
	}

	gone.Store(false)
	st, err := b.EnableEndpoint(context.Background(), "crm", "test")
	if err != nil || st.State.Disabled != nil {
		t.Fatalf("enable: %+v, %v", st.State, err)
	}
	poll.Until(t, "the backlog once enabled", func() bool { return len(r.accepted()) >= len(want) })
	time.Sleep(50 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want)
	if v := metricValue(t, oa.Registerer.(*prometheus.Registry), "schedmgr_webhook_endpoint_disabled", map[string]string{"endpoint": "crm"}); v != 0 {
		t.Errorf("endpoint_disabled after enable = %v", v)
	}

	// An admin disables and enables it too.
	if st, err := a.DisableEndpoint(context.Background(), "crm", "ops"); err != nil || st.State.Disabled == nil ||
		st.State.Disabled.Reason != DisabledAdmin || st.State.Disabled.By != "ops" {
		t.Fatalf("disable: %+v, %v", st.State.Disabled, err)
	}
	want = append(want, pub("Support", false, 5))
	poll.Until(t, "the event to wait", func() bool {
		st, err := b.EndpointStatus(context.Background(), "crm")
		return err == nil && st.State.Disabled != nil && st.Backlog != nil && *st.Backlog == 1
	})
	if _, err := b.EnableEndpoint(context.Background(), "crm", "ops"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the event once enabled again", func() bool { return len(r.accepted()) >= len(want) })
	if _, err := a.EnableEndpoint(context.Background(), "nope", "ops"); err == nil {
		t.Error("enabling an unknown endpoint succeeded")
	}
}

// TestDisabledForURL: a disable applies to the URL that was disabled; a
// configured endpoint whose URL changed since is enabled.
func TestDisabledForURL(t *testing.T) {
	e := Endpoint{ID: "crm", URL: "https://a.example/h"}
	st := State{Disabled: &Disabled{Reason: DisabledGone, URLHash: urlHash(e.URL)}}
	if !st.disabledFor(e) {
		t.Error("not disabled for its URL")
	}
	e.URL = "https://b.example/h"
	if st.disabledFor(e) {
		t.Error("disabled for another URL")
	}
	if !(State{Disabled: &Disabled{}}).disabledFor(e) {
		t.Error("a disable without URL applies to any URL")
	}
}

// TestCrashedReplicaHandsOver: the replica delivering to an endpoint loses
// NATS and stops at once, handing nothing back (as if it were killed),
// while it holds events; the other replica takes over once the pin
// expires, and every event arrives at least once, first in order per
// schedule; only events in flight at the crash arrive twice.
// (e2e.TestWebhookDeliveryThroughReplicaKill kills a real process.)
func TestCrashedReplicaHandsOver(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	r := newReceiver(t, nil)
	slow := newReceiver(t, nil)
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(30 * time.Millisecond)
		r.serve(w, req)
	})
	ep := Endpoint{ID: "crm", URL: slow.URL(), Secret: testSecret}
	opts := func() Options {
		o := fastOptions(t, ep)
		o.Concurrency = 4
		return o
	}
	nca, jsa := natstest.Connect(t, srv.ClientURL())
	oa, ob := opts(), opts()
	a := startDispatcher(t, jsa, oa)
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }
	scheds := manySchedules(10)
	want := publishRounds(t, pub, scheds, 0, 6)
	poll.Until(t, "replica a to deliver some", func() bool { return len(r.accepted()) >= 10 })
	startDispatcher(t, connect(t, srv), ob) // the standby
	time.Sleep(100 * time.Millisecond)
	nca.Close() // replica a is gone...
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = a.Stop(ctx) // ...and delivers nothing more
	want = append(want, publishRounds(t, pub, scheds, 6, 2)...)
	poll.Until(t, "every event after the hand-over", func() bool {
		seen := map[string]bool{}
		for _, d := range r.accepted() {
			seen[d.ID] = true
		}
		return len(seen) >= len(want)
	})
	dups := checkAtLeastOnceInOrder(t, r.accepted(), want)
	na := metricValue(t, oa.Registerer.(*prometheus.Registry), "schedmgr_webhook_attempts_total", nil)
	nb := metricValue(t, ob.Registerer.(*prometheus.Registry), "schedmgr_webhook_attempts_total", nil)
	t.Logf("%d events: replica a attempted %v, replica b %v, %d duplicates", len(want), na, nb, dups)
	if nb == 0 {
		t.Error("replica b delivered nothing")
	}
	if dups > 2*oa.Concurrency {
		t.Errorf("%d duplicates, want at most the attempts a could have in flight", dups)
	}
}
