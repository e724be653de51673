package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core (web/testdata/axe.min.js, test data: never served)
// on the page as it is and fails the test for each serious or critical
// violation.
func (p *page) axe(where string) {
	p.t.Helper()
	if !js[bool](p, `typeof window.axe === 'object'`) {
		src, err := os.ReadFile("testdata/axe.min.js")
		if err != nil {
			p.t.Fatalf("axe-core: %v", err)
		}
		js[bool](p, string(src)+"\n;true")
	}
	raw := js[string](p, `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\n').slice(0, 2).join(' '))}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		p.t.Fatalf("axe result: %v", err)
	}
	var minor []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Errorf("%s: axe %s (%s): %s\n  %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
		} else {
			minor = append(minor, v.ID+" ("+v.Impact+")")
		}
	}
	if len(minor) > 0 {
		p.t.Logf("%s: axe, minor or moderate: %s", where, strings.Join(minor, ", "))
	}
}

// Every page passes axe-core without a serious or critical violation, on
// a desktop and on a phone: each page is checked at 1280 px, then the
// viewport narrows to 390 px and it is checked again.
func TestAccessibility(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	widths := []int64{1280, 390}
	resize := func(w int64) {
		p.do(chromedp.EmulateViewport(w, 900))
		// Let the resize handlers (the week drawing) run.
		time.Sleep(250 * time.Millisecond)
	}
	each := func(where string, shoot bool) {
		for _, w := range widths {
			if w != 1280 {
				resize(w)
			}
			p.axe(fmt.Sprintf("%s at %d px", where, w))
			if got := js[int](p, `document.documentElement.scrollWidth`); got > int(w) {
				t.Errorf("%s: the page is %d px wide at %d px", where, got, w)
			}
			if shoot || w == 390 {
				p.shot(fmt.Sprintf("a11y-%s-%d", strings.NewReplacer("#/", "", "/", "-", "?", "-", "=", "", "&", "-", ":", "").Replace(where), w))
			}
		}
		resize(1280)
	}
	p.do(chromedp.Navigate(svc.base + "/#/schedules"))
	p.waitVisible("#token")
	each("sign-in", false)
	p.signIn(adminToken)
	p.wait("statuses", `document.querySelector('#schedules-table .status:not(.unknown)') !== null`, 10*time.Second)
	// A draft, so the banner, the tags and the preview are there.
	p.goTo("#/rules/edit/weekdays-08-17")
	p.typeInto("#rule-end", "18:00")
	p.click("#rule-save")
	p.waitText("#banner-draft", "1 unpublished change", 5*time.Second)

	pages := []struct{ hash, ready string }{
		{"#/schedules", `document.querySelector('#schedules-table .status:not(.unknown)')`},
		{"#/rules", `document.querySelector('#rules-table tbody tr')`},
		{"#/rules/edit/lunch", `document.querySelector('#rule-form')`},
		{"#/rules/edit/us-holidays", `document.querySelector('#rule-holiday-dates details')`},
		{"#/schedules/edit/Support", `document.querySelector('#feed-links ul, #feed-links p:not(.loading)')`},
		{"#/week/Support?from=2026-06-29", `document.querySelector('svg.week-svg')`},
		{"#/week?from=2026-03-02&draft=1", `document.querySelectorAll('svg.week-svg').length === 4`},
		{"#/simulate?name=Support&date=2027-11-25&time=10:00", `document.querySelector('#sim-result .card')`},
		{"#/calendars", `document.querySelector('#codes-table') && !document.querySelector('#ics-calendars .loading')`},
		{"#/webhooks", `!document.querySelector('#webhooks-body .loading')`},
		{"#/history?a=1&b=1", `document.querySelector('#history-table')`},
		{"#/publish", `document.querySelector('#preview-list')`},
	}
	for _, pg := range pages {
		p.goTo(pg.hash)
		p.wait(pg.hash, "!!("+pg.ready+")", 10*time.Second)
		each(pg.hash, strings.HasPrefix(pg.hash, "#/calendars") || strings.HasPrefix(pg.hash, "#/webhooks") || strings.HasPrefix(pg.hash, "#/publish"))
	}
	// The nav fits a phone with a draft pending (the count badge).
	resize(390)
	if over := js[bool](p, `(() => { const n = document.querySelector('.topbar nav'); return n.scrollWidth > n.clientWidth + 1; })()`); over {
		t.Error("at 390 px the navigation overflows")
	}
	resize(1280)
	// The rollback dialog, with its preview.
	svc.editConfig(func(doc map[string]any) { item(doc, "schedules", "name", "Night Desk")["manualClose"] = true }, "close the night desk")
	p.waitText(".topbar .version", "v2", 5*time.Second)
	p.goTo("#/history")
	p.click("#rollback-1")
	p.waitText("#rollback-manual", "reopens “Night Desk”, which is manually closed now", 10*time.Second)
	p.waitVisible("#rollback-differences")
	each("rollback dialog", true)
	p.click("#dialog-cancel")
}
