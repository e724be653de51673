package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// ics wraps VEVENT bodies in a calendar, with CRLF line ends as RFC 5545
// writes them.
func ics(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for _, e := range events {
		b.WriteString("BEGIN:VEVENT\r\n")
		for l := range strings.SplitSeq(strings.TrimSpace(e), "\n") {
			b.WriteString(strings.TrimSpace(l) + "\r\n")
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// closuresICS has one event of each kind, several across the DST changes
// of America/Chicago in 2026 (8 March, 1 November).
var closuresICS = ics(
	// All-day, two days.
	`UID:allday
	SUMMARY:Office move
	DTSTART;VALUE=DATE:20260305
	DTEND;VALUE=DATE:20260307`,
	// Timed in a TZID, across the spring-forward night (02:00 is skipped).
	`UID:spring
	SUMMARY:Night maintenance
	DTSTART;TZID=America/Chicago:20260308T013000
	DTEND;TZID=America/Chicago:20260308T033000`,
	// Timed in UTC across the fall-back: 06:30Z-07:30Z is 01:30 CDT to
	// 01:30 CST, so it covers the wall clock 01:00-02:00 (both readings).
	`UID:fallback
	SUMMARY:Failover test
	DTSTART:20261101T063000Z
	DTEND:20261101T073000Z`,
	// Weekly training on Wednesdays 14:00-16:00 New York time (15:00-17:00
	// … no: 13:00-15:00 Chicago), except 18 March, plus an extra Friday.
	`UID:training
	SUMMARY:Training
	DTSTART;TZID=America/New_York:20260304T140000
	DURATION:PT2H
	RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=6
	EXDATE;TZID=America/New_York:20260318T140000
	RDATE;TZID=America/New_York:20260320T140000`,
	// One instance of the training moved (RECURRENCE-ID).
	`UID:training
	SUMMARY:Training (moved)
	RECURRENCE-ID;TZID=America/New_York:20260401T140000
	DTSTART;TZID=America/New_York:20260402T090000
	DTEND;TZID=America/New_York:20260402T100000`,
	// Floating time: the schedule's own wall clock.
	`UID:floating
	SUMMARY:Stocktake
	DTSTART:20260310T120000
	DTEND:20260310T123000`,
	// Cancelled: ignored.
	`UID:cancelled
	SUMMARY:Cancelled party
	STATUS:CANCELLED
	DTSTART;VALUE=DATE:20260311
	DTEND;VALUE=DATE:20260312`,
)

func calendarSchedule(tb testing.TB, zone, text string, rules ...engine.Rule) *engine.Schedule {
	tb.Helper()
	doc := engine.Document{Calendars: []engine.CalendarDoc{{ID: "closures", Name: "Office closures", ICS: text}}}
	var ids []string
	for i, r := range rules {
		if r.ID == "" {
			r.ID = "r" + string(rune('0'+i))
		}
		doc.Rules = append(doc.Rules, r)
		ids = append(ids, r.ID)
	}
	doc.Schedules = []engine.ScheduleDoc{{Name: "S", TimeZone: zone, Rules: ids}}
	cfg, err := engine.Compile(doc)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	s, _ := cfg.Schedule("S")
	return s
}

var (
	closedByCalendar = engine.Rule{ID: "cal", Name: "Closures", ClosedReason: "closure", Calendar: "closures"}
	openAllDay       = engine.Rule{ID: "open", Name: "Open", IsOpen: true}
)

func TestCalendarEventsAcrossDST(t *testing.T) {
	s := calendarSchedule(t, "America/Chicago", closuresICS, closedByCalendar, openAllDay)
	loc := s.Location()
	closed := func(name string) engine.Status {
		return engine.Status{ClosedReason: "closure", RuleID: "cal", RuleName: "Closures", Holiday: name}
	}
	open := engine.Status{IsOpen: true, RuleID: "open", RuleName: "Open"}
	tests := []struct {
		at   time.Time
		want engine.Status
	}{
		{localTime(t, loc, "2026-03-04 23:59"), open},
		{localTime(t, loc, "2026-03-05 00:00"), closed("Office move")},
		{localTime(t, loc, "2026-03-06 23:59"), closed("Office move")},
		{localTime(t, loc, "2026-03-07 00:00"), open},
		// Spring forward: 01:30 CST to 03:30 CDT is one hour of instants.
		{localTime(t, loc, "2026-03-08 01:29"), open},
		{localTime(t, loc, "2026-03-08 01:30"), closed("Night maintenance")},
		{time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), closed("Night maintenance")}, // 03:00 CDT
		{time.Date(2026, 3, 8, 8, 30, 0, 0, time.UTC), open},                       // 03:30 CDT
		// Fall back: both readings of 01:00-01:59 are covered.
		{time.Date(2026, 11, 1, 5, 59, 0, 0, time.UTC), open},                   // 00:59 CDT
		{time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), closed("Failover test")}, // 01:00 CDT
		{time.Date(2026, 11, 1, 7, 29, 0, 0, time.UTC), closed("Failover test")},
		{time.Date(2026, 11, 1, 7, 45, 0, 0, time.UTC), closed("Failover test")}, // 01:45 CST
		{time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), open},                     // 02:00 CST
		// Weekly training, 13:00-15:00 Chicago (New York is an hour ahead).
		{localTime(t, loc, "2026-03-04 12:59"), open},
		{localTime(t, loc, "2026-03-04 13:00"), closed("Training")},
		{localTime(t, loc, "2026-03-11 14:59"), closed("Training")},
		{localTime(t, loc, "2026-03-11 15:00"), open},
		{localTime(t, loc, "2026-03-18 13:30"), open},               // EXDATE
		{localTime(t, loc, "2026-03-20 13:30"), closed("Training")}, // RDATE
		{localTime(t, loc, "2026-04-01 13:30"), open},               // moved away
		{localTime(t, loc, "2026-04-02 08:30"), closed("Training (moved)")},
		{localTime(t, loc, "2026-04-08 13:30"), closed("Training")}, // 6th of COUNT=6 (EXDATE counts)
		{localTime(t, loc, "2026-04-15 13:30"), open},
		// Floating: noon on the schedule's clock.
		{localTime(t, loc, "2026-03-10 12:15"), closed("Stocktake")},
		{localTime(t, loc, "2026-03-10 12:30"), open},
		{localTime(t, loc, "2026-03-11 10:00"), open}, // cancelled
	}
	for _, tt := range tests {
		if got := s.At(tt.at); got != tt.want {
			t.Errorf("At(%s) = %+v, want %+v", tt.at.In(loc).Format(time.RFC3339), got, tt.want)
		}
	}
	checkTimelineAgrees(t, s, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC))
	checkTimelineAgrees(t, s, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC))
}

// checkTimelineAgrees probes At at every minute of [from, to) (and just
// before each segment boundary) against the timeline.
func checkTimelineAgrees(t *testing.T, s *engine.Schedule, from, to time.Time) {
	t.Helper()
	segs := s.Timeline(from, to)
	if len(segs) == 0 || !segs[0].Start.Equal(from) || !segs[len(segs)-1].End.Equal(to) {
		t.Fatalf("timeline does not cover [%v, %v): %v", from, to, segs)
	}
	k := 0
	for at := from; at.Before(to); at = at.Add(time.Minute) {
		for !segs[k].End.After(at) {
			k++
		}
		if got := s.At(at); got != segs[k].Status {
			t.Fatalf("At(%s) = %+v, timeline says %+v", at.In(s.Location()).Format(time.RFC3339), got, segs[k].Status)
		}
	}
	for j := 1; j < len(segs); j++ {
		if segs[j-1].Status == segs[j].Status {
			t.Fatalf("segments %d and %d are equal: %+v", j-1, j, segs[j].Status)
		}
		if got := s.At(segs[j].Start.Add(-time.Nanosecond)); got != segs[j-1].Status {
			t.Fatalf("At just before %v = %+v, want %+v", segs[j].Start, got, segs[j-1].Status)
		}
	}
}

func TestCalendarRuleTimesRestrict(t *testing.T) {
	// A closed rule from 09:00 to 12:00 on calendar days: the office move
	// closes only the mornings.
	r := closedByCalendar
	r.StartTime, r.EndTime = "09:00", "12:00"
	s := calendarSchedule(t, "Europe/London", closuresICS, r, openAllDay)
	loc := s.Location()
	for at, wantOpen := range map[string]bool{
		"2026-03-05 08:59": true, "2026-03-05 09:00": false, "2026-03-06 11:59": false,
		"2026-03-06 12:00": true, "2026-03-07 10:00": true,
	} {
		if got := s.At(localTime(t, loc, at)); got.IsOpen != wantOpen {
			t.Errorf("At(%s) = %+v, want open=%v", at, got, wantOpen)
		}
	}
	checkTimelineAgrees(t, s, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
}

func TestCalendarOpenRule(t *testing.T) {
	// An open rule on a calendar: open only during its events (extra
	// opening days), named by the event.
	text := ics(`UID:x
	SUMMARY:Saturday opening
	DTSTART;TZID=Europe/Paris:20270306T100000
	DTEND;TZID=Europe/Paris:20270306T140000`)
	s := calendarSchedule(t, "Asia/Kolkata", text, engine.Rule{ID: "sat", IsOpen: true, Calendar: "closures"})
	got := s.At(time.Date(2027, 3, 6, 9, 0, 0, 0, time.UTC)) // 10:00 Paris, 14:30 Kolkata
	if !got.IsOpen || got.Holiday != "Saturday opening" {
		t.Errorf("At = %+v, want open with the event's name", got)
	}
	if got := s.At(time.Date(2027, 3, 6, 13, 0, 0, 0, time.UTC)); got.IsOpen {
		t.Errorf("after the event: %+v, want closed", got)
	}
	checkTimelineAgrees(t, s, time.Date(2027, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 8, 0, 0, 0, 0, time.UTC))
}

func TestCalendarValidation(t *testing.T) {
	good := ics("UID:a\nSUMMARY:A\nDTSTART;VALUE=DATE:20270101")
	tests := []struct {
		name string
		cals []engine.CalendarDoc
		rule string // the rule's calendar
		want []string
	}{
		{"unknown calendar", []engine.CalendarDoc{{ID: "c", ICS: good}}, "nope", []string{`rules[0].calendar: no calendar with id "nope"`}},
		{"no text, no url", []engine.CalendarDoc{{ID: "c"}}, "c", []string{"calendars[0].ics: a calendar needs its iCalendar text"}},
		{"duplicate", []engine.CalendarDoc{{ID: "c", ICS: good}, {ID: "c", ICS: good}}, "c", []string{`calendars[1].id: duplicate calendar id "c" (also calendars[0])`}},
		{"not ics", []engine.CalendarDoc{{ID: "c", ICS: "hello"}}, "c", []string{"calendars[0].ics: is not a valid iCalendar calendar"}},
		{"unterminated", []engine.CalendarDoc{{ID: "c", ICS: "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"}}, "c", []string{"calendars[0].ics: is not a valid iCalendar calendar"}},
		{"no dtstart", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nSUMMARY:A")}}, "c", []string{`calendars[0].ics: event "A": has no DTSTART`}},
		{"bad date", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nSUMMARY:A\nDTSTART:2027-01-01")}}, "c", []string{`calendars[0].ics: event "A": DTSTART: "2027-01-01" is not a date or date-time`}},
		{"unknown tzid", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nDTSTART;TZID=Mars/Olympus:20270101T100000")}}, "c", []string{`calendars[0].ics: event with UID "a": DTSTART: unknown time zone "Mars/Olympus"`}},
		{"hourly", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nDTSTART:20270101T100000Z\nRRULE:FREQ=HOURLY")}}, "c", []string{"RRULE: FREQ=HOURLY is not supported"}},
		{"bad rrule", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nDTSTART:20270101T100000Z\nRRULE:FREQ=SOMETIMES")}}, "c", []string{"RRULE: "}},
		{"end before start", []engine.CalendarDoc{{ID: "c", ICS: ics("UID:a\nDTSTART:20270101T100000Z\nDTEND:20270101T090000Z")}}, "c", []string{"DTEND 20270101T090000Z is before DTSTART"}},
		{"bad url", []engine.CalendarDoc{{ID: "c", URL: "ftp://example.com/x.ics"}}, "c", []string{"calendars[0].url: \"ftp://example.com/x.ics\": only http and https URLs can be fetched"}},
		{"webcal", []engine.CalendarDoc{{ID: "c", URL: "webcal://example.com/x.ics"}}, "c", []string{"write webcal:// links as https://"}},
		{"credentials", []engine.CalendarDoc{{ID: "c", URL: "https://u:p@example.com/x.ics"}}, "c", []string{"credentials in the URL are not allowed"}},
		{"bad refresh", []engine.CalendarDoc{{ID: "c", URL: "https://example.com/x.ics", Refresh: "often"}}, "c", []string{`calendars[0].refresh: "often" is not a cron spec`}},
		{"refresh too often", []engine.CalendarDoc{{ID: "c", URL: "https://example.com/x.ics", Refresh: "* * * * *"}}, "c", []string{"fetches more often than every 5m0s"}},
		{"refresh without url", []engine.CalendarDoc{{ID: "c", ICS: good, Refresh: "@every 6h"}}, "c", []string{"calendars[0].refresh: a refresh spec needs a url"}},
		{"too big", []engine.CalendarDoc{{ID: "c", ICS: good + strings.Repeat("X", engine.MaxCalendarBytes)}}, "c", []string{"calendars[0].ics: is 1048" /* bytes */}},
		{"too many events", []engine.CalendarDoc{{ID: "c", ICS: ics(repeatEvent(engine.MaxCalendarEvents + 1)...)}}, "c", []string{"has 5001 events, the limit is 5000"}},
		{"too many occurrences", []engine.CalendarDoc{{ID: "c", ICS: ics(repeatDaily(600)...)}}, "c", []string{"more than 200000 occurrences a year"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := engine.Document{
				Calendars: tt.cals,
				Rules:     []engine.Rule{{ID: "r", ClosedReason: "closure", Calendar: tt.rule}},
				Schedules: []engine.ScheduleDoc{{Name: "S", TimeZone: "UTC", Rules: []string{"r"}}},
			}
			_, err := engine.Compile(doc)
			var ve *engine.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Compile = %v, want a validation error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// A URL calendar not fetched yet is valid and matches nothing.
	doc := engine.Document{
		Calendars: []engine.CalendarDoc{{ID: "c", URL: "https://example.com/x.ics", Refresh: "@every 1h"}},
		Rules:     []engine.Rule{{ID: "r", ClosedReason: "closure", Calendar: "c"}, {ID: "o", IsOpen: true}},
		Schedules: []engine.ScheduleDoc{{Name: "S", TimeZone: "UTC", Rules: []string{"r", "o"}}},
	}
	cfg, err := engine.Compile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Schedule("S")
	if st := s.At(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !st.IsOpen {
		t.Errorf("unfetched calendar closed the schedule: %+v", st)
	}
}

func repeatEvent(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "UID:e\nDTSTART;VALUE=DATE:20270101"
	}
	return out
}

func repeatDaily(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "UID:d\nDTSTART;VALUE=DATE:20270101\nRRULE:FREQ=DAILY"
	}
	return out
}

func TestCalendarOutlookZonesAndFingerprint(t *testing.T) {
	text := ics(`UID:w
	SUMMARY:Outlook event
	DTSTART;TZID="W. Europe Standard Time":20270104T090000
	DTEND;TZID="W. Europe Standard Time":20270104T100000`)
	s := calendarSchedule(t, "UTC", text, closedByCalendar, openAllDay)
	if got := s.At(time.Date(2027, 1, 4, 8, 30, 0, 0, time.UTC)); got.Holiday != "Outlook event" {
		t.Errorf("Windows zone name: At = %+v, want the event (09:00 Berlin is 08:00 UTC)", got)
	}
	other := calendarSchedule(t, "UTC", closuresICS, closedByCalendar, openAllDay)
	if s.Fingerprint() == other.Fingerprint() {
		t.Error("a changed calendar text must change the fingerprint of schedules using it")
	}
}

func TestCalendarRRuleGuards(t *testing.T) {
	for rule, want := range map[string]string{
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30":  "never occur",
		"FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31": "never occur",
		"FREQ=MONTHLY;BYDAY=8MO":              "BYDAY position 8 is out of range",
		"FREQ=YEARLY;BYEASTER=400":            "BYEASTER offset 400",
		"FREQ=DAILY;BYHOUR=9,10":              "BYHOUR, BYMINUTE and BYSECOND are not supported",
		"FREQ=DAILY;BYYEARDAY=100":            "not supported with FREQ=DAILY",
		"FREQ=WEEKLY;INTERVAL=5000":           "INTERVAL is larger than 1000",
	} {
		text := ics("UID:a\nSUMMARY:x\nDTSTART;VALUE=DATE:20260101\nRRULE:" + rule)
		doc := engine.Document{Calendars: []engine.CalendarDoc{{ID: "c", ICS: text}}}
		_, err := engine.Compile(doc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", rule, err, want)
		}
	}
	// Possible ones pass: 29 February, the last day of the month.
	for _, rule := range []string{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=DAILY;BYDAY=MO,TU"} {
		text := ics("UID:a\nSUMMARY:x\nDTSTART;VALUE=DATE:20260101\nRRULE:" + rule)
		if _, err := engine.Compile(engine.Document{Calendars: []engine.CalendarDoc{{ID: "c", ICS: text}}}); err != nil {
			t.Errorf("%s: %v", rule, err)
		}
	}
}
