package api_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

func multipartBody(t *testing.T, fields map[string]string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func TestCheckSchedule(t *testing.T) {
	e := newEnv(t, envOptions{})
	mp, mpType := multipartBody(t, map[string]string{"name": "Support", "simulate": "2026-03-02T12:30"})
	mpNoSim, mpNoSimType := multipartBody(t, map[string]string{"name": "Support"})
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		code        int
		open        bool
		reason      string
		errContains string
		schedule    string // expected "schedule" of a 200 (default Support)
	}{
		// GET with a query string, as Twilio documents it.
		{name: "get open now", method: "GET", path: "/check-schedule?name=Support", code: 200, open: true},
		{name: "get escaped name %20", method: "GET", path: "/check-schedule?name=Closed%20Desk", code: 200, reason: "manual", schedule: "Closed Desk"},
		{name: "get escaped name +", method: "GET", path: "/check-schedule?name=Closed+Desk", code: 200, reason: "manual", schedule: "Closed Desk"},
		{name: "get other zone", method: "GET", path: "/check-schedule?name=Sales", code: 200, open: true, schedule: "Sales"},
		{name: "get no rule matches", method: "GET", path: "/check-schedule?name=Weekend", code: 200, reason: "closed", schedule: "Weekend"},
		{name: "get simulate local lunch", method: "GET", path: "/check-schedule?name=Support&simulate=2026-03-02T12:30", code: 200, reason: "lunch"},
		{name: "get simulate absolute", method: "GET", path: "/check-schedule?name=Support&simulate=2026-03-02T18:30:00Z", code: 200, reason: "lunch"},
		{name: "get simulate offset", method: "GET", path: "/check-schedule?simulate=2026-03-02T19:30:00%2B01:00&name=Support", code: 200, reason: "lunch"},
		{name: "get simulate date", method: "GET", path: "/check-schedule?name=Support&simulate=2026-12-25", code: 200, reason: "holiday"},
		{name: "get simulate holiday calendar", method: "GET", path: "/check-schedule?name=Support&simulate=2026-11-26T10:00", code: 200, reason: "holiday"},
		{name: "get simulate before opening", method: "GET", path: "/check-schedule?name=Support&simulate=2026-03-02T07:59", code: 200, reason: "closed"},
		{name: "get simulate empty is now", method: "GET", path: "/check-schedule?name=Support&simulate=", code: 200, open: true},
		{name: "head", method: "HEAD", path: "/check-schedule?name=Support", code: 200},
		// POST with a JSON body, as Twilio documents it.
		{name: "post json", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"name": "Support"}`, code: 200, open: true},
		{name: "post json simulate", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"name": "Support", "simulate": "2026-03-02T07:59"}`, code: 200, reason: "closed"},
		{name: "post json simulate open", method: "POST", path: "/check-schedule", contentType: "application/json; charset=utf-8", body: `{"name":"Support","simulate":"2026-03-02T08:00"}`, code: 200, open: true},
		{name: "post json extra fields", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"name": "Support", "flow_sid": "FW123", "request": {"headers": {}}}`, code: 200, open: true},
		{name: "post json without content type", method: "POST", path: "/check-schedule", body: `  {"name": "Support"}`, code: 200, open: true},
		{name: "post json name in query", method: "POST", path: "/check-schedule?name=Support", contentType: "application/json", body: `{}`, code: 200, open: true},
		{name: "post empty body name in query", method: "POST", path: "/check-schedule?name=Support", code: 200, open: true},
		// POST with a form body, as Studio's widgets send it.
		{name: "post form", method: "POST", path: "/check-schedule", contentType: "application/x-www-form-urlencoded", body: "name=Support", code: 200, open: true},
		{name: "post form simulate", method: "POST", path: "/check-schedule", contentType: "application/x-www-form-urlencoded", body: "name=Support&simulate=2026-03-02T12%3A30", code: 200, reason: "lunch"},
		{name: "post form escaped name", method: "POST", path: "/check-schedule", contentType: "application/x-www-form-urlencoded", body: "name=Closed+Desk&Flow=x", code: 200, reason: "manual", schedule: "Closed Desk"},
		{name: "post form no content type", method: "POST", path: "/check-schedule", body: "name=Support", code: 200, open: true},
		{name: "post multipart", method: "POST", path: "/check-schedule", contentType: mpNoSimType, body: mpNoSim, code: 200, open: true},
		{name: "post multipart simulate", method: "POST", path: "/check-schedule", contentType: mpType, body: mp, code: 200, reason: "lunch"},
		// Mistakes.
		{name: "missing name", method: "GET", path: "/check-schedule", code: 400, errContains: "missing schedule name"},
		{name: "empty name", method: "GET", path: "/check-schedule?name=", code: 400, errContains: "missing schedule name"},
		{name: "missing name json", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"simulate": "2026-03-02T08:00"}`, code: 400, errContains: "missing schedule name"},
		{name: "name of wrong type", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"name": 5}`, code: 400, errContains: "name: expected a string"},
		{name: "malformed json", method: "POST", path: "/check-schedule", contentType: "application/json", body: "{\"name\": \"Support\",\n}", code: 400, errContains: "line 2, column 1"},
		{name: "bad simulate", method: "GET", path: "/check-schedule?name=Support&simulate=yesterday", code: 400, errContains: "2006-01-02T15:04"},
		{name: "bad simulate json", method: "POST", path: "/check-schedule", contentType: "application/json", body: `{"name": "Support", "simulate": "2026-13-01T08:00"}`, code: 400, errContains: "simulate:"},
		{name: "simulate out of range", method: "GET", path: "/check-schedule?name=Support&simulate=9999-12-31T23:59", code: 400, errContains: "out of range"},
		{name: "simulate year 1000", method: "GET", path: "/check-schedule?name=Support&simulate=1000-01-01T12:00", code: 200, reason: "holiday"},
		{name: "simulate year 9997", method: "GET", path: "/check-schedule?name=Support&simulate=9997-12-31T23:59", code: 200, reason: "closed"},
		{name: "simulate year 9998", method: "GET", path: "/check-schedule?name=Support&simulate=9998-01-01T00:00", code: 400, errContains: "out of range"},
		{name: "simulate offset crosses into 9998", method: "GET", path: "/check-schedule?name=Support&simulate=9997-12-31T23:00:00-14:00", code: 400, errContains: "out of range"},
		{name: "simulate year 999", method: "GET", path: "/check-schedule?name=Support&simulate=0999-06-01T12:00", code: 400, errContains: "out of range"},
		{name: "simulate year 1", method: "GET", path: "/check-schedule?name=Support&simulate=0001-01-01T12:00", code: 400, errContains: "out of range"},
		{name: "bad escaping", method: "GET", path: "/check-schedule?name=%zz", code: 400, errContains: "malformed"},
		{name: "unknown", method: "GET", path: "/check-schedule?name=Nope", code: 404, open: true, reason: "error", errContains: `unknown schedule "Nope"`},
		{name: "unknown with simulate", method: "GET", path: "/check-schedule?name=Nope&simulate=2026-03-02T08:00", code: 404, open: true, reason: "error", errContains: `unknown schedule "Nope"`},
		{name: "unknown is case sensitive", method: "GET", path: "/check-schedule?name=support", code: 404, open: true, reason: "error"},
		{name: "wrong method", method: "DELETE", path: "/check-schedule?name=Support", code: 405, errContains: "use GET or POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{method: tc.method, path: tc.path, contentType: tc.contentType, body: tc.body})
			expect(t, tc.name, r, tc.code)
			if tc.method == "HEAD" {
				if len(r.body) != 0 {
					t.Errorf("HEAD answered a body")
				}
				return
			}
			if tc.errContains != "" && !strings.Contains(r.str("error"), tc.errContains) {
				t.Errorf("error = %q, want it to contain %q", r.str("error"), tc.errContains)
			}
			if tc.code == 200 || tc.code == 404 {
				if got, _ := r.json["isOpen"].(bool); got != tc.open {
					t.Errorf("isOpen = %v, want %v (%s)", got, tc.open, r.body)
				}
				if got, ok := r.json["closedReason"].(string); !ok || got != tc.reason {
					t.Errorf("closedReason = %q, want %q (%s)", got, tc.reason, r.body)
				}
			}
			if tc.code == 200 {
				want := tc.schedule
				if want == "" {
					want = "Support"
				}
				if r.str("schedule") != want || r.num("configVersion") != e.seeded || r.str("timeZone") == "" || r.str("at") == "" {
					t.Errorf("extensions wrong: %s", r.body)
				}
				if _, ok := r.json["nextTransition"]; !ok {
					t.Errorf("nextTransition missing: %s", r.body)
				}
			}
			if tc.code == 405 && r.header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", r.header.Get("Access-Control-Allow-Origin"))
			}
		})
	}

	t.Run("answer in detail", func(t *testing.T) {
		r := e.get("/check-schedule?name=Support&simulate=2026-03-02T12:30", "")
		want := `{"isOpen":false,"closedReason":"lunch","schedule":"Support","timeZone":"America/Chicago","at":"2026-03-02T12:30:00-06:00",` +
			`"rule":{"id":"lunch","name":"Lunch"},"nextTransition":{"at":"2026-03-02T13:00:00-06:00","isOpen":true,"closedReason":""},` +
			`"nextOpening":"2026-03-02T13:00:00-06:00","configVersion":1}` + "\n"
		if string(r.body) != want {
			t.Errorf("body\n got %s\nwant %s", r.body, want)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
		}
		r = e.get("/check-schedule?name=Support&simulate=2026-11-26T10:00", "")
		if r.str("holiday") != "Thanksgiving Day" {
			t.Errorf("holiday = %q, want Thanksgiving Day", r.str("holiday"))
		}
		// The cached answer is for the scheduler's clock.
		r = e.get("/check-schedule?name=Support", "")
		if r.str("at") != "2026-03-02T10:00:00-06:00" {
			t.Errorf("at = %q", r.str("at"))
		}
	})

	t.Run("preflight", func(t *testing.T) {
		r := e.do(request{method: "OPTIONS", path: "/check-schedule", header: map[string]string{
			"Origin": "https://flex.twilio.com", "Access-Control-Request-Method": "POST",
		}})
		expect(t, "preflight", r, http.StatusNoContent)
		if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Content-Type") {
			t.Errorf("preflight headers: %v", r.header)
		}
	})
}

// nextOpening skips changes of closed reason, so a client learns when the
// schedule opens in one call; it is absent when open or when it never opens.
func TestCheckScheduleNextOpening(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name  string
		query string
		want  string // "" for absent
	}{
		{"cached, closed until Saturday", "name=Weekend", "2026-03-07T10:00:00-06:00"},
		{"cached, open", "name=Support", ""},
		{"manual close never opens", "name=Closed+Desk", ""},
		{"lunch", "name=Support&simulate=2026-03-02T12:30", "2026-03-02T13:00:00-06:00"},
		{"holiday, then closed overnight", "name=Support&simulate=2026-11-26T10:00", "2026-11-27T08:00:00-06:00"},
		{"beyond the horizon, in another zone", "name=Sales&simulate=2026-12-24T18:00", "2026-12-25T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get("/check-schedule?"+tt.query, "")
			expect(t, tt.name, r, 200)
			got, present := r.json["nextOpening"]
			if tt.want == "" && present || tt.want != "" && got != tt.want {
				t.Errorf("nextOpening = %v (present %v), want %q: %s", got, present, tt.want, r.body)
			}
		})
	}
}

// An answer's instant is the clock reading the scheduler evaluated, never a
// second reading: here the API's own clock is a year ahead of the
// scheduler's, and every answer still says the scheduler's instant.
func TestAnswersCarryTheEvaluatedInstant(t *testing.T) {
	e := newEnv(t, envOptions{deps: func(d *api.Deps) {
		d.Now = func() time.Time { return testNow.AddDate(1, 0, 0) }
	}})
	const want = "2026-03-02T10:00:00-06:00"
	if r := e.get("/check-schedule?name=Support", ""); r.str("at") != want {
		t.Errorf("check-schedule at = %q, want %q", r.str("at"), want)
	}
	var one struct {
		Status struct{ At string }
	}
	if r := e.get("/api/v1/schedules/Support", viewerToken); json.Unmarshal(r.body, &one) != nil || one.Status.At != want {
		t.Errorf("schedule status at = %q, want %q (%s)", one.Status.At, want, r.body)
	}
	var all struct {
		Schedules []struct {
			Name   string
			Status struct{ At string }
		}
	}
	r := e.get("/api/v1/schedules", viewerToken)
	if err := json.Unmarshal(r.body, &all); err != nil || len(all.Schedules) == 0 {
		t.Fatalf("schedules: %v %s", err, r.body)
	}
	for _, sc := range all.Schedules {
		// Each in its own zone, all the same instant.
		if at, err := time.Parse(time.RFC3339, sc.Status.At); err != nil || !at.Equal(testNow) {
			t.Errorf("%s: status at = %q, want %s", sc.Name, sc.Status.At, testNow)
		}
	}
}

func TestCheckScheduleOptions(t *testing.T) {
	t.Run("fail closed", func(t *testing.T) {
		e := newEnv(t, envOptions{opts: api.Options{FailClosed: true}})
		r := e.get("/check-schedule?name=Nope", "")
		expect(t, "unknown", r, 404)
		if r.json["isOpen"] != false || r.str("closedReason") != "error" || r.str("error") != `unknown schedule "Nope"` {
			t.Errorf("body %s", r.body)
		}
	})
	t.Run("not ready", func(t *testing.T) {
		e := newEnv(t, envOptions{noSeed: true})
		r := e.get("/check-schedule?name=Support", "")
		expect(t, "not ready", r, 503)
		if r.json["isOpen"] != true || r.str("error") == "" || r.header.Get("Retry-After") == "" {
			t.Errorf("body %s headers %v", r.body, r.header)
		}
		expect(t, "readyz", e.get("/readyz", ""), 503)
		expect(t, "schedules", e.get("/api/v1/schedules", viewerToken), 503)
	})
	t.Run("private", func(t *testing.T) {
		private := false
		e := newEnv(t, envOptions{opts: api.Options{PublicCheck: &private}})
		r := e.get("/check-schedule?name=Support", "")
		expect(t, "no token", r, 401)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
		}
		expect(t, "bad token", e.get("/check-schedule?name=Support", "nope"), 401)
		expect(t, "viewer", e.get("/check-schedule?name=Support", viewerToken), 200)
		expect(t, "admin", e.get("/check-schedule?name=Support", adminToken), 200)
	})
	t.Run("cors origins", func(t *testing.T) {
		e := newEnv(t, envOptions{opts: api.Options{CORSOrigins: []string{"https://flex.twilio.com"}}})
		r := e.do(request{method: "GET", path: "/check-schedule?name=Support", header: map[string]string{"Origin": "https://flex.twilio.com"}})
		if r.header.Get("Access-Control-Allow-Origin") != "https://flex.twilio.com" || r.header.Get("Vary") != "Origin" {
			t.Errorf("matching origin: %v", r.header)
		}
		r = e.do(request{method: "GET", path: "/check-schedule?name=Support", header: map[string]string{"Origin": "https://evil.example"}})
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("other origin allowed: %v", r.header)
		}
		r = e.do(request{method: "OPTIONS", path: "/api/v1/config", header: map[string]string{
			"Origin": "https://flex.twilio.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization",
		}})
		expect(t, "admin preflight", r, 204)
		if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PUT") || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("admin preflight headers: %v", r.header)
		}
	})
}

// TestTwilioExample runs Twilio's own example config and its documented
// answers: "Example" at 2022-08-08 07:59 is closed, at 08:00 open.
func TestTwilioExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.TwilioExamples(t), "config.private.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{seed: string(doc)})
	tests := []struct {
		simulate string
		open     bool
		reason   string
	}{
		{"2022-08-08T07:59", false, "closed"},
		{"2022-08-08T08:00", true, ""},
		{"2022-12-25T12:00", false, "holiday"},
	}
	for _, tc := range tests {
		for _, form := range []string{"query", "json", "form"} {
			var r result
			switch form {
			case "query":
				r = e.get("/check-schedule?name=Example&simulate="+tc.simulate, "")
			case "json":
				r = e.post("/check-schedule", "", map[string]string{"name": "Example", "simulate": tc.simulate})
			case "form":
				r = e.do(request{method: "POST", path: "/check-schedule", contentType: "application/x-www-form-urlencoded", body: "name=Example&simulate=" + tc.simulate})
			}
			expect(t, tc.simulate+" "+form, r, 200)
			if r.json["isOpen"] != tc.open || r.json["closedReason"] != tc.reason {
				t.Errorf("%s (%s): isOpen %v closedReason %q, want %v %q", tc.simulate, form, r.json["isOpen"], r.json["closedReason"], tc.open, tc.reason)
			}
		}
	}
	// The first two members are Twilio's contract, in Twilio's order.
	r := e.get("/check-schedule?name=Example&simulate=2022-08-08T08:00", "")
	if !bytes.HasPrefix(r.body, []byte(`{"isOpen":true,"closedReason":""`)) {
		t.Errorf("body starts %.60s", r.body)
	}
}

// FuzzCheckSchedule: whatever the query, the answer is JSON and never a
// 500 (a panic in a lower layer would be one).
func FuzzCheckSchedule(f *testing.F) {
	e := newEnv(f, envOptions{})
	for _, q := range []string{"name=Support", "name=Support&simulate=2026-03-02T12:30", "name=Support&simulate=1000-01-01",
		"name=Weekend&simulate=9997-12-31T23:59:59.999999999-14:00", "simulate=2026-02-29&name=Sales", "name=%FF&simulate=%00"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest(http.MethodGet, "/check-schedule", nil)
		req.URL.RawQuery = q
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if rec.Code == http.StatusInternalServerError || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("query %q: %d %s", q, rec.Code, rec.Body.Bytes())
		}
	})
}
