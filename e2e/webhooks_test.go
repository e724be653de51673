package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// hookReceiver is a webhook receiver on loopback that verifies every
// request and records, per schedule, the states of the events in the
// order they first arrived (it de-duplicates on webhook-id, as receivers
// should), answering after a short delay.
type hookReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	seen     map[string]bool
	states   map[string][]bool // schedule → isOpen, in first-arrival order
	requests int
	bad      int
	last     time.Time
}

func newHookReceiver(t *testing.T, delay time.Duration) *hookReceiver {
	h := &hookReceiver{seen: map[string]bool{}, states: map[string][]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(delay)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := event.Verify(hookSecret, r.Header, body, time.Now(), 0); err != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev event.Event
		_ = json.Unmarshal(body, &ev)
		h.requests++
		h.last = time.Now()
		if id := r.Header.Get(event.HeaderID); !h.seen[id] {
			h.seen[id] = true
			h.states[ev.Data.Schedule] = append(h.states[ev.Data.Schedule], ev.Data.IsOpen)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) distinct() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

// startHookReplica runs `schedule-manager serve` on srvURL with one
// configured webhook endpoint.
func startHookReplica(t *testing.T, bin, natsURL, id, seedFile, hookURL string) *replica {
	t.Helper()
	settings := filepath.Join(t.TempDir(), "settings.yaml")
	doc := fmt.Sprintf(`webhook-allow-private: true
webhook-ack-wait: 4s
webhooks:
  - id: e2e
    url: %s
    secret: %s
`, hookURL, hookSecret)
	if err := os.WriteFile(settings, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return runReplica(t, bin, id, "--nats-url", natsURL, "--seed-config", seedFile, "--settings", settings)
}

var okAttemptsRE = regexp.MustCompile(`(?m)^schedmgr_webhook_attempts_total\{endpoint="e2e",outcome="ok"\} (\S+)$`)

// webhookAttempts reads a replica's successful attempts to the endpoint.
func webhookAttempts(base string) float64 {
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := okAttemptsRE.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// Two serve processes deliver to one endpoint: one of them at a time. The
// one delivering is SIGKILLed in the middle of a burst of transitions,
// while it holds events; the other takes over, and the receiver gets every
// event at least once, first in order per schedule. How long the takeover
// took is logged, not asserted.
func TestWebhookDeliveryThroughReplicaKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := buildBinary(t)
	srv := natstest.Server(t)
	names := make([]string, 8)
	var rules []string
	for i := range names {
		names[i] = fmt.Sprintf("Desk %d", i)
		rules = append(rules, fmt.Sprintf(`{"name": %q, "timeZone": "Europe/London", "rules": ["all"]}`, names[i]))
	}
	seed := filepath.Join(t.TempDir(), "seed.json")
	doc := `{"rules": [{"id": "all", "name": "All day", "isOpen": true, "dateRRule": "FREQ=DAILY"}], "schedules": [` +
		strings.Join(rules, ",") + `]}`
	if err := os.WriteFile(seed, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHookReceiver(t, 100*time.Millisecond)
	reps := []*replica{
		startHookReplica(t, bin, srv.ClientURL(), "w1", seed, h.srv.URL+"/hook"),
		startHookReplica(t, bin, srv.ClientURL(), "w2", seed, h.srv.URL+"/hook"),
	}
	const rounds = 6
	live := reps
	var killed time.Time
	var survivor *replica
	for round := range rounds {
		if round == 3 {
			poll.Until(t, "deliveries before the kill", func() bool { return h.distinct() >= 2*len(names) })
			active := -1
			for i, r := range reps {
				if webhookAttempts(r.base) > 0 {
					active = i
				}
			}
			if active < 0 {
				t.Fatal("no replica reports a delivery")
			}
			if err := reps[active].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = time.Now()
			survivor = reps[1-active]
			live = []*replica{survivor}
			t.Logf("killed %s, the replica delivering, with %d of %d events delivered", reps[active].id, h.distinct(), round*len(names))
		}
		for _, n := range names {
			transition(t, live, n, round%2 == 0)
		}
	}
	total := rounds * len(names)
	poll.Until(t, "every event at the receiver", func() bool { return h.distinct() >= total })
	took := webhookAttempts(survivor.base)
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("%d events, %d requests (%d duplicates); the survivor delivered %v; all in %s after the kill",
		total, h.requests, h.requests-total, took, h.last.Sub(killed).Round(time.Millisecond))
	if h.bad != 0 {
		t.Errorf("%d requests failed verification", h.bad)
	}
	if took == 0 {
		t.Error("the survivor delivered nothing")
	}
	for _, n := range names {
		got := h.states[n]
		ok := len(got) == rounds
		for i, open := range got {
			ok = ok && open == (i%2 == 1) // closed, open, closed...
		}
		if !ok {
			t.Errorf("schedule %s: states %v in first-arrival order, want %d alternating from closed", n, got, rounds)
		}
	}
}
