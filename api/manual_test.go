package api_test

import (
	"strings"
	"testing"
)

func TestManualCloseOpen(t *testing.T) {
	e := newEnv(t, envOptions{})
	v := e.seeded

	r := e.post("/api/v1/schedules/Support/close", adminToken, map[string]string{"message": "storm"})
	expect(t, "close", r, 200)
	if r.num("version") <= v || r.str("schedule") != "Support" || r.json["manualClose"] != true || r.json["changed"] != true {
		t.Fatalf("close = %s", r.body)
	}
	closedV := r.num("version")
	// Exactly one value changed: formatting, key order and unknown fields
	// are as they were.
	want := strings.Replace(baseDoc, `"manualClose": false`, `"manualClose": true`, 1)
	latest := e.latest()
	if string(latest.Data) != want || latest.Meta.Author != adminName || latest.Meta.Message != "storm" {
		t.Errorf("stored after close (author %q, message %q):\n%s", latest.Meta.Author, latest.Meta.Message, latest.Data)
	}
	e.waitApplied(closedV)
	r = e.get("/check-schedule?name=Support", "")
	if r.json["isOpen"] != false || r.str("closedReason") != "manual" {
		t.Errorf("check after close: %s", r.body)
	}

	r = e.do(request{method: "POST", path: "/api/v1/schedules/Support/close", token: adminToken})
	expect(t, "close again", r, 200)
	if r.num("version") != closedV || r.json["changed"] != false {
		t.Errorf("close again = %s", r.body)
	}
	e.unchanged("close again", closedV, []byte(want))

	r = e.post("/api/v1/schedules/Support/open", adminToken, nil)
	expect(t, "open", r, 200)
	if r.json["manualClose"] != false || r.json["changed"] != true {
		t.Errorf("open = %s", r.body)
	}
	latest = e.latest()
	if string(latest.Data) != baseDoc || latest.Meta.Message != `reopen "Support"` {
		t.Errorf("stored after open (message %q):\n%s", latest.Meta.Message, latest.Data)
	}
	e.waitApplied(latest.Version)
	if r = e.get("/check-schedule?name=Support", ""); r.json["isOpen"] != true {
		t.Errorf("check after open: %s", r.body)
	}

	// "Weekend" has no manualClose member: it is inserted.
	r = e.post("/api/v1/schedules/Weekend/close", adminToken, nil)
	expect(t, "close without member", r, 200)
	latest = e.latest()
	if !strings.Contains(string(latest.Data), `{"manualClose": true,"name": "Weekend"`) {
		t.Errorf("inserted member:\n%s", latest.Data)
	}

	v = latest.Version
	for _, tc := range []struct {
		path, body string
		code       int
		contains   string
	}{
		{"/api/v1/schedules/Nope/close", "", 404, `unknown schedule "Nope"`},
		{"/api/v1/schedules/Nope/open", "", 404, `unknown schedule "Nope"`},
		{"/api/v1/schedules/Support/close", `{"message": 5}`, 400, "message"},
		{"/api/v1/schedules/Support/close", `{"mesage": "typo"}`, 400, `unknown field "mesage"`},
		{"/api/v1/schedules/Support/close", `{"message": "` + strings.Repeat("x", 1001) + `"}`, 400, "longer than 1000"},
	} {
		r := e.do(request{method: "POST", path: tc.path, token: adminToken, body: tc.body, contentType: "application/json"})
		expect(t, tc.path+" "+tc.body, r, tc.code)
		if !strings.Contains(r.str("error"), tc.contains) {
			t.Errorf("%s: error %q, want %q", tc.path, r.str("error"), tc.contains)
		}
	}
	e.unchanged("after bad closes", v, latest.Data)
}
