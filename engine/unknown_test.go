package engine

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestUnknownFields(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string // "path: message"
	}{
		{"none", `{"rules": [{"id": "a", "isOpen": true}], "schedules": [{"name": "S", "manualClose": false, "timeZone": "UTC", "rules": ["a"]}]}`, nil},
		{"holiday for holidays", `{"rules": [{"id": "a", "isOpen": true}, {"id": "b", "isOpen": false, "closedReason": "holiday", "holiday": "US"}]}`,
			[]string{`rules[1].holiday: unknown field, ignored (did you mean "holidays"?); this rule has no date condition, so it applies every day`}},
		{"with a date condition no note", `{"rules": [{"id": "b", "isOpen": false, "closedReason": "x", "startDate": "2027-01-01", "holiday": "US"}]}`,
			[]string{`rules[0].holiday: unknown field, ignored (did you mean "holidays"?)`}},
		{"calendar and calendars are known (read from Document's tags)", `{"calendars": [{"id": "x", "ics": ""}], "rules": [{"id": "b", "isOpen": false, "closedReason": "x", "calendar": "x"}]}`,
			nil},
		{"calender is a misspelling", `{"rules": [{"id": "b", "isOpen": false, "closedReason": "x", "calender": "x"}]}`,
			[]string{`rules[0].calender: unknown field, ignored (did you mean "calendar"?); this rule has no date condition, so it applies every day`}},
		{"schedule field", `{"schedules": [{"name": "S", "timezone": "UTC", "manualclosed": true, "rules": []}]}`,
			[]string{
				`schedules[0].timezone: read as "timeZone", but Twilio's tools match field names exactly: write "timeZone"`,
				`schedules[0].manualclosed: unknown field, ignored (did you mean "manualClose"?)`,
			}},
		{"top level", `{"rule": [], "schedules": []}`, []string{`rule: unknown field, ignored (did you mean "rules"?)`}},
		{"contained name", `{"rules": [{"id": "a", "isOpen": true, "rrule": "FREQ=DAILY", "zone": "UTC"}]}`,
			[]string{`rules[0].rrule: unknown field, ignored (did you mean "dateRRule"?); this rule has no date condition, so it applies every day`,
				`rules[0].zone: unknown field, ignored; this rule has no date condition, so it applies every day`}},
		{"snake case", `{"rules": [{"id": "a", "isOpen": true, "start_date": "2027-01-01"}]}`,
			[]string{`rules[0].start_date: unknown field, ignored (did you mean "startDate"?); this rule has no date condition, so it applies every day`}},
		{"nothing alike", `{"rules": [{"id": "a", "isOpen": true, "dateRRule": "FREQ=DAILY", "colour": "red"}]}`,
			[]string{`rules[0].colour: unknown field, ignored`}},
		{"annotations", `{"x-note": 1, "$schema": "s", "rules": [{"id": "a", "isOpen": true, "X-Color": "red", "$comment": "c"}], "schedules": [{"name": "S", "x-owner": {"a": [1]}}]}`, nil},
		{"duplicate", `{"rules": [{"id": "a", "isOpen": true, "isOpen": false}]}`,
			[]string{`rules[0].isOpen: "isOpen" is given more than once: only the last value counts`}},
		{"duplicate by case", `{"rules": [{"id": "a", "isOpen": true, "ISOPEN": false}]}`,
			[]string{
				`rules[0].ISOPEN: read as "isOpen", but Twilio's tools match field names exactly: write "isOpen"`,
				`rules[0].ISOPEN: "isOpen" is given more than once: only the last value counts`,
			}},
		{"odd keys are quoted", `{"rules": [{"id": "a", "isOpen": true, "a.b c": 1, "": 2}]}`,
			[]string{`rules[0]["a.b c"]: unknown field, ignored; this rule has no date condition, so it applies every day`,
				`rules[0][""]: unknown field, ignored; this rule has no date condition, so it applies every day`}},
		{"values of unknown fields are not walked", `{"extra": {"rules": [{"id": "a", "nope": 1}]}}`,
			[]string{`extra: unknown field, ignored`}},
		{"wrong types are Load's business", `{"rules": {"id": "a"}, "schedules": "x"}`, nil},
		{"syntax error: Load's business", `{"rules": [{"id": "a", "holidayz": "US"}, {`, nil},
		{"escaped keys", `{"rules": [{"id": "a", "\u0069sOpen": true, "holi\"day": "US", "dateRRule": "x"}]}`,
			[]string{`rules[0]["holi\"day"]: unknown field, ignored (did you mean "holidays"?)`}},
		{"deep values are skipped", `{"rules": [{"id": "a", "dateRRule": "x", "z": [[{"a": "}"}], {"b": ["]"]}], "name": "n", "q": -1.5e3, "t": true}]}`,
			[]string{`rules[0].z: unknown field, ignored`, `rules[0].q: unknown field, ignored`, `rules[0].t: unknown field, ignored`}},
		{"not an object", `[1, 2]`, nil},
		{"empty", ``, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, w := range UnknownFields([]byte(c.doc)) {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestUnknownFieldsBounded: a million stray keys give a bounded list.
func TestUnknownFieldsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"rules": [{"id": "a", "isOpen": true`)
	for i := range 5000 {
		fmt.Fprintf(&b, `, "k%d": 1`, i)
	}
	b.WriteString(`}]}`)
	ws := UnknownFields([]byte(b.String()))
	if len(ws) != maxUnknownFieldWarnings+1 {
		t.Fatalf("%d warnings, want %d", len(ws), maxUnknownFieldWarnings+1)
	}
	if last := ws[len(ws)-1]; last.Path != "" || last.Message != "and 4900 more unknown or doubtful fields" {
		t.Fatalf("last warning %q", last)
	}
}

// TestKnownFieldsFollowTheStructs: the known fields come from the json
// tags, so a field added to a struct (the "calendar" rule field, say) is
// known without further code, embedded structs included.
func TestKnownFieldsFollowTheStructs(t *testing.T) {
	type Extra struct {
		Calendar string `json:"calendar,omitempty"`
	}
	type rule struct {
		Rule
		*Extra
		Skipped string `json:"-"`
		Plain   int
		hidden  int // unexported: never a JSON member
	}
	_ = rule{hidden: 1}
	type doc struct {
		Rules     []rule        `json:"rules"`
		Schedules []ScheduleDoc `json:"schedules"`
		Calendars []struct {
			ID  string `json:"id"`
			URL string `json:"url"`
		} `json:"calendars"`
	}
	want := []string{"id", "name", "isOpen", "closedReason", "dateRRule", "startDate", "endDate", "startTime", "endTime", "holidays", "calendar", "Plain"}
	if got := fieldsOf(reflect.TypeFor[rule]()).names; !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %q, want %q", got, want)
	}
	cases := map[string][]string{
		`{"rules": [{"id": "a", "isOpen": false, "calendar": "x"}], "calendars": [{"id": "x", "url": "u"}]}`: nil,
		`{"rules": [{"id": "a", "isOpen": false, "calender": "x"}]}`: {
			`rules[0].calender: unknown field, ignored (did you mean "calendar"?); this rule has no date condition, so it applies every day`},
		`{"calendars": [{"id": "x", "ulr": "u"}]}`: {`calendars[0].ulr: unknown field, ignored (did you mean "url"?)`},
		`{"rules": [{"id": "a", "Skipped": 1, "hidden": 2}]}`: {
			`rules[0].Skipped: unknown field, ignored; this rule has no date condition, so it applies every day`,
			`rules[0].hidden: unknown field, ignored; this rule has no date condition, so it applies every day`},
	}
	for in, want := range cases {
		var got []string
		for _, w := range unknownFields([]byte(in), reflect.TypeFor[doc]()) {
			got = append(got, w.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %q\nwant %q", in, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"id", "name", "isOpen", "closedReason", "dateRRule", "startDate", "endDate", "startTime", "endTime", "holidays"}
	cases := map[string]string{
		"holiday": "holidays", "Holliday": "holidays", "closedreasons": "closedReason", "start_time": "startTime",
		"endtimes": "endTime", "open": "isOpen", "rrule": "dateRRule", "reason": "closedReason",
		"colour": "", "x": "", "": "", strings.Repeat("a", 100): "",
	}
	for key, want := range cases {
		if got := suggest(names, key); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestOnlyKnownConditions: every field of today's Rule is one the shadow
// proof knows; a field added later makes it refuse (see lint.go).
func TestOnlyKnownConditions(t *testing.T) {
	full := Rule{ID: "a", Name: "n", IsOpen: true, ClosedReason: "r", DateRRule: "x", StartDate: "s", EndDate: "e", StartTime: "1", EndTime: "2", Holidays: "US"}
	if !onlyKnownConditions(full) {
		t.Fatal("a rule of known fields is refused")
	}
	if n := reflect.ValueOf(full).NumField(); n != 10 {
		t.Logf("Rule has %d fields now: rules using a new one are never proven to hide another (onlyKnownConditions)", n)
	}
}
