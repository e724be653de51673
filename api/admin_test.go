package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	v := e.seeded
	tests := []struct {
		name   string
		method string
		path   string
		auth   string // the whole Authorization header
		body   string
		code   int
	}{
		{"none", "GET", "/api/v1/config", "", "", 401},
		{"bad token", "GET", "/api/v1/config", "Bearer wrong", "", 401},
		{"token prefix", "GET", "/api/v1/config", "Bearer " + adminToken[:5], "", 401},
		{"empty bearer", "GET", "/api/v1/config", "Bearer ", "", 401},
		{"basic scheme", "GET", "/api/v1/config", "Basic " + adminToken, "", 401},
		{"raw token", "GET", "/api/v1/config", adminToken, "", 401},
		{"lowercase scheme", "GET", "/api/v1/config", "bearer " + viewerToken, "", 200},
		{"viewer reads config", "GET", "/api/v1/config", "Bearer " + viewerToken, "", 200},
		{"viewer reads schedules", "GET", "/api/v1/schedules", "Bearer " + viewerToken, "", 200},
		{"viewer reads schedule", "GET", "/api/v1/schedules/Support", "Bearer " + viewerToken, "", 200},
		{"viewer reads timeline", "GET", "/api/v1/schedules/Support/timeline", "Bearer " + viewerToken, "", 200},
		{"viewer reads history", "GET", "/api/v1/history", "Bearer " + viewerToken, "", 200},
		{"viewer reads version", "GET", "/api/v1/history/1", "Bearer " + viewerToken, "", 200},
		{"viewer put", "PUT", "/api/v1/config", "Bearer " + viewerToken, `{"data": ` + baseDoc + `, "version": 1}`, 403},
		{"viewer close", "POST", "/api/v1/schedules/Support/close", "Bearer " + viewerToken, "", 403},
		{"viewer open", "POST", "/api/v1/schedules/Support/open", "Bearer " + viewerToken, "", 403},
		{"viewer rollback", "POST", "/api/v1/rollback", "Bearer " + viewerToken, `{"version": 1}`, 403},
		{"no token put", "PUT", "/api/v1/config", "", `{"data": ` + baseDoc + `, "version": 1}`, 401},
		{"no token close", "POST", "/api/v1/schedules/Support/close", "", "", 401},
		{"no token history", "GET", "/api/v1/history", "", "", 401},
		{"admin reads", "GET", "/api/v1/schedules", "Bearer " + adminToken, "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{method: tc.method, path: tc.path, body: tc.body, contentType: "application/json", header: map[string]string{"Authorization": tc.auth}})
			expect(t, tc.name, r, tc.code)
			switch tc.code {
			case 401:
				if r.str("error") != "missing or invalid bearer token" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 body %s, WWW-Authenticate %q", r.body, r.header.Get("WWW-Authenticate"))
				}
			case 403:
				if !strings.Contains(r.str("error"), `"viewer"`) {
					t.Errorf("403 error %q should name the role", r.str("error"))
				}
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("security headers missing: %v", r.header)
			}
		})
	}
	e.unchanged("after auth tests", v, []byte(baseDoc))
}

func TestWhoami(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		token, role string
		canWrite    bool
	}{{adminToken, "admin", true}, {viewerToken, "viewer", false}} {
		r := e.get("/api/v1/whoami", tc.token)
		expect(t, "whoami "+tc.role, r, 200)
		if r.str("role") != tc.role || r.json["canWrite"] != tc.canWrite || r.str("name") == "" {
			t.Errorf("whoami %s: %s", tc.role, r.body)
		}
	}
	expect(t, "whoami without token", e.get("/api/v1/whoami", ""), 401)
}

func TestConfigGetPut(t *testing.T) {
	e := newEnv(t, envOptions{noSeed: true})

	r := e.get("/api/v1/config", viewerToken)
	expect(t, "get empty", r, 404)
	if !strings.Contains(r.str("error"), `"version": 0`) {
		t.Errorf("empty-store error should say how to create: %q", r.str("error"))
	}
	expect(t, "put non-zero on empty", e.putConfig(adminToken, baseDoc, 5, ""), 409)

	r = e.putConfig(adminToken, baseDoc, 0, "first")
	expect(t, "create", r, 200)
	v1 := r.num("version")
	if v1 == 0 {
		t.Fatalf("create answered version 0: %s", r.body)
	}
	e.waitApplied(v1)

	r = e.get("/api/v1/config", viewerToken)
	expect(t, "get", r, 200)
	var got struct {
		Data              json.RawMessage `json:"data"`
		Version           uint64          `json:"version"`
		VersionIsDeployed bool            `json:"versionIsDeployed"`
		Meta              struct {
			Author, Message string
			Time            time.Time
			RollbackOf      uint64 `json:"rollbackOf"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	// "data" is the stored document byte for byte, formatting included.
	if !bytes.Contains(r.body, []byte(`"data":`+strings.TrimSpace(baseDoc)+`}`)) {
		t.Errorf("data is not verbatim: %.300s", r.body)
	}
	if got.Version != v1 || !got.VersionIsDeployed || got.Meta.Author != adminName || got.Meta.Message != "first" || !got.Meta.Time.Equal(testNow) {
		t.Errorf("get = version %d deployed %v meta %+v", got.Version, got.VersionIsDeployed, got.Meta)
	}

	r = e.putConfig(adminToken, baseDoc, 0, "create again")
	expect(t, "create again", r, 409)
	if r.num("currentVersion") != v1 || !strings.Contains(r.str("error"), "reload and merge") {
		t.Errorf("409 body %s", r.body)
	}

	edited := strings.Replace(baseDoc, `"endTime": "17:00"`, `"endTime": "18:00"`, 1)
	r = e.putConfig(adminToken, edited, v1, "")
	expect(t, "update", r, 200)
	v2 := r.num("version")
	if v2 <= v1 {
		t.Fatalf("update version %d after %d", v2, v1)
	}
	r = e.putConfig(adminToken, baseDoc, v1, "stale")
	expect(t, "stale", r, 409)
	if r.num("currentVersion") != v2 || !strings.Contains(r.str("error"), "version ") {
		t.Errorf("409 body %s", r.body)
	}
	e.unchanged("after stale put", v2, []byte(edited))
	e.waitApplied(v2)
	r = e.get("/check-schedule?name=Support&simulate=2026-03-02T17:30", "")
	if r.json["isOpen"] != true {
		t.Errorf("the update is not served: %s", r.body)
	}

	r = e.putConfig(adminToken, `{"rules": [], "schedules": [{"name": "A", "timeZone": "America/Chicgo", "rules": ["nope"]}]}`, v2, "")
	expect(t, "invalid", r, 400)
	if r.str("error") != "invalid config: 2 errors" {
		t.Errorf("error = %q", r.str("error"))
	}
	errs, _ := r.json["errors"].([]any)
	paths := []string{}
	for _, fe := range errs {
		m := fe.(map[string]any)
		paths = append(paths, m["path"].(string))
		if m["message"] == "" {
			t.Errorf("field error without message: %v", m)
		}
	}
	if strings.Join(paths, ",") != "schedules[0].timeZone,schedules[0].rules[0]" {
		t.Errorf("paths = %v", paths)
	}
	e.unchanged("after invalid put", v2, []byte(edited))
}

// TestVersionIsDeployed: every live replica reported by presence must
// serve the latest version; without any, this replica's version counts.
func TestVersionIsDeployed(t *testing.T) {
	e := newEnv(t, envOptions{noWatch: true})
	ctx := t.Context()
	deployed := func() (bool, uint64) {
		t.Helper()
		r := e.get("/api/v1/config", viewerToken)
		expect(t, "get config", r, 200)
		return r.json["versionIsDeployed"].(bool), r.num("version")
	}
	if ok, _ := deployed(); !ok {
		t.Errorf("seeded and applied, no replicas: not deployed")
	}
	r := e.putConfig(adminToken, baseDoc, e.seeded, "second")
	expect(t, "put", r, 200)
	v2 := r.num("version")
	if ok, v := deployed(); ok || v != v2 {
		t.Errorf("before this replica applies v%d: deployed %v (version %d)", v2, ok, v)
	}
	e.apply(v2)
	if ok, _ := deployed(); !ok {
		t.Errorf("after applying, no replicas: not deployed")
	}
	if err := e.presence.Announce(ctx, "replica-a", v2); err != nil {
		t.Fatal(err)
	}
	if err := e.presence.Announce(ctx, "replica-b", e.seeded); err != nil {
		t.Fatal(err)
	}
	if ok, _ := deployed(); ok {
		t.Errorf("replica-b serves v%d: deployed", e.seeded)
	}
	r = e.get("/api/v1/config", viewerToken)
	if reps, _ := r.json["replicas"].([]any); len(reps) != 2 {
		t.Errorf("replicas = %v", r.json["replicas"])
	}
	if err := e.presence.Announce(ctx, "replica-b", v2); err != nil {
		t.Fatal(err)
	}
	if ok, _ := deployed(); !ok {
		t.Errorf("every replica serves v%d: not deployed", v2)
	}
}

func TestSchedules(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/api/v1/schedules", viewerToken)
	expect(t, "list", r, 200)
	var list struct {
		Version   uint64 `json:"version"`
		Schedules []struct {
			Name        string   `json:"name"`
			TimeZone    string   `json:"timeZone"`
			ManualClose bool     `json:"manualClose"`
			Rules       []string `json:"rules"`
			Status      struct {
				IsOpen       bool   `json:"isOpen"`
				ClosedReason string `json:"closedReason"`
			} `json:"status"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	if list.Version != e.seeded || len(list.Schedules) != 4 {
		t.Fatalf("list = %s", r.body)
	}
	want := []struct {
		name, zone string
		manual     bool
		rules      string
		open       bool
		reason     string
	}{
		{"Support", "America/Chicago", false, "xmas,us,lunch,weekdays", true, ""},
		{"Sales", "Europe/London", false, "weekdays", true, ""},
		{"Closed Desk", "America/Chicago", true, "weekdays", false, "manual"},
		{"Weekend", "America/Chicago", false, "saturday", false, "closed"},
	}
	for i, w := range want {
		s := list.Schedules[i]
		if s.Name != w.name || s.TimeZone != w.zone || s.ManualClose != w.manual || strings.Join(s.Rules, ",") != w.rules ||
			s.Status.IsOpen != w.open || s.Status.ClosedReason != w.reason {
			t.Errorf("schedules[%d] = %+v, want %+v", i, s, w)
		}
	}

	r = e.get("/api/v1/schedules/Closed%20Desk", viewerToken)
	expect(t, "one", r, 200)
	if r.str("name") != "Closed Desk" || r.json["manualClose"] != true || r.num("version") != e.seeded {
		t.Errorf("one = %s", r.body)
	}
	r = e.get("/api/v1/schedules/Nope", viewerToken)
	expect(t, "unknown", r, 404)
	if r.str("error") != `unknown schedule "Nope"` {
		t.Errorf("error = %q", r.str("error"))
	}

	type segment struct {
		Start, End   time.Time
		IsOpen       bool   `json:"isOpen"`
		ClosedReason string `json:"closedReason"`
		Rule         *struct{ ID, Name string }
	}
	type timeline struct {
		Schedule, TimeZone string
		From, To           time.Time
		Segments           []segment
	}
	tl := func(path string) (timeline, result) {
		t.Helper()
		r := e.get(path, viewerToken)
		var out timeline
		if r.code == 200 {
			if err := json.Unmarshal(r.body, &out); err != nil {
				t.Fatal(err)
			}
		}
		return out, r
	}
	got, r := tl("/api/v1/schedules/Support/timeline")
	expect(t, "timeline default", r, 200)
	if !got.From.Equal(testNow) || !got.To.Equal(testNow.Add(7*24*time.Hour)) || got.Schedule != "Support" || got.TimeZone != "America/Chicago" {
		t.Errorf("default range %v – %v", got.From, got.To)
	}
	for i, s := range got.Segments {
		if i > 0 && !s.Start.Equal(got.Segments[i-1].End) {
			t.Errorf("segment %d starts %v, previous ends %v", i, s.Start, got.Segments[i-1].End)
		}
	}
	if !bytes.Contains(r.body, []byte(`"start":"2026-03-02T10:00:00-06:00"`)) {
		t.Errorf("times are not in the schedule's zone: %.300s", r.body)
	}

	got, r = tl("/api/v1/schedules/Support/timeline?from=2026-03-02&to=2026-03-03")
	expect(t, "timeline one day", r, 200)
	var desc []string
	for _, s := range got.Segments {
		d := s.Start.In(chicago).Format("15:04") + " " + s.ClosedReason
		if s.IsOpen {
			d = s.Start.In(chicago).Format("15:04") + " open " + s.Rule.ID
		}
		desc = append(desc, d)
	}
	if strings.Join(desc, "|") != "00:00 closed|08:00 open weekdays|12:00 lunch|13:00 open weekdays|17:00 closed" {
		t.Errorf("one day = %v", desc)
	}
	got, r = tl("/api/v1/schedules/Support/timeline?from=2026-03-08T00:00")
	expect(t, "timeline from only", r, 200)
	if got.To.Sub(got.From) != 7*24*time.Hour || got.To.In(chicago).Hour() != 1 { // spring forward on 8 March
		t.Errorf("from only: %v – %v", got.From, got.To)
	}
	bad := []struct{ query, contains string }{
		{"from=tomorrow", "from:"},
		{"to=2026-03-02T25:00", "to:"},
		{"from=2026-03-03&to=2026-03-02", "must be after"},
		{"from=2026-03-03&to=2026-03-03", "must be after"},
		{"from=2026-01-01&to=2027-01-03", "longer than 366 days"},
		{"from=0001-01-01&to=0001-01-02", "between the years 1000 and 9997"},
	}
	for _, b := range bad {
		_, r = tl("/api/v1/schedules/Support/timeline?" + b.query)
		expect(t, "timeline "+b.query, r, 400)
		if !strings.Contains(r.str("error"), b.contains) {
			t.Errorf("%s: error %q, want %q", b.query, r.str("error"), b.contains)
		}
	}
	_, r = tl("/api/v1/schedules/Nope/timeline")
	expect(t, "timeline unknown", r, 404)
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/api/v1/nope", 404, ""},
		{"GET", "/api/v2/config", 404, ""},
		{"GET", "/check-schedule/", 404, ""},
		{"DELETE", "/api/v1/config", 405, "GET, HEAD, PUT"},
		{"POST", "/api/v1/config", 405, "GET, HEAD, PUT"},
		{"GET", "/api/v1/rollback", 405, "POST"},
		{"GET", "/api/v1/schedules/Support/close", 405, "POST"},
		{"PATCH", "/api/v1/schedules/Support", 405, "GET, HEAD"},
		{"GET", "/healthz", 200, ""},
		{"GET", "/readyz", 200, ""},
	}
	for _, tc := range tests {
		r := e.do(request{method: tc.method, path: tc.path, token: adminToken})
		expect(t, tc.method+" "+tc.path, r, tc.code)
		if tc.code >= 400 && r.str("error") == "" {
			t.Errorf("%s %s: no JSON error: %s", tc.method, tc.path, r.body)
		}
		if tc.allow != "" && r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.header.Get("Allow"), tc.allow)
		}
	}
	r := e.get("/"+strings.Repeat("x", 5000), "")
	expect(t, "long path", r, 404)
	if len(r.str("error")) > 300 {
		t.Errorf("404 echoes the whole path: %d bytes", len(r.str("error")))
	}
}

// panickySource is a StatusSource whose Status panics, to test recovery.
type panickySource struct{ api.StatusSource }

func (panickySource) Status(string) (scheduler.Current, bool) { panic("boom") }

func TestPanicRecovered(t *testing.T) {
	e := newEnv(t, envOptions{deps: func(d *api.Deps) { d.Status = panickySource{d.Status} }})
	for _, path := range []string{"/check-schedule?name=Support", "/api/v1/schedules/Support"} {
		r := e.get(path, adminToken)
		expect(t, path, r, 500)
		if !strings.Contains(r.str("error"), "internal error") {
			t.Errorf("%s: %s", path, r.body)
		}
	}
	// The server still answers.
	expect(t, "after panic", e.get("/check-schedule?name=Support&simulate=2026-03-02T09:00", ""), 200)
}
