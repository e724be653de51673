package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

var schedules = []string{"Support", "Ops 24x7", "Ünïcode.sales"}

// publishRound publishes event n of every schedule and returns the ids.
func publishRound(t *testing.T, pub func(string, bool, int) string, n int) []string {
	var ids []string
	for i, s := range schedules {
		ids = append(ids, pub(s, (n+i)%2 == 0, n))
	}
	return ids
}

// TestReceiverDownThenUp: an endpoint that is unreachable or answers 503
// for a while receives every event once it is back, each once and in order
// per schedule.
func TestReceiverDownThenUp(t *testing.T) {
	const down = 1500 * time.Millisecond
	tests := []struct {
		name string
		// serve starts the receiver; it is down until up.
		serve func(t *testing.T, up time.Time) (url string, r func() *receiver)
	}{
		{"503 while down", func(t *testing.T, up time.Time) (string, func() *receiver) {
			r := newReceiver(t, func(delivery) int {
				if time.Now().Before(up) {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			})
			return r.URL(), func() *receiver { return r }
		}},
		{"connection refused while down", func(t *testing.T, up time.Time) (string, func() *receiver) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			var r atomic.Pointer[receiver]
			time.AfterFunc(time.Until(up), func() { r.Store(newReceiverAt(t, addr, nil)) })
			return "http://" + addr + "/hook", func() *receiver { return r.Load() }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Server(t)
			js := connect(t, srv)
			eventsStream(t, js)
			up := time.Now().Add(down)
			url, rcv := tt.serve(t, up)
			o := fastOptions(t, Endpoint{ID: "crm", URL: url, Secret: testSecret})
			d := startDispatcher(t, js, o)
			pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }

			var want []string
			for n := range 10 { // while down
				want = append(want, publishRound(t, pub, n)...)
			}
			time.Sleep(down / 2)
			for n := 10; n < 15; n++ { // still down
				want = append(want, publishRound(t, pub, n)...)
			}
			poll.Until(t, "every event after the receiver is back", func() bool {
				r := rcv()
				return r != nil && len(r.accepted()) >= len(want)
			})
			for n := 15; n < 20; n++ { // after it is back
				want = append(want, publishRound(t, pub, n)...)
			}
			poll.Until(t, "the events published after", func() bool { return len(rcv().accepted()) >= len(want) })
			time.Sleep(100 * time.Millisecond) // room for a duplicate to show
			got := rcv().accepted()
			checkOnceInOrder(t, got, want)
			reg := o.Registerer.(*prometheus.Registry)
			retries := metricValue(t, reg, "schedmgr_webhook_attempts_total", map[string]string{"outcome": OutcomeRetry})
			oks := metricValue(t, reg, "schedmgr_webhook_deliveries_total", map[string]string{"outcome": OutcomeDelivered})
			t.Logf("%d events; first back %s after the receiver returned; %v retries before; %v ok",
				len(want), got[0].At.Sub(up).Round(time.Millisecond), retries, oks)
			if retries == 0 || oks != float64(len(want)) {
				t.Errorf("metrics: %v retries, %v ok; want some retries and %d ok", retries, oks, len(want))
			}
			if n := metricValue(t, reg, "schedmgr_webhook_dead_letters_total", nil); n != 0 {
				t.Errorf("%v dead letters", n)
			}
			_ = d
		})
	}
}

// TestTwoDispatchersDeliverOnce: two replicas pulling from one durable
// consumer deliver each event once in total, and the survivor delivers
// everything when one stops.
func TestTwoDispatchersDeliverOnce(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	r := newReceiver(t, nil)
	ep := Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret}
	oa, ob := fastOptions(t, ep), fastOptions(t, ep)
	a := startDispatcher(t, connect(t, srv), oa)
	startDispatcher(t, connect(t, srv), ob)
	pub := func(s string, open bool, n int) string { return publish(t, js, s, open, n) }

	var want []string
	for n := range 20 {
		want = append(want, publishRound(t, pub, n)...)
	}
	poll.Until(t, "the first batch", func() bool { return len(r.accepted()) >= len(want) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for n := 20; n < 40; n++ {
		want = append(want, publishRound(t, pub, n)...)
	}
	poll.Until(t, "the second batch", func() bool { return len(r.accepted()) >= len(want) })
	time.Sleep(100 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want)
	na := metricValue(t, oa.Registerer.(*prometheus.Registry), "schedmgr_webhook_attempts_total", nil)
	nb := metricValue(t, ob.Registerer.(*prometheus.Registry), "schedmgr_webhook_attempts_total", nil)
	t.Logf("replica a delivered %v, replica b %v (a stopped after the first %d)", na, nb, len(want)/2)
	if na+nb != float64(len(want)) {
		t.Errorf("%v + %v attempts for %d events", na, nb, len(want))
	}
	if nb < float64(len(want)/2) {
		t.Errorf("replica b delivered %v, want at least the %d published after a stopped", nb, len(want)/2)
	}
}

// TestFilters: endpoints filtered by schedule and by type get exactly
// their events.
func TestFilters(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	tests := []struct {
		id        string
		schedules []string
		types     []string
		want      func(schedule string, open bool) bool
	}{
		{"all", nil, nil, func(string, bool) bool { return true }},
		{"ops", []string{"Ops 24x7"}, nil, func(s string, _ bool) bool { return s == "Ops 24x7" }},
		{"closes", nil, []string{TypeClosed}, func(_ string, open bool) bool { return !open }},
		{"unicode-opens", []string{"Ünïcode.sales", "Nope"}, []string{TypeOpened}, func(s string, open bool) bool { return s == "Ünïcode.sales" && open }},
	}
	receivers := map[string]*receiver{}
	var eps []Endpoint
	for _, tt := range tests {
		receivers[tt.id] = newReceiver(t, nil)
		eps = append(eps, Endpoint{ID: tt.id, URL: receivers[tt.id].URL(), Secret: testSecret, Schedules: tt.schedules, Types: tt.types})
	}
	startDispatcher(t, js, fastOptions(t, eps...))
	wants := map[string][]string{}
	for n := range 6 {
		for i, s := range schedules {
			open := (n+i)%2 == 0
			id := publish(t, js, s, open, n)
			for _, tt := range tests {
				if tt.want(s, open) {
					wants[tt.id] = append(wants[tt.id], id)
				}
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := receivers[tt.id]
			poll.Until(t, "the matching events", func() bool { return len(r.accepted()) >= len(wants[tt.id]) })
			time.Sleep(50 * time.Millisecond)
			checkOnceInOrder(t, r.accepted(), wants[tt.id])
		})
	}
}

// TestStopHandsOverInFlightEvent: a replica stopping while its attempt
// hangs cuts it short when the stop deadline passes, hands the event back
// and gives up the pin at once, so the other replica delivers it without
// waiting for the ack wait or the pin to expire. Both are set far above
// poll.Timeout, so a delivery while the test polls can only come from the
// hand-over; how long it took is logged, not asserted.
func TestStopHandsOverInFlightEvent(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	var hang atomic.Bool
	hang.Store(true)
	entered := make(chan struct{}, 1)
	r := newReceiver(t, nil)
	slow := newReceiver(t, nil)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the servers close
	slow.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if hang.Load() {
			_, _ = io.Copy(io.Discard, req.Body) // so the server notices the client leaving
			entered <- struct{}{}
			select {
			case <-req.Context().Done():
			case <-release:
			}
			return
		}
		r.serve(w, req)
	})
	ep := Endpoint{ID: "crm", URL: slow.URL(), Secret: testSecret}
	// The attempt would hang for long, and the ack wait and the pin
	// (which either replica sets on the shared consumer) outlast the
	// polling below.
	slowAck := func() Options {
		o := fastOptions(t, ep)
		o.AttemptTimeout = 2 * poll.Timeout
		o.AckWait = 2 * poll.Timeout
		return o
	}
	a := startDispatcher(t, connect(t, srv), slowAck())
	id := publish(t, js, "Support", true, 1)
	select {
	case <-entered:
	case <-time.After(poll.Timeout):
		t.Fatal("no attempt")
	}
	hang.Store(false)
	startDispatcher(t, connect(t, srv), slowAck())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stopped := time.Now()
	if err := a.Stop(ctx); err == nil {
		t.Error("Stop returned no error although it cut an attempt short")
	}
	poll.Until(t, "the other replica to deliver", func() bool { return len(r.accepted()) == 1 })
	t.Logf("delivered by the other replica %s after Stop began", time.Since(stopped).Round(time.Millisecond))
	checkOnceInOrder(t, r.accepted(), []string{id})
}
