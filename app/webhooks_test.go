package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
)

const (
	hookSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	viewerToken = "test-viewer-token-0123456789"
)

// hookReceiver records the verified CloudEvents it receives.
type hookReceiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	got []event.Event
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := event.Verify(hookSecret, r.Header, body, time.Now(), 0); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev event.Event
		if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("webhook-id") != ev.ID {
			t.Errorf("receiver: body %s, webhook-id %q: %v", body, r.Header.Get("webhook-id"), err)
		}
		h.mu.Lock()
		h.got = append(h.got, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) events() []event.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]event.Event(nil), h.got...)
}

func webhookOptions(t *testing.T, dir, url string) Options {
	o := testOptions(t, dir)
	o.Tokens = []api.Token{{Name: "viewer", Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)}}
	o.Webhooks = WebhookOptions{
		Endpoints:   []webhook.Endpoint{{ID: "support-closes", URL: url, Secret: hookSecret, Schedules: []string{"Support"}, Types: []string{"closed"}}},
		BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, AttemptTimeout: 2 * time.Second,
		AllowPrivate: true, // the receivers are on loopback
	}
	return o
}

// TestManualCloseReachesWebhookOnce: two replicas on one NATS both see a
// manual close; the endpoint receives its signed event exactly once.
func TestManualCloseReachesWebhookOnce(t *testing.T) {
	h := newHookReceiver(t)
	a := start(t, webhookOptions(t, t.TempDir(), h.srv.URL))
	ob := webhookOptions(t, t.TempDir(), h.srv.URL)
	ob.NATSURL, ob.ReplicaID = serviceURL(t, a), "replica-b"
	start(t, ob)

	putManualClose(t, a, "Support")
	putManualClose(t, a, "Ops 24x7") // filtered out by schedule
	manual := func() []event.Event {
		var out []event.Event
		for _, ev := range h.events() {
			if ev.Data.ClosedReason == "manual" {
				out = append(out, ev)
			}
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(manual()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a duplicate from the other replica
	got := manual()
	if len(got) != 1 {
		t.Fatalf("received %d manual-close events, want exactly 1: %+v", len(got), got)
	}
	if ev := got[0]; ev.Subject != "Support" || ev.Type != event.TypeClosed || ev.Data.IsOpen {
		t.Errorf("event %+v", ev)
	}
	for _, ev := range h.events() {
		if ev.Subject != "Support" || ev.Data.IsOpen {
			t.Errorf("filtered endpoint received %s %s", ev.Subject, ev.Type)
		}
	}

	body := scrapeMetrics(t, "http://"+a.HTTPAddr()+"/metrics", adminToken)
	for _, want := range []string{"schedmgr_webhook_attempts_total{endpoint=\"support-closes\",outcome=\"ok\"} 1",
		"schedmgr_webhook_deliveries_total{endpoint=\"support-closes\",outcome=\"delivered\"} 1",
		"schedmgr_webhook_dead_letters_stored{endpoint=\"support-closes\"} 0", "schedmgr_webhook_endpoint_disabled{endpoint=\"support-closes\"} 0",
		"schedmgr_webhook_backlog{endpoint=\"support-closes\"} 0", "schedmgr_webhook_endpoints 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestWebhookAdminAPIThroughApp: authentication and roles apply to the
// webhook routes, and secrets never appear in a GET.
func TestWebhookAdminAPIThroughApp(t *testing.T) {
	h := newHookReceiver(t)
	a := start(t, webhookOptions(t, t.TempDir(), h.srv.URL))
	base := "http://" + a.HTTPAddr() + "/api/v1/webhooks"
	if code := call(t, "GET", base, "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d", code)
	}
	var list struct {
		Webhooks []map[string]any `json:"webhooks"`
	}
	if code := call(t, "GET", base, viewerToken, nil, &list); code != 200 || len(list.Webhooks) != 1 || list.Webhooks[0]["source"] != "config" {
		t.Errorf("viewer GET: %d %+v", code, list)
	}
	if code := call(t, "POST", base, viewerToken, map[string]any{"url": "https://203.0.113.10/h"}, nil); code != http.StatusForbidden {
		t.Errorf("viewer POST: %d, want 403", code)
	}
	var bad struct{ Error string }
	if code := call(t, "POST", base, adminToken, map[string]any{"url": "gopher://x"}, &bad); code != 400 || !strings.Contains(bad.Error, "use http or https") {
		t.Errorf("bad URL: %d %q", code, bad.Error)
	}
	var created struct {
		ID, Secret, CreatedBy string
	}
	// A public address (documentation range) for a schedule that does not
	// exist: nothing is ever sent to it.
	if code := call(t, "POST", base, adminToken, map[string]any{"url": "https://203.0.113.10/h", "types": []string{"opened"},
		"schedules": []string{"No such schedule"}}, &created); code != 201 ||
		!strings.HasPrefix(created.Secret, "whsec_") || created.CreatedBy != "admin" {
		t.Fatalf("admin POST: %d %+v", code, created)
	}
	for _, url := range []string{base, base + "/" + created.ID, base + "/support-closes"} {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+viewerToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(b), created.Secret[6:]) || strings.Contains(string(b), hookSecret[6:]) {
			t.Errorf("GET %s: %d, shows a secret? %s", url, resp.StatusCode, b)
		}
	}
	if code := call(t, "DELETE", base+"/"+created.ID, viewerToken, nil, nil); code != http.StatusForbidden {
		t.Errorf("viewer DELETE: %d", code)
	}
	if code := call(t, "DELETE", base+"/"+created.ID, adminToken, nil, nil); code != 200 {
		t.Errorf("admin DELETE: %d", code)
	}
	if code := call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/deadletters", viewerToken, nil, nil); code != 200 {
		t.Errorf("GET deadletters: %d", code)
	}
}

func TestWebhookOptionsValidated(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*WebhookOptions)
		want string
	}{
		{"bad url", func(w *WebhookOptions) { w.Endpoints[0].URL = "ftp://x" }, "webhooks.endpoints[0].url"},
		{"bad secret", func(w *WebhookOptions) { w.Endpoints[0].Secret = "hunter2" }, "webhooks.endpoints[0].secret"},
		{"duplicate id", func(w *WebhookOptions) { w.Endpoints = append(w.Endpoints, w.Endpoints[0]) }, "webhooks.endpoints[1].id"},
		{"backoff", func(w *WebhookOptions) { w.BackoffBase, w.BackoffMax = time.Minute, time.Second }, "webhooks.backoff-max"},
		{"negative", func(w *WebhookOptions) { w.MaxDeliver = -1 }, "must not be negative"},
		{"negative concurrency", func(w *WebhookOptions) { w.Concurrency = -1 }, "must not be negative"},
		{"loopback refused", func(w *WebhookOptions) { w.AllowPrivate = false }, "webhooks.endpoints[0].url: 127.0.0.1 is a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := webhookOptions(t, t.TempDir(), "http://127.0.0.1:1/")
			tt.mod(&o.Webhooks)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want it to name %q", err, tt.want)
			}
		})
	}
}
