package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// failingStatus is the real scheduler, except that one schedule answers
// the error the scheduler gives a schedule whose rule expansion panicked
// (no input that validates makes the RRULE library panic on demand).
type failingStatus struct {
	*scheduler.Scheduler
	name string
}

func (f failingStatus) Status(name string) (scheduler.Current, bool) {
	cur, ok := f.Scheduler.Status(name)
	if ok && name == f.name {
		cur.Err = errors.New(`schedule "Support" cannot be evaluated: rules[0].dateRRule: expanding its dates for 2027 failed: boom`)
	}
	return cur, ok
}

func (f failingStatus) All() []scheduler.Current {
	all := f.Scheduler.All()
	for i := range all {
		if all[i].Schedule.Name() == f.name {
			all[i].Err = errors.New("cannot be evaluated")
		}
	}
	return all
}

// A schedule the scheduler could not evaluate answers check-schedule in
// Twilio's fail-open shape with the reason; the others answer normally.
func TestCheckScheduleOfAFailedSchedule(t *testing.T) {
	e := newEnv(t, envOptions{deps: func(d *api.Deps) {
		d.Status = failingStatus{Scheduler: d.Status.(*scheduler.Scheduler), name: "Support"}
	}})
	r := e.get("/check-schedule?name=Support", "")
	if r.code != http.StatusInternalServerError || r.json["isOpen"] != true || r.str("closedReason") != "error" ||
		!strings.Contains(r.str("error"), "rules[0].dateRRule") {
		t.Errorf("failed schedule: %d %s", r.code, r.body)
	}
	if r := e.get("/check-schedule?name=Sales", ""); r.code != http.StatusOK {
		t.Errorf("another schedule: %d %s", r.code, r.body)
	}
	list := e.get("/api/v1/schedules", viewerToken)
	found := false
	for _, s := range list.json["schedules"].([]any) {
		m := s.(map[string]any)
		if m["name"] == "Support" {
			found = m["error"] != nil && m["status"].(map[string]any)["closedReason"] == "error"
		}
	}
	if !found {
		t.Errorf("the schedule list does not show Support's error: %s", list.body)
	}
}
