package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const testICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:closure-1@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20270310\r\nSUMMARY:Company day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// Holiday codes come from the server's catalogue (searchable, with their
// dates); an .ics upload becomes a calendar a rule can use; a schedule's
// feed link is shown once and can be revoked.
func TestCalendarsAndFeeds(t *testing.T) {
	svc := startService(t)
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)

	// The catalogue: every code of the engine, searchable, with dates.
	p.goTo("#/calendars")
	p.typeInto("#code-search", "bavaria")
	p.waitText("#codes-table", "DE-BY", 5*time.Second)
	if n := p.count("#codes-table tbody tr"); n != 1 {
		t.Errorf("search “bavaria”: %d rows", n)
	}
	p.click(`#codes-table tr[data-code="DE-BY"] button`)
	p.waitText("#dates-card", "Heilige Drei Könige", 5*time.Second)

	// Upload an .ics file.
	file := filepath.Join(t.TempDir(), "closures.ics")
	if err := os.WriteFile(file, []byte(testICS), 0o600); err != nil {
		t.Fatal(err)
	}
	p.typeInto("#cal-id", "closures")
	p.typeInto("#cal-name", "Company closures")
	p.do(chromedp.SetUploadFiles(chromedp.CSS(`#cal-file`), []string{file}))
	p.click("#cal-save")
	p.waitText(`#ics-table tr[data-id="closures"]`, "Company closures", 10*time.Second)
	p.waitText(`#ics-table tr[data-id="closures"]`, "uploaded", time.Second)
	p.shot("calendars-1280")

	// A rule on the holidays of a region picked by name, and one on the
	// uploaded calendar.
	p.goTo("#/rules/new")
	p.typeInto("#rule-name", "Bavarian holidays")
	p.click("#rule-closed")
	p.typeInto("#rule-reason", "holiday")
	p.setValue("#rule-repeat", "holidays")
	p.typeInto("#rule-calendar", "Germany: Bavaria")
	p.waitText("#rule-summary", "Bavaria public holidays", 5*time.Second)
	p.waitText("#rule-holiday-dates summary", "dates in", 5*time.Second)
	p.click("#rule-save")
	p.goTo("#/rules/new")
	p.typeInto("#rule-name", "Closure days")
	p.click("#rule-closed")
	p.typeInto("#rule-reason", "closed")
	p.setValue("#rule-repeat", "ical")
	p.setValue("#rule-ical", "closures")
	p.waitText("#rule-summary", "Dates of the calendar “closures”", 5*time.Second)
	p.click("#rule-save")
	p.wait("the rules", `location.hash === '#/rules'`, 5*time.Second)
	draft := js[string](p, `JSON.stringify(JSON.parse(localStorage.getItem('schedule-manager.draft')).doc.rules.filter(r => r.id === 'bavarian-holidays' || r.id === 'closure-days').map(r => [r.holidays, r.calendar]))`)
	if draft != `[["DE-BY",null],[null,"closures"]]` {
		t.Errorf("rules in the draft: %s", draft)
	}

	// A feed link, shown once; then revoked.
	p.goTo("#/schedules/edit/Support")
	p.typeInto("#feed-label", "Team Outlook")
	p.click("#feed-create")
	p.waitVisible("#feed-url")
	url := js[string](p, `document.querySelector('#feed-url').value`)
	if !strings.HasPrefix(url, svc.base+"/feeds/") || !strings.HasSuffix(url, ".ics") {
		t.Fatalf("feed link %q", url)
	}
	if res, err := httpGet(url); err != nil || res != 200 {
		t.Fatalf("GET feed link: %d %v", res, err)
	}
	p.waitText("#feed-links", "Team Outlook", 5*time.Second)
	p.shot("feed-link-1280")
	p.click(`#feed-links button[aria-label^="Revoke"]`)
	p.waitText("#feed-links", "No feed links.", 5*time.Second)
	if res, _ := httpGet(url); res != 404 {
		t.Errorf("a revoked feed link answers %d", res)
	}
}

func httpGet(url string) (int, error) {
	res, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}
