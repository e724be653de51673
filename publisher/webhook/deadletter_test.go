package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// adminServer serves a Dispatcher's routes without authentication.
func adminServer(t *testing.T, d *Dispatcher) *httptest.Server {
	mux := http.NewServeMux()
	for _, rt := range d.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// do calls the admin API and decodes the answer into out; it returns the
// status and the raw body.
func do(t *testing.T, method, url string, body any, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

type deadLetterList struct {
	DeadLetters []DeadLetter `json:"deadLetters"`
	Next        string       `json:"next"`
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
	api := adminServer(t, d).URL + "/api/v1"

	bad := publish(t, js, "Support", false, 0) // Support-000
	next := publish(t, js, "Support", true, 1)
	poll.Until(t, "the dead letter", func() bool {
		var l deadLetterList
		do(t, "GET", api+"/webhooks/crm/deadletters", nil, &l)
		return len(l.DeadLetters) == 1
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

	var l deadLetterList
	do(t, "GET", api+"/webhooks/crm/deadletters", nil, &l)
	dl := l.DeadLetters[0]
	if dl.EventID != bad || dl.Attempts != maxDeliver || dl.LastStatus != 500 || dl.Reason != ReasonExhausted ||
		dl.Schedule != "Support" || dl.Type != TypeClosed || dl.StreamSeq != 1 || len(dl.Event) == 0 {
		t.Errorf("dead letter %+v", dl)
	}
	var all deadLetterList
	do(t, "GET", api+"/deadletters", nil, &all)
	if len(all.DeadLetters) != 1 || all.DeadLetters[0].Seq != dl.Seq {
		t.Errorf("GET /deadletters = %+v", all)
	}
	for name, want := range map[string]float64{
		"retry":       maxDeliver - 1,
		"dead_letter": 1,
		"ok":          1,
	} {
		if got := metricValue(t, reg, "schedmgr_webhook_deliveries_total", map[string]string{"outcome": name}); got != want {
			t.Errorf("deliveries_total{outcome=%s} = %v, want %v", name, got, want)
		}
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters_total", map[string]string{"endpoint": "crm", "reason": ReasonExhausted}); got != 1 {
		t.Errorf("dead_letters_total = %v", got)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters", map[string]string{"endpoint": "crm"}); got != 1 {
		t.Errorf("dead_letters gauge = %v", got)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_attempts_total", nil); got != maxDeliver+1 {
		t.Errorf("attempts_total = %v, want %d", got, maxDeliver+1)
	}

	// Still failing: the redelivery reports the failure and keeps it.
	var res redeliverResult
	if code, body := do(t, "POST", api+"/webhooks/crm/deadletters/"+itoa(dl.Seq)+"/redeliver", nil, &res); code != http.StatusBadGateway || res.Status != 500 || res.Delivered {
		t.Errorf("redeliver to a failing receiver: %d %s", code, body)
	}
	failing.Store(0)
	if code, body := do(t, "POST", api+"/webhooks/crm/deadletters/"+itoa(dl.Seq)+"/redeliver", nil, &res); code != 200 || !res.Delivered || res.EventID != bad {
		t.Errorf("redeliver: %d %s", code, body)
	}
	if n := len(r.attempts(bad)); n != maxDeliver+2 || r.attempts(bad)[n-1].Status != 200 {
		t.Errorf("the receiver saw %d attempts of %s", n, bad)
	}
	do(t, "GET", api+"/webhooks/crm/deadletters", nil, &l)
	if len(l.DeadLetters) != 0 {
		t.Errorf("dead letter still listed after redelivery: %+v", l)
	}
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters", map[string]string{"endpoint": "crm"}); got != 0 {
		t.Errorf("dead_letters gauge after redelivery = %v", got)
	}
	if code, _ := do(t, "POST", api+"/webhooks/crm/deadletters/"+itoa(dl.Seq)+"/redeliver", nil, nil); code != 404 {
		t.Errorf("second redelivery: %d, want 404", code)
	}

	// A permanent rejection is dead-lettered after one attempt.
	failing.Store(http.StatusGone)
	failID.Store("Sales-005")
	publish(t, js, "Sales", false, 5)
	poll.Until(t, "the rejected event's dead letter", func() bool {
		do(t, "GET", api+"/webhooks/crm/deadletters", nil, &l)
		return len(l.DeadLetters) == 1
	})
	if dl := l.DeadLetters[0]; dl.Reason != ReasonRejected || dl.Attempts != 1 || dl.LastStatus != 410 {
		t.Errorf("rejected dead letter %+v", dl)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

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
