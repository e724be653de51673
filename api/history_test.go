package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/store"
)

func TestHistoryAndRollback(t *testing.T) {
	e := newEnv(t, envOptions{})
	v1 := e.seeded
	doc2 := strings.Replace(baseDoc, `"endTime": "17:00"`, `"endTime": "18:00"`, 1)
	r := e.putConfig(adminToken, doc2, v1, "later closing")
	expect(t, "put v2", r, 200)
	v2 := r.num("version")
	r = e.post("/api/v1/schedules/Sales/close", adminToken, nil)
	expect(t, "close v3", r, 200)
	v3 := r.num("version")

	r = e.get("/api/v1/history", viewerToken)
	expect(t, "history", r, 200)
	var h struct {
		Versions []struct {
			Version    uint64    `json:"version"`
			Author     string    `json:"author"`
			Message    string    `json:"message"`
			Time       time.Time `json:"time"`
			RollbackOf uint64    `json:"rollbackOf"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(r.body, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Versions) != 3 || h.Versions[0].Version != v3 || h.Versions[1].Version != v2 || h.Versions[2].Version != v1 {
		t.Fatalf("history = %s", r.body)
	}
	if h.Versions[0].Message != `manual close of "Sales"` || h.Versions[1].Author != adminName || h.Versions[1].Message != "later closing" ||
		h.Versions[2].Author != "seed" || !h.Versions[1].Time.Equal(testNow) {
		t.Errorf("history meta = %+v", h.Versions)
	}
	r = e.get("/api/v1/history?limit=1", viewerToken)
	if vs, _ := r.json["versions"].([]any); len(vs) != 1 {
		t.Errorf("limit=1: %s", r.body)
	}
	for _, q := range []string{"0", "-1", "abc", "1001", "1e3"} {
		r = e.get("/api/v1/history?limit="+q, viewerToken)
		expect(t, "limit="+q, r, 400)
	}

	r = e.get("/api/v1/history/1", viewerToken)
	expect(t, "version 1", r, 200)
	if r.num("version") != v1 || !bytes.HasSuffix(r.body, []byte(`"data":`+strings.TrimSpace(baseDoc)+"}\n")) {
		t.Errorf("version 1 = %.300s", r.body)
	}
	if m, _ := r.json["meta"].(map[string]any); m["author"] != "seed" {
		t.Errorf("version 1 meta = %v", r.json["meta"])
	}
	expect(t, "version 999", e.get("/api/v1/history/999", viewerToken), 404)
	expect(t, "version abc", e.get("/api/v1/history/abc", viewerToken), 400)
	expect(t, "version 0", e.get("/api/v1/history/0", viewerToken), 400)

	// Rollback without expectedVersion applies on top of the latest.
	r = e.post("/api/v1/rollback", adminToken, map[string]any{"version": v1})
	expect(t, "rollback", r, 200)
	v4 := r.num("version")
	if v4 <= v3 || r.num("rollbackOf") != v1 {
		t.Fatalf("rollback = %s", r.body)
	}
	latest := e.latest()
	if string(latest.Data) != baseDoc || latest.Meta.RollbackOf != v1 || latest.Meta.Message != "rollback to version 1" {
		t.Errorf("after rollback: meta %+v", latest.Meta)
	}
	// With expectedVersion it is a compare-and-swap.
	r = e.post("/api/v1/rollback", adminToken, map[string]any{"version": v2, "expectedVersion": v3})
	expect(t, "stale rollback", r, 409)
	if r.num("currentVersion") != v4 {
		t.Errorf("409 = %s", r.body)
	}
	e.unchanged("after stale rollback", v4, []byte(baseDoc))
	r = e.post("/api/v1/rollback", adminToken, map[string]any{"version": v2, "expectedVersion": v4, "message": "back to 18:00"})
	expect(t, "rollback cas", r, 200)
	if latest = e.latest(); string(latest.Data) != doc2 || latest.Meta.Message != "back to 18:00" {
		t.Errorf("after cas rollback: %+v", latest.Meta)
	}
	v5 := latest.Version

	for _, tc := range []struct {
		body     string
		code     int
		contains string
	}{
		{`{"version": 999}`, 404, "no version 999"},
		{`{}`, 400, `"version" is required`},
		{`{"version": "1"}`, 400, "version: expected a non-negative integer"},
		{`{"version": -1}`, 400, "version"},
		{`{"version": 1, "extra": true}`, 400, `unknown field "extra"`},
	} {
		r := e.do(request{method: "POST", path: "/api/v1/rollback", token: adminToken, body: tc.body, contentType: "application/json"})
		expect(t, "rollback "+tc.body, r, tc.code)
		if !strings.Contains(r.str("error"), tc.contains) {
			t.Errorf("rollback %s: error %q, want %q", tc.body, r.str("error"), tc.contains)
		}
	}
	e.unchanged("after bad rollbacks", v5, []byte(doc2))

	// A version that does not validate (written behind the API's back) is
	// never restored, and server-side edits refuse to build on it.
	bad := `{"rules": [], "schedules": [{"name": "X", "timeZone": "Mars/Olympus", "rules": []}]}`
	vb, err := e.store.Put(t.Context(), []byte(bad), v5, store.Meta{Author: "intruder"})
	if err != nil {
		t.Fatal(err)
	}
	r = e.post("/api/v1/rollback", adminToken, map[string]any{"version": vb})
	expect(t, "rollback to invalid", r, 400)
	if !strings.Contains(r.str("error"), "not valid under the current rules") {
		t.Errorf("error %q", r.str("error"))
	}
	r = e.post("/api/v1/schedules/X/close", adminToken, nil)
	expect(t, "close on invalid stored", r, 409)
	if !strings.Contains(r.str("error"), "does not validate") {
		t.Errorf("error %q", r.str("error"))
	}
	e.unchanged("after refusing the invalid version", vb, []byte(bad))
	r = e.post("/api/v1/rollback", adminToken, map[string]any{"version": v5})
	expect(t, "rollback away from invalid", r, 200)
}
