package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// editConfig publishes a change through the API, as another admin's tool
// would: fn edits the current document.
func (s *service) editConfig(fn func(doc map[string]any), message string) float64 {
	s.t.Helper()
	_, cfg := s.call("GET", "/api/v1/config", adminToken, nil)
	doc := cfg["data"].(map[string]any)
	fn(doc)
	code, out := s.call("PUT", "/api/v1/config", adminToken, map[string]any{"version": cfg["version"], "data": doc, "message": message})
	if code != 200 {
		s.t.Fatalf("PUT config: %d %v", code, out)
	}
	return out["version"].(float64)
}

// item finds the rule (by id) or schedule (by name) of a document.
func item(doc map[string]any, list, key, value string) map[string]any {
	for _, x := range doc[list].([]any) {
		if m := x.(map[string]any); m[key] == value {
			return m
		}
	}
	return nil
}

func (s *service) published() map[string]any {
	s.t.Helper()
	_, cfg := s.call("GET", "/api/v1/config", adminToken, nil)
	return cfg["data"].(map[string]any)
}

// The emergency close of the issue: A adds a rule to Support (draft); B
// closes Support with the switch; A publishes, gets the 409, reloads,
// re-applies and publishes. Support stays closed: the merge is per field,
// and a draft never silently undoes a manual close.
func TestEmergencyCloseSurvivesReapply(t *testing.T) {
	svc := startService(t)
	a := newPage(t, svc, 1280)
	b := newPage(t, svc, 1280)
	a.allow("/api/v1/config") // the expected 409
	a.signIn(adminToken)
	b.signIn(adminToken)
	a.freezeLive() // A learns of B's close only from the 409

	a.goTo("#/schedules/edit/Support")
	a.setValue("#sched-add-rule", "monthly-maintenance")
	a.click("#sched-add-btn")
	a.click("#sched-save")
	a.waitText("#banner-draft", "1 unpublished change", 5*time.Second)

	b.click(row("Support") + ` [role="switch"]`)
	b.waitText(row("Support")+" .cell-status", "manual", 10*time.Second)

	a.goTo("#/publish")
	a.click("#publish-btn")
	a.waitText("#conflict-message", "Please reload", 10*time.Second)
	if n := a.count("#publish-btn"); n != 0 {
		t.Error("after the 409 the Publish button is still there (it would only get the same 409)")
	}
	a.click("#reload-btn")
	a.waitVisible("#stale-panel")
	a.waitText("#theirs-list", "Schedule “Support” changed (manualClose)", 5*time.Second)
	a.waitText("#mine-list", "Schedule “Support” changed (rules)", 5*time.Second)
	if n := a.count("#publish-btn"); n != 0 {
		t.Error("a stale draft offers Publish before it is re-applied")
	}
	a.shot("emergency-reapply-1280")
	a.click("#reapply-btn")
	a.wait("the stale panel to go", `!document.querySelector('#stale-panel')`, 5*time.Second)
	if n := a.count("#manual-change"); n != 0 {
		t.Errorf("the re-applied draft changes a manual close: %s", a.text("#manual-change"))
	}
	a.click("#publish-btn")
	// v2 is B's manual close, v3 A's re-applied draft.
	a.waitText("#publish-result", "Published version 3.", 10*time.Second)

	_, check := svc.call("GET", "/check-schedule?name=Support", adminToken, nil)
	if check["isOpen"] != false || check["closedReason"] != "manual" {
		t.Errorf("check-schedule Support after the re-applied publish: %v, want closed (manual)", check)
	}
	support := item(svc.published(), "schedules", "name", "Support")
	if !strings.Contains(fmt.Sprint(support["rules"]), "monthly-maintenance") {
		t.Errorf("A's rule was lost: %v", support["rules"])
	}
}

// A changed only the end time of a rule; meanwhile B moved its start to
// 10:00. Re-applying A's draft keeps B's start time.
func TestThreeWayMergeKeepsTheirField(t *testing.T) {
	svc := startService(t)
	a := newPage(t, svc, 1280)
	a.signIn(adminToken)
	a.goTo("#/rules/edit/weekdays-08-17")
	a.typeInto("#rule-end", "18:00")
	a.click("#rule-save")
	a.waitText("#banner-draft", "1 unpublished change", 5*time.Second)
	a.goTo("#/publish")
	a.waitVisible("#publish-btn")

	v := svc.editConfig(func(doc map[string]any) {
		item(doc, "rules", "id", "weekdays-08-17")["startTime"] = "10:00"
	}, "later start")
	// The live stream brings the new version: the page says who published
	// and asks for a re-apply, without a 409.
	a.waitText("#notice", fmt.Sprintf("Version %.0f was published by admin: “later start”", v), 10*time.Second)
	a.waitVisible("#stale-panel")
	a.waitText("#theirs-list", "(startTime)", 5*time.Second)
	if n := a.count("#conflict-list"); n != 0 {
		t.Errorf("different fields reported as a conflict: %s", a.text("#conflict-list"))
	}
	a.click("#reapply-btn")
	a.click("#publish-btn")
	a.waitText("#publish-result", fmt.Sprintf("Published version %.0f.", v+1), 10*time.Second)
	r := item(svc.published(), "rules", "id", "weekdays-08-17")
	if r["startTime"] != "10:00" || r["endTime"] != "18:00" {
		t.Errorf("merged rule %v–%v, want 10:00–18:00", r["startTime"], r["endTime"])
	}
}

// Renaming a schedule that callers ask for is shouted, with their count.
func TestRenameWarnsWithRequestCount(t *testing.T) {
	svc := startService(t)
	for range 3 {
		if res, err := http.Get(svc.base + "/check-schedule?name=Night%20Desk"); err != nil || res.StatusCode != 200 {
			t.Fatalf("check-schedule: %v %v", res, err)
		} else {
			res.Body.Close()
		}
	}
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.goTo("#/schedules/edit/Night%20Desk")
	p.typeInto("#sched-name", "Night Desk EU")
	p.click("#sched-save")
	p.goTo("#/publish")
	p.waitText("#removed-callers", "“Night Desk” (renamed to “Night Desk EU”) had 3 check-schedule requests in the last 24 hours", 10*time.Second)
	p.waitText("#removed-callers", "fail open", time.Second)
	p.waitText(`#preview-list li[data-name="Night Desk"]`, "renamed to “Night Desk EU”: the old name answers 404", time.Second)
	p.waitText(`#preview-list li[data-name="Night Desk"] .tag`, "3 requests in 24 h", time.Second)
	p.shot("publish-rename-1280")
}

// The preview of a known edit lists the differences in words, per
// schedule, in the schedule's time; unchanged schedules are not listed.
func TestPreviewListsDifferences(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.goTo("#/rules/edit/weekdays-08-17")
	p.typeInto("#rule-end", "18:00")
	p.click("#rule-save")
	p.goTo("#/publish")
	p.wait("the preview", `document.querySelector('#preview-list') !== null`, 10*time.Second)
	names := js[[]string](p, `[...document.querySelectorAll('#preview-list > li')].map(li => li.dataset.name)`)
	if strings.Join(names, ",") != "Support" {
		t.Errorf("schedules in the preview: %v, want only Support (the only user of the rule)", names)
	}
	lines := js[[]string](p, `[...document.querySelectorAll('#preview-list li[data-name="Support"] .diffs li')].map(li => li.textContent)`)
	re := regexp.MustCompile(`^open (Mon|Tue|Wed|Thu|Fri) \d{1,2} [A-Z][a-z]{2} 17:00–18:00, was closed$`)
	weekdays := 0
	for _, l := range lines {
		if re.MatchString(l) {
			weekdays++
		} else if !strings.HasPrefix(l, "… and ") {
			t.Errorf("difference %q, want “open Mon 7 Dec 17:00–18:00, was closed”", l)
		}
	}
	if weekdays < 5 {
		t.Errorf("%d weekday differences listed, want at least 5: %v", weekdays, lines)
	}
	p.shot("publish-preview-1280")

	// Week and Simulate show the draft on request.
	p.goTo("#/week/Support?from=2026-06-01")
	p.wait("the published week", `document.querySelector('svg.week-svg .band-open title') !== null`, 10*time.Second)
	if title := js[string](p, `document.querySelector('svg.week-svg .band-open title').textContent`); !strings.Contains(title, "08:00–17:00") {
		t.Errorf("published band %q", title)
	}
	p.click("#src-draft")
	p.wait("the draft week", `location.hash.includes('draft=1') && document.querySelector('svg.week-svg .band-open title')?.textContent.includes('08:00–18:00')`, 10*time.Second)
	p.waitText("#week-source", "Your unpublished draft is shown.", time.Second)
	p.shot("week-draft-1280")
	p.goTo("#/simulate?name=Support&date=2026-06-02&time=17:30")
	p.waitText("#sim-result", "Closed", 10*time.Second)
	p.click("#src-draft")
	p.click("#sim-run")
	p.waitText("#sim-source", "Answered by your unpublished draft.", 10*time.Second)
	p.waitText("#sim-result .big", "Open", time.Second)
}

// Leaving an editor with unsaved changes asks first; "Create a new rule…"
// in the schedule editor comes back to the half-filled schedule with the
// new rule added.
func TestUnsavedChangesAndCreateRuleReturn(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.goTo("#/rules/edit/lunch")
	p.typeInto("#rule-end", "13:30")
	p.click("#nav-schedules")
	p.waitText("#dialog", "Leave without saving?", 5*time.Second)
	if h := js[string](p, `location.hash`); h != "#/rules/edit/lunch" {
		t.Errorf("while asking, the address is %s", h)
	}
	p.click("#dialog-cancel")
	if got := js[string](p, `document.querySelector('#rule-end')?.value`); got != "13:30" {
		t.Errorf("after Stay the end time is %q", got)
	}
	p.click("#nav-schedules")
	p.click("#dialog-confirm")
	p.wait("the schedules page", `location.hash === '#/schedules' && document.querySelector('#schedules-table') !== null`, 5*time.Second)
	if p.count("#banner-draft") != 0 {
		t.Error("the discarded edit became a draft")
	}

	// A new schedule, half filled; a rule created on the way.
	p.goTo("#/schedules/new")
	p.typeInto("#sched-name", "Hotline")
	p.typeInto("#sched-tz", "america/chicago")
	p.setValue("#sched-add-rule", "lunch")
	p.click("#sched-add-btn")
	p.click("#sched-create-rule")
	p.wait("the rule editor", `location.hash.startsWith('#/rules/new')`, 5*time.Second)
	p.typeInto("#rule-name", "Early desk")
	p.typeInto("#rule-start", "7:30")
	p.typeInto("#rule-end", "9")
	p.click("#rule-save")
	p.wait("back in the schedule editor", `location.hash.startsWith('#/schedules/new') && document.querySelector('#sched-name') !== null`, 5*time.Second)
	if got := js[string](p, `document.querySelector('#sched-name').value`); got != "Hotline" {
		t.Errorf("schedule name after the round trip %q", got)
	}
	if got := js[string](p, `[...document.querySelectorAll('#sched-rules li')].map(li => li.dataset.id).join(',')`); got != "lunch,early-desk" {
		t.Errorf("rules after the round trip %q, want lunch,early-desk", got)
	}
	p.click("#sched-save")
	p.wait("saved", `location.hash === '#/schedules'`, 5*time.Second)
	p.wait("the draft", `JSON.parse(localStorage.getItem('schedule-manager.draft') || 'null') !== null`, 5*time.Second)
	sched := js[map[string]any](p, `JSON.parse(localStorage.getItem('schedule-manager.draft')).doc.schedules.find(s => s.name === 'Hotline')`)
	if sched["timeZone"] != "America/Chicago" {
		t.Errorf("time zone saved as %v, want America/Chicago (typed in lower case)", sched["timeZone"])
	}
	rule := js[map[string]any](p, `JSON.parse(localStorage.getItem('schedule-manager.draft')).doc.rules.find(r => r.id === 'early-desk')`)
	if rule["startTime"] != "07:30" || rule["endTime"] != "09:00" {
		t.Errorf("times saved as %v–%v, want 07:30–09:00", rule["startTime"], rule["endTime"])
	}
}

// A version published elsewhere appears in an open page at once, with
// who published it, and without a reload.
func TestNewVersionAppearsLive(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(viewerToken)
	p.wait("statuses", `document.querySelector('#schedules-table .status') !== null`, 10*time.Second)
	js[chromedp.Void](p, `window.__notReloaded = true`)
	v := svc.editConfig(func(doc map[string]any) {
		scheds := doc["schedules"].([]any)
		doc["schedules"] = append(scheds, map[string]any{"name": "Pop-up Desk", "timeZone": "Europe/Paris", "rules": []any{"always-open"}})
	}, "pop-up desk")
	p.waitText("#notice", fmt.Sprintf("Version %.0f was published by admin: “pop-up desk”", v), 5*time.Second)
	p.waitText(row("Pop-up Desk")+" .cell-status", "Open", 5*time.Second)
	p.waitText(".topbar .version", fmt.Sprintf("v%.0f", v), time.Second)
	if !js[bool](p, `window.__notReloaded === true`) {
		t.Fatal("the page reloaded")
	}
	p.shot("live-version-1280")
}
