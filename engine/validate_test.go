package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// baseDoc is a valid document with enough rules and schedules for every
// path in the tables below to exist.
func baseDoc() engine.Document {
	return engine.Document{
		Rules: []engine.Rule{
			{ID: "hours", Name: "Open hours", IsOpen: true, StartTime: "08:00", EndTime: "17:00", DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
			{ID: "lunch", Name: "Lunch", ClosedReason: "lunch", StartTime: "12:00", EndTime: "13:00"},
			{ID: "xmas", Name: "Christmas", ClosedReason: "holiday", DateRRule: "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"},
			{ID: "late", Name: "Late shift", IsOpen: true, StartTime: "17:00", EndTime: "22:00"},
		},
		Schedules: []engine.ScheduleDoc{
			{Name: "Support", TimeZone: "America/Chicago", Rules: []string{"hours", "lunch", "xmas"}},
			{Name: "Sales", TimeZone: "Europe/London", Rules: []string{"hours", "xmas", "late"}},
		},
	}
}

func TestValidateBaseDocIsValid(t *testing.T) {
	cfg, err := engine.Compile(baseDoc())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Schedules()) != 2 || cfg.Schedules()[0].Name() != "Support" || cfg.Schedules()[1].Name() != "Sales" {
		t.Errorf("schedules = %v", cfg.Schedules())
	}
	s, ok := cfg.Schedule("Sales")
	if !ok || s.Location().String() != "Europe/London" || strings.Join(s.RuleIDs(), ",") != "hours,xmas,late" {
		t.Errorf("Sales = %+v", s)
	}
	if _, ok := cfg.Schedule("nope"); ok {
		t.Error(`Schedule("nope") found`)
	}
	if len(cfg.Document().Rules) != 4 {
		t.Error("Document() lost rules")
	}
}

func TestValidationErrors(t *testing.T) {
	huge := strings.Repeat("a", 10<<20) // 10 MB
	longRRule := "FREQ=WEEKLY;BYDAY=" + strings.TrimSuffix(strings.Repeat("MO,", 400), ",")
	tests := []struct {
		name   string
		mutate func(d *engine.Document)
		path   string
		msg    string // substring of the message
	}{
		// References and uniqueness.
		{"unknown rule id", func(d *engine.Document) { d.Schedules[1].Rules[2] = "no-such-rule" },
			"schedules[1].rules[2]", `no rule with id "no-such-rule"`},
		{"rule listed twice in a schedule", func(d *engine.Document) { d.Schedules[0].Rules = append(d.Schedules[0].Rules, "hours") },
			"schedules[0].rules[3]", `rule "hours" is listed twice`},
		{"duplicate rule id", func(d *engine.Document) {
			d.Rules = append(d.Rules, engine.Rule{ID: "lunch", Name: "Second lunch", ClosedReason: "lunch"})
		}, "rules[4].id", `duplicate rule id "lunch" (also rules[1])`},
		{"duplicate rule name", func(d *engine.Document) {
			d.Rules = append(d.Rules, engine.Rule{ID: "lunch2", Name: "Lunch", ClosedReason: "lunch"})
		}, "rules[4].name", `duplicate rule name "Lunch" (also rules[1])`},
		{"missing rule id", func(d *engine.Document) { d.Rules = append(d.Rules, engine.Rule{IsOpen: true}) },
			"rules[4].id", "id is required"},
		{"duplicate schedule name", func(d *engine.Document) { d.Schedules[1].Name = "Support" },
			"schedules[1].name", `duplicate schedule name "Support" (also schedules[0])`},
		{"missing schedule name", func(d *engine.Document) { d.Schedules[1].Name = "" },
			"schedules[1].name", "name is required"},

		// Time zones.
		{"unknown time zone", func(d *engine.Document) { d.Schedules[0].TimeZone = "America/Chicgo" },
			"schedules[0].timeZone", `unknown time zone "America/Chicgo"`},
		{"empty time zone", func(d *engine.Document) { d.Schedules[1].TimeZone = "" },
			"schedules[1].timeZone", "time zone is required"},
		{"Local is not a zone", func(d *engine.Document) { d.Schedules[0].TimeZone = "Local" },
			"schedules[0].timeZone", `unknown time zone "Local"`},
		{"path-like zone", func(d *engine.Document) { d.Schedules[0].TimeZone = "../../etc/passwd" },
			"schedules[0].timeZone", "unknown time zone"},
		{"10 MB zone", func(d *engine.Document) { d.Schedules[0].TimeZone = huge },
			"schedules[0].timeZone", "unknown time zone"},

		// Times.
		{"end 25:00", func(d *engine.Document) { d.Rules[3].EndTime = "25:00" },
			"rules[3].endTime", `"25:00" is not a time (HH:MM)`},
		{"start without leading zero", func(d *engine.Document) { d.Rules[3].StartTime = "8:00" },
			"rules[3].startTime", `"8:00" is not a time (HH:MM)`},
		{"minute 60", func(d *engine.Document) { d.Rules[1].StartTime = "12:60" },
			"rules[1].startTime", `"12:60" is not a time (HH:MM)`},
		{"seconds", func(d *engine.Document) { d.Rules[1].EndTime = "13:00:00" },
			"rules[1].endTime", `"13:00:00" is not a time (HH:MM)`},
		{"am/pm", func(d *engine.Document) { d.Rules[1].EndTime = "1:00PM" },
			"rules[1].endTime", "is not a time (HH:MM)"},
		{"24:00 as a start", func(d *engine.Document) { d.Rules[3].StartTime = "24:00" },
			"rules[3].startTime", `"24:00" is only allowed as an end time`},
		{"24:01", func(d *engine.Document) { d.Rules[3].EndTime = "24:01" },
			"rules[3].endTime", `"24:01" is not a time (HH:MM)`},
		{"equal start and end", func(d *engine.Document) { d.Rules[3].EndTime = "17:00" },
			"rules[3].endTime", `"17:00" equals startTime`},
		{"10 MB start time", func(d *engine.Document) { d.Rules[3].StartTime = huge },
			"rules[3].startTime", "is not a time (HH:MM)"},

		// Dates.
		{"30 February", func(d *engine.Document) { d.Rules[2].StartDate = "2026-02-30" },
			"rules[2].startDate", `"2026-02-30" is not a valid calendar date`},
		{"29 February of a common year", func(d *engine.Document) { d.Rules[2].EndDate = "2027-02-29" },
			"rules[2].endDate", `"2027-02-29" is not a valid calendar date`},
		{"month 13", func(d *engine.Document) { d.Rules[2].StartDate = "2026-13-01" },
			"rules[2].startDate", "is not a valid calendar date"},
		{"slashes", func(d *engine.Document) { d.Rules[2].StartDate = "2026/01/01" },
			"rules[2].startDate", `"2026/01/01" is not a date (YYYY-MM-DD)`},
		{"US order", func(d *engine.Document) { d.Rules[2].EndDate = "12-25-2026" },
			"rules[2].endDate", "is not a date (YYYY-MM-DD)"},
		{"ISO date-time", func(d *engine.Document) { d.Rules[2].EndDate = "2026-12-25T00:00:00Z" },
			"rules[2].endDate", "is not a date (YYYY-MM-DD)"},
		{"signed year", func(d *engine.Document) { d.Rules[2].EndDate = "+026-12-25" },
			"rules[2].endDate", "is not a date (YYYY-MM-DD)"},
		{"endDate before startDate", func(d *engine.Document) { d.Rules[2].StartDate, d.Rules[2].EndDate = "2026-03-02", "2026-03-01" },
			"rules[2].endDate", `"2026-03-01" is before startDate "2026-03-02"`},
		{"10 MB date", func(d *engine.Document) { d.Rules[2].StartDate = huge },
			"rules[2].startDate", "is not a date (YYYY-MM-DD)"},

		// Closed reasons.
		{"closed rule without a reason", func(d *engine.Document) { d.Rules[1].ClosedReason = "" },
			"rules[1].closedReason", "a closed rule needs a closed reason"},
		{"blank closed reason", func(d *engine.Document) { d.Rules[1].ClosedReason = "   " },
			"rules[1].closedReason", "a closed rule needs a closed reason"},
		{"closed reason too long", func(d *engine.Document) { d.Rules[1].ClosedReason = strings.Repeat("x", 101) },
			"rules[1].closedReason", "is 101 characters long, the limit is 100"},
		{"closed reason with a newline", func(d *engine.Document) { d.Rules[1].ClosedReason = "lunch\nbreak" },
			"rules[1].closedReason", "contains control characters"},

		// RRULEs.
		{"INTERVAL>1 without an anchor", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA" },
			"rules[0].dateRRule", "INTERVAL>1 needs an anchor"},
		{"COUNT without an anchor", func(d *engine.Document) { d.Rules[0].DateRRule = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3" },
			"rules[0].dateRRule", "COUNT needs an anchor"},
		{"FREQ=WEEKLY alone without an anchor", func(d *engine.Document) { d.Rules[0].DateRRule = "RRULE:FREQ=WEEKLY" },
			"rules[0].dateRRule", "FREQ=WEEKLY without an anchor needs BYDAY"},
		{"FREQ=MONTHLY unpinned", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=MONTHLY;BYMONTH=3" },
			"rules[0].dateRRule", "FREQ=MONTHLY without an anchor needs BYMONTHDAY or BYDAY"},
		{"FREQ=YEARLY unpinned", func(d *engine.Document) { d.Rules[2].DateRRule = "FREQ=YEARLY;BYMONTH=12" },
			"rules[2].dateRRule", "FREQ=YEARLY without an anchor needs BYMONTH with BYMONTHDAY or BYDAY"},
		{"FREQ=YEARLY day without month", func(d *engine.Document) { d.Rules[2].DateRRule = "FREQ=YEARLY;BYMONTHDAY=25" },
			"rules[2].dateRRule", "FREQ=YEARLY without an anchor"},
		{"FREQ=HOURLY", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=HOURLY;BYDAY=MO" },
			"rules[0].dateRRule", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"},
		{"FREQ=MINUTELY anchored", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260101\nRRULE:FREQ=MINUTELY" },
			"rules[0].dateRRule", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"},
		{"BYHOUR", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=DAILY;BYHOUR=9" },
			"rules[0].dateRRule", "BYHOUR, BYMINUTE and BYSECOND are not supported"},
		{"BYSECOND", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260101\nRRULE:FREQ=DAILY;BYSECOND=0,1,2" },
			"rules[0].dateRRule", "BYHOUR, BYMINUTE and BYSECOND are not supported"},
		{"BYDAY position a month cannot have (rrule-go panicked)", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=MONTHLY;BYDAY=8MO" },
			"rules[0].dateRRule", "BYDAY position 8 is out of range"},
		{"negative BYDAY position in a month", func(d *engine.Document) { d.Rules[2].DateRRule = "FREQ=YEARLY;BYMONTH=1;BYDAY=-6MO" },
			"rules[2].dateRRule", "BYDAY position -6 is out of range"},
		{"BYEASTER after the year (rrule-go panicked)", func(d *engine.Document) { d.Rules[2].DateRRule = "DTSTART:20260101\nRRULE:FREQ=YEARLY;BYEASTER=400" },
			"rules[2].dateRRule", "BYEASTER offset 400 is out of range"},
		{"BYEASTER before the year", func(d *engine.Document) { d.Rules[2].DateRRule = "DTSTART:20260101\nRRULE:FREQ=YEARLY;BYEASTER=-200" },
			"rules[2].dateRRule", "BYEASTER offset -200 is out of range"},
		{"BYDAY position beyond a year", func(d *engine.Document) { d.Rules[2].DateRRule = "DTSTART:20260101\nRRULE:FREQ=YEARLY;BYDAY=54MO" },
			"rules[2].dateRRule", "invalid RRULE: byday must be between 1 and 53"},
		{"anchor in year 0 (rrule-go panicked)", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:00000101\nFREQ=WEEKLY" },
			"rules[0].dateRRule", "the anchor (DTSTART or startDate) must be in year 1 or later"},
		{"startDate anchor in year 0", func(d *engine.Document) { d.Rules[0].StartDate = "0000-06-01" },
			"rules[0].dateRRule", "must be in year 1 or later"},
		{"garbage", func(d *engine.Document) { d.Rules[0].DateRRule = "every monday" },
			"rules[0].dateRRule", `unsupported line "every monday"`},
		{"unknown FREQ", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=FORTNIGHTLY" },
			"rules[0].dateRRule", "invalid RRULE"},
		{"unknown weekday", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=WEEKLY;BYDAY=XX" },
			"rules[0].dateRRule", "invalid RRULE"},
		{"unknown property", func(d *engine.Document) { d.Rules[0].DateRRule = "FREQ=WEEKLY;BYDAY=MO;COLOR=red" },
			"rules[0].dateRRule", "invalid RRULE: unknown RRULE property: COLOR"},
		{"empty RRULE line", func(d *engine.Document) { d.Rules[0].DateRRule = "RRULE:" },
			"rules[0].dateRRule", "no RRULE"},
		{"DTSTART only", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260101" },
			"rules[0].dateRRule", "no RRULE"},
		{"two RRULE lines", func(d *engine.Document) { d.Rules[0].DateRRule = "RRULE:FREQ=DAILY\nRRULE:FREQ=DAILY" },
			"rules[0].dateRRule", "more than one RRULE line"},
		{"two DTSTART lines", func(d *engine.Document) {
			d.Rules[0].DateRRule = "DTSTART:20260101\nDTSTART:20260102\nRRULE:FREQ=DAILY"
		}, "rules[0].dateRRule", "more than one DTSTART line"},
		{"bad DTSTART", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:2026\nRRULE:FREQ=DAILY" },
			"rules[0].dateRRule", `DTSTART "2026" is not a date`},
		{"DTSTART 30 February", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260230\nRRULE:FREQ=DAILY" },
			"rules[0].dateRRule", "DTSTART: \"2026-02-30\" is not a valid calendar date"},
		{"EXDATE is not supported", func(d *engine.Document) {
			d.Rules[0].DateRRule = "DTSTART:20260101\nRRULE:FREQ=DAILY\nEXDATE:20260105"
		}, "rules[0].dateRRule", `unsupported line "EXDATE:20260105"`},
		{"negative INTERVAL", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260101\nRRULE:FREQ=DAILY;INTERVAL=-2" },
			"rules[0].dateRRule", "INTERVAL and COUNT must be positive"},
		{"huge INTERVAL", func(d *engine.Document) { d.Rules[0].DateRRule = "DTSTART:20260101\nRRULE:FREQ=DAILY;INTERVAL=100000" },
			"rules[0].dateRRule", "INTERVAL is larger than 1000"},
		{"RRULE too long", func(d *engine.Document) { d.Rules[0].DateRRule = longRRule },
			"rules[0].dateRRule", "bytes long, the limit is 1000"},
		{"10 MB RRULE", func(d *engine.Document) { d.Rules[0].DateRRule = huge },
			"rules[0].dateRRule", "is 10485760 bytes long"},

		// Holiday calendars.
		{"unknown holiday calendar", func(d *engine.Document) { d.Rules[2].Holidays = "XX" },
			"rules[2].holidays", `unknown holiday calendar "XX" (known: `},
		{"unknown region", func(d *engine.Document) { d.Rules[2].Holidays = "AU-XYZ" },
			"rules[2].holidays", `unknown holiday calendar "AU-XYZ"`},

		// Names: length, control characters, encoding.
		{"10 MB rule name", func(d *engine.Document) { d.Rules[3].Name = huge },
			"rules[3].name", "name is 10485760 characters long, the limit is 200"},
		{"10 MB unknown rule reference", func(d *engine.Document) { d.Schedules[0].Rules[0] = huge },
			"schedules[0].rules[0]", `no rule with id "aaaa`},
		{"10 MB schedule name", func(d *engine.Document) { d.Schedules[0].Name = huge },
			"schedules[0].name", "name is 10485760 characters long"},
		{"control character in a rule name", func(d *engine.Document) { d.Rules[1].Name = "Lunch\x07" },
			"rules[1].name", `name "Lunch\a" contains control characters`},
		{"escape sequence in a schedule name", func(d *engine.Document) { d.Schedules[1].Name = "Sales\x1b[31m" },
			"schedules[1].name", "contains control characters"},
		{"C1 control in an id", func(d *engine.Document) {
			d.Rules = append(d.Rules, engine.Rule{ID: "x\u0085y", IsOpen: true})
		}, "rules[4].id", "contains control characters"},
		{"invalid UTF-8", func(d *engine.Document) { d.Rules[1].Name = "Lunch\xff" },
			"rules[1].name", "name is not valid UTF-8"},
		{"leading space", func(d *engine.Document) { d.Schedules[1].Name = " Sales" },
			"schedules[1].name", `name " Sales" has leading or trailing spaces`},
		{"201-rune name", func(d *engine.Document) { d.Rules[3].Name = strings.Repeat("é", 201) },
			"rules[3].name", "name is 201 characters long, the limit is 200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := baseDoc()
			tc.mutate(&doc)
			cfg, err := engine.Compile(doc)
			if err == nil {
				t.Fatalf("compiled (%d schedules), want an error", len(cfg.Schedules()))
			}
			if n := len(err.Error()); n >= 2000 {
				t.Errorf("error message is %d bytes long: %.300s…", n, err.Error())
			}
			errs := validationErrors(t, err)
			if len(errs) != 1 {
				t.Fatalf("want 1 error, got %d: %v", len(errs), err)
			}
			if errs[0].Path != tc.path {
				t.Errorf("path = %q, want %q (error: %v)", errs[0].Path, tc.path, errs[0])
			}
			if !strings.Contains(errs[0].Msg, tc.msg) {
				t.Errorf("message = %q, want it to contain %q", errs[0].Msg, tc.msg)
			}
			if want := "invalid config: " + tc.path + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %.200q, want prefix %q", err.Error(), want)
			}
		})
	}
}

// A valid document with the rule ids, names and times all acceptable in the
// edge forms the tables above reject nearby.
func TestValidationAcceptsEdgeForms(t *testing.T) {
	doc := baseDoc()
	doc.Rules = append(doc.Rules,
		engine.Rule{ID: "a", IsOpen: true, StartTime: "00:00", EndTime: "24:00"},
		engine.Rule{ID: "b", IsOpen: true, StartTime: "23:59"},
		engine.Rule{ID: "c", IsOpen: true, EndTime: "00:01"},
		engine.Rule{ID: "d", IsOpen: true, StartTime: "22:00", EndTime: "06:00"},
		engine.Rule{ID: "e", IsOpen: true, StartDate: "2028-02-29", EndDate: "2028-02-29"},
		engine.Rule{ID: "f", ClosedReason: "holiday", Holidays: " us "},
		engine.Rule{ID: "g", IsOpen: true, DateRRule: "FREQ=DAILY"},
		engine.Rule{ID: "h", IsOpen: true, DateRRule: "FREQ=YEARLY;BYYEARDAY=1,-1"},
		engine.Rule{ID: "i", IsOpen: true, DateRRule: "FREQ=MONTHLY;BYMONTHDAY=1"},
		engine.Rule{ID: "j", IsOpen: true, DateRRule: "FREQ=WEEKLY;WKST=SU;BYDAY=SU"},
		engine.Rule{ID: "k", IsOpen: true, DateRRule: "FREQ=WEEKLY", StartDate: "2026-01-01"},
		engine.Rule{ID: "l", Name: strings.Repeat("é", 200), ClosedReason: strings.Repeat("r", 100)},
		engine.Rule{ID: "m", IsOpen: true, ClosedReason: "ignored on an open rule"},
		engine.Rule{ID: "n", IsOpen: true, DateRRule: "DTSTART:20260101\nRRULE:FREQ=DAILY;INTERVAL=0"},
	)
	doc.Schedules = append(doc.Schedules, engine.ScheduleDoc{Name: "Édition spéciale ☎", TimeZone: "UTC", Rules: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}})
	doc.Schedules = append(doc.Schedules, engine.ScheduleDoc{Name: "Empty", TimeZone: "Asia/Kolkata"})
	if _, err := engine.Compile(doc); err != nil {
		t.Fatal(err)
	}
}

func TestValidationListsEveryError(t *testing.T) {
	doc := baseDoc()
	doc.Rules[0].EndTime = "25:00"                          // 1
	doc.Rules[1].ClosedReason = ""                          // 2
	doc.Rules[2].StartDate = "2026-02-30"                   // 3
	doc.Rules[2].DateRRule = "FREQ=SOMETIMES"               // 4
	doc.Rules[3].StartTime = "24:00"                        // 5
	doc.Rules = append(doc.Rules, doc.Rules[3])             // 6, 7: duplicate id and name (its startTime error is 8)
	doc.Schedules[0].TimeZone = "America/Chicgo"            // 9
	doc.Schedules[1].Rules[2] = "gone"                      // 10
	doc.Schedules = append(doc.Schedules, doc.Schedules[0]) // 11: duplicate name (its zone error is 12)
	_, err := engine.Compile(doc)
	errs := validationErrors(t, err)
	want := []string{
		"rules[0].endTime", "rules[1].closedReason", "rules[2].startDate", "rules[2].dateRRule", "rules[3].startTime",
		"rules[4].startTime", "rules[4].id", "rules[4].name",
		"schedules[0].timeZone", "schedules[1].rules[2]", "schedules[2].timeZone", "schedules[2].name",
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(want), err)
	}
	for i, p := range want {
		if errs[i].Path != p {
			t.Errorf("errors[%d].Path = %q, want %q", i, errs[i].Path, p)
		}
	}
	if !strings.HasPrefix(err.Error(), "invalid config: 12 errors: rules[0].endTime: ") {
		t.Errorf("Error() = %q", err.Error())
	}
	// The errors serialise with their paths (the API returns them as JSON).
	b, _ := json.Marshal(errs[0])
	if string(b) != `{"path":"rules[0].endTime","message":"\"25:00\" is not a time (HH:MM)"}` {
		t.Errorf("JSON = %s", b)
	}
}

func TestValidationLimits(t *testing.T) {
	t.Run("too many rules", func(t *testing.T) {
		doc := engine.Document{Rules: make([]engine.Rule, engine.MaxRules+1)}
		_, err := engine.Compile(doc)
		errs := validationErrors(t, err)
		if len(errs) != 1 || errs[0].Path != "rules" || !strings.Contains(errs[0].Msg, "more than the limit of 20000") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("too many schedules", func(t *testing.T) {
		doc := engine.Document{Schedules: make([]engine.ScheduleDoc, engine.MaxSchedules+1)}
		_, err := engine.Compile(doc)
		errs := validationErrors(t, err)
		if len(errs) != 1 || errs[0].Path != "schedules" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("too many rules in one schedule", func(t *testing.T) {
		doc := baseDoc()
		ids := make([]string, 1001)
		for i := range ids {
			ids[i] = "hours"
		}
		doc.Schedules[0].Rules = ids
		_, err := engine.Compile(doc)
		errs := validationErrors(t, err)
		if len(errs) != 1 || errs[0].Path != "schedules[0].rules" || !strings.Contains(errs[0].Msg, "1001 rules is more than the limit of 1000") {
			t.Errorf("got %v", err)
		}
	})
}

// JSON problems are reported before validation, with a position.
func TestLoadJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // substrings
	}{
		{"syntax error names line and column", "{\n  \"rules\": [,]\n}", []string{"invalid JSON at line 2, column 13", "invalid character ','"}},
		{"syntax error on line 1", `{"rules": [}`, []string{"line 1, column 12", "invalid character '}'"}},
		{"missing comma", "{\n\"rules\": []\n\"schedules\": []}", []string{"line 3, column 1"}},
		{"wrong type names the field", "{\n  \"rules\": [\n    {\"id\": \"a\", \"isOpen\": \"yes\"}\n  ]\n}", []string{"rules.isOpen", "expected true or false", "found JSON string", "line 3"}},
		{"schedules as an object", `{"rules": [], "schedules": {}}`, []string{"schedules", "expected an array", "found JSON object"}},
		{"rule id as a number", `{"rules": [{"id": 7}]}`, []string{"rules.id", "expected a string", "number"}},
		{"document is an array", `[]`, []string{"(document)", "array"}},
		{"empty", ``, []string{"empty document"}},
		{"only spaces", "  \n ", []string{"empty document"}},
		{"truncated", `{"rules": [`, []string{"ends too early"}},
		{"trailing data", `{"rules": [], "schedules": []} {}`, []string{"unexpected data after the JSON document"}},
		{"trailing garbage", `{"rules": [], "schedules": []} x`, []string{"unexpected data after the JSON document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Load([]byte(tc.data))
			if err == nil {
				t.Fatal("loaded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Twilio ignores fields it does not know, and so do we; an empty document
// is valid.
func TestLoadIgnoresUnknownFields(t *testing.T) {
	data := `{"version": "ZN123", "rules": [{"id": "a", "isOpen": true, "color": "red", "startTime": "08:00", "endTime": "17:00"}],
	  "schedules": [{"name": "S", "timeZone": "UTC", "rules": ["a"], "owner": {"team": "x"}}]}`
	cfg, err := engine.Load([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Schedule("S")
	if got := s.At(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)); got != open("a") {
		t.Errorf("got %+v", got)
	}
	for _, empty := range []string{`{}`, `{"rules": [], "schedules": []}`, `{"rules": null}`} {
		cfg, err := engine.Load([]byte(empty))
		if err != nil || len(cfg.Schedules()) != 0 {
			t.Errorf("Load(%s) = %v, %v", empty, cfg, err)
		}
	}
}

// Fingerprints change with the definition, not with unrelated rules.
func TestScheduleFingerprint(t *testing.T) {
	fp := func(d engine.Document, name string) string {
		cfg, err := engine.Compile(d)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := cfg.Schedule(name)
		return s.Fingerprint()
	}
	base := baseDoc()
	a, b := fp(base, "Support"), fp(base, "Sales")
	if a == b || len(a) != 32 {
		t.Errorf("fingerprints %q %q", a, b)
	}
	d := baseDoc()
	d.Rules[3].EndTime = "23:00" // "late" is only in Sales
	if fp(d, "Support") != a || fp(d, "Sales") == b {
		t.Error("changing a rule must change only the schedules that use it")
	}
	d = baseDoc()
	d.Schedules[0].ManualClose = true
	if fp(d, "Support") == a {
		t.Error("manualClose must change the fingerprint")
	}
}

func TestHolidayCalendarsList(t *testing.T) {
	codes := engine.HolidayCalendars()
	joined := "," + strings.Join(codes, ",") + ","
	for _, c := range []string{"US", "CA", "GB", "DE", "FR", "AU-NSW", "AU-VIC", "DE-BY"} {
		if !strings.Contains(joined, ","+c+",") {
			t.Errorf("HolidayCalendars() lacks %s: %v", c, codes)
		}
	}
	for i := 1; i < len(codes); i++ {
		if codes[i-1] >= codes[i] {
			t.Errorf("not sorted at %d: %v", i, codes)
		}
	}
	// Every listed calendar compiles and has holidays in 2031.
	for _, c := range codes {
		s := schedule(t, "UTC", false, engine.Rule{ClosedReason: "holiday", Holidays: c}, allDayOpen)
		segs := s.Timeline(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC))
		n := 0
		for _, seg := range segs {
			if seg.ClosedReason == "holiday" && seg.Holiday != "" {
				n++
			}
		}
		if n < 5 {
			t.Errorf("%s: %d holiday segments in 2031", c, n)
		}
	}
}

func TestParseTime(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	lordHowe := mustLoc(t, "Australia/Lord_Howe")
	santiago := mustLoc(t, "America/Santiago")
	tests := []struct {
		in   string
		loc  *time.Location
		want string // RFC 3339 UTC, "" for an error
	}{
		{"2026-01-05T10:00", chicago, "2026-01-05T16:00:00Z"},
		{"2026-07-05T10:00", chicago, "2026-07-05T15:00:00Z"},
		{"2026-01-05 10:00", chicago, "2026-01-05T16:00:00Z"},
		{"2026-01-05T10:00:30", chicago, "2026-01-05T16:00:30Z"},
		{"2026-01-05 10:00:30", chicago, "2026-01-05T16:00:30Z"},
		{"2026-01-05T10:00:30.25", chicago, "2026-01-05T16:00:30.25Z"},
		{"  2026-01-05T10:00  ", chicago, "2026-01-05T16:00:00Z"},
		{"2026-01-05T10:00:00Z", chicago, "2026-01-05T10:00:00Z"},
		{"2026-01-05T10:00:00.5Z", chicago, "2026-01-05T10:00:00.5Z"},
		{"2026-01-05T10:00:00+05:30", chicago, "2026-01-05T04:30:00Z"},
		{"2026-01-05T10:00-05:00", chicago, "2026-01-05T15:00:00Z"},
		{"2026-01-05T10:00Z", chicago, "2026-01-05T10:00:00Z"},
		{"2026-01-05T10:00:00-0500", chicago, "2026-01-05T15:00:00Z"},
		{"2026-01-05 10:00:00+01:00", chicago, "2026-01-05T09:00:00Z"},
		{"2026-01-05", chicago, "2026-01-05T06:00:00Z"}, // local midnight
		{"2026-07-05", chicago, "2026-07-05T05:00:00Z"},
		{"2026-01-05", nil, "2026-01-05T00:00:00Z"}, // nil means UTC
		{"2026-01-05T10:00", nil, "2026-01-05T10:00:00Z"},
		// DST gap: the wall clock is read with the offset before the gap,
		// which lands as far after the gap as it was into it.
		{"2026-03-08T02:30", chicago, "2026-03-08T08:30:00Z"}, // = 03:30 CDT
		{"2026-03-08T02:00", chicago, "2026-03-08T08:00:00Z"}, // = 03:00 CDT
		{"2026-03-08T01:59", chicago, "2026-03-08T07:59:00Z"}, // before the gap
		{"2026-03-08T03:00", chicago, "2026-03-08T08:00:00Z"},
		{"2026-10-04T02:15", lordHowe, "2026-10-03T15:45:00Z"}, // = 02:45 +11
		{"2026-09-06", santiago, "2026-09-06T04:00:00Z"},       // midnight skipped: 01:00 -03
		// Repeated hour: the first (daylight-time) occurrence.
		{"2026-11-01T01:30", chicago, "2026-11-01T06:30:00Z"},
		{"2026-04-05T01:45", lordHowe, "2026-04-04T14:45:00Z"},
		// Errors.
		{"", chicago, ""},
		{"   ", chicago, ""},
		{"now", chicago, ""},
		{"yesterday", chicago, ""},
		{"2026-13-01", chicago, ""},
		{"2026-02-30", chicago, ""},
		{"2026-02-30T10:00", chicago, ""},
		{"2026-01-05T25:00", chicago, ""},
		{"2026-01-05T10:00+25:00", chicago, ""},
		{"2026-01-05T10", chicago, ""},
		{"05/01/2026 10:00", chicago, ""},
		{"1767628800", chicago, ""},
		{"2026-01-05T10:00:00ZZ", chicago, ""},
		{strings.Repeat("2026-01-05", 1000), chicago, ""},
	}
	for _, tc := range tests {
		got, err := engine.ParseTime(tc.in, tc.loc)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseTime(%.40q) = %v, want an error", tc.in, got)
			} else if len(err.Error()) > 300 {
				t.Errorf("ParseTime(%.40q): error is %d bytes long", tc.in, len(err.Error()))
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if want := utc(t, tc.want); !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v (%v), want %v", tc.in, got.UTC(), got, want)
		}
	}
}

// Paths count from zero and match the document order, for any index.
func TestValidationPathIndexes(t *testing.T) {
	doc := engine.Document{}
	for i := 0; i < 12; i++ {
		doc.Rules = append(doc.Rules, engine.Rule{ID: "r" + strconv.Itoa(i), IsOpen: true})
	}
	doc.Rules[11].EndTime = "7pm"
	_, err := engine.Compile(doc)
	errs := validationErrors(t, err)
	if len(errs) != 1 || errs[0].Path != "rules[11].endTime" {
		t.Errorf("got %v", err)
	}
}

func TestValidationErrorMessageIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"rules":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"r%d","name":"r%d","isOpen":true,"startTime":"99:99"}`, i, i)
	}
	b.WriteString(`],"schedules":[]}`)
	_, err := engine.Load([]byte(b.String()))
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 500 {
		t.Fatalf("want 500 field errors, got %v", err)
	}
	if msg := err.Error(); len(msg) > 3000 || !strings.Contains(msg, "and 480 more") {
		t.Errorf("message is %d bytes: %.200s", len(msg), msg)
	}
}
