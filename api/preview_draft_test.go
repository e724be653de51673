package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A draft schedule's timeline and check answer come from the draft, not
// from the published version.
func TestPreviewTimelineAndCheck(t *testing.T) {
	e := newEnv(t, envOptions{})
	draft := strings.Replace(baseDoc, `"startTime": "08:00", "endTime": "17:00"`, `"startTime": "08:00", "endTime": "18:00"`, 1)
	draft = strings.Replace(draft, `"name": "Sales"`, `"name": "Sales EU"`, 1)
	tl := e.post("/api/v1/preview/timeline", viewerToken, map[string]any{
		"data": rawJSON(draft), "schedule": "Support", "from": "2026-03-03T00:00", "to": "2026-03-04T00:00"})
	expect(t, "timeline", tl, http.StatusOK)
	var opens []string
	for _, s := range tl.json["segments"].([]any) {
		m := s.(map[string]any)
		if m["isOpen"] == true {
			opens = append(opens, m["start"].(string)+"–"+m["end"].(string))
		}
	}
	// Tuesday 3 March: 08:00–12:00 and 13:00–18:00 (lunch closes between).
	if got := strings.Join(opens, " "); got != "2026-03-03T08:00:00-06:00–2026-03-03T12:00:00-06:00 2026-03-03T13:00:00-06:00–2026-03-03T18:00:00-06:00" {
		t.Errorf("draft timeline opens %s", got)
	}
	// 17:30 on Tuesday: the draft is open, the published version closed.
	c := e.post("/api/v1/preview/check", viewerToken, map[string]any{"data": rawJSON(draft), "schedule": "Support", "simulate": "2026-03-03T17:30"})
	expect(t, "check", c, http.StatusOK)
	if c.json["isOpen"] != true || c.json["rule"].(map[string]any)["id"] != "weekdays" {
		t.Errorf("draft check: %s", c.body)
	}
	if pub := e.get("/check-schedule?name=Support&simulate=2026-03-03T17:30", ""); pub.json["isOpen"] != false {
		t.Errorf("published check: %s", pub.body)
	}
	// A renamed schedule exists in the draft only.
	expect(t, "renamed", e.post("/api/v1/preview/check", viewerToken, map[string]any{"data": rawJSON(draft), "schedule": "Sales EU"}), http.StatusOK)
	for _, bad := range []struct {
		path string
		body map[string]any
		code int
		want string
	}{
		{"/api/v1/preview/check", map[string]any{"data": rawJSON(draft), "schedule": "Sales"}, 404, "no schedule"},
		{"/api/v1/preview/check", map[string]any{"schedule": "Support"}, 400, "is required: the draft config"},
		{"/api/v1/preview/check", map[string]any{"data": rawJSON(draft)}, 400, "is required: the name of a schedule"},
		{"/api/v1/preview/check", map[string]any{"data": rawJSON(draft), "schedule": "Support", "simulate": "soon"}, 400, "simulate:"},
		{"/api/v1/preview/timeline", map[string]any{"data": rawJSON(strings.Replace(draft, `"12:00"`, `"25:00"`, 1)), "schedule": "Support"}, 400, "rules[2].startTime"},
		{"/api/v1/preview/timeline", map[string]any{"data": rawJSON(draft), "schedule": "Support", "from": "2026-03-04", "to": "2026-03-03"}, 400, "must be after"},
	} {
		r := e.post(bad.path, viewerToken, bad.body)
		if r.code != bad.code || !strings.Contains(string(r.body), bad.want) {
			t.Errorf("%s %v: %d %s, want %d with %q", bad.path, bad.body["schedule"], r.code, r.body, bad.code, bad.want)
		}
	}
	if len(e.latest().Data) != len(baseDoc) {
		t.Error("a preview changed the stored config")
	}
}

// rawJSON embeds a JSON text as is in a body encoded with encoding/json.
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }
