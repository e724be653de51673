package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

func TestCreateEndpointValidation(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	d := startDispatcher(t, js, fastOptions(t, Endpoint{ID: "configured", URL: "http://127.0.0.1:1/x", Secret: testSecret}))
	api := adminServer(t, d).URL + "/api/v1/webhooks"
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
		{"two objects", `{"url":"https://h/x"}{}`, 400, []string{"one JSON object"}},
		{"id of a configured endpoint", map[string]any{"url": "https://h/x", "id": "configured"}, 409, []string{`"configured" exists`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Error string `json:"error"`
			}
			code, body := do(t, "POST", api, tt.body, &out)
			if code != tt.code {
				t.Errorf("status %d, want %d: %s", code, tt.code, body)
			}
			for _, s := range tt.says {
				if !strings.Contains(out.Error, s) {
					t.Errorf("error %q does not say %q", out.Error, s)
				}
			}
		})
	}
	var list struct{ Webhooks []endpointView }
	do(t, "GET", api, nil, &list)
	if len(list.Webhooks) != 1 {
		t.Errorf("a rejected request created an endpoint: %+v", list.Webhooks)
	}
}

// TestEndpointLifecycle: an endpoint created through one replica's API is
// served by every replica, its secret is shown once and never again, and
// deleting it stops delivery everywhere.
func TestEndpointLifecycle(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	eventsStream(t, js)
	r := newReceiver(t, nil)
	a := startDispatcher(t, connect(t, srv), fastOptions(t, Endpoint{ID: "configured", URL: "http://127.0.0.1:1/x", Secret: testSecret}))
	b := startDispatcher(t, connect(t, srv), fastOptions(t))
	apiA, apiB := adminServer(t, a).URL+"/api/v1/webhooks", adminServer(t, b).URL+"/api/v1/webhooks"

	var created struct {
		endpointView
		Secret string `json:"secret"`
	}
	code, body := do(t, "POST", apiA, map[string]any{"url": r.URL(), "schedules": []string{"Support"}}, &created)
	if code != http.StatusCreated || !strings.HasPrefix(created.ID, "wh_") || created.Source != SourceAPI {
		t.Fatalf("create: %d %s", code, body)
	}
	if _, err := ParseSecret(created.Secret); err != nil || created.SecretHint != secretHint(created.Secret) {
		t.Fatalf("generated secret %q (hint %q): %v", created.Secret, created.SecretHint, err)
	}
	r.secret.Store(created.Secret)
	id := created.ID

	// Replica b learns of it through the bucket.
	poll.Until(t, "replica b to serve the endpoint", func() bool {
		code, _ := do(t, "GET", apiB+"/"+id, nil, nil)
		return code == 200
	})
	for _, url := range []string{apiA, apiB, apiA + "/" + id, apiB + "/" + id} {
		_, body := do(t, "GET", url, nil, nil)
		key := strings.TrimPrefix(created.Secret, SecretPrefix)
		if strings.Contains(body, key) || strings.Contains(body, key[:12]) || strings.Contains(body, testSecret[6:]) {
			t.Errorf("GET %s shows a secret: %s", url, body)
		}
		if !strings.Contains(body, `"secretHint":"whsec_…`) {
			t.Errorf("GET %s has no secret hint: %s", url, body)
		}
	}
	code, body = do(t, "POST", apiA, map[string]any{"url": r.URL() + "?token=receiver-token", "secret": testSecret, "id": "mine"}, nil)
	if code != http.StatusCreated || strings.Contains(body, `"secret"`) || strings.Contains(body, "receiver-token") {
		t.Errorf("create with a given secret: %d %s (must echo neither the secret nor the URL's query)", code, body)
	}
	do(t, "DELETE", apiA+"/mine", nil, nil)

	// Both replicas deliver it, each event once in total.
	want := []string{publish(t, js, "Support", true, 1), publish(t, js, "Support", false, 2)}
	publish(t, js, "Sales", true, 3) // filtered out
	poll.Until(t, "delivery to the API endpoint", func() bool { return len(r.accepted()) >= 2 })
	time.Sleep(100 * time.Millisecond)
	checkOnceInOrder(t, r.accepted(), want)

	// Deleting: configured ones refuse, unknown ones are 404.
	if code, body := do(t, "DELETE", apiA+"/configured", nil, nil); code != http.StatusConflict || !strings.Contains(body, "service settings") {
		t.Errorf("delete a configured endpoint: %d %s", code, body)
	}
	if code, _ := do(t, "DELETE", apiA+"/nope", nil, nil); code != 404 {
		t.Errorf("delete unknown: %d", code)
	}
	if code, body := do(t, "DELETE", apiB+"/"+id, nil, nil); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	poll.Until(t, "replica a to drop the endpoint", func() bool {
		code, _ := do(t, "GET", apiA+"/"+id, nil, nil)
		return code == 404
	})
	poll.Until(t, "the consumer to be deleted", func() bool {
		_, err := js.Consumer(context.Background(), DefaultStream, ConsumerName(id))
		return errors.Is(err, jetstream.ErrConsumerNotFound)
	})
	publish(t, js, "Support", true, 4)
	time.Sleep(300 * time.Millisecond)
	if n := len(r.accepted()); n != 2 {
		t.Errorf("%d deliveries after the endpoint was deleted, want 2", n)
	}
}

func TestDeadLetterAPIErrors(t *testing.T) {
	srv := natstest.Server(t)
	js := connect(t, srv)
	d := startDispatcher(t, js, fastOptions(t, Endpoint{ID: "crm", URL: "http://127.0.0.1:1/x", Secret: testSecret}))
	api := adminServer(t, d).URL + "/api/v1"
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
		if code, body := do(t, tt.method, api+tt.path, nil, nil); code != tt.code {
			t.Errorf("%s %s: %d, want %d: %s", tt.method, tt.path, code, tt.code, body)
		}
	}
}
