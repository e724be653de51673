package stream_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

func counter(t testing.TB, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "schedmgr_events_published_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// lag returns the sample count and sum of the lag histogram.
func lag(t testing.TB, reg *prometheus.Registry) (uint64, float64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "schedmgr_event_publish_lag_seconds" {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	return 0, 0
}

func newPublisher(t testing.TB, ncURL string, opts stream.Options) (*stream.Publisher, *prometheus.Registry) {
	t.Helper()
	nc, _ := natstest.Connect(t, ncURL, natstest.Reconnect)
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	p, err := stream.New(nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p, reg
}

func TestPublishStoresOnce(t *testing.T) {
	srv, _, js, _ := setup(t)
	p, reg := newPublisher(t, srv.ClientURL(), stream.Options{})
	ev := newEvent("Support", time.Now(), false)
	ctx := ctxT(t)
	for i := 0; i < 2; i++ {
		if err := p.Publish(ctx, ev); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	got := storedEvents(t, js)
	if len(got) != 1 || got[0].ID != ev.ID || got[0].Data.Schedule != "Support" || !got[0].Time.Equal(ev.Time) {
		t.Fatalf("stored %s", describeIDs(got))
	}
	if s, d := counter(t, reg, stream.OutcomeStored), counter(t, reg, stream.OutcomeDuplicate); s != 1 || d != 1 {
		t.Errorf("stored %v duplicate %v, want 1 and 1", s, d)
	}
	if c, sum := lag(t, reg); c != 1 || sum <= 0 || sum > 5 {
		t.Errorf("lag histogram count %d sum %v", c, sum)
	}
}

// Three replicas publishing the same transitions store each once.
func TestThreePublishersStoreOneMessage(t *testing.T) {
	srv, _, js, _ := setup(t)
	const n = 200
	base := time.Now().Truncate(time.Second)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = newEvent(fmt.Sprintf("S%d", i%20), base.Add(time.Duration(i)*time.Millisecond), (i/20)%2 == 0)
	}
	regs := make([]*prometheus.Registry, 3)
	var wg sync.WaitGroup
	for r := range regs {
		p, reg := newPublisher(t, srv.ClientURL(), stream.Options{})
		regs[r] = reg
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ev := range evs {
				if !p.Enqueue(ev) {
					t.Error("enqueue dropped")
				}
			}
			if err := p.Flush(ctxT(t)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := storedEvents(t, js)
	if len(got) != n {
		t.Fatalf("stored %d events, want %d", len(got), n)
	}
	// Per schedule, in the order published.
	last := map[string]time.Time{}
	for _, ev := range got {
		if !ev.Time.After(last[ev.Data.Schedule]) {
			t.Fatalf("schedule %s out of order at %s", ev.Data.Schedule, ev.Time)
		}
		last[ev.Data.Schedule] = ev.Time
	}
	var stored, dups float64
	for _, reg := range regs {
		stored += counter(t, reg, stream.OutcomeStored)
		dups += counter(t, reg, stream.OutcomeDuplicate)
	}
	if stored != n || dups != 2*n {
		t.Errorf("outcomes stored %v duplicate %v, want %d and %d", stored, dups, n, 2*n)
	}
}

// Events published before the stream exists are retried until it does.
func TestRetriesUntilStored(t *testing.T) {
	srv := natstest.Server(t)
	_, js := natstest.Connect(t, srv.ClientURL(), natstest.Reconnect)
	p, reg := newPublisher(t, srv.ClientURL(), stream.Options{MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ev := newEvent("Support", time.Now(), true)
	if !p.Enqueue(ev) {
		t.Fatal("dropped")
	}
	poll.Until(t, "a failed attempt", func() bool { return counter(t, reg, stream.OutcomeError) >= 1 })
	if _, err := stream.EnsureStream(ctxT(t), js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := storedEvents(t, js); len(got) != 1 || got[0].ID != ev.ID {
		t.Fatalf("stored %s", describeIDs(got))
	}
	if counter(t, reg, stream.OutcomeDropped) != 0 {
		t.Error("counted a drop")
	}
}

func TestQueueFullAndCloseDropCounted(t *testing.T) {
	srv := natstest.Server(t) // no stream: nothing can be stored
	p, reg := newPublisher(t, srv.ClientURL(), stream.Options{QueueSize: 2, MinBackoff: 10 * time.Millisecond})
	now := time.Now()
	results := []bool{}
	for i := 0; i < 5; i++ {
		results = append(results, p.Enqueue(newEvent("S", now.Add(time.Duration(i)), true)))
	}
	if !results[0] || !results[1] {
		t.Fatalf("first events dropped: %v", results)
	}
	queueDrops := counter(t, reg, stream.OutcomeDropped)
	if queueDrops == 0 {
		t.Fatalf("no drop counted for a full queue: %v", results)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v", err)
	}
	total := 0
	for _, ok := range results {
		if ok {
			total++
		}
	}
	// Every accepted event was dropped at Close, every refused one at once.
	if got := counter(t, reg, stream.OutcomeDropped); got != 5 || p.Drops() != 5 {
		t.Errorf("dropped %v (Drops %d), want 5 (accepted %d)", got, p.Drops(), total)
	}
	if err := p.Publish(context.Background(), newEvent("S", now, true)); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
}

// An event is not published when the stream already announces it: a late
// event (maybe past the de-duplication window) when its schedule has a
// later event, and a config event announcing the state already stored (a
// replica that missed a config version). Boundary events on time are not
// looked up.
func TestSupersededEventsNotPublished(t *testing.T) {
	now := time.Now()
	withCause := func(ev event.Event, cause string) event.Event {
		ev.Data.Cause = cause
		return ev
	}
	tests := []struct {
		name   string
		events []event.Event
		stored []int // indexes of the events that must be stored
	}{
		{"late event behind a later one",
			[]event.Event{newEvent("S", now.Add(-time.Hour), true), newEvent("S", now.Add(-2*time.Hour), false), newEvent("T", now.Add(-2*time.Hour), false)},
			[]int{0, 2}},
		{"config event repeating the stored state",
			[]event.Event{newEvent("S", now, false), withCause(newEvent("S", now.Add(time.Second), false), scheduler.CauseConfig),
				withCause(newEvent("S", now.Add(2*time.Second), true), scheduler.CauseConfig)},
			[]int{0, 2}},
		{"reconcile event repeating the stored state",
			[]event.Event{newEvent("S", now, true), withCause(newEvent("S", now.Add(time.Second), true), scheduler.CauseReconcile)},
			[]int{0}},
		{"boundary events on time are not looked up",
			[]event.Event{newEvent("S", now, false), newEvent("S", now.Add(time.Second), false)},
			[]int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, js, _ := setup(t)
			p, reg := newPublisher(t, srv.ClientURL(), stream.Options{LateAfter: time.Minute})
			ctx := ctxT(t)
			for _, ev := range tt.events {
				if err := p.Publish(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			got := storedEvents(t, js)
			var want []event.Event
			for _, i := range tt.stored {
				want = append(want, tt.events[i])
			}
			if describeIDs(got) != describeIDs(want) {
				t.Fatalf("stored %s\nwant %s", describeIDs(got), describeIDs(want))
			}
			if d := counter(t, reg, stream.OutcomeDuplicate); int(d) != len(tt.events)-len(tt.stored) {
				t.Errorf("duplicates %v", d)
			}
		})
	}
}
