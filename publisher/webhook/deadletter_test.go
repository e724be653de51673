package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// deadLettersOf lists an endpoint's dead letters ("" for everyone's).
func deadLettersOf(t *testing.T, d *Dispatcher, endpoint string) []DeadLetter {
	t.Helper()
	list, _, err := d.DeadLetters(context.Background(), endpoint, 0, 100)
	if err != nil {
		t.Fatalf("dead letters of %q: %v", endpoint, err)
	}
	return list
}

// TestFailingReceiverDeadLetters: a receiver answering 500 sees
// MaxDeliver attempts, each retry scheduled after the backoff of its
// attempt (the delays the worker chose, as TestBackoff bounds them; the
// gaps the receiver saw are logged, not asserted); after MaxDeliver
// attempts the event is a dead letter (API, metrics) and the next event
// goes through; once the receiver is fixed an admin redelivers it. A 4xx
// is dead-lettered at once.
func TestFailingReceiverDeadLetters(t *testing.T) {
	const maxDeliver = 5
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	// The receiver answers failing to the event failID, 200 to others.
	var failing atomic.Int32
	var failID atomic.Value
	failing.Store(http.StatusInternalServerError)
	failID.Store("Support-000")
	r := newReceiver(t, func(d delivery) int {
		if code := int(failing.Load()); code != 0 && d.ID == failID.Load() {
			return code
		}
		return http.StatusOK
	})
	o := fastOptions(t, Endpoint{ID: "crm", URL: r.URL(), Secret: testSecret})
	o.MaxDeliver, o.BackoffBase, o.BackoffMax = maxDeliver, 100*time.Millisecond, 5*time.Second
	retries := &retryLog{}
	o.Logger = slog.New(retries)
	reg := o.Registerer.(*prometheus.Registry)
	d := startDispatcher(t, js, o)

	bad := publish(t, js, "Support", false, 0) // Support-000
	next := publish(t, js, "Support", true, 1)
	poll.Until(t, "the dead letter", func() bool {
		return len(deadLettersOf(t, d, "crm")) == 1
	})
	poll.Until(t, "the next event", func() bool { return len(r.accepted()) == 1 })
	time.Sleep(300 * time.Millisecond) // no further attempt may come

	tries := r.attempts(bad)
	if len(tries) != maxDeliver {
		t.Fatalf("%d attempts, want %d (max-deliver)", len(tries), maxDeliver)
	}
	var gaps []time.Duration
	for i := 1; i < len(tries); i++ {
		gaps = append(gaps, tries[i].At.Sub(tries[i-1].At))
	}
	t.Logf("gaps between attempts: %v", gaps)
	// Each failed attempt but the last is retried after the backoff of
	// its number: BackoffBase·2ⁿ⁻¹ less up to 20% of jitter.
	scheduled := retries.of(bad)
	if len(scheduled) != maxDeliver-1 {
		t.Fatalf("%d retries scheduled (%v), want %d", len(scheduled), scheduled, maxDeliver-1)
	}
	for i, s := range scheduled {
		hi := min(o.BackoffBase<<i, o.BackoffMax)
		if lo := hi - hi/5; s.attempt != i+1 || s.delay < lo || s.delay > hi {
			t.Errorf("retry %d: after attempt %d in %s, want after attempt %d in %s..%s", i+1, s.attempt, s.delay, i+1, lo, hi)
		}
	}
	// The next event waits for the failing one to be dead-lettered.
	if got := r.accepted(); got[0].ID != next {
		t.Errorf("accepted %v, want the next event %s", got, next)
	}
	if bads, nexts := r.positions(bad), r.positions(next); nexts[0] < bads[len(bads)-1] {
		t.Errorf("the next event arrived (request %d) before the last attempt of the failing one (requests %v)", nexts[0], bads)
	}

	dl := deadLettersOf(t, d, "crm")[0]
	if dl.EventID != bad || dl.Attempts != maxDeliver || dl.LastStatus != 500 || dl.Reason != ReasonExhausted ||
		dl.Schedule != "Support" || dl.Type != TypeClosed || dl.StreamSeq != 1 || len(dl.Event) == 0 {
		t.Errorf("dead letter %+v", dl)
	}
	if all := deadLettersOf(t, d, ""); len(all) != 1 || all[0].Seq != dl.Seq {
		t.Errorf("every endpoint's dead letters = %+v", all)
	}
	for _, m := range []struct {
		name, outcome string
		want          float64
	}{
		{"schedmgr_webhook_attempts_total", OutcomeRetry, maxDeliver},
		{"schedmgr_webhook_attempts_total", OutcomeOK, 1},
		{"schedmgr_webhook_deliveries_total", OutcomeDeadLettered, 1},
		{"schedmgr_webhook_deliveries_total", OutcomeDelivered, 1},
	} {
		if got := metricValue(t, reg, m.name, map[string]string{"outcome": m.outcome}); got != m.want {
			t.Errorf("%s{outcome=%s} = %v, want %v", m.name, m.outcome, got, m.want)
		}
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters_total", map[string]string{"endpoint": "crm", "reason": ReasonExhausted}); got != 1 {
		t.Errorf("dead_letters_total = %v", got)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters_stored", map[string]string{"endpoint": "crm"}); got != 1 {
		t.Errorf("dead_letters_stored gauge = %v", got)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_attempts_total", nil); got != maxDeliver+1 {
		t.Errorf("attempts_total = %v, want %d", got, maxDeliver+1)
	}

	// Still failing: the redelivery reports the failure and keeps it.
	ctx := context.Background()
	if res, err := d.Redeliver(ctx, "crm", dl.Seq, "test"); err != nil || res.Status != 500 || res.Delivered {
		t.Errorf("redeliver to a failing receiver: %+v, %v", res, err)
	}
	failing.Store(0)
	if res, err := d.Redeliver(ctx, "crm", dl.Seq, "test"); err != nil || !res.Delivered || res.EventID != bad {
		t.Errorf("redeliver: %+v, %v", res, err)
	}
	if n := len(r.attempts(bad)); n != maxDeliver+2 || r.attempts(bad)[n-1].Status != 200 {
		t.Errorf("the receiver saw %d attempts of %s", n, bad)
	}
	if l := deadLettersOf(t, d, "crm"); len(l) != 0 {
		t.Errorf("dead letter still listed after redelivery: %+v", l)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters_stored", map[string]string{"endpoint": "crm"}); got != 0 {
		t.Errorf("dead_letters_stored gauge after redelivery = %v", got)
	}
	if _, err := d.Redeliver(ctx, "crm", dl.Seq, "test"); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("second redelivery: %v, want ErrNoDeadLetter", err)
	}

	// A permanent rejection is dead-lettered after one attempt.
	failing.Store(http.StatusNotFound)
	failID.Store("Sales-005")
	publish(t, js, "Sales", false, 5)
	var l []DeadLetter
	poll.Until(t, "the rejected event's dead letter", func() bool {
		l = deadLettersOf(t, d, "crm")
		return len(l) == 1
	})
	if dl := l[0]; dl.Reason != ReasonRejected || dl.Attempts != 1 || dl.LastStatus != 404 || dl.LastError != "HTTP 404 Not Found" {
		t.Errorf("rejected dead letter %+v", dl)
	}
}

// scheduledRetry is a retry the worker scheduled: the attempt that failed
// and the delay before the next.
type scheduledRetry struct {
	attempt int
	delay   time.Duration
}

// retryLog is a slog.Handler that records, per event, the retries the
// worker logs ("will retry", with attempt and retryIn).
type retryLog struct {
	mu      sync.Mutex
	byEvent map[string][]scheduledRetry
	parent  *retryLog // of a handler made by WithAttrs
	attrs   []slog.Attr
}

func (h *retryLog) root() *retryLog {
	for h.parent != nil {
		h = h.parent
	}
	return h
}

func (h *retryLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *retryLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "webhook: delivery failed; will retry" {
		return nil
	}
	var event string
	var s scheduledRetry
	visit := func(a slog.Attr) bool {
		switch a.Key {
		case "event":
			event = a.Value.String()
		case "attempt":
			s.attempt = int(a.Value.Int64())
		case "retryIn":
			s.delay = a.Value.Duration()
		}
		return true
	}
	for _, a := range h.attrs {
		visit(a)
	}
	r.Attrs(visit)
	root := h.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	if root.byEvent == nil {
		root.byEvent = map[string][]scheduledRetry{}
	}
	root.byEvent[event] = append(root.byEvent[event], s)
	return nil
}

func (h *retryLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &retryLog{parent: h.root(), attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *retryLog) WithGroup(string) slog.Handler { return h }

// of returns the retries scheduled for an event, in order.
func (h *retryLog) of(event string) []scheduledRetry {
	root := h.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	return slices.Clone(root.byEvent[event])
}
