package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
)

// hookSecret is a fixed valid webhook secret.
const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// noDNS resolves no name: no test sends a DNS query.
func noDNS(_ context.Context, host string) ([]netip.Addr, error) {
	return nil, fmt.Errorf("no such host %s (tests resolve nothing)", host)
}

// webhookEnv is an API env whose webhook routes are served by a real
// Dispatcher on srv (one replica of the service), which allows loopback
// targets.
func webhookEnv(t *testing.T, srv *server.Server, endpoints ...webhook.Endpoint) *env {
	t.Helper()
	return webhookEnvWith(t, srv, webhook.Options{Endpoints: endpoints, AllowPrivate: true})
}

// webhookEnvWith is webhookEnv with the given dispatcher options.
func webhookEnvWith(t *testing.T, srv *server.Server, o webhook.Options) *env {
	t.Helper()
	_, js := natstest.Connect(t, srv.ClientURL())
	if _, err := js.CreateOrUpdateStream(t.Context(), jetstream.StreamConfig{
		Name: event.StreamName, Subjects: []string{event.SubjectAll}, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	o.Registerer, o.Logger = prometheus.NewRegistry(), slog.New(slog.DiscardHandler)
	if o.LookupIP == nil {
		o.LookupIP = noDNS
	}
	d, err := webhook.Start(ctx, js, o)
	if err != nil {
		t.Fatalf("webhook.Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	return newEnv(t, envOptions{deps: func(d2 *api.Deps) { d2.Webhooks = d }})
}

func TestWebhookCreateValidation(t *testing.T) {
	e := webhookEnv(t, natstest.Server(t), webhook.Endpoint{ID: "configured", URL: "http://127.0.0.1:1/x", Secret: hookSecret})
	const path = "/api/v1/webhooks"
	tests := []struct {
		name string
		body any
		code int
		says []string
	}{
		{"ftp URL", map[string]any{"url": "ftp://example.com/x"}, 400, []string{"url: ", `scheme "ftp" is not allowed; use http or https`}},
		{"no host", map[string]any{"url": "https:///x"}, 400, []string{"url: a host is required"}},
		{"relative URL", map[string]any{"url": "/hooks"}, 400, []string{"url: "}},
		{"missing URL", map[string]any{}, 400, []string{"url: required"}},
		{"secret without prefix", map[string]any{"url": "https://h/x", "secret": "s3cr3t-value-that-is-long-enough"}, 400,
			[]string{`secret: must start with "whsec_"`, "omit it to have one generated"}},
		{"short secret", map[string]any{"url": "https://h/x", "secret": "whsec_c2hvcnQ="}, 400, []string{"secret: the key is 5 bytes, want 24 to 64"}},
		{"secret not base64", map[string]any{"url": "https://h/x", "secret": "whsec_***"}, 400, []string{"not standard base64"}},
		{"bad type", map[string]any{"url": "https://h/x", "types": []string{"open"}}, 400, []string{`types[0]: "open" is not "opened" or "closed"`}},
		{"bad id", map[string]any{"url": "https://h/x", "id": "has space"}, 400, []string{"id: must be"}},
		{"unknown field", map[string]any{"url": "https://h/x", "events": []string{"x"}}, 400, []string{`unknown field "events"`}},
		{"not JSON", "url=https://h/x", 400, []string{"must be a JSON object"}},
		{"two objects", `{"url":"https://h/x"}{}`, 400, []string{"unexpected data after the JSON object"}},
		{"id of a configured endpoint", map[string]any{"url": "https://h/x", "id": "configured"}, 409, []string{`"configured" exists`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(path, adminToken, tt.body)
			if r.code != tt.code {
				t.Errorf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			for _, s := range tt.says {
				if !strings.Contains(r.str("error"), s) {
					t.Errorf("error %q does not say %q", r.str("error"), s)
				}
			}
		})
	}
	if r := e.post(path, viewerToken, map[string]any{"url": "https://h/x"}); r.code != http.StatusForbidden {
		t.Errorf("viewer create: %d %s", r.code, r.body)
	}
	if r := e.get(path, viewerToken); r.code != 200 || len(r.json["webhooks"].([]any)) != 1 {
		t.Errorf("a rejected request created an endpoint: %s", r.body)
	}
}

// An endpoint created through one replica's API is listed by every
// replica, its secret is shown once and never again, and deleting it on
// one replica removes it from the other.
func TestWebhookLifecycle(t *testing.T) {
	srv := natstest.Server(t)
	a := webhookEnv(t, srv, webhook.Endpoint{ID: "configured", URL: "http://127.0.0.1:1/x", Secret: hookSecret})
	b := webhookEnv(t, srv)
	const path = "/api/v1/webhooks"

	created := a.post(path, adminToken, map[string]any{"url": "https://receiver.test/hook", "schedules": []string{"Support"}})
	expect(t, "create", created, http.StatusCreated)
	id, secret := created.str("id"), created.str("secret")
	if !strings.HasPrefix(id, "wh_") || created.str("source") != webhook.SourceAPI || created.str("createdBy") != adminName {
		t.Fatalf("create: %s", created.body)
	}
	if _, err := event.ParseSecret(secret); err != nil || created.str("secretHint") != "whsec_…"+secret[len(secret)-4:] {
		t.Fatalf("generated secret %q (hint %q): %v", secret, created.str("secretHint"), err)
	}
	var onB result
	poll.Until(t, "replica b to list the endpoint", func() bool {
		onB = b.get(path+"/"+id, viewerToken)
		return onB.code == 200
	})
	key := strings.TrimPrefix(secret, event.SecretPrefix)
	for _, r := range []result{a.get(path, viewerToken), b.get(path, viewerToken), a.get(path+"/"+id, viewerToken), onB} {
		if body := string(r.body); strings.Contains(body, key[:12]) || strings.Contains(body, hookSecret[6:]) {
			t.Errorf("a listing shows a secret: %s", body)
		}
		if !strings.Contains(string(r.body), `"secretHint":"whsec_…`) {
			t.Errorf("a listing has no secret hint: %s", r.body)
		}
	}
	given := a.post(path, adminToken, map[string]any{"url": "https://receiver.test/hook?token=receiver-token", "secret": hookSecret, "id": "mine"})
	if given.code != http.StatusCreated || strings.Contains(string(given.body), `"secret"`) || strings.Contains(string(given.body), "receiver-token") {
		t.Errorf("create with a given secret: %d %s (must echo neither the secret nor the URL's query)", given.code, given.body)
	}

	del := func(e *env, id string) result {
		return e.do(request{method: http.MethodDelete, path: path + "/" + id, token: adminToken})
	}
	if r := del(a, "configured"); r.code != http.StatusConflict || !strings.Contains(r.str("error"), "service settings") {
		t.Errorf("delete a configured endpoint: %d %s", r.code, r.body)
	}
	if r := del(a, "nope"); r.code != http.StatusNotFound {
		t.Errorf("delete unknown: %d %s", r.code, r.body)
	}
	expect(t, "delete", del(b, id), http.StatusOK)
	poll.Until(t, "replica a to drop the endpoint", func() bool {
		return a.get(path+"/"+id, viewerToken).code == http.StatusNotFound
	})
}

func TestDeadLetterAPIErrors(t *testing.T) {
	e := webhookEnv(t, natstest.Server(t), webhook.Endpoint{ID: "crm", URL: "http://127.0.0.1:1/x", Secret: hookSecret})
	for _, tt := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/webhooks/nope/deadletters", 404},
		{"GET", "/webhooks/crm/deadletters?limit=0", 400},
		{"GET", "/webhooks/crm/deadletters?after=x", 400},
		{"GET", "/webhooks/crm/deadletters", 200},
		{"POST", "/webhooks/crm/deadletters/abc/redeliver", 400},
		{"POST", "/webhooks/crm/deadletters/99/redeliver", 404},
		{"DELETE", "/webhooks/crm/deadletters/99", 404},
		{"POST", "/webhooks/crm/deadletters/redeliver", 200},
		{"GET", "/deadletters", 200},
	} {
		if r := e.do(request{method: tt.method, path: "/api/v1" + tt.path, token: adminToken}); r.code != tt.code {
			t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, r.code, tt.code, r.body)
		}
	}
}

// Without a webhook manager (webhooks disabled) the routes say so.
func TestWebhooksDisabled(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, p := range []string{"/api/v1/webhooks", "/api/v1/deadletters", "/api/v1/events"} {
		if r := e.get(p, viewerToken); r.code != http.StatusNotFound || !strings.Contains(r.str("error"), "disabled") {
			t.Errorf("GET %s: %d %s", p, r.code, r.body)
		}
	}
}

// A URL on a loopback, link-local, private or metadata address is refused
// unless the service allows private targets; nothing is stored.
func TestWebhookPrivateTargetsRefused(t *testing.T) {
	e := webhookEnvWith(t, natstest.Server(t), webhook.Options{})
	for url, says := range map[string]string{
		"http://169.254.169.254/latest/meta-data/": "url: 169.254.169.254 is a cloud instance-metadata address",
		"http://127.0.0.1:8080/hook":               "url: 127.0.0.1 is a loopback address",
		"http://[::1]/hook":                        "url: ::1 is a loopback address",
		"https://10.1.2.3/hook":                    "url: 10.1.2.3 is a private address",
		"http://localhost/hook":                    "url: host localhost is a loopback name",
		"http://metadata.google.internal/":         "metadata name",
	} {
		r := e.post("/api/v1/webhooks", adminToken, map[string]any{"url": url})
		if r.code != http.StatusBadRequest || !strings.Contains(r.str("error"), says) || !strings.Contains(r.str("error"), "webhook-allow-private") {
			t.Errorf("POST %s: %d %s, want 400 saying %q", url, r.code, r.body, says)
		}
	}
	if r := e.get("/api/v1/webhooks", viewerToken); len(r.json["webhooks"].([]any)) != 0 {
		t.Errorf("a refused endpoint was stored: %s", r.body)
	}
}

// publishEvent stores a transition event of schedule in the events stream.
func publishEvent(t *testing.T, srv *server.Server, schedule string, at time.Time) string {
	t.Helper()
	_, js := natstest.Connect(t, srv.ClientURL())
	ev := event.New("test", event.Data{Schedule: schedule, IsOpen: false, ClosedReason: "closed", At: at})
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), ev.NATSSubject(), body, jetstream.WithMsgID(ev.ID)); err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// A viewer never reads what a receiver answered: dead letters and the
// failing state keep the status and a short reason.
func TestViewerNeverSeesReceiverAnswer(t *testing.T) {
	const secret = "TARGET-ANSWER-d41d8cd98f00b204"
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "upstream said: "+secret, http.StatusUnprocessableEntity)
	}))
	defer rejecting.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "stack trace: "+secret, http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	srv := natstest.Server(t)
	e := webhookEnvWith(t, srv, webhook.Options{AllowPrivate: true, BackoffBase: 10 * time.Millisecond,
		BackoffMax: 20 * time.Millisecond, ProbeMax: 50 * time.Millisecond, RetryFor: 200 * time.Millisecond})
	for id, url := range map[string]string{"rejects": rejecting.URL, "fails": failing.URL} {
		expect(t, "create "+id, e.post("/api/v1/webhooks", adminToken, map[string]any{"id": id, "url": url}), http.StatusCreated)
	}
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i, s := range []string{"Support", "Sales", "Ops", "Billing", "Lab", "Desk"} {
		publishEvent(t, srv, s, base.Add(time.Duration(i)*time.Minute))
	}
	var all result
	poll.Until(t, "both endpoints' dead letters", func() bool {
		all = e.get("/api/v1/deadletters", viewerToken)
		return all.code == 200 && len(all.json["deadLetters"].([]any)) == 12
	})
	reasons := map[string]bool{}
	for _, v := range all.json["deadLetters"].([]any) {
		dl := v.(map[string]any)
		reasons[dl["endpoint"].(string)+" "+dl["lastError"].(string)] = true
	}
	for _, want := range []string{"rejects HTTP 422 Unprocessable Entity", "fails HTTP 503 Service Unavailable"} {
		if !reasons[want] {
			t.Errorf("no dead letter says %q: %v", want, reasons)
		}
	}
	var seen []string
	for _, p := range []string{"/api/v1/deadletters", "/api/v1/webhooks/rejects/deadletters", "/api/v1/webhooks/fails/deadletters",
		"/api/v1/webhooks", "/api/v1/webhooks/fails"} {
		r := e.get(p, viewerToken)
		if r.code != 200 || strings.Contains(string(r.body), secret) {
			t.Errorf("GET %s as a viewer: %d, shows the receiver's answer? %s", p, r.code, r.body)
		}
		seen = append(seen, p)
	}
	t.Logf("checked %v", seen)
}

// An admin disables and enables an endpoint; a viewer cannot.
func TestWebhookEnableDisable(t *testing.T) {
	e := webhookEnv(t, natstest.Server(t), webhook.Endpoint{ID: "crm", URL: "http://127.0.0.1:1/x", Secret: hookSecret})
	const path = "/api/v1/webhooks/crm"
	if r := e.post(path+"/disable", viewerToken, nil); r.code != http.StatusForbidden {
		t.Errorf("viewer disable: %d %s", r.code, r.body)
	}
	if r := e.post("/api/v1/webhooks/nope/enable", adminToken, nil); r.code != http.StatusNotFound {
		t.Errorf("enable unknown: %d %s", r.code, r.body)
	}
	r := e.post(path+"/disable", adminToken, nil)
	if r.code != 200 || r.str("state") != "disabled" || r.json["disabled"].(map[string]any)["reason"] != "admin" ||
		r.json["disabled"].(map[string]any)["by"] != adminName || strings.Contains(string(r.body), "urlHash") {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	if g := e.get(path, viewerToken); g.str("state") != "disabled" {
		t.Errorf("after disable: %s", g.body)
	}
	r = e.post(path+"/enable", adminToken, nil)
	if r.code != 200 || r.str("state") != "active" || r.json["disabled"] != nil {
		t.Errorf("enable: %d %s", r.code, r.body)
	}
}
