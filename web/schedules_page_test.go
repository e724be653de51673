package web_test

import (
	"fmt"
	"testing"
	"time"
)

// The Schedules page asks the server for pages: the first 50 rows, more
// as the list scrolls; search and the status filter are answered by the
// server too, and the address keeps them.
func TestSchedulesSearchAndPaging(t *testing.T) {
	svc := startService(t)
	svc.editConfig(func(doc map[string]any) {
		scheds := doc["schedules"].([]any)
		for i := range 120 {
			scheds = append(scheds, map[string]any{"name": fmt.Sprintf("Branch %03d", i), "timeZone": "Europe/Berlin",
				"manualClose": i%40 == 0, "rules": []any{"always-open"}})
		}
		doc["schedules"] = scheds
	}, "120 branches")
	p := newPage(t, svc, 1280)
	p.signIn(adminToken)
	p.waitText("#sched-count", "124 published schedules, 50 shown", 10*time.Second)
	if first := js[string](p, `document.querySelector('#schedules-table tbody tr').dataset.name`); first != "Branch 000" {
		t.Errorf("first row %q, want Branch 000 (sorted by name)", first)
	}
	p.shot("schedules-paged-1280")
	// Scrolling to the end loads the next pages.
	for range 3 {
		js[bool](p, `window.scrollTo(0, document.body.scrollHeight); true`)
		time.Sleep(150 * time.Millisecond)
	}
	p.waitText("#sched-count", "124 published schedules", 10*time.Second)
	p.wait("every row", `document.querySelectorAll('#schedules-table tbody tr').length === 124`, 10*time.Second)

	p.typeInto("#sched-search", "branch 11")
	p.waitText("#sched-count", "10 matching schedules", 5*time.Second)
	if h := js[string](p, `location.hash`); h != "#/schedules?q=branch+11" {
		t.Errorf("address %s", h)
	}
	p.typeInto("#sched-search", "")
	p.setValue("#sched-status", "manual")
	p.waitText("#sched-count", "3 matching schedules", 5*time.Second)
	p.setValue("#sched-sort", "-name")
	p.wait("Z–A", `document.querySelector('#schedules-table tbody tr')?.dataset.name === 'Branch 080'`, 5*time.Second)
	// The filter is the server's: a manual close elsewhere shows up.
	svc.call("POST", "/api/v1/schedules/Support/close", adminToken, nil)
	p.waitText("#sched-count", "4 matching schedules", 10*time.Second)
	p.wait("Support listed first (Z–A)", `document.querySelector('#schedules-table tbody tr')?.dataset.name === 'Support'`, 5*time.Second)
}
