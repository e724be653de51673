package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitText waits until the element's text contains want.
func (p *page) waitText(sel, want string, timeout time.Duration) {
	p.t.Helper()
	p.wait(fmt.Sprintf("%s to contain %q", sel, want),
		fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '').includes(%q)`, sel, want), timeout)
}

func (p *page) count(sel string) int {
	p.t.Helper()
	return js[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// row is the selector of a schedules-table row.
func row(name string) string {
	return fmt.Sprintf(`#schedules-table tr[data-name=%q]`, name)
}

// An admin creates a rule and a schedule that uses it, publishes them, and
// sees the new schedule's live status; then simulates, compares versions
// and rolls back.
func TestAdminCreatesPublishesAndSimulates(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.waitText("#role", "Admin", 5*time.Second)
	p.wait("statuses", `document.querySelector(`+"`"+`#schedules-table tr[data-name="Support"] .status`+"`"+`) !== null`, 10*time.Second)
	p.shot("schedules-1280")

	// A rule: Saturdays 09:00–12:00.
	p.click("#nav-rules")
	p.click("#new-rule")
	p.typeInto("#rule-name", "Saturday mornings")
	p.click("#rule-window")
	p.typeInto("#rule-start", "09:00")
	p.typeInto("#rule-end", "25:00")
	p.waitText("#rule-end-error", "not a time", 5*time.Second)
	p.typeInto("#rule-end", "12:00")
	p.wait("the end time error to go", `document.querySelector('#rule-end-error').hidden`, 5*time.Second)
	p.setValue("#rule-repeat", "weekly")
	p.click(`#rule-days button.small:nth-child(2)`) // "Weekend"
	p.click(`label[for="rule-day-SU"]`)
	p.waitText("#rule-summary", "Every Saturday 09:00–12:00 · Open", 5*time.Second)
	// The raw RRULE field validates as you type.
	p.setValue("#rule-repeat", "rrule")
	p.typeInto("#rule-rrule", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA")
	p.waitText("#rule-rrule-error", "INTERVAL>1 needs an anchor", 5*time.Second)
	p.setValue("#rule-repeat", "weekly")
	p.shot("rule-editor-1280")
	p.click("#rule-save")
	p.wait("the rules table", `location.hash === '#/rules'`, 5*time.Second)
	p.waitText(`#rules-table tr[data-id="saturday-mornings"] .desc`, "Every Saturday 09:00–12:00", 5*time.Second)
	p.shot("rules-1280")

	// A schedule using it and the US holidays, holidays first.
	p.goTo("#/schedules/new")
	p.typeInto("#sched-name", "Weekend Desk")
	p.typeInto("#sched-tz", "Europe/Berlin")
	p.setValue("#sched-add-rule", "saturday-mornings")
	p.click("#sched-add-btn")
	p.setValue("#sched-add-rule", "us-holidays")
	p.click("#sched-add-btn")
	p.click(`#sched-rules li[data-id="us-holidays"] button[aria-label^="Move"][aria-label$="up"]`)
	if got := js[string](p, `[...document.querySelectorAll('#sched-rules li')].map(li => li.dataset.id).join(',')`); got != "us-holidays,saturday-mornings" {
		t.Fatalf("rule order %q, want us-holidays,saturday-mornings", got)
	}
	p.shot("schedule-editor-1280")
	p.click("#sched-save")
	p.wait("the schedules table", `location.hash === '#/schedules'`, 5*time.Second)
	p.waitText(row("Weekend Desk"), "new in draft", 5*time.Second)
	p.waitText("#banner-draft", "2 unpublished changes", 5*time.Second)

	// Publish.
	p.click("#nav-publish")
	p.waitText("#change-list", "Rule “Saturday mornings” added", 5*time.Second)
	p.waitText("#change-list", "Schedule “Weekend Desk” added", 5*time.Second)
	p.typeInto("#publish-message", "weekend desk")
	p.shot("publish-1280")
	p.checkLabels("publish")
	p.click("#publish-btn")
	p.waitText("#publish-result", "Published version 2.", 10*time.Second)
	if code, cfg := svc.call("GET", "/api/v1/config", adminToken, nil); code != 200 || cfg["version"].(float64) != 2 {
		t.Fatalf("GET config after publish: %d %v", code, cfg["version"])
	}

	// The new schedule has a live status and a next change.
	p.click("#nav-schedules")
	p.wait("the new schedule's status", `document.querySelector(`+"`"+`#schedules-table tr[data-name="Weekend Desk"] .status`+"`"+`)?.textContent.match(/Open|Closed/)`, 10*time.Second)
	_, check := svc.call("GET", "/check-schedule?name=Weekend%20Desk", adminToken, nil)
	want := "Closed"
	if check["isOpen"] == true {
		want = "Open"
	}
	p.waitText(row("Weekend Desk")+" .cell-status", want, 5*time.Second)
	if next := p.text(row("Weekend Desk") + " .cell-next"); !regexp.MustCompile(`^(opens|closes) |^\w+ until .* \(then \w+\)$`).MatchString(next) {
		t.Errorf("next change %q, want “opens …”, “closes …” or “holiday until … (then closed)”", next)
	}

	// Simulate: Thanksgiving 2027 at Support.
	p.goTo("#/simulate")
	p.setValue("#sim-schedule", "Support")
	p.setValue("#sim-date", "2027-11-25")
	p.setValue("#sim-time", "10:00")
	p.click("#sim-run")
	p.waitText("#sim-result", "Thanksgiving Day", 10*time.Second)
	for _, w := range []string{"Closed", "holiday", "US public holidays", "Fri 26 Nov"} {
		p.waitText("#sim-result", w, 2*time.Second)
	}
	p.shot("simulate-1280")
	p.setValue("#sim-schedule", "Weekend Desk")
	p.setValue("#sim-date", "2026-06-06")
	p.click("#sim-run")
	p.waitText("#sim-why", "Saturday mornings", 10*time.Second)

	// History: compare v1 and v2, then roll back to v1.
	p.click("#nav-history")
	p.wait("two versions", `document.querySelectorAll('#history-table tbody tr').length === 2`, 10*time.Second)
	p.waitText("#history-table", "weekend desk", 2*time.Second)
	p.click("#compare-btn")
	p.waitText("#compare-changes", "Schedule “Weekend Desk” added", 10*time.Second)
	p.wait("added lines", `document.querySelectorAll('#compare-diff .dl.add').length > 5`, 5*time.Second)
	p.shot("history-1280")
	p.checkLabels("history")
	p.click("#rollback-1")
	p.click("#dialog-confirm")
	p.wait("three versions", `document.querySelectorAll('#history-table tbody tr').length === 3`, 10*time.Second)
	_, cfg := svc.call("GET", "/api/v1/config", adminToken, nil)
	if cfg["version"].(float64) != 3 || cfg["meta"].(map[string]any)["rollbackOf"].(float64) != 1 {
		t.Errorf("after rollback: version %v meta %v", cfg["version"], cfg["meta"])
	}
}

// A second admin publishes first: the first sees the conflict message,
// keeps the draft, reloads, re-applies it on the new version and publishes.
func TestConflictKeepsDraftAndReapplies(t *testing.T) {
	svc := startService(t)
	a := newPage(t, svc, 1280)
	b := newPage(t, svc, 1280)
	a.allow("/api/v1/config") // the expected 409
	a.signIn(adminToken)
	b.signIn(adminToken)
	// A learns of B's publish only through the 409 (no live updates), as
	// when the two publish at the same moment.
	a.freezeLive()

	a.goTo("#/rules/edit/lunch")
	a.typeInto("#rule-end", "13:30")
	a.click("#rule-save")
	a.waitText("#banner-draft", "1 unpublished change", 5*time.Second)

	b.goTo("#/rules/edit/weekdays-08-17")
	b.typeInto("#rule-end", "18:00")
	b.click("#rule-save")
	b.goTo("#/publish")
	b.click("#publish-btn")
	b.waitText("#publish-result", "Published version 2.", 10*time.Second)

	a.goTo("#/publish")
	a.click("#publish-btn")
	a.waitText("#conflict-message", "Schedules were updated by someone else and cannot be published. Please reload and try again.", 10*time.Second)
	if got := a.text("#conflict-message"); got != "Schedules were updated by someone else and cannot be published. Please reload and try again." {
		t.Errorf("conflict message %q", got)
	}
	// The draft is kept, in the page and in localStorage.
	a.waitText("#change-list", "Rule “Lunch break” changed (endTime)", 2*time.Second)
	if !js[bool](a, `JSON.parse(localStorage.getItem('schedule-manager.draft')).doc.rules.some(r => r.id === 'lunch' && r.endTime === '13:30')`) {
		t.Fatal("the draft is not in localStorage after the conflict")
	}
	a.shot("conflict-1280")

	a.click("#reload-btn")
	a.waitVisible("#stale-panel")
	a.waitText("#mine-list", "Lunch break", 5*time.Second)
	a.waitText("#theirs-list", "Weekdays 08:00-17:00", 5*time.Second)
	a.shot("reapply-1280")
	a.click("#reapply-btn")
	a.wait("the stale panel to go", `!document.querySelector('#stale-panel')`, 5*time.Second)
	a.click("#publish-btn")
	a.waitText("#publish-result", "Published version 3.", 10*time.Second)

	_, cfg := svc.call("GET", "/api/v1/config", adminToken, nil)
	rules := map[string]map[string]any{}
	for _, r := range cfg["data"].(map[string]any)["rules"].([]any) {
		m := r.(map[string]any)
		rules[m["id"].(string)] = m
	}
	if rules["lunch"]["endTime"] != "13:30" || rules["weekdays-08-17"]["endTime"] != "18:00" {
		t.Errorf("published v3 lost an edit: lunch %v, weekdays %v", rules["lunch"]["endTime"], rules["weekdays-08-17"]["endTime"])
	}

	// A manual close from the table while a draft is open moves the draft
	// onto the new version, so it still publishes.
	a.goTo("#/rules/edit/lunch")
	a.typeInto("#rule-end", "14:00")
	a.click("#rule-save")
	a.waitText("#banner-draft", "1 unpublished change", 5*time.Second)
	a.goTo("#/schedules")
	a.click(row("Support") + ` [role="switch"]`)
	a.waitText(row("Support")+" .cell-status", "manual", 10*time.Second)
	a.wait("the draft on version 4", `JSON.parse(localStorage.getItem('schedule-manager.draft')).baseVersion === 4`, 5*time.Second)
	if a.count("#banner-stale") != 0 {
		t.Error("the draft became stale after the admin's own manual close")
	}
	a.goTo("#/publish")
	a.click("#publish-btn")
	a.waitText("#publish-result", "Published version 5.", 10*time.Second)
	_, cfg = svc.call("GET", "/api/v1/config", adminToken, nil)
	data := cfg["data"].(map[string]any)
	for _, r := range data["rules"].([]any) {
		if m := r.(map[string]any); m["id"] == "lunch" && m["endTime"] != "14:00" {
			t.Errorf("v5 lunch endTime %v, want 14:00", m["endTime"])
		}
	}
	for _, sc := range data["schedules"].([]any) {
		if m := sc.(map[string]any); m["name"] == "Support" && m["manualClose"] != true {
			t.Errorf("v5 undid the manual close of Support: %v", m["manualClose"])
		}
	}
}

// A manual close made through the API appears in the table without a
// reload, from the event stream or, without one, by polling; the switch in
// the table reopens it at once.
func TestManualCloseShowsUpLive(t *testing.T) {
	t.Run("stream", func(t *testing.T) { testManualClose(t, false) })
	t.Run("polling", func(t *testing.T) { testManualClose(t, true) })
}

func testManualClose(t *testing.T, polling bool) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	if polling {
		p.withoutEventStream()
	}
	p.signIn(adminToken)
	if polling {
		p.waitText(".live", "Auto-refresh", 5*time.Second)
	}
	p.wait("Support's status", `document.querySelector(`+"`"+`#schedules-table tr[data-name="Support"] .status`+"`"+`) !== null`, 10*time.Second)
	js[chromedp.Void](p, `window.__notReloaded = true`)

	start := time.Now()
	if code, out := svc.call("POST", "/api/v1/schedules/Support/close", adminToken, nil); code != 200 {
		t.Fatalf("close: %d %v", code, out)
	}
	p.waitText(row("Support")+" .cell-status", "manual", 12*time.Second)
	t.Logf("manual close visible after %v (mode: %s)", time.Since(start).Round(time.Millisecond), js[string](p, `document.querySelector('.live').textContent`))
	p.wait("the switch on", `document.querySelector(`+"`"+`#schedules-table tr[data-name="Support"] [role="switch"]`+"`"+`).getAttribute('aria-checked') === 'true'`, 5*time.Second)
	if !js[bool](p, `window.__notReloaded === true`) {
		t.Fatal("the page reloaded")
	}
	if !polling {
		p.shot("manual-close-1280")
	}

	p.click(row("Support") + ` [role="switch"]`)
	p.wait("reopened", `!document.querySelector(`+"`"+`#schedules-table tr[data-name="Support"] .cell-status`+"`"+`).textContent.includes('manual')`, 10*time.Second)
	_, cfg := svc.call("GET", "/api/v1/schedules/Support", adminToken, nil)
	if cfg["manualClose"] != false {
		t.Errorf("after the switch: manualClose %v", cfg["manualClose"])
	}
}

// A viewer sees everything but no edit control, and nothing it does sends
// a write.
func TestViewerIsReadOnly(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(viewerToken)
	p.waitText("#role", "Viewer", 5*time.Second)
	p.wait("statuses", `document.querySelector('#schedules-table .status') !== null`, 10*time.Second)
	for _, sel := range []string{"#new-schedule", `[role="switch"]`, "#nav-publish", ".row-actions button"} {
		if n := p.count(sel); n != 0 {
			t.Errorf("viewer sees %d %s", n, sel)
		}
	}
	p.shot("viewer-schedules-1280")
	p.goTo("#/rules")
	p.waitVisible("#rules-table")
	if n := p.count("#new-rule, .row-actions button"); n != 0 {
		t.Errorf("viewer sees %d rule edit controls", n)
	}
	p.goTo("#/rules/edit/lunch")
	p.waitVisible("#rule-form")
	if n := p.count("#rule-save, #rule-delete, #rule-save-copy"); n != 0 {
		t.Errorf("viewer sees %d rule editor buttons", n)
	}
	if n := p.count("#rule-form input:not([disabled]), #rule-form select:not([disabled]), #rule-form textarea:not([disabled])"); n != 0 {
		t.Errorf("viewer has %d enabled rule fields", n)
	}
	p.goTo("#/schedules/edit/Support")
	p.waitVisible("#sched-form")
	if n := p.count("#sched-save, #sched-delete, #sched-add-btn, #sched-rules button, #sched-form input:not([disabled])"); n != 0 {
		t.Errorf("viewer sees %d schedule edit controls", n)
	}
	p.goTo("#/history")
	p.wait("history", `document.querySelectorAll('#history-table tbody tr').length > 0`, 10*time.Second)
	if n := p.count(`[id^="rollback-"]`); n != 0 {
		t.Errorf("viewer sees %d rollback buttons", n)
	}
	p.goTo("#/publish")
	p.waitVisible("main .page-title")
	if n := p.count("#publish-btn"); n != 0 {
		t.Error("viewer sees the publish button")
	}
	for _, r := range p.requests() {
		method, _, _ := strings.Cut(r, " ")
		if (method == "PUT" || method == "POST") && !strings.Contains(r, "/api/v1/preview") { // previews only read
			t.Errorf("viewer sent %s", r)
		}
	}
}

// The week view draws one open band per opening, by local wall clock, with
// DST days marked.
func TestWeekView(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	// The schedule editor marks the rule that decides now.
	p.goTo("#/schedules/edit/Ops%2024x7")
	p.wait("the deciding rule", `document.querySelector('#sched-rules li.deciding')?.dataset.id === 'always-open'`, 10*time.Second)
	p.waitText("#sched-rules li.deciding", "decides now", time.Second)
	p.waitText("#sched-now", "Open around the clock", time.Second)
	p.shot("schedule-editor-deciding-1280")

	bands := func(schedule string) int {
		return p.count(fmt.Sprintf(`svg.week-svg[data-schedule=%q] .band-open`, schedule))
	}
	p.goTo("#/week/Support?from=2026-06-01")
	p.wait("the Support week", `document.querySelector('svg.week-svg[data-schedule="Support"]') !== null`, 10*time.Second)
	if n := bands("Support"); n != 5 {
		t.Errorf("Support, week of 1 June 2026: %d open bands, want 5 (weekdays 08–17)", n)
	}
	title := js[string](p, `document.querySelector('svg.week-svg .band-open title').textContent`)
	if !strings.Contains(title, "Open") || !strings.Contains(title, "08:00–17:00") || !strings.Contains(title, "Weekdays 08:00-17:00") {
		t.Errorf("band title %q", title)
	}
	p.shot("week-support-1280")

	p.click("#week-next")
	p.wait("next week", `location.hash.endsWith('from=2026-06-08') && document.querySelector('svg.week-svg') !== null`, 10*time.Second)

	// Independence Day observed on Friday 3 July 2026: four open days.
	p.goTo("#/week/Support?from=2026-06-29")
	p.wait("the holiday week", `document.querySelector('#week-range').textContent.includes('29 Jun') && document.querySelector('svg.week-svg') !== null`, 10*time.Second)
	if n := bands("Support"); n != 4 {
		t.Errorf("Support, week of 29 June 2026: %d open bands, want 4", n)
	}
	if !js[bool](p, `[...document.querySelectorAll('svg.week-svg .band-holiday title')].some(t => t.textContent.includes('Independence Day (observed)'))`) {
		t.Error("no holiday band names Independence Day (observed)")
	}

	// All schedules, the week of the US spring-forward (Sunday 8 March 2026).
	p.goTo("#/week?from=2026-03-02")
	p.wait("four schedules", `document.querySelectorAll('svg.week-svg').length === 4`, 10*time.Second)
	for name, want := range map[string]int{"Support": 5, "London Sales": 10, "Night Desk": 10, "Ops 24x7": 7} {
		if n := bands(name); n != want {
			t.Errorf("%s, week of 2 March 2026: %d open bands, want %d", name, n, want)
		}
	}
	dst := js[string](p, `[...document.querySelectorAll('svg.week-svg[data-schedule="Support"] .day')].map(g => g.dataset.date + ':' + (g.querySelector('.dst-label')?.textContent ?? '')).join(' ')`)
	if !strings.Contains(dst, "2026-03-08:23 h · DST") || strings.Count(dst, "DST") != 1 {
		t.Errorf("Support DST labels: %s", dst)
	}
	p.shot("week-all-1280")

	// The current week has a "now" marker.
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(chicago)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	p.goTo("#/week/Support?from=" + monday.Format("2006-01-02"))
	p.wait("the now marker", `document.querySelector('svg.week-svg .now-marker') !== null`, 10*time.Second)
	p.shot("week-now-1280")
}

// The plain-language descriptions and the editor model, checked in the
// browser on the real modules.
func TestRuleDescriptionsInBrowser(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.do(chromedp.Navigate(svc.base + "/"))
	p.waitVisible("#token")
	cases := map[string]string{
		`{"isOpen":true,"dateRRule":"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR","startTime":"08:00","endTime":"17:00"}`:                     "Weekdays 08:00–17:00",
		`{"isOpen":false,"closedReason":"holiday","dateRRule":"RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"}`:                             "Every year on 25 December",
		`{"isOpen":false,"closedReason":"holiday","holidays":"US"}`:                                                                      "US public holidays",
		`{"isOpen":true,"dateRRule":"DTSTART:20260103\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"}`:                                          "Every other Saturday from 3 Jan 2026",
		`{"isOpen":true,"startTime":"22:00","endTime":"06:00"}`:                                                                          "Nightly 22:00–06:00",
		`{"isOpen":false,"closedReason":"holiday","dateRRule":"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"}`:                                 "Every year on the 4th Thursday of November",
		`{"isOpen":false,"closedReason":"maintenance","dateRRule":"RRULE:FREQ=MONTHLY;BYDAY=1SU","startTime":"02:00","endTime":"04:00"}`: "Monthly on the first Sunday 02:00–04:00",
		`{"isOpen":true,"startDate":"2026-12-24","endDate":"2026-12-24","startTime":"09:00","endTime":"12:00"}`:                          "On Thu 24 Dec 2026, 09:00–12:00",
		`{"isOpen":true,"dateRRule":"RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR"}`:                                              "Custom: FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
		`{"isOpen":true,"dateRRule":"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR","startTime":"22:00","endTime":"06:00"}`:                     "Weeknights 22:00–06:00",
	}
	for rule, want := range cases {
		got := js[string](p, fmt.Sprintf(`import('/assets/rules.js').then(m => m.describeRule(%s))`, rule))
		if got != want {
			t.Errorf("describeRule(%s) = %q, want %q", rule, got, want)
		}
		// The editor model reads and writes the rule back unchanged.
		same := js[bool](p, fmt.Sprintf(`import('/assets/rules.js').then(m => { const r = {id: 'x', name: 'x', ...%s};
			const back = m.modelToRule(m.ruleToModel(r), r).rule; return JSON.stringify(back) === JSON.stringify({...r, ...back}) && Object.keys(back).length === Object.keys(r).length; })`, rule))
		if !same {
			t.Errorf("rule %s does not survive the editor model", rule)
		}
	}
	// Client-side RRULE checks mirror the engine's.
	for rr, want := range map[string]string{
		"FREQ=WEEKLY":                     "needs BYDAY",
		"FREQ=HOURLY":                     "FREQ must be DAILY",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=SA": "needs an anchor",
		"FREQ=MONTHLY;BYDAY=8MO":          "out of range",
		"FREQ=DAILY;BYHOUR=9":             "not supported",
		"DTSTART:20260103\nFREQ=WEEKLY;INTERVAL=2;BYDAY=SA": "",
		"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH":            "",
	} {
		got := js[string](p, fmt.Sprintf(`import('/assets/rules.js').then(m => m.checkRRule(%q, false))`, rr))
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkRRule(%q) = %q, want %q", rr, got, want)
		}
	}
	// The week drawing cuts segments by wall clock; the repeated hour of a
	// fall-back night is drawn once.
	got := js[string](p, `import('/assets/views/week.js').then(m => JSON.stringify(m.pieces([
		{start: '2026-10-31T22:00:00-05:00', end: '2026-11-01T01:30:00-05:00', isOpen: true},
		{start: '2026-11-01T01:30:00-05:00', end: '2026-11-01T01:00:00-06:00', isOpen: false},
		{start: '2026-11-01T01:00:00-06:00', end: '2026-11-01T01:30:00-06:00', isOpen: true},
		{start: '2026-11-01T01:30:00-06:00', end: '2026-11-02T00:00:00-06:00', isOpen: false},
	], '2026-10-26').map(x => [x.day, x.start, x.end, x.seg.isOpen])))`)
	if want := `[[5,1320,1440,true],[6,0,90,true],[6,60,90,true],[6,90,1440,false]]`; got != want {
		t.Errorf("pieces = %s, want %s", got, want)
	}
}

// At phone width nothing is wider than the screen (the week picture
// scrolls inside its box).
func TestPhoneLayout(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 390)
	p.signIn(adminToken)
	p.wait("statuses", `document.querySelector('#schedules-table .status') !== null`, 10*time.Second)
	fits := func(where string) {
		t.Helper()
		if w := js[int](p, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s: the page is %d px wide at a 390 px viewport", where, w)
		}
	}
	fits("schedules")
	p.checkLabels("schedules")
	p.shot("schedules-390")
	p.goTo("#/rules")
	p.waitVisible("#rules-table")
	fits("rules")
	p.checkLabels("rules")
	p.shot("rules-390")
	p.goTo("#/rules/edit/lunch")
	p.waitVisible("#rule-form")
	fits("rule editor")
	p.checkLabels("rule editor")
	p.shot("rule-editor-390")
	p.goTo("#/schedules/edit/London%20Sales")
	p.waitVisible("#sched-form")
	fits("schedule editor")
	p.checkLabels("schedule editor")
	p.shot("schedule-editor-390")
	p.goTo("#/week/London%20Sales?from=2026-06-01")
	p.wait("the week", `document.querySelector('svg.week-svg') !== null`, 10*time.Second)
	fits("week")
	p.checkLabels("week")
	p.shot("week-390")
	p.goTo("#/simulate?name=Support&date=2027-11-25&time=10:00")
	p.waitText("#sim-result", "Thanksgiving", 10*time.Second)
	fits("simulate")
	p.checkLabels("simulate")
	p.shot("simulate-390")
}

// Validation errors from the server appear next to the fields they name;
// a rule in use cannot be deleted; copies; the "publish in progress"
// warning; keyboard use.
func TestServerErrorsDeleteCopyAndKeyboard(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.allow("/api/v1/config") // the expected 400
	p.configNotDeployed()

	// Sign in with the keyboard only.
	p.do(chromedp.Navigate(svc.base + "/#/schedules"))
	p.waitVisible("#token")
	p.do(chromedp.SendKeys(chromedp.CSS("#token"), adminToken+kb.Enter))
	p.wait("the schedules table", `document.querySelectorAll('#schedules-table tbody tr').length >= 4`, 10*time.Second)
	p.waitText("#banner-in-progress", "is being deployed: 1 replica still serves an older version (replica-b: v0)", 5*time.Second)
	p.shot("deploying-1280")
	p.deployed()
	p.wait("the deployment banner to go once every replica serves the version", `document.querySelector('#banner-in-progress') === null`, 5*time.Second)
	// Tab from the skip link: the brand, then the nav links; focus is
	// visible (an outline) and Enter follows a link.
	js[chromedp.Void](p, `document.querySelector('.skip').focus()`)
	for range 3 {
		p.do(chromedp.KeyEvent(kb.Tab))
	}
	if got := js[string](p, `document.activeElement.id`); got != "nav-rules" {
		t.Errorf("three tabs after the skip link the focus is on %q, want nav-rules", got)
	}
	if style := js[string](p, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
		t.Error("the focused link has no outline")
	}
	p.do(chromedp.KeyEvent(kb.Enter))
	p.wait("the rules page", `location.hash === '#/rules' && document.querySelector('#rules-table') !== null`, 5*time.Second)

	// A rule in use cannot be deleted; the message names the schedule.
	p.click(`#rules-table tr[data-id="lunch"] .row-actions button`)
	p.waitText("#notice", "used by “London Sales”", 5*time.Second)
	if p.count(`#rules-table tr[data-id="lunch"]`) != 1 {
		t.Fatal("the rule in use was deleted")
	}
	// Copy a rule, then delete the unused copy.
	p.click(`#rules-table tr[data-id="lunch"] a[href^="#/rules/copy/"]`)
	p.waitVisible("#rule-name")
	if got := js[string](p, `document.querySelector('#rule-name').value`); got != "Lunch break (copy)" {
		t.Errorf("copy name %q", got)
	}
	p.click("#rule-save")
	p.waitText(`#rules-table tr[data-id="lunch-break-copy"]`, "Weekdays 12:00–13:00", 5*time.Second)
	p.click(`#rules-table tr[data-id="lunch-break-copy"] .row-actions button`)
	p.click("#dialog-confirm")
	p.wait("the copy deleted", `!document.querySelector('#rules-table tr[data-id="lunch-break-copy"]')`, 5*time.Second)

	// Copy a schedule.
	p.goTo("#/schedules/copy/Support")
	p.waitVisible("#sched-name")
	p.click("#sched-save")
	p.waitText(row("Support (copy)"), "new in draft", 5*time.Second)

	// A draft the server refuses: an impossible end time and a misspelt zone.
	js[chromedp.Void](p, `(async () => {
		const h = {Authorization: 'Bearer ' + sessionStorage.getItem('schedule-manager.token')};
		const cfg = await (await fetch('/api/v1/config', {headers: h})).json();
		const doc = structuredClone(cfg.data);
		doc.rules.find(r => r.id === 'lunch').endTime = '25:00';
		doc.schedules.find(s => s.name === 'Support').timeZone = 'America/Chicgo';
		localStorage.setItem('schedule-manager.draft', JSON.stringify({baseVersion: cfg.version, baseDoc: cfg.data, doc}));
	})()`)
	p.do(chromedp.Reload())
	p.wait("the draft banner", `document.querySelector('#banner-draft') !== null`, 10*time.Second)
	p.goTo("#/publish")
	p.click("#publish-btn")
	p.waitText("#server-errors", "endTime", 10*time.Second)
	p.waitText("#server-errors", "America/Chicgo", 2*time.Second)
	p.shot("server-errors-1280")
	p.goTo("#/rules/edit/lunch")
	p.waitText("#rule-end-error", "is not a time", 5*time.Second)
	p.waitText("#rule-end-error", "(from the server)", 1*time.Second)
	if js[string](p, `document.querySelector('#rule-end').getAttribute('aria-invalid')`) != "true" {
		t.Error("#rule-end is not marked invalid")
	}
	p.shot("rule-server-error-1280")
	p.goTo("#/schedules/edit/Support")
	p.waitText("#sched-tz-error", "unknown time zone", 5*time.Second)
	p.goTo("#/rules")
	p.wait("the rule row marked", `document.querySelector('#rules-table tr[data-id="lunch"]').classList.contains('has-error')`, 5*time.Second)
}
