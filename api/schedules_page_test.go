package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// pageAnswer is a paged GET /api/v1/schedules.
type pageAnswer struct {
	Version   uint64 `json:"version"`
	Total     int    `json:"total"`
	Next      string `json:"next"`
	Schedules []struct {
		Name        string `json:"name"`
		ManualClose bool   `json:"manualClose"`
		Status      struct {
			IsOpen       bool   `json:"isOpen"`
			ClosedReason string `json:"closedReason"`
		} `json:"status"`
	} `json:"schedules"`
}

func (e *env) page(query string) pageAnswer {
	e.t.Helper()
	r := e.get("/api/v1/schedules?"+query, viewerToken)
	expect(e.t, "GET /api/v1/schedules?"+query, r, http.StatusOK)
	var p pageAnswer
	if err := json.Unmarshal(r.body, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (p pageAnswer) names() []string {
	var out []string
	for _, s := range p.Schedules {
		out = append(out, s.Name)
	}
	return out
}

// walk follows next cursors from the first page and returns every name.
func (e *env) walk(query string) ([]string, int) {
	e.t.Helper()
	var all []string
	p := e.page(query)
	total := p.Total
	pages := 1
	for {
		all = append(all, p.names()...)
		if p.Next == "" {
			return all, pages
		}
		if pages > 100 {
			e.t.Fatal("more than 100 pages")
		}
		p = e.page(query + "&cursor=" + url.QueryEscape(p.Next))
		pages++
		if p.Total != total {
			e.t.Errorf("total changed from %d to %d between pages", total, p.Total)
		}
	}
}

// pagingDoc has 25 schedules with mixed-case names; every fifth is
// manually closed.
func pagingDoc() string {
	var scheds []string
	for i := range 25 {
		name := fmt.Sprintf("Desk %02d", i)
		if i%3 == 0 {
			name = fmt.Sprintf("desk %02d", i) // lower case sorts among the others
		}
		scheds = append(scheds, fmt.Sprintf(`{"name": %q, "manualClose": %v, "timeZone": "America/Chicago", "rules": ["weekdays"]}`, name, i%5 == 0))
	}
	scheds = append(scheds, `{"name": "Night Desk", "timeZone": "America/Chicago", "rules": ["saturday"]}`)
	return `{"rules": [
		{"id": "weekdays", "name": "Weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"},
		{"id": "saturday", "name": "Saturday", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=SA", "startTime": "10:00", "endTime": "14:00"}
	], "schedules": [` + strings.Join(scheds, ",") + `]}`
}

// Pages follow each other without gaps or repeats, in case-insensitive
// name order (either way); q and status filter before paging and total
// counts every match.
func TestSchedulesPaged(t *testing.T) {
	e := newEnv(t, envOptions{seed: pagingDoc()})
	var want []string
	for i := range 25 {
		if i%3 == 0 {
			want = append(want, fmt.Sprintf("desk %02d", i))
		} else {
			want = append(want, fmt.Sprintf("Desk %02d", i))
		}
	}
	want = append(want, "Night Desk")
	for _, limit := range []int{1, 7, 26, 1000} {
		got, pages := e.walk(fmt.Sprintf("limit=%d", limit))
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: %v\nwant %v", limit, got, want)
		}
		if wantPages := (26 + limit - 1) / limit; pages != wantPages {
			t.Errorf("limit %d: %d pages, want %d", limit, pages, wantPages)
		}
	}
	rev, _ := e.walk("limit=4&sort=-name")
	r := slices.Clone(want)
	slices.Reverse(r)
	if !slices.Equal(rev, r) {
		t.Errorf("sort=-name: %v", rev)
	}
	// Monday 10:00 in Chicago: every desk but the manual ones is open; the
	// Saturday-only one is closed.
	cases := []struct {
		query string
		total int
		check func(n string) bool
	}{
		{"q=DESK%201", 10, func(n string) bool { return strings.Contains(strings.ToLower(n), "desk 1") }},
		{"q=night", 1, func(n string) bool { return n == "Night Desk" }},
		{"status=manual", 5, nil},
		{"status=closed", 6, nil},
		{"status=open", 20, nil},
		{"status=error", 0, nil},
		{"status=open&q=desk%202", 4, nil},
		{"q=nothing-like-it", 0, nil},
	}
	for _, c := range cases {
		got, _ := e.walk("limit=3&" + c.query)
		p := e.page("limit=3&" + c.query)
		if len(got) != c.total || p.Total != c.total {
			t.Errorf("%s: %d names, total %d, want %d: %v", c.query, len(got), p.Total, c.total, got)
		}
		for _, s := range p.Schedules {
			if c.check != nil && !c.check(s.Name) {
				t.Errorf("%s: %s does not match", c.query, s.Name)
			}
			switch {
			case strings.Contains(c.query, "status=manual") && !s.ManualClose,
				strings.Contains(c.query, "status=open") && !s.Status.IsOpen,
				strings.Contains(c.query, "status=closed") && s.Status.IsOpen:
				t.Errorf("%s: %s is %+v", c.query, s.Name, s)
			}
		}
	}
	if p := e.page("limit=2"); p.Version != e.seeded || len(p.Schedules) != 2 || p.Total != 26 {
		t.Errorf("first page: version %d, %d schedules, total %d", p.Version, len(p.Schedules), p.Total)
	}
}

// A cursor names the last schedule sent: removing it (or others) between
// two pages neither repeats nor skips the rest.
func TestSchedulesCursorSurvivesNewVersion(t *testing.T) {
	e := newEnv(t, envOptions{seed: pagingDoc()})
	first := e.page("limit=5")
	if got := first.names(); got[4] != "Desk 04" {
		t.Fatalf("first page %v", got)
	}
	doc := strings.Replace(pagingDoc(), `{"name": "Desk 04", "manualClose": false, "timeZone": "America/Chicago", "rules": ["weekdays"]},`, "", 1)
	r := e.putConfig(adminToken, doc, e.seeded, "drop Desk 04")
	expect(t, "put", r, http.StatusOK)
	e.waitApplied(r.num("version"))
	second := e.page("limit=3&cursor=" + url.QueryEscape(first.Next))
	if got := second.names(); !slices.Equal(got, []string{"Desk 05", "desk 06", "Desk 07"}) {
		t.Errorf("after the cursor of a removed schedule: %v", got)
	}
}

// Without paging parameters the answer is the whole list in document
// order, as before; bad parameters are 400 naming the parameter.
func TestSchedulesPagingCompatAndErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.get("/api/v1/schedules", viewerToken)
	expect(t, "unpaged", r, http.StatusOK)
	var all pageAnswer
	_ = json.Unmarshal(r.body, &all)
	if got := strings.Join(all.names(), ","); got != "Support,Sales,Closed Desk,Weekend" || all.Next != "" {
		t.Errorf("unpaged: %s", got)
	}
	if _, ok := r.json["total"]; ok {
		t.Error("the unpaged answer grew a total")
	}
	for q, want := range map[string]string{
		"limit=0":               "limit",
		"limit=1001":            "limit",
		"q=x":                   "limit",
		"limit=5&cursor=%21%21": "cursor",
		"limit=5&cursor=eDp5":   "cursor", // base64 of "x:y"
		"limit=5&status=busy":   "status",
		"limit=5&sort=age":      "sort",
	} {
		r := e.get("/api/v1/schedules?"+q, viewerToken)
		if r.code != http.StatusBadRequest || !strings.HasPrefix(r.str("error"), want+":") {
			t.Errorf("%s: %d %s, want 400 starting %q", q, r.code, r.body, want)
		}
	}
	if r := e.get("/api/v1/schedules?limit=5", ""); r.code != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.code)
	}
}
