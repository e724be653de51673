package web_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The Webhooks page shows an endpoint's state and dead letters; an admin
// redelivers them once the receiver is back, and disables and enables
// the endpoint; a viewer sees the same without buttons.
func TestWebhooksPage(t *testing.T) {
	var ok atomic.Bool
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ok.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		got.Add(1)
	}))
	defer recv.Close()
	svc := startService(t)
	if code, out := svc.call("POST", "/api/v1/webhooks", adminToken, map[string]any{"id": "wallboard", "url": recv.URL + "/hook"}); code != 201 {
		t.Fatalf("create endpoint: %d %v", code, out)
	}
	// A manual close is an event; its one attempt fails: a dead letter.
	if code, _ := svc.call("POST", "/api/v1/schedules/Support/close", adminToken, nil); code != 200 {
		t.Fatal("close")
	}
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.goTo("#/webhooks")
	p.waitText(`#webhooks-table tr[data-id="wallboard"]`, "Active", 10*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for js[string](p, `document.querySelector('#webhooks-table tr[data-id="wallboard"] td[data-label="Dead letters"]').textContent`) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter shown: %s", p.text(`#webhooks-table`))
		}
		p.goTo("#/schedules")
		p.goTo("#/webhooks")
		p.wait("the table", `document.querySelector('#webhooks-table') !== null`, 5*time.Second)
	}
	p.click(`#webhooks-table tr[data-id="wallboard"] button[aria-label^="Dead letters"]`)
	p.waitText("#letters-table", "Support", 5*time.Second)
	p.shot("webhooks-1280")

	ok.Store(true)
	p.click(`#webhooks-table tr[data-id="wallboard"] button[aria-label^="Redeliver all"]`)
	p.waitText("#notice", "redelivered", 10*time.Second)
	if got.Load() != 1 {
		t.Errorf("the receiver got %d deliveries, want 1", got.Load())
	}
	p.waitText(`#webhooks-table tr[data-id="wallboard"] td[data-label="Dead letters"]`, "0", 5*time.Second)

	p.click("#toggle-wallboard")
	p.click("#dialog-confirm")
	p.waitText(`#webhooks-table tr[data-id="wallboard"]`, "Disabled", 5*time.Second)
	p.waitText(`#webhooks-table tr[data-id="wallboard"]`, "by admin", time.Second)
	p.click("#toggle-wallboard")
	p.waitText(`#webhooks-table tr[data-id="wallboard"]`, "Active", 5*time.Second)

	v := newPage(t, svc, 390)
	v.signIn(viewerToken)
	v.goTo("#/webhooks")
	v.waitText(`#webhooks-table tr[data-id="wallboard"]`, "Active", 10*time.Second)
	if n := v.count(`#webhooks-table button:not([aria-label^="Dead letters"])`); n != 0 {
		t.Errorf("a viewer sees %d webhook action buttons", n)
	}
	v.shot("webhooks-viewer-390")
}
