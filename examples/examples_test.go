package examples

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// probe is one known answer: at local wall-clock time `at` (in the
// schedule's zone) the schedule is open, or closed with reason; holiday and
// rule, when set, must match too.
type probe struct {
	at      string
	open    bool
	reason  string
	holiday string
	rule    string
}

func open(at, rule string) probe     { return probe{at: at, open: true, rule: rule} }
func closed(at, reason string) probe { return probe{at: at, reason: reason} }
func holiday(at, name string) probe  { return probe{at: at, reason: "holiday", holiday: name} }
func closedBy(at, reason, rule string) probe {
	return probe{at: at, reason: reason, rule: rule}
}

type scheduleCase struct {
	schedule string
	zone     string
	probes   []probe
}

// exampleCases proves the intent of every example file. TestEveryExampleHasCases
// makes sure a new file cannot be added without cases.
var exampleCases = map[string][]scheduleCase{
	"us-holidays.json": {{schedule: "US Support", zone: "America/Chicago", probes: []probe{
		holiday("2027-11-25T10:00", "Thanksgiving Day"),
		holiday("2026-11-26T10:00", "Thanksgiving Day"),
		holiday("2035-11-22T10:00", "Thanksgiving Day"), // no expiry
		// 4 July 2026 is a Saturday: observed on Friday the 3rd.
		holiday("2026-07-03T10:00", "Independence Day (observed)"),
		holiday("2026-07-04T10:00", "Independence Day"),
		open("2026-07-02T10:00", "weekday-hours"),
		open("2026-07-06T08:00", "weekday-hours"),
		closed("2026-07-06T07:59", "closed"),
		closed("2026-07-06T17:00", "closed"),
		closed("2026-07-11T12:00", "closed"), // Saturday
	}}},
	"canada-holidays.json": {{schedule: "Canada Support", zone: "America/Toronto", probes: []probe{
		holiday("2026-07-01T10:00", "Canada Day"),
		holiday("2026-10-12T10:00", "Thanksgiving Day"), // second Monday of October
		holiday("2026-05-18T10:00", "Victoria Day"),
		holiday("2027-03-26T10:00", "Good Friday"),
		open("2026-10-13T10:00", "weekday-hours"),
		closed("2026-10-13T17:30", "closed"),
	}}},
	"uk-holidays.json": {{schedule: "UK Support", zone: "Europe/London", probes: []probe{
		// Christmas 2026 is a Friday, Boxing Day a Saturday: observed on Monday.
		holiday("2026-12-28T10:00", "Boxing Day (observed)"),
		holiday("2026-08-31T10:00", "Summer Bank Holiday"),
		holiday("2027-03-29T10:00", "Easter Monday"),
		open("2026-03-30T08:00", "weekday-hours"), // first Monday of BST
		closed("2026-03-29T10:00", "closed"),      // Sunday
	}}},
	"australia-holidays.json": {{schedule: "Sydney Support", zone: "Australia/Sydney", probes: []probe{
		holiday("2026-01-26T10:00", "Australia Day"),
		holiday("2027-01-26T10:00", "Australia Day"),
		holiday("2026-10-05T10:00", "Labour Day"), // NSW: first Monday of October
		holiday("2026-04-03T10:00", "Good Friday"),
		open("2026-04-07T10:00", "weekday-hours"),
		closed("2026-04-07T17:00", "closed"),
	}}},
	"24x7-maintenance.json": {{schedule: "Ops 24x7", zone: "UTC", probes: []probe{
		closedBy("2026-03-01T02:00", "maintenance", "monthly-maintenance"), // 1 March 2026 is a Sunday
		closedBy("2026-03-01T03:59", "maintenance", "monthly-maintenance"),
		open("2026-03-01T01:59", "always-open"),
		open("2026-03-01T04:00", "always-open"),
		open("2026-03-08T03:00", "always-open"), // second Sunday
		closed("2026-04-05T02:30", "maintenance"),
		closed("2026-11-01T03:00", "maintenance"),
		open("2026-04-04T03:00", "always-open"), // a Saturday
	}}},
	"overnight-support.json": {{schedule: "Night Desk", zone: "America/New_York", probes: []probe{
		open("2026-03-02T23:00", "weeknights"), // Monday night
		open("2026-03-03T05:59", "weeknights"), // Tuesday morning, same window
		closed("2026-03-03T06:00", "closed"),
		closed("2026-03-02T21:59", "closed"),
		open("2026-03-02T22:00", "weeknights"),
		closed("2026-03-02T05:00", "closed"),   // Sunday night is not a start
		open("2026-03-07T05:59", "weeknights"), // Friday night runs into Saturday
		closed("2026-03-07T06:00", "closed"),   // Saturday 06:00
		closed("2026-03-08T23:00", "closed"),   // Sunday night
	}}},
	"lunch-break.json": {{schedule: "Office", zone: "Europe/London", probes: []probe{
		closedBy("2026-03-02T12:30", "lunch", "lunch"),
		closed("2026-03-02T12:00", "lunch"),
		open("2026-03-02T11:59", "weekday-hours"),
		open("2026-03-02T13:00", "weekday-hours"),
		closed("2026-03-02T17:00", "closed"),
		closed("2026-03-07T12:30", "closed"), // Saturday: no lunch, just closed
	}}},
	"every-other-saturday.json": {{schedule: "Showroom", zone: "America/Los_Angeles", probes: []probe{
		open("2026-01-03T10:00", "alternate-saturdays"), // the anchor
		open("2026-01-17T12:00", "alternate-saturdays"),
		closed("2026-01-10T12:00", "closed"), // the week in between
		closed("2026-01-03T14:00", "closed"),
		closed("2025-12-20T12:00", "closed"), // before DTSTART
		open("2026-12-19T12:00", "alternate-saturdays"),
		open("2027-01-02T12:00", "alternate-saturdays"), // parity kept across the year end
		closed("2026-12-26T12:00", "closed"),
		open("2026-01-05T09:00", "weekday-hours"),
	}}},
	"default.json": {
		{schedule: "Support", zone: "America/Chicago", probes: []probe{
			holiday("2027-11-25T10:00", "Thanksgiving Day"),
			holiday("2026-07-03T10:00", "Independence Day (observed)"),
			open("2026-07-02T08:00", "weekdays-08-17"),
			closed("2026-07-02T17:00", "closed"),
		}},
		{schedule: "London Sales", zone: "Europe/London", probes: []probe{
			closedBy("2026-03-02T12:30", "lunch", "lunch"),
			open("2026-03-02T09:00", "weekdays-09-17"),
			closed("2026-03-02T08:30", "closed"),
			holiday("2026-12-28T12:30", "Boxing Day (observed)"), // holiday beats lunch
		}},
		{schedule: "Night Desk", zone: "America/New_York", probes: []probe{
			open("2026-03-02T23:00", "weeknights-22-06"),
			open("2026-03-03T05:59", "weeknights-22-06"),
			closed("2026-03-07T06:00", "closed"),
		}},
		{schedule: "Ops 24x7", zone: "UTC", probes: []probe{
			closed("2026-03-01T02:00", "maintenance"),
			open("2026-03-01T04:00", "always-open"),
		}},
	},
}

func loadExample(t *testing.T, name string) *engine.Config {
	t.Helper()
	data, err := FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := engine.Load(data)
	if err != nil {
		t.Fatalf("%s does not load: %v", name, err)
	}
	return cfg
}

func checkProbes(t *testing.T, cfg *engine.Config, sc scheduleCase) {
	t.Helper()
	s, ok := cfg.Schedule(sc.schedule)
	if !ok {
		t.Fatalf("no schedule %q", sc.schedule)
	}
	if got := s.Location().String(); got != sc.zone {
		t.Errorf("%s: time zone %s, want %s", sc.schedule, got, sc.zone)
	}
	for _, p := range sc.probes {
		at, err := engine.ParseTime(p.at, s.Location())
		if err != nil {
			t.Fatal(err)
		}
		st := s.At(at)
		wantReason := p.reason
		if p.open {
			wantReason = ""
		}
		if st.IsOpen != p.open || st.ClosedReason != wantReason {
			t.Errorf("%s at %s: got open=%v reason=%q (rule %q), want open=%v reason=%q",
				sc.schedule, p.at, st.IsOpen, st.ClosedReason, st.RuleID, p.open, wantReason)
			continue
		}
		if p.holiday != "" && st.Holiday != p.holiday {
			t.Errorf("%s at %s: holiday %q, want %q", sc.schedule, p.at, st.Holiday, p.holiday)
		}
		if p.rule != "" && st.RuleID != p.rule {
			t.Errorf("%s at %s: rule %q, want %q", sc.schedule, p.at, st.RuleID, p.rule)
		}
	}
}

func TestExamples(t *testing.T) {
	for file, cases := range exampleCases {
		t.Run(file, func(t *testing.T) {
			cfg := loadExample(t, file)
			if got, want := len(cfg.Schedules()), len(cases); got != want {
				t.Errorf("%d schedules, the test covers %d", got, want)
			}
			for _, sc := range cases {
				checkProbes(t, cfg, sc)
			}
		})
	}
}

func TestEveryExampleHasCases(t *testing.T) {
	files, err := fs.Glob(FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example embedded")
	}
	for _, f := range files {
		if _, ok := exampleCases[f]; !ok {
			t.Errorf("%s has no cases in exampleCases", f)
		}
	}
	for f := range exampleCases {
		if !slices.Contains(files, f) {
			t.Errorf("exampleCases names %s, which is not embedded", f)
		}
	}
}

// TestExamplesDoNotExpire: no fixed end dates, and every schedule still has
// open time in a week far in the future.
func TestExamplesDoNotExpire(t *testing.T) {
	for file := range exampleCases {
		cfg := loadExample(t, file)
		for _, r := range cfg.Document().Rules {
			if r.EndDate != "" {
				t.Errorf("%s: rule %s has an endDate", file, r.ID)
			}
		}
		for _, s := range cfg.Schedules() {
			from := time.Date(2040, 3, 5, 0, 0, 0, 0, s.Location()) // a Monday
			opens := false
			for _, seg := range s.Timeline(from, from.AddDate(0, 0, 7)) {
				opens = opens || seg.IsOpen
			}
			if !opens {
				t.Errorf("%s: %s is never open in the week of %s", file, s.Name(), from.Format("2006-01-02"))
			}
		}
	}
}

// TestDefaultMatchesSingleExamples: the schedules of default.json behave
// like the single-purpose files they combine, over a whole year.
func TestDefaultMatchesSingleExamples(t *testing.T) {
	def, err := engine.Load(Default())
	if err != nil {
		t.Fatal(err)
	}
	pairs := []struct{ inDefault, file, schedule string }{
		{"Support", "us-holidays.json", "US Support"},
		{"Night Desk", "overnight-support.json", "Night Desk"},
		{"Ops 24x7", "24x7-maintenance.json", "Ops 24x7"},
	}
	for _, p := range pairs {
		a, _ := def.Schedule(p.inDefault)
		b, _ := loadExample(t, p.file).Schedule(p.schedule)
		if a == nil || b == nil {
			t.Fatalf("missing schedule %q or %q", p.inDefault, p.schedule)
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		sa, sb := a.Timeline(from, from.AddDate(1, 0, 0)), b.Timeline(from, from.AddDate(1, 0, 0))
		if len(sa) != len(sb) {
			t.Errorf("%s: %d segments in 2026, %s has %d", p.inDefault, len(sa), p.file, len(sb))
			continue
		}
		for i := range sa {
			x, y := sa[i], sb[i]
			if !x.Start.Equal(y.Start) || !x.End.Equal(y.End) || !x.SameState(y.Status) || x.Holiday != y.Holiday {
				t.Errorf("%s: segment %d is %v, %s has %v", p.inDefault, i, x, p.file, y)
				break
			}
		}
	}
}

func TestDefaultIsEmbedded(t *testing.T) {
	a := Default()
	a[0] = 'x'
	if b := Default(); b[0] != '{' {
		t.Error("Default() returns a shared slice")
	}
}

// TestEveryOtherSaturdayNewline: the DTSTART line is separated from the
// RRULE by a JSON "\n", which must reach the engine as a newline.
func TestEveryOtherSaturdayNewline(t *testing.T) {
	data, _ := FS.ReadFile("every-other-saturday.json")
	if !strings.Contains(string(data), `DTSTART:20260103\nRRULE:`) {
		t.Fatal(`every-other-saturday.json should write the anchor as "DTSTART:20260103\nRRULE:..."`)
	}
	cfg := loadExample(t, "every-other-saturday.json")
	for _, r := range cfg.Document().Rules {
		if r.ID == "alternate-saturdays" && !strings.Contains(r.DateRRule, "\n") {
			t.Errorf("dateRRule %q has no newline", r.DateRRule)
		}
	}
}

// referenceCases are known answers for Twilio's own files, read in place.
var referenceCases = map[string]scheduleCase{
	"config.private.json": {schedule: "Example", zone: "America/Chicago", probes: []probe{
		closedBy("2023-07-04T12:00", "holiday", "eee7d8eb-f966-4a23-8743-ec3452cd11ad"), // July 4th
		open("2023-07-10T08:00", "5c0c7b9c-787f-4245-bb5b-b31160cb3ec5"),
		closed("2023-07-10T17:00", "closed"),
		closed("2023-07-10T07:59", "closed"),
		closedBy("2023-11-23T10:00", "holiday", "61703be8-412c-4bd5-8a6b-afe7e9ecb304"), // Thanksgiving Day
		closed("2023-07-08T12:00", "closed"),                                            // Saturday
	}},
	"twilio-united-states-holidays-2023.json": {schedule: "Example", zone: "America/Chicago", probes: []probe{
		closedBy("2023-05-29T10:00", "holiday", "b2b4ae7b-d491-46dd-b387-1321c88ac50a"), // Memorial Day
		open("2023-05-30T09:00", "5c0c7b9c-787f-4245-bb5b-b31160cb3ec5"),
		closedBy("2023-12-25T09:00", "holiday", "c4d10897-63b8-485e-bd8a-0db23276dec8"),
	}},
	"twilio-canada-holidays-2023.json": {schedule: "Example", zone: "Canada/Eastern", probes: []probe{
		closedBy("2023-05-22T10:00", "holiday", "d431e78c-525b-4d94-9ec3-04ef1d1379e0"), // Victoria Day
		open("2023-05-23T10:00", "5c0c7b9c-787f-4245-bb5b-b31160cb3ec5"),
		closedBy("2023-10-09T10:00", "holiday", "ffb824d7-e1f3-430a-b3f7-89938d0581c1"), // Thanksgiving
		closed("2023-10-10T17:00", "closed"),
	}},
	"twilio-australia-holidays-2023.json": {schedule: "Example", zone: "Australia/Sydney", probes: []probe{
		closedBy("2023-04-25T10:00", "holiday", "d540f4bd-c86d-4b7f-8cd3-80c09a1e2773"), // Anzac Day (Tuesday)
		closedBy("2023-04-07T10:00", "holiday", "fd1da4dc-0edf-486b-854d-e56ad60b9c9f"), // Good Friday
		open("2023-04-26T10:00", "5c0c7b9c-787f-4245-bb5b-b31160cb3ec5"),
		closed("2023-04-26T07:59", "closed"),
	}},
}

// TestTwilioReferenceExamples loads every file of Twilio's examples as-is and
// checks known answers. Outside CI it skips when the directory is absent; in
// CI (CI=true) a missing directory fails (testenv.TwilioExamples).
func TestTwilioReferenceExamples(t *testing.T) {
	dir := testenv.TwilioExamples(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading Twilio reference examples: %v", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		name := e.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := engine.Load(data)
			if err != nil {
				t.Fatalf("Twilio file does not load as-is: %v", err)
			}
			if sc, ok := referenceCases[name]; ok {
				checkProbes(t, cfg, sc)
			}
		})
	}
	for name := range referenceCases {
		if !seen[name] {
			t.Errorf("%s is missing from %s", name, dir)
		}
	}
}
