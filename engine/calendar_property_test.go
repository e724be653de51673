package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Property: with calendar rules (all-day, zoned, UTC, floating, recurring
// with EXDATE and RDATE, moved instances), Timeline still agrees with At at
// every instant, across DST changes in many zones. Fixed seed.

var calZones = []string{"America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "UTC", "Pacific/Chatham"}

func genEvent(r *rand.Rand, uid int, near time.Time) string {
	start := near.AddDate(0, 0, r.IntN(20)-10).Add(time.Duration(genMinute(r)) * time.Minute)
	var lines []string
	lines = append(lines, fmt.Sprintf("UID:u%d", uid), fmt.Sprintf("SUMMARY:event %d", r.IntN(4)))
	var stamp func(time.Time) string
	switch r.IntN(4) {
	case 0: // all-day
		stamp = func(t time.Time) string { return ";VALUE=DATE:" + t.Format("20060102") }
		lines = append(lines, "DTSTART"+stamp(start))
		if r.IntN(2) == 0 {
			lines = append(lines, "DTEND"+stamp(start.AddDate(0, 0, 1+r.IntN(3))))
		}
	case 1: // zoned
		zone := calZones[r.IntN(len(calZones))]
		loc, _ := time.LoadLocation(zone)
		start = time.Date(start.Year(), start.Month(), start.Day(), start.Hour(), start.Minute(), 0, 0, loc)
		stamp = func(t time.Time) string { return ";TZID=" + zone + ":" + t.In(loc).Format("20060102T150405") }
		lines = append(lines, "DTSTART"+stamp(start), fmt.Sprintf("DURATION:PT%dM", 1+r.IntN(600)))
	case 2: // UTC, odd seconds
		start = start.Add(time.Duration(r.IntN(60)) * time.Second)
		stamp = func(t time.Time) string { return ":" + t.UTC().Format("20060102T150405Z") }
		lines = append(lines, "DTSTART"+stamp(start), "DTEND"+stamp(start.Add(time.Duration(1+r.IntN(2000))*time.Minute)))
	case 3: // floating
		stamp = func(t time.Time) string { return ":" + t.Format("20060102T150405") }
		lines = append(lines, "DTSTART"+stamp(start), "DTEND"+stamp(start.Add(time.Duration(1+r.IntN(300))*time.Minute)))
	}
	if r.IntN(2) == 0 {
		rules := []string{"FREQ=DAILY;COUNT=9", "FREQ=WEEKLY;BYDAY=MO,WE,SA", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;COUNT=4", "FREQ=MONTHLY;BYMONTHDAY=1,15"}
		lines = append(lines, "RRULE:"+rules[r.IntN(len(rules))])
		if r.IntN(2) == 0 {
			lines = append(lines, "EXDATE"+stamp(start.AddDate(0, 0, 1+r.IntN(3))), "EXDATE"+stamp(start.AddDate(0, 0, 7)))
		}
		if r.IntN(2) == 0 {
			lines = append(lines, "RDATE"+stamp(start.AddDate(0, 0, 2+r.IntN(10))))
		}
	}
	return strings.Join(lines, "\n")
}

func TestPropertyCalendarTimelineMatchesAt(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 40
	}
	r := rand.New(rand.NewPCG(5545, 20261101))
	for i := range n {
		base := propDSTDates[r.IntN(len(propDSTDates))].AddDate(0, 0, -r.IntN(10))
		var events []string
		for j := range 1 + r.IntN(12) {
			events = append(events, genEvent(r, j, base))
		}
		doc := engine.Document{Calendars: []engine.CalendarDoc{{ID: "c", ICS: ics(events...)}}}
		var ids []string
		for j := range 1 + r.IntN(4) {
			rule := genRule(r, fmt.Sprintf("r%d", j), base)
			if r.IntN(3) > 0 {
				rule.Calendar = "c"
			}
			doc.Rules = append(doc.Rules, rule)
			ids = append(ids, rule.ID)
		}
		doc.Schedules = []engine.ScheduleDoc{{Name: "P", TimeZone: calZones[r.IntN(len(calZones))], Rules: ids}}
		cfg, err := engine.Compile(doc)
		if err != nil {
			b, _ := json.Marshal(doc)
			t.Fatalf("case %d: generated an invalid config: %v\n%s", i, err, b)
		}
		s := cfg.Schedules()[0]
		from := base.AddDate(0, 0, -2).Add(time.Duration(r.IntN(86400)) * time.Second)
		to := from.Add(time.Duration(1+r.IntN(20*24)) * time.Hour)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					b, _ := json.Marshal(doc)
					t.Logf("range [%s, %s)\n%s", from.Format(time.RFC3339), to.Format(time.RFC3339), b)
				}
			}()
			checkTimelineAgrees(t, s, from, to)
		})
	}
}
