package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
)

// previewResult is the answer of POST /api/v1/preview.
type previewResult struct {
	Valid            bool             `json:"valid"`
	Errors           []problem        `json:"errors"`
	Warnings         []problem        `json:"warnings"`
	PublishedVersion uint64           `json:"publishedVersion"`
	From             string           `json:"from"`
	To               string           `json:"to"`
	Schedules        []previewedSched `json:"schedules"`
}

type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

type previewedSched struct {
	Name           string `json:"name"`
	Change         string `json:"change"`
	Differences    []diff `json:"differences"`
	RecentRequests uint64 `json:"recentRequests"`
}

type state struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
}

type diff struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Before *state `json:"before"`
	After  *state `json:"after"`
}

func (d diff) String() string {
	st := func(s *state) string {
		switch {
		case s == nil:
			return "-"
		case s.IsOpen:
			return "open"
		}
		return s.ClosedReason
	}
	return d.Start + " " + d.End + " " + st(d.Before) + ">" + st(d.After)
}

// preview posts a draft and decodes the 200 answer.
func (e *env) preview(token, draft string, days int) previewResult {
	e.t.Helper()
	body := `{"data": ` + draft + `}`
	if days != 0 {
		body = fmt.Sprintf(`{"data": %s, "days": %d}`, draft, days)
	}
	r := e.do(request{method: http.MethodPost, path: "/api/v1/preview", token: token, body: body, contentType: "application/json"})
	expect(e.t, "preview", r, http.StatusOK)
	var out previewResult
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatalf("preview answer: %v: %s", err, r.body)
	}
	return out
}

func (p previewResult) schedule(t *testing.T, name string) previewedSched {
	t.Helper()
	for _, s := range p.Schedules {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no schedule %q in the preview: %+v", name, p.Schedules)
	return previewedSched{}
}

func diffStrings(ds []diff) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return strings.Join(out, "\n")
}

// TestPreviewEdit: Support's weekday hours end at 18:00 instead of 17:00.
// Over eight days from Monday 2 March 2026, 10:00 in Chicago, the draft
// opens one more hour each weekday, before and after Chicago's change to
// daylight time on Sunday the 8th; nothing else differs.
func TestPreviewEdit(t *testing.T) {
	e := newEnv(t, envOptions{})
	draft := strings.Replace(baseDoc, `"startTime": "08:00", "endTime": "17:00"`, `"startTime": "08:00", "endTime": "18:00"`, 1)
	if draft == baseDoc {
		t.Fatal("the edit did not apply")
	}
	p := e.preview(viewerToken, draft, 8)
	if !p.Valid || len(p.Errors) != 0 || len(p.Warnings) != 0 {
		t.Fatalf("valid %v, errors %v, warnings %v", p.Valid, p.Errors, p.Warnings)
	}
	if p.PublishedVersion != e.seeded || p.From != "2026-03-02T16:00:00Z" || p.To != "2026-03-10T16:00:00Z" {
		t.Errorf("version %d (want %d), from %s, to %s", p.PublishedVersion, e.seeded, p.From, p.To)
	}
	var kinds []string
	for _, s := range p.Schedules {
		kinds = append(kinds, s.Name+":"+s.Change)
	}
	if got := strings.Join(kinds, " "); got != "Support:changed Sales:changed Closed Desk:changed Weekend:unchanged" {
		t.Errorf("changes: %s", got)
	}
	want := []string{
		"2026-03-02T17:00:00-06:00 2026-03-02T18:00:00-06:00 closed>open",
		"2026-03-03T17:00:00-06:00 2026-03-03T18:00:00-06:00 closed>open",
		"2026-03-04T17:00:00-06:00 2026-03-04T18:00:00-06:00 closed>open",
		"2026-03-05T17:00:00-06:00 2026-03-05T18:00:00-06:00 closed>open",
		"2026-03-06T17:00:00-06:00 2026-03-06T18:00:00-06:00 closed>open",
		"2026-03-09T17:00:00-05:00 2026-03-09T18:00:00-05:00 closed>open",
	}
	if got := diffStrings(p.schedule(t, "Support").Differences); got != strings.Join(want, "\n") {
		t.Errorf("Support differences:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	// The same rule in London: 17:00 to 18:00 GMT (Europe changes on the
	// 29th).
	sales := p.schedule(t, "Sales").Differences
	if len(sales) != 6 || sales[0].String() != "2026-03-02T17:00:00Z 2026-03-02T18:00:00Z closed>open" {
		t.Errorf("Sales differences:\n%s", diffStrings(sales))
	}
	// Manually closed either way: changed, yet no difference.
	if d := p.schedule(t, "Closed Desk").Differences; d == nil || len(d) != 0 {
		t.Errorf("Closed Desk differences %v, want []", d)
	}
	// The default range is 14 days.
	if p14 := e.preview(viewerToken, draft, 0); p14.To != "2026-03-16T16:00:00Z" || len(p14.schedule(t, "Support").Differences) != 10 {
		t.Errorf("default range: to %s, %d differences", p14.To, len(p14.schedule(t, "Support").Differences))
	}
	// Nothing was stored.
	if got := e.latest(); got.Version != e.seeded {
		t.Errorf("preview stored version %d", got.Version)
	}
}

// TestPreviewRename: renaming Weekend shows it removed, with the requests
// its callers made (they would get 404 and fail open), and the new name
// added. The counts follow the names across a publish.
func TestPreviewRename(t *testing.T) {
	e := newEnv(t, envOptions{})
	for range 3 {
		expect(t, "check Weekend", e.get("/check-schedule?name=Weekend", ""), http.StatusOK)
	}
	expect(t, "simulate Weekend", e.get("/check-schedule?name=Weekend&simulate=2026-03-07T11:00", ""), http.StatusOK)
	for range 2 {
		// Callers that already use the new name get 404 for now.
		expect(t, "check Weekend Desk", e.get("/check-schedule?name=Weekend+Desk", ""), http.StatusNotFound)
	}
	expect(t, "check Support", e.get("/check-schedule?name=Support", ""), http.StatusOK)
	renamed := strings.Replace(baseDoc, `"name": "Weekend"`, `"name": "Weekend Desk"`, 1)
	p := e.preview(adminToken, renamed, 1)
	if !p.Valid {
		t.Fatalf("invalid: %v", p.Errors)
	}
	// The removal is shouted about among the warnings too.
	if len(p.Warnings) != 1 || p.Warnings[0] != (problem{"schedules",
		`schedule "Weekend" is removed (or renamed), but it had 4 check-schedule requests in the last 24 hours: its callers would get 404 and fail open`}) {
		t.Errorf("warnings %+v", p.Warnings)
	}
	removed, added := p.schedule(t, "Weekend"), p.schedule(t, "Weekend Desk")
	if removed.Change != "removed" || removed.RecentRequests != 4 || added.Change != "added" || added.RecentRequests != 2 {
		t.Fatalf("removed %+v\nadded %+v", removed, added)
	}
	if p.Schedules[len(p.Schedules)-1].Name != "Weekend" {
		t.Errorf("the removed schedule comes last: %+v", p.Schedules)
	}
	// Over the next day (Monday 10:00 to Tuesday 10:00) Weekend is closed
	// throughout, so the removal is one closed stretch, and the addition
	// the same stretch from the other side.
	if got := diffStrings(removed.Differences); got != "2026-03-02T10:00:00-06:00 2026-03-03T10:00:00-06:00 closed>-" {
		t.Errorf("removed differences: %s", got)
	}
	if got := diffStrings(added.Differences); got != "2026-03-02T10:00:00-06:00 2026-03-03T10:00:00-06:00 ->closed" {
		t.Errorf("added differences: %s", got)
	}
	if s := p.schedule(t, "Support"); s.Change != "unchanged" || s.RecentRequests != 1 {
		t.Errorf("Support: %+v", s)
	}

	// Publish the rename: the old name now answers 404, and its count
	// goes on; a draft bringing it back shows it.
	r := e.putConfig(adminToken, renamed, e.seeded, "rename")
	expect(t, "publish", r, http.StatusOK)
	e.waitApplied(r.num("version"))
	expect(t, "old name", e.get("/check-schedule?name=Weekend", ""), http.StatusNotFound)
	expect(t, "new name", e.get("/check-schedule?name=Weekend+Desk", ""), http.StatusOK)
	back := e.preview(viewerToken, baseDoc, 1)
	if s := back.schedule(t, "Weekend"); s.Change != "added" || s.RecentRequests != 5 {
		t.Errorf("Weekend back: %+v", s)
	}
	if s := back.schedule(t, "Weekend Desk"); s.Change != "removed" || s.RecentRequests != 3 {
		t.Errorf("Weekend Desk removed: %+v", s)
	}
}

func TestPreviewInvalidDraft(t *testing.T) {
	e := newEnv(t, envOptions{})
	draft := `{"rules": [{"id": "a", "isOpen": true, "startTime": "08:00", "endTime": "25:00"},
		{"id": "b", "isOpen": false, "closedReason": "holiday", "holiday": "US"}],
		"schedules": [{"name": "S", "timeZone": "America/Chicgo", "rules": ["a", "b"]}]}`
	p := e.preview(viewerToken, draft, 0)
	if p.Valid || len(p.Schedules) != 0 {
		t.Fatalf("valid %v, schedules %v", p.Valid, p.Schedules)
	}
	var errs []string
	for _, fe := range p.Errors {
		errs = append(errs, fe.Path)
	}
	if strings.Join(errs, " ") != "rules[0].endTime schedules[0].timeZone" {
		t.Errorf("errors %v", p.Errors)
	}
	// The misspelt field explains why rule b closes every day.
	if len(p.Warnings) != 1 || p.Warnings[0].Path != "rules[1].holiday" || !strings.Contains(p.Warnings[0].Message, `did you mean "holidays"`) {
		t.Errorf("warnings %v", p.Warnings)
	}
	// A document of the wrong shape: one error for the whole document.
	p = e.preview(viewerToken, `{"rules": 5}`, 0)
	if p.Valid || len(p.Errors) != 1 || p.Errors[0].Path != "" || !strings.Contains(p.Errors[0].Message, "rules") {
		t.Errorf("wrong shape: %+v", p)
	}
}

func TestPreviewWarnings(t *testing.T) {
	e := newEnv(t, envOptions{})
	draft := strings.Replace(baseDoc, `"rules": [`, `"rules": [
    {"id": "labor", "name": "Labor Day", "isOpen": false, "closedReason": "holiday", "startDate": "2023-09-04", "endDate": "2023-09-04"},`, 1)
	draft = strings.Replace(draft, `"rules": ["xmas", "us", "lunch", "weekdays"]`, `"rules": ["xmas", "us", "lunch", "weekdays", "labor"]`, 1)
	p := e.preview(viewerToken, draft, 1)
	if !p.Valid || len(p.Warnings) != 1 || p.Warnings[0].Path != "rules[0].startDate" || !strings.Contains(p.Warnings[0].Message, "2023-09-04 is in the past") {
		t.Fatalf("valid %v, warnings %+v, errors %+v", p.Valid, p.Warnings, p.Errors)
	}
	// A warning never blocks a publish; the answer lists it.
	r := e.putConfig(adminToken, draft, e.seeded, "labor day")
	expect(t, "publish with a warning", r, http.StatusOK)
	ws, _ := r.json["warnings"].([]any)
	if len(ws) != 1 || !strings.Contains(fmt.Sprint(ws[0]), "rules[0].startDate") || r.num("version") <= e.seeded {
		t.Errorf("PUT answer %s", r.body)
	}
	r = e.putConfig(adminToken, baseDoc, r.num("version"), "back")
	expect(t, "publish clean", r, http.StatusOK)
	if ws, ok := r.json["warnings"].([]any); !ok || len(ws) != 0 {
		t.Errorf("PUT answer without warnings: %s", r.body)
	}
}

func TestPreviewRequests(t *testing.T) {
	e := newEnv(t, envOptions{opts: api.Options{MaxBodyBytes: 4096, Limits: engine.Limits{DocumentBytes: 4096}}})
	post := func(token, body string) result {
		return e.do(request{method: http.MethodPost, path: "/api/v1/preview", token: token, body: body, contentType: "application/json"})
	}
	for _, c := range []struct {
		name, token, body string
		code              int
		contains          string
	}{
		{"viewer may preview", viewerToken, `{"data": ` + baseDoc + `}`, 200, ""},
		{"no token", "", `{"data": ` + baseDoc + `}`, 401, ""},
		{"bad token", "nope", `{"data": ` + baseDoc + `}`, 401, ""},
		{"no data", viewerToken, `{"days": 3}`, 400, `"data" is required`},
		{"null data", viewerToken, `{"data": null}`, 400, `"data" is required`},
		{"zero days", viewerToken, `{"data": {}, "days": 0}`, 400, `"days" must be 1 to 366`},
		{"too many days", viewerToken, `{"data": {}, "days": 367}`, 400, `"days" must be 1 to 366`},
		{"days not a number", viewerToken, `{"data": {}, "days": "7"}`, 400, "days"},
		{"unknown member", viewerToken, `{"data": {}, "dayz": 7}`, 400, "dayz"},
		{"not JSON", viewerToken, `{"data": `, 400, "JSON"},
		{"too large", viewerToken, `{"data": {"rules": [], "x-pad": "` + strings.Repeat("x", 5000) + `"}}`, 413, "the document is 5026 bytes, more than the limit of 4096; the max-document-bytes setting raises it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := post(c.token, c.body)
			if r.code != c.code || !strings.Contains(r.str("error"), c.contains) {
				t.Fatalf("status %d, body %.300s; want %d with %q", r.code, r.body, c.code, c.contains)
			}
		})
	}
	expect(t, "GET", e.get("/api/v1/preview", viewerToken), http.StatusMethodNotAllowed)
}

func TestPreviewRemovedFailClosed(t *testing.T) {
	e := newEnv(t, envOptions{opts: api.Options{FailClosed: true}})
	expect(t, "check", e.get("/check-schedule?name=Sales", ""), http.StatusOK)
	p := e.preview(viewerToken, strings.Replace(baseDoc, `"name": "Sales"`, `"name": "Sales EU"`, 1), 1)
	if len(p.Warnings) != 1 || !strings.HasSuffix(p.Warnings[0].Message, "had 1 check-schedule request in the last 24 hours: its callers would get 404 and fail closed") {
		t.Errorf("warnings %+v", p.Warnings)
	}
	// A removed name nobody asked for is no warning.
	if p := e.preview(viewerToken, strings.Replace(baseDoc, `"name": "Weekend"`, `"name": "Weekend Desk"`, 1), 1); len(p.Warnings) != 0 {
		t.Errorf("warnings %+v", p.Warnings)
	}
}
