package scheduler

import (
	"math/rand/v2"
	"testing"
	"time"
)

// openingDoc has schedules whose openings the cache must report exactly as
// the engine does: across changes of closed reason (holiday, then closed),
// past the window's end, never (no rules, manual close) and always open.
const openingDoc = `{
 "rules": [
  {"id": "hours", "name": "Hours", "isOpen": true, "startTime": "08:00", "endTime": "17:00", "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
  {"id": "lunch", "name": "Lunch", "isOpen": false, "closedReason": "lunch", "startTime": "12:00", "endTime": "13:00"},
  {"id": "hol", "name": "US holidays", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
  {"id": "monthly", "name": "First of the month", "isOpen": true, "dateRRule": "FREQ=MONTHLY;BYMONTHDAY=1"},
  {"id": "all", "name": "All day", "isOpen": true}
 ],
 "schedules": [
  {"name": "Support", "timeZone": "America/Chicago", "rules": ["hol", "lunch", "hours"]},
  {"name": "Monthly", "timeZone": "Australia/Lord_Howe", "rules": ["monthly"]},
  {"name": "Never", "timeZone": "UTC", "rules": []},
  {"name": "Shut", "manualClose": true, "timeZone": "UTC", "rules": ["all"]},
  {"name": "Always", "timeZone": "Asia/Kolkata", "rules": ["all"]}
 ]
}`

// The cached next opening (inside the window, from its tail, or evaluated
// beyond the horizon) equals engine.Schedule.NextOpening at every instant.
func TestOpeningMatchesEngine(t *testing.T) {
	// The window ends on Thanksgiving morning (a holiday, then closed, then
	// open on Friday); probes run past it, through the holiday.
	start := time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)
	c := &clock{t: start}
	s := New(Options{Now: c.Now, Horizon: 48 * time.Hour})
	s.Apply(load(t, openingDoc), 1, time.Time{})
	names := []string{"Support", "Monthly", "Never", "Shut", "Always"}
	rng := rand.New(rand.NewPCG(3, 4))
	found := 0
	for n := range 3000 {
		// Half inside the 48-hour window, half beyond it.
		at := start.Add(time.Duration(rng.Int64N(int64(96 * time.Hour))))
		name := names[n%len(names)]
		cur, ok := s.Evaluate(name, at)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		want, wantOK := time.Time{}, false
		if !cur.Status.IsOpen {
			want, wantOK = cur.Schedule.NextOpening(at)
		}
		if cur.HasOpening != wantOK || !cur.Opening.Equal(want) {
			t.Fatalf("%s at %v (%+v): opening %v %v, engine says %v %v", name, at.UTC(), cur.Status,
				cur.Opening.UTC(), cur.HasOpening, want.UTC(), wantOK)
		}
		if cur.HasOpening {
			found++
		}
	}
	if found < 1000 {
		t.Errorf("only %d answers had an opening; the comparison is too weak", found)
	}
}

func TestOpening(t *testing.T) {
	chicago := chicago(t)
	thanksgiving := time.Date(2026, 11, 26, 10, 0, 0, 0, chicago)
	tests := []struct {
		name     string
		schedule string
		at       time.Time
		want     time.Time // zero: none
	}{
		{"holiday, then closed overnight: Friday 08:00", "Support", thanksgiving, time.Date(2026, 11, 27, 8, 0, 0, 0, chicago)},
		{"lunch: 13:00", "Support", time.Date(2026, 11, 27, 12, 30, 0, 0, chicago), time.Date(2026, 11, 27, 13, 0, 0, 0, chicago)},
		{"open: none reported", "Support", time.Date(2026, 11, 27, 9, 0, 0, 0, chicago), time.Time{}},
		{"past the window's end: the first of the month", "Monthly", thanksgiving, time.Date(2026, 12, 1, 0, 0, 0, 0, mustLocation(t, "Australia/Lord_Howe"))},
		{"no rules: never", "Never", thanksgiving, time.Time{}},
		{"manual close: never", "Shut", thanksgiving, time.Time{}},
		{"always open: none", "Always", thanksgiving, time.Time{}},
	}
	c := &clock{t: thanksgiving}
	s := New(Options{Now: c.Now, Horizon: 48 * time.Hour})
	s.Apply(load(t, openingDoc), 1, time.Time{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, _ := s.Evaluate(tt.schedule, tt.at)
			if cur.HasOpening != !tt.want.IsZero() || !cur.Opening.Equal(tt.want) {
				t.Errorf("opening %v %v, want %v", cur.Opening, cur.HasOpening, tt.want)
			}
		})
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A closed read stays allocation-free with the opening in the answer.
func TestClosedReadDoesNotAllocate(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, chicago(t))
	s := New(Options{Now: func() time.Time { return at }})
	s.Apply(load(t, openingDoc), 1, time.Time{})
	if n := testing.AllocsPerRun(100, func() {
		if cur, _ := s.Status("Support"); !cur.HasOpening {
			t.Fatal("no opening")
		}
	}); n != 0 {
		t.Errorf("closed Status allocates %v times", n)
	}
}
