package engine_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// lintNow is the instant of the lint tests: Thursday 10 December 2026,
// noon UTC. Lint's "today" is then 9 December (a day behind UTC, see
// lintToday).
var lintNow = time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)

// lintDoc builds a document from rule objects and schedule objects.
func lintDoc(rules, schedules string) string {
	return `{"rules": [` + rules + `], "schedules": [` + schedules + `]}`
}

// Rules the cases share.
const (
	openWeekdays = `{"id": "open", "isOpen": true, "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"}`
)

// sched is a schedule in Chicago listing ids.
func sched(name string, ids ...string) string {
	return `{"name": "` + name + `", "timeZone": "America/Chicago", "rules": ["` + strings.Join(ids, `", "`) + `"]}`
}

// warning is an expected warning: its path, and a part of its message.
type warning struct{ path, contains string }

// checkWarnings asserts that got is exactly want, in order.
func checkWarnings(t *testing.T, got []engine.FieldWarning, want []warning) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = got[i].Path == want[i].path && strings.Contains(got[i].Message, want[i].contains)
	}
	if !ok {
		var b strings.Builder
		for _, w := range got {
			b.WriteString("\n  " + w.String())
		}
		t.Fatalf("warnings:%s\nwant %v", b.String(), want)
	}
}

func lintJSON(t *testing.T, doc string, now time.Time) []engine.FieldWarning {
	t.Helper()
	_, ws, err := engine.LoadWithWarnings([]byte(doc), now)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, doc)
	}
	return ws
}

func TestLintRuleDates(t *testing.T) {
	closed := func(fields string) string {
		return `{"id": "c", "name": "Closure", "isOpen": false, "closedReason": "holiday", ` + fields + `}`
	}
	cases := []struct {
		name  string
		field string
		want  []warning
	}{
		{"one-off date in the past", `"startDate": "2023-09-04", "endDate": "2023-09-04"`,
			[]warning{{"rules[1].startDate", "the one-off date 2023-09-04 is in the past: the rule can no longer match"}}},
		{"range ended", `"startDate": "2025-01-01", "endDate": "2025-01-31"`,
			[]warning{{"rules[1].endDate", "endDate 2025-01-31 is in the past"}}},
		{"ended the day before yesterday (UTC)", `"startDate": "2026-12-08", "endDate": "2026-12-08"`,
			[]warning{{"rules[1].startDate", "2026-12-08 is in the past"}}},
		// Still today west of UTC on some clock: not called past yet.
		{"ended yesterday (UTC)", `"startDate": "2026-12-09", "endDate": "2026-12-09"`, nil},
		{"endDate only, past", `"endDate": "2024-06-30"`,
			[]warning{{"rules[1].endDate", "endDate 2024-06-30 is in the past"}}},
		{"until in the past", `"dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240101"`,
			[]warning{{"rules[1].dateRRule", "UNTIL 2024-01-01 is in the past"}}},
		{"until with a time, in the past", `"dateRRule": "RRULE:FREQ=DAILY;UNTIL=20251231T235959Z"`,
			[]warning{{"rules[1].dateRRule", "UNTIL 2025-12-31 is in the past"}}},
		{"count ran out", `"dateRRule": "DTSTART:20240101\nRRULE:FREQ=DAILY;COUNT=5"`,
			[]warning{{"rules[1].dateRRule", "its COUNT=5 dates ended on 2024-01-05"}}},
		{"count still running", `"dateRRule": "DTSTART:20261201\nRRULE:FREQ=WEEKLY;COUNT=10"`, nil},
		{"30 February", `"dateRRule": "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"`,
			[]warning{{"rules[1].dateRRule", "matches no date from 2026-12-09 through 2030-12-13 (an impossible date, such as 30 February?)"}}},
		{"31 April", `"dateRRule": "RRULE:FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31"`,
			[]warning{{"rules[1].dateRRule", "an impossible date"}}},
		{"29 February is possible", `"dateRRule": "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"`, nil},
		{"far future start is not impossible", `"startDate": "2035-01-01", "endDate": "2035-01-01"`, nil},
		{"far future anchor is not impossible", `"dateRRule": "DTSTART:20350101\nRRULE:FREQ=YEARLY"`, nil},
		{"holiday calendar within a range without holidays", `"holidays": "US", "startDate": "2027-03-02", "endDate": "2027-03-05"`,
			[]warning{{"rules[1].holidays", "no US holiday falls between startDate and endDate"}}},
		{"RRULE outside its range", `"dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO", "startDate": "2027-03-02", "endDate": "2027-03-07"`,
			[]warning{{"rules[1].dateRRule", "within its other date conditions"}}},
		{"RRULE with a past range", `"dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO", "startDate": "2024-03-02", "endDate": "2024-03-07"`,
			[]warning{{"rules[1].endDate", "endDate 2024-03-07 is in the past"}}},
		{"future one-off", `"startDate": "2027-01-04", "endDate": "2027-01-04"`, nil},
		{"running range", `"startDate": "2026-01-01", "endDate": "2027-01-31"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := lintDoc(openWeekdays+", "+closed(c.field), sched("S", "c", "open"))
			checkWarnings(t, lintJSON(t, doc, lintNow), c.want)
		})
	}
}

func TestLintOvernightEnded(t *testing.T) {
	// An overnight window of 8 December runs into the 9th, Lint's first
	// possible today: not past yet. One of the 7th is.
	rule := func(d string) string {
		return `{"id": "n", "isOpen": true, "startDate": "` + d + `", "endDate": "` + d + `", "startTime": "22:00", "endTime": "06:00"}`
	}
	checkWarnings(t, lintJSON(t, lintDoc(openWeekdays+", "+rule("2026-12-08"), sched("S", "open", "n")), lintNow), nil)
	checkWarnings(t, lintJSON(t, lintDoc(openWeekdays+", "+rule("2026-12-07"), sched("S", "open", "n")), lintNow),
		[]warning{{"rules[1].startDate", "the one-off date 2026-12-07 is in the past"}})
}

func TestLintUnusedRule(t *testing.T) {
	doc := lintDoc(openWeekdays+`, {"id": "spare", "name": "Spare", "isOpen": false, "closedReason": "closed"}`, sched("S", "open"))
	checkWarnings(t, lintJSON(t, doc, lintNow), []warning{{"rules[1]", `rule "spare" ("Spare") is in no schedule's rules, so it has no effect`}})
}

func TestLintShadowed(t *testing.T) {
	cases := []struct {
		name  string
		rules string // rules after openWeekdays: a then b
		want  []warning
	}{
		{"one-off inside a closure range",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
			 {"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2027-01-15", "endDate": "2027-01-15"}`,
			[]warning{{"schedules[0].rules[2]", `rule "b" never decides: rules[1] "a", listed before it, closes the schedule whenever it would`}}},
		{"one-off outside the range",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
			 {"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2027-02-01", "endDate": "2027-02-01"}`, nil},
		{"listed after: it decides",
			`{"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2027-01-15", "endDate": "2027-01-15"},
			 {"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"}`, nil},
		{"same RRULE, shorter window",
			`{"id": "a", "isOpen": false, "closedReason": "lunch", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "13:00"},
			 {"id": "b", "isOpen": false, "closedReason": "break", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "12:30"}`,
			[]warning{{"schedules[0].rules[2]", `rule "b" never decides: rules[1] "a"`}}},
		{"same RRULE, window sticking out",
			`{"id": "a", "isOpen": false, "closedReason": "lunch", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "13:00"},
			 {"id": "b", "isOpen": false, "closedReason": "break", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:30", "endTime": "13:30"}`, nil},
		{"different RRULE text: not proven",
			`{"id": "a", "isOpen": false, "closedReason": "meeting", "dateRRule": "FREQ=WEEKLY;BYDAY=MO", "startTime": "09:00", "endTime": "10:00"},
			 {"id": "b", "isOpen": false, "closedReason": "break", "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO", "startTime": "09:00", "endTime": "10:00"}`, nil},
		{"calendar covers a one-off holiday",
			`{"id": "a", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
			 {"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2027-11-25", "endDate": "2027-11-25"}`,
			[]warning{{"schedules[0].rules[2]", `rule "b" never decides: rules[1] "a"`}}},
		{"calendar and a one-off that is no holiday",
			`{"id": "a", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
			 {"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2027-11-24", "endDate": "2027-11-24"}`, nil},
		// Christmas is a US holiday every year, but that is not provable
		// from the rules' structure for an unbounded rule: no warning.
		{"calendar and a yearly date: not proven",
			`{"id": "a", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
			 {"id": "b", "isOpen": false, "closedReason": "holiday", "dateRRule": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"}`, nil},
		{"overnight inside the range",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
			 {"id": "b", "isOpen": false, "closedReason": "night", "startDate": "2027-01-30", "endDate": "2027-01-30", "startTime": "22:00", "endTime": "06:00"}`,
			[]warning{{"schedules[0].rules[2]", `rule "b" never decides`}}},
		{"overnight running out of the range",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
			 {"id": "b", "isOpen": false, "closedReason": "night", "startDate": "2027-01-31", "endDate": "2027-01-31", "startTime": "22:00", "endTime": "06:00"}`, nil},
		{"overnight cover is not all day",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31", "startTime": "20:00"},
			 {"id": "b", "isOpen": false, "closedReason": "night", "startDate": "2027-01-10", "endDate": "2027-01-10", "startTime": "22:00", "endTime": "06:00"}`, nil},
		{"unbounded under an unbounded range",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01"},
			 {"id": "b", "isOpen": false, "closedReason": "x", "dateRRule": "DTSTART:20270105\nRRULE:FREQ=WEEKLY;INTERVAL=2", "startTime": "09:00", "endTime": "10:00"}`,
			[]warning{{"schedules[0].rules[2]", `rule "b" never decides`}}},
		{"unbounded b, bounded a",
			`{"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2030-01-01"},
			 {"id": "b", "isOpen": false, "closedReason": "x", "dateRRule": "DTSTART:20270105\nRRULE:FREQ=WEEKLY;INTERVAL=2"}`, nil},
		{"open rules are not checked",
			`{"id": "a", "isOpen": true, "startDate": "2027-01-01", "endDate": "2027-01-31"},
			 {"id": "b", "isOpen": true, "startDate": "2027-01-15", "endDate": "2027-01-15"}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids := []string{"open", "a", "b"}
			if strings.Index(c.rules, `"id": "b"`) < strings.Index(c.rules, `"id": "a"`) {
				ids = []string{"open", "b", "a"}
			}
			doc := lintDoc(openWeekdays+", "+c.rules, sched("S", ids...))
			checkWarnings(t, lintJSON(t, doc, lintNow), c.want)
		})
	}
}

func TestLintNeverOpen(t *testing.T) {
	closedAll := `{"id": "shut", "isOpen": false, "closedReason": "closed"}`
	cases := []struct {
		name, doc string
		want      []warning
	}{
		{"no open rule", lintDoc(`{"id": "h", "isOpen": false, "closedReason": "holiday", "holidays": "US"}`, sched("S", "h")),
			[]warning{{"schedules[0]", `never open: it has no open rule ("isOpen": true)`}}},
		{"no rules at all", lintDoc(openWeekdays, sched("S", "open")+`, {"name": "Empty", "timeZone": "UTC", "rules": []}`),
			[]warning{{"schedules[1]", "never open: it has no open rule"}}},
		{"closed every day", lintDoc(openWeekdays+", "+closedAll, sched("S", "shut", "open")),
			[]warning{{"schedules[0]", "never open from now through 2027-12-11: its open rules never match outside its closed ones"}}},
		{"manually closed on purpose", lintDoc(closedAll, `{"name": "S", "manualClose": true, "timeZone": "UTC", "rules": ["shut"]}`), nil},
		{"opens in eleven months", lintDoc(`{"id": "late", "isOpen": true, "startDate": "2027-11-01"}`, sched("S", "late")), nil},
		{"open only past", lintDoc(`{"id": "past", "isOpen": true, "startDate": "2025-11-01", "endDate": "2025-11-30"}`, sched("S", "past")),
			[]warning{{"rules[0].endDate", "in the past"}, {"schedules[0]", "never open from now"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkWarnings(t, lintJSON(t, c.doc, lintNow), c.want)
		})
	}
}

func TestLintHolidayList(t *testing.T) {
	once := func(id, name, d string) string {
		return `{"id": "` + id + `", "name": "` + name + `", "isOpen": false, "closedReason": "holiday", "startDate": "` + d + `", "endDate": "` + d + `"}`
	}
	yearly := func(id, name string, m, d int) string {
		return `{"id": "` + id + `", "name": "` + name + `", "isOpen": false, "closedReason": "holiday", "dateRRule": "FREQ=YEARLY;BYMONTH=` +
			strconv.Itoa(m) + `;BYMONTHDAY=` + strconv.Itoa(d) + `"}`
	}
	us := `{"id": "us", "isOpen": false, "closedReason": "holiday", "holidays": "US"}`
	cases := []struct {
		name, rules string
		ids         []string
		want        []warning
	}{
		{"two US one-offs",
			once("thx", "Thanksgiving", "2027-11-25") + "," + once("labor", "Labor Day", "2027-09-06"),
			[]string{"thx", "labor"},
			[]warning{{"rules", `rules[1] "Thanksgiving", rules[2] "Labor Day" are fixed dates that are all US public holidays: one closed rule with "holidays": "US" would close on them every year`}}},
		{"one-off and yearly",
			once("thx", "Thanksgiving", "2027-11-25") + "," + yearly("july4", "July 4th", 7, 4),
			[]string{"thx", "july4"},
			[]warning{{"rules", `"holidays": "US"`}}},
		{"a single one-off is no list", once("thx", "Thanksgiving", "2027-11-25"), []string{"thx"}, nil},
		{"yearly rules only: nothing expires",
			yearly("july4", "July 4th", 7, 4) + "," + yearly("xmas", "Christmas", 12, 25),
			[]string{"july4", "xmas"}, nil},
		{"a date that is no holiday",
			once("thx", "Thanksgiving", "2027-11-25") + "," + once("day-after", "Day after", "2027-11-26"),
			[]string{"thx", "day-after"}, nil},
		{"already on the calendar",
			us + "," + once("thx", "Thanksgiving", "2027-11-25") + "," + once("labor", "Labor Day", "2027-09-06"),
			[]string{"thx", "labor", "us"}, nil},
		{"partial day: not replaceable",
			`{"id": "eve", "isOpen": false, "closedReason": "holiday", "startDate": "2027-11-25", "endDate": "2027-11-25", "startTime": "12:00"},` +
				once("labor", "Labor Day", "2027-09-06"),
			[]string{"eve", "labor"}, nil},
		{"several calendars tie",
			once("gf", "Good Friday", "2027-03-26") + "," + once("em", "Easter Monday", "2027-03-29") + "," + yearly("aus", "Australia Day", 1, 26),
			[]string{"gf", "em", "aus"},
			[]warning{{"rules", `are fixed dates that are all public holidays in each of AU-ACT, AU-NSW, AU-NT, AU-QLD, AU-SA, AU-TAS, AU-VIC, AU-WA: one closed rule with "holidays": "AU-ACT" (or whichever of those is yours)`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := lintDoc(openWeekdays+","+c.rules, sched("S", append(c.ids, "open")...))
			checkWarnings(t, lintJSON(t, doc, lintNow), c.want)
		})
	}
}

// TestLintTwilioExamples: Twilio's example files hold 2023 one-off
// holidays that can never match again; each must be reported, and the
// lists of US and Canadian federal holidays get a calendar suggestion.
func TestLintTwilioExamples(t *testing.T) {
	dir := testenv.TwilioExamples(t)
	cases := []struct {
		file     string
		past     []string // paths of the past one-off dates
		calendar string   // the suggested calendar, in the "rules" warning
	}{
		{"config.private.json", []string{"rules[1]", "rules[2]", "rules[3]", "rules[5]", "rules[6]"}, `"holidays": "US"`},
		{"twilio-united-states-holidays-2023.json", []string{"rules[1]", "rules[2]", "rules[3]", "rules[5]", "rules[6]"}, `"holidays": "US"`},
		{"twilio-canada-holidays-2023.json", []string{"rules[3]", "rules[4]", "rules[7]", "rules[8]", "rules[9]", "rules[11]"}, `"holidays": "CA"`},
		{"twilio-australia-holidays-2023.json", []string{"rules[4]", "rules[5]"}, `"holidays": "AU-ACT" (or whichever`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			ws := lintJSON(t, string(data), lintNow)
			var want []warning
			for _, p := range c.past {
				want = append(want, warning{p + ".startDate", "is in the past: the rule can no longer match"})
			}
			want = append(want, warning{"rules", c.calendar})
			checkWarnings(t, ws, want)
			for _, w := range ws {
				t.Logf("%s", w)
			}
		})
	}
}

// TestLintExamples: the showcase configs produce no warning at any time
// of the next years.
func TestLintExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{lintNow, time.Date(2027, 7, 4, 3, 0, 0, 0, time.UTC), time.Date(2031, 2, 28, 23, 0, 0, 0, time.UTC)} {
			if ws := lintJSON(t, string(data), now); len(ws) > 0 {
				t.Errorf("%s at %v: %v", f, now, ws)
			}
		}
	}
}

// TestLintDeterministic: the same config and instant give the same
// warnings, and Lint does not change the config.
func TestLintDeterministic(t *testing.T) {
	doc := lintDoc(openWeekdays+`, {"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
		{"id": "b", "isOpen": false, "closedReason": "holiday", "startDate": "2023-01-15", "endDate": "2023-01-15"},
		{"id": "c", "isOpen": false, "closedReason": "holiday", "startDate": "2027-01-15", "endDate": "2027-01-15"}`,
		sched("S", "open", "a", "c")+","+sched("T", "c", "a"))
	cfg, err := engine.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	before := cfg.Document()
	first := cfg.Lint(lintNow)
	if len(first) == 0 {
		t.Fatal("no warnings")
	}
	for range 3 {
		if got := cfg.Lint(lintNow); !reflect.DeepEqual(got, first) {
			t.Fatalf("Lint is not deterministic:\n%v\n%v", got, first)
		}
	}
	if !reflect.DeepEqual(cfg.Document(), before) {
		t.Fatal("Lint changed the config")
	}
}

func TestLoadWithWarningsInvalid(t *testing.T) {
	// An invalid document still gets its unknown-field warnings.
	doc := lintDoc(`{"id": "a", "isOpen": false, "holiday": "US"}`, sched("S", "a"))
	cfg, ws, err := engine.LoadWithWarnings([]byte(doc), lintNow)
	if err == nil || cfg != nil {
		t.Fatalf("want an error and no config, got %v, %v", cfg, err)
	}
	checkWarnings(t, ws, []warning{{"rules[0].holiday", `unknown field, ignored (did you mean "holidays"?)`}})
}

// LoadWithFieldWarnings gives the unknown-field warnings alone; with Lint
// after it, the warnings of LoadWithWarnings.
func TestLoadWithFieldWarnings(t *testing.T) {
	doc := lintDoc(openWeekdays+`, {"id": "a", "isOpen": false, "closedReason": "holiday", "startDate": "2023-09-04", "endDate": "2023-09-04", "colour": "red"}`, sched("S", "open", "a"))
	cfg, fields, err := engine.Loader{}.LoadWithFieldWarnings([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range fields {
		if !strings.Contains(w.Message, "unknown field") {
			t.Errorf("LoadWithFieldWarnings linted: %s: %s", w.Path, w.Message)
		}
	}
	_, all, err := engine.LoadWithWarnings([]byte(doc), lintNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) == 0 || len(all) <= len(fields) {
		t.Fatalf("field warnings %v, all warnings %v: want some of each", fields, all)
	}
	if got := append(fields, cfg.Lint(lintNow)...); !reflect.DeepEqual(got, all) {
		t.Fatalf("field warnings + Lint = %v, LoadWithWarnings = %v", got, all)
	}
}
