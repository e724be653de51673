package webhook

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
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

// TestFailingReceiverDeadLetters: a receiver answering 500 sees the
// attempts at growing intervals; after MaxDeliver attempts the event is a
// dead letter (API, metrics) and the next event goes through; once the
// receiver is fixed an admin redelivers it. A 4xx is dead-lettered at once.
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
	reg := o.Registerer.(*prometheus.Registry)
	d := startDispatcher(t, js, o)

	bad := publish(t, js, "Support", false, 0) // Support-000
	next := publish(t, js, "Support", true, 1)
	eventually(t, 10*time.Second, "the dead letter", func() bool {
		return len(deadLettersOf(t, d, "crm")) == 1
	})
	eventually(t, 5*time.Second, "the next event", func() bool { return len(r.accepted()) == 1 })
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
	for i, g := range gaps {
		if lo := time.Duration(float64(o.BackoffBase<<i) * 0.8); g < lo {
			t.Errorf("gap %d is %s, shorter than the backoff floor %s", i+1, g, lo)
		}
		if i > 0 && g <= gaps[i-1] {
			t.Errorf("gap %d (%s) does not grow from gap %d (%s)", i+1, g, i, gaps[i-1])
		}
	}
	if got := r.accepted(); got[0].ID != next {
		t.Errorf("accepted %v, want the next event %s", got, next)
	}

	dl := deadLettersOf(t, d, "crm")[0]
	if dl.EventID != bad || dl.Attempts != maxDeliver || dl.LastStatus != 500 || dl.Reason != ReasonExhausted ||
		dl.Schedule != "Support" || dl.Type != TypeClosed || dl.StreamSeq != 1 || len(dl.Event) == 0 {
		t.Errorf("dead letter %+v", dl)
	}
	if all := deadLettersOf(t, d, ""); len(all) != 1 || all[0].Seq != dl.Seq {
		t.Errorf("every endpoint's dead letters = %+v", all)
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
	if got := metricValue(t, reg, "schedmgr_webhook_dead_letters", map[string]string{"endpoint": "crm"}); got != 0 {
		t.Errorf("dead_letters gauge after redelivery = %v", got)
	}
	if _, err := d.Redeliver(ctx, "crm", dl.Seq, "test"); !errors.Is(err, ErrNoDeadLetter) {
		t.Errorf("second redelivery: %v, want ErrNoDeadLetter", err)
	}

	// A permanent rejection is dead-lettered after one attempt.
	failing.Store(http.StatusGone)
	failID.Store("Sales-005")
	publish(t, js, "Sales", false, 5)
	var l []DeadLetter
	eventually(t, 5*time.Second, "the rejected event's dead letter", func() bool {
		l = deadLettersOf(t, d, "crm")
		return len(l) == 1
	})
	if dl := l[0]; dl.Reason != ReasonRejected || dl.Attempts != 1 || dl.LastStatus != 410 {
		t.Errorf("rejected dead letter %+v", dl)
	}
}
