package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

// docWith is a document of n schedules (and 1 rule) as JSON.
func docWith(n int) string {
	var b strings.Builder
	b.WriteString(`{"rules":[{"id":"day","isOpen":true,"startTime":"08:00","endTime":"17:00"}],"schedules":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"s%d","timeZone":"UTC","rules":["day"]}`, i)
	}
	b.WriteString("]}")
	return b.String()
}

// TestDocumentLimits: a document over each limit is refused with 413
// naming the limit and the setting that raises it; nothing is stored and
// the write is counted as too large.
func TestDocumentLimits(t *testing.T) {
	e := newEnv(t, envOptions{opts: api.Options{Limits: engine.Limits{Schedules: 5, Rules: 3, DocumentBytes: 8 << 10}}})
	rules := `{"rules":[{"id":"a","isOpen":true},{"id":"b","isOpen":true},{"id":"c","isOpen":true},{"id":"d","isOpen":true}],"schedules":[]}`
	for _, tc := range []struct {
		name, doc, path, want string
	}{
		{"schedules", docWith(6), "schedules", "schedules: more than the limit of 5 schedules; the max-schedules setting raises it"},
		{"rules", rules, "rules", "rules: more than the limit of 3 rules; the max-rules setting raises it"},
		{"bytes", `{"rules":[],"schedules":[],"x-pad":"` + strings.Repeat("x", 9<<10) + `"}`, "", "the document is 9254 bytes, more than the limit of 8192; the max-document-bytes setting raises it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.latest().Version
			r := e.putConfig(adminToken, tc.doc, before, "")
			expect(t, tc.name, r, http.StatusRequestEntityTooLarge)
			if !strings.Contains(r.str("error"), tc.want) {
				t.Errorf("error %q, want %q", r.str("error"), tc.want)
			}
			errs, _ := r.json["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["path"] != tc.path {
				t.Errorf("errors %v, want one at %q", r.json["errors"], tc.path)
			}
			if e.latest().Version != before {
				t.Error("a refused document was stored")
			}
		})
	}
	if got := counterValue(t, e.reg, "schedmgr_config_writes_total", "outcome", "too_large"); got != 3 {
		t.Errorf("too_large writes counted %v, want 3", got)
	}
	// Within the limits it is written.
	expect(t, "within", e.putConfig(adminToken, docWith(5), e.latest().Version, ""), http.StatusOK)
}

// TestDocumentRefusedWhileRead: the counting happens while the body is
// read, before anything is decoded: a body whose document is over the
// schedule limit early on and broken JSON later gets the limit, not the
// syntax error, and a body over the document body limit names
// max-document-bytes, an ordinary one max-body-bytes.
func TestDocumentRefusedWhileRead(t *testing.T) {
	e := newEnv(t, envOptions{opts: api.Options{MaxBodyBytes: 1 << 10, Limits: engine.Limits{Schedules: 5, DocumentBytes: 64 << 10}}})
	broken := `{"version": 1, "data": ` + strings.TrimSuffix(docWith(50), "]}") + `, {{{ not json`
	r := e.do(request{method: http.MethodPut, path: "/api/v1/config", token: adminToken, body: broken, contentType: "application/json"})
	expect(t, "over the limit, broken later", r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(r.str("error"), "max-schedules") {
		t.Errorf("error %q does not name max-schedules", r.str("error"))
	}
	// The same for a preview.
	r = e.do(request{method: http.MethodPost, path: "/api/v1/preview", token: adminToken, body: broken, contentType: "application/json"})
	expect(t, "preview over the limit", r, http.StatusRequestEntityTooLarge)

	for what, body := range map[string]string{
		"document": `{"version": 1, "data": {"rules": [], "schedules": [], "x-pad": "` + strings.Repeat("x", 200<<10) + `"}}`,
		"body":     `{"version": 1, "message": "` + strings.Repeat("x", 200<<10) + `", "data": {"rules": [], "schedules": []}}`,
	} {
		r = e.do(request{method: http.MethodPut, path: "/api/v1/config", token: adminToken, body: body, contentType: "application/json"})
		expect(t, what+" over its limit", r, http.StatusRequestEntityTooLarge)
		want := map[string]string{
			"document": "the document is larger than the limit of 65536 bytes; the max-document-bytes setting raises it",
			"body":     "larger than the limit of 131072 bytes: a config document may be up to 65536 bytes; the max-document-bytes setting raises it",
		}[what]
		if !strings.Contains(r.str("error"), want) {
			t.Errorf("%s: error %q, want %q", what, r.str("error"), want)
		}
	}
	r = e.do(request{method: http.MethodPost, path: "/check-schedule", body: `{"name": "` + strings.Repeat("n", 2<<10) + `"}`, contentType: "application/json"})
	expect(t, "check-schedule body", r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(r.str("error"), "the max-body-bytes setting raises it") {
		t.Errorf("error %q does not name max-body-bytes", r.str("error"))
	}
}

// TestLargeDocumentIsServed: past the old 20,000-schedule ceiling, a
// realistic document (UUID rule ids, about 10 MB) is accepted through the
// API, handed compiled to Deps.Prepared, and served.
func TestLargeDocumentIsServed(t *testing.T) {
	if testing.Short() {
		t.Skip("a 25,000-schedule document")
	}
	var mu sync.Mutex
	var prepared *engine.Config
	e := newEnv(t, envOptions{deps: func(d *api.Deps) {
		d.Prepared = func(_ []byte, cfg *engine.Config) { mu.Lock(); prepared = cfg; mu.Unlock() }
	}})
	doc := scalegen.JSON(scalegen.Options{Schedules: 25000})
	r := e.putConfig(adminToken, string(doc), e.seeded, "25k")
	expect(t, "25k schedules", r, http.StatusOK)
	v := uint64(r.json["version"].(float64))
	e.waitApplied(v)
	mu.Lock()
	defer mu.Unlock()
	if prepared == nil || len(prepared.Schedules()) != 25000 {
		t.Fatalf("Prepared was not given the config")
	}
	name := prepared.Schedules()[24999].Name()
	if r := e.get("/check-schedule?name="+strings.ReplaceAll(name, "/", "%2F"), ""); r.code != http.StatusOK {
		t.Errorf("check-schedule of the last schedule: %d %s", r.code, r.body)
	}
}
