package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ical "github.com/emersion/go-ical"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/calendar/feed"
	"github.com/schedule-manager/schedule-manager/calendar/fetch"
)

const closuresICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Office move\r\n" +
	"DTSTART;VALUE=DATE:20260304\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// calendarEnv is an environment with calendar fetching (on loopback, so
// private addresses allowed) and in-memory feed links.
func calendarEnv(t *testing.T) *env {
	t.Helper()
	var links = feed.NewMemoryLinks()
	return newEnv(t, envOptions{deps: func(d *api.Deps) {
		r, err := fetch.New(fetch.Options{Store: d.Store.(fetch.Store), AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		d.Calendars, d.Feeds = r, links
	}})
}

// raw is one exchange whose answer need not be JSON.
func (e *env) raw(method, path, token string) (int, http.Header, string) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), method, e.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestCalendarsList(t *testing.T) {
	e := calendarEnv(t)
	r := e.get("/api/v1/calendars", viewerToken)
	expect(t, "list", r, http.StatusOK)
	hol, _ := r.json["holidays"].([]any)
	found := map[string]map[string]any{}
	for _, h := range hol {
		m := h.(map[string]any)
		found[m["code"].(string)] = m
	}
	if len(found) < 80 || found["JP"]["countryName"] != "Japan" || found["CH-ZH"]["regionName"] != "Zürich" || found["CH-ZH"]["country"] != "CH" {
		t.Errorf("holidays: %d codes, JP %v, CH-ZH %v", len(found), found["JP"], found["CH-ZH"])
	}
	if cals, _ := r.json["calendars"].([]any); cals == nil || len(cals) != 0 {
		t.Errorf("calendars = %v, want []", r.json["calendars"])
	}
	expect(t, "no token", e.get("/api/v1/calendars", ""), http.StatusUnauthorized)

	r = e.get("/api/v1/holidays/jp?year=2027", viewerToken)
	expect(t, "holidays JP", r, http.StatusOK)
	if !strings.Contains(string(r.body), `{"date":"2027-03-21","name":"Vernal Equinox Day"}`) {
		t.Errorf("JP 2027: %s", r.body)
	}
	expect(t, "unknown code", e.get("/api/v1/holidays/XX", viewerToken), http.StatusNotFound)
	expect(t, "bad year", e.get("/api/v1/holidays/US?year=soon", viewerToken), http.StatusBadRequest)
}

func TestPutCalendarUploadAndRule(t *testing.T) {
	e := calendarEnv(t)
	put := func(token string, body any) result {
		return e.do(request{method: http.MethodPut, path: "/api/v1/calendars/closures", token: token, body: body})
	}
	before := e.latest()
	expect(t, "viewer", put(viewerToken, map[string]string{"ics": closuresICS}), http.StatusForbidden)
	r := put(adminToken, map[string]string{"ics": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"})
	expect(t, "bad calendar", r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), `"path":"calendars[0].ics"`) || !strings.Contains(string(r.body), "has no DTSTART") {
		t.Errorf("bad calendar answer: %s", r.body)
	}
	e.unchanged("bad calendar", before.Version, before.Data)

	r = put(adminToken, map[string]string{"name": "Office closures", "ics": closuresICS})
	expect(t, "upload", r, http.StatusOK)
	v := r.num("version")
	if v != before.Version+1 || r.json["changed"] != true {
		t.Fatalf("upload answer %s", r.body)
	}
	stored := string(e.latest().Data)
	if !strings.Contains(stored, `"x-note": "unknown fields must survive"`) || !strings.Contains(stored, `"id":"closures"`) {
		t.Errorf("stored document: %.400s", stored)
	}
	// Same upload: nothing written.
	if r := put(adminToken, map[string]string{"name": "Office closures", "ics": closuresICS}); r.json["changed"] != false || r.num("version") != v {
		t.Errorf("repeat upload: %s", r.body)
	}
	// A rule using it: closed on the office move day, named by the event.
	doc := strings.Replace(stored, `"rules": [`, `"rules": [{"id": "move", "isOpen": false, "closedReason": "closure", "calendar": "closures"},`, 1)
	doc = strings.Replace(doc, `"rules": ["xmas", "us", "lunch", "weekdays"]`, `"rules": ["move", "xmas", "us", "lunch", "weekdays"]`, 1)
	r = e.putConfig(adminToken, doc, v, "closures rule")
	expect(t, "rule", r, http.StatusOK)
	e.waitApplied(r.num("version"))
	r = e.get("/check-schedule?name=Support&simulate=2026-03-04T10:00", "")
	if r.json["isOpen"] != false || r.str("closedReason") != "closure" || r.str("holiday") != "Office move" {
		t.Errorf("check on the move day: %s", r.body)
	}
	r = e.get("/api/v1/calendars", viewerToken)
	if !strings.Contains(string(r.body), `"id":"closures","name":"Office closures"`) || !strings.Contains(string(r.body), `"bytes":`) {
		t.Errorf("calendars: %s", r.body)
	}
}

func TestPutCalendarByURLAndRefresh(t *testing.T) {
	var mu sync.Mutex
	status, text := http.StatusOK, closuresICS
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	defer origin.Close()
	e := calendarEnv(t)
	r := e.do(request{method: http.MethodPut, path: "/api/v1/calendars/remote", token: adminToken,
		body: map[string]string{"url": origin.URL + "/basic.ics", "refresh": "@every 6h"}})
	expect(t, "put by url", r, http.StatusOK)
	fetched, _ := r.json["fetch"].(map[string]any)
	if fetched == nil || fetched["changed"] != true || r.num("version") != e.seeded+2 {
		t.Fatalf("put by url: %s", r.body)
	}
	if !strings.Contains(string(e.latest().Data), "Office move") {
		t.Error("the fetched text is not in the config")
	}
	r = e.post("/api/v1/calendars/remote/refresh", adminToken, nil)
	expect(t, "refresh", r, http.StatusOK)
	if r.json["changed"] != false {
		t.Errorf("unchanged refresh: %s", r.body)
	}
	expect(t, "viewer refresh", e.post("/api/v1/calendars/remote/refresh", viewerToken, nil), http.StatusForbidden)
	expect(t, "unknown", e.post("/api/v1/calendars/nope/refresh", adminToken, nil), http.StatusNotFound)

	mu.Lock()
	status, text = http.StatusNotFound, "gone"
	mu.Unlock()
	before := e.latest()
	r = e.post("/api/v1/calendars/remote/refresh", adminToken, nil)
	expect(t, "failed refresh", r, http.StatusBadGateway)
	if r.str("reason") != "status" || !strings.Contains(r.str("error"), "last good copy") || strings.Contains(string(r.body), origin.URL) {
		t.Errorf("failed refresh: %s", r.body)
	}
	e.unchanged("failed refresh", before.Version, before.Data)
	r = e.get("/api/v1/calendars", viewerToken)
	if !strings.Contains(string(r.body), `"lastError":"HTTP 404 Not Found","reason":"status"`) {
		t.Errorf("fetch status: %s", r.body)
	}
}

func TestScheduleFeeds(t *testing.T) {
	e := calendarEnv(t)
	// Bearer route.
	code, h, body := e.raw(http.MethodGet, "/api/v1/schedules/Support/calendar.ics?days=14", viewerToken)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("calendar.ics: %d %s %.200s", code, h.Get("Content-Type"), body)
	}
	c, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil || len(c.Events()) < 10 {
		t.Fatalf("feed does not parse or is short: %v, %d events", err, len(c.Events()))
	}
	if code, _, _ := e.raw(http.MethodGet, "/api/v1/schedules/Support/calendar.ics", ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", code)
	}
	expect(t, "bad days", e.get("/api/v1/schedules/Support/calendar.ics?days=999", viewerToken), http.StatusBadRequest)
	expect(t, "unknown schedule", e.get("/api/v1/schedules/Nope/calendar.ics", viewerToken), http.StatusNotFound)

	// Secret links.
	expect(t, "viewer creates", e.post("/api/v1/feeds", viewerToken, map[string]string{"schedule": "Support"}), http.StatusForbidden)
	expect(t, "unknown schedule", e.post("/api/v1/feeds", adminToken, map[string]string{"schedule": "Nope"}), http.StatusNotFound)
	r := e.post("/api/v1/feeds", adminToken, map[string]any{"schedule": "Support", "label": "Team Outlook", "days": 30})
	expect(t, "create", r, http.StatusCreated)
	secret, path, id := r.str("secret"), r.str("path"), r.str("id")
	if !strings.HasPrefix(secret, "smf_") || path != "/feeds/"+secret+".ics" || id == "" || r.str("createdBy") != adminName {
		t.Fatalf("create: %s", r.body)
	}
	code, h, body = e.raw(http.MethodGet, path, "") // no token: the secret is the credential
	if code != http.StatusOK || !strings.Contains(body, "X-WR-CALNAME:Support opening hours") || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed link: %d %s %.300s", code, h.Get("Content-Type"), body)
	}
	if strings.Contains(body, secret) {
		t.Error("the feed shows its secret")
	}
	r = e.get("/api/v1/feeds", viewerToken)
	expect(t, "list", r, http.StatusOK)
	if strings.Contains(string(r.body), secret) || !strings.Contains(string(r.body), `"label":"Team Outlook"`) {
		t.Errorf("list: %s", r.body)
	}
	// The secret with its last character changed (to one it does not end
	// with: a secret ending in "A" made "…A" the secret itself, 1 run in 64).
	last := "A"
	if strings.HasSuffix(secret, last) {
		last = "B"
	}
	for _, bad := range []string{"/feeds/" + secret, "/feeds/" + id + ".ics", "/feeds/smf_AAAA.ics", "/feeds/" + secret[:len(secret)-1] + last + ".ics"} {
		if code, _, body := e.raw(http.MethodGet, bad, ""); code != http.StatusNotFound || strings.Contains(body, "smf_") {
			t.Errorf("GET %s: %d %s", bad, code, body)
		}
	}
	expect(t, "viewer revokes", e.do(request{method: http.MethodDelete, path: "/api/v1/feeds/" + id, token: viewerToken}), http.StatusForbidden)
	if r := e.do(request{method: http.MethodDelete, path: "/api/v1/feeds/" + id, token: adminToken}); r.code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	if code, _, _ := e.raw(http.MethodGet, path, ""); code != http.StatusNotFound {
		t.Errorf("revoked link: %d", code)
	}
	expect(t, "revoke again", e.do(request{method: http.MethodDelete, path: "/api/v1/feeds/" + id, token: adminToken}), http.StatusNotFound)
}
