package engine_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

func TestNextOpening(t *testing.T) {
	usHolidays := engine.Rule{ClosedReason: "holiday", Holidays: "US"}
	tests := []struct {
		name   string
		zone   string
		manual bool
		rules  []engine.Rule
		from   string
		want   string // "" for none
	}{
		{"closed overnight: opens in the morning", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-07-07T01:00:00Z", "2026-07-07T13:00:00Z"},
		{"sub-second before opening", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-03-09T12:59:59.999999999Z", "2026-03-09T13:00:00Z"},
		{"Friday CST to Monday CDT (spring forward)", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z"},
		{"Friday CDT to Monday CST (fall back)", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-10-30T22:00:00Z", "2026-11-02T14:00:00Z"},
		{"window starting in the skipped hour opens at 03:00 CDT", "America/Chicago", false,
			[]engine.Rule{oneDay(true, "2026-03-08", "02:30", "04:00")}, "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z"},
		{"repeated hour: reopens in the second 01:30", "America/Chicago", false,
			[]engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")}, "2026-11-01T06:45:00Z", "2026-11-01T07:30:00Z"},
		{"Lord Howe spring: opens at 02:30 +11", "Australia/Lord_Howe", false,
			[]engine.Rule{oneDay(true, "2026-10-04", "02:15", "03:00")}, "2026-10-03T13:30:00Z", "2026-10-03T15:30:00Z"},
		{"holiday, then closed overnight: the change of reason is skipped", "America/Chicago", false,
			[]engine.Rule{usHolidays, weekdayHours}, "2027-11-25T16:00:00Z", "2027-11-26T14:00:00Z"},
		{"several closed reasons in a row", "UTC", false,
			[]engine.Rule{closedRule("lunch", "12:00", "13:00"), closedRule("evening", "13:00", "24:00"), allDayOpen},
			"2026-01-05T12:30:00Z", "2026-01-06T00:00:00Z"},
		{"open now: the reopening after the next close", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-07-06T15:00:00Z", "2026-07-07T13:00:00Z"},
		{"at the opening instant: the next one", "America/Chicago", false, []engine.Rule{weekdayHours},
			"2026-07-06T13:00:00Z", "2026-07-07T13:00:00Z"},
		{"opening at a search chunk boundary", "UTC", false, []engine.Rule{oneDay(true, "2026-01-09", "", "")},
			"2026-01-01T00:00:00Z", "2026-01-09T00:00:00Z"},
		{"opening 40 days ahead", "Asia/Kolkata", false, []engine.Rule{oneDay(true, "2026-02-10", "10:00", "")},
			"2026-01-01T00:00:00Z", "2026-02-10T04:30:00Z"},
		{"yearly rule almost a year ahead", "UTC", false, []engine.Rule{{IsOpen: true, DateRRule: "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"}},
			"2026-01-02T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"opening more than 366 days ahead is not searched", "UTC", false, []engine.Rule{{IsOpen: true, StartDate: "2027-06-01"}},
			"2026-01-01T00:00:00Z", ""},
		{"manual close never opens", "America/Chicago", true, []engine.Rule{weekdayHours, allDayOpen},
			"2026-07-07T01:00:00Z", ""},
		{"always open: none", "UTC", false, []engine.Rule{allDayOpen}, "2026-01-01T00:00:00Z", ""},
		{"open until a last close: none", "UTC", false, []engine.Rule{{IsOpen: true, EndDate: "2026-01-10"}},
			"2026-01-01T00:00:00Z", ""},
		{"no rules: closed all year", "Asia/Kolkata", false, nil, "2026-01-01T00:00:00Z", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := schedule(t, tc.zone, tc.manual, tc.rules...)
			got, ok := s.NextOpening(utc(t, tc.from))
			if tc.want == "" {
				if ok {
					t.Errorf("NextOpening = %v, want none", got.UTC())
				}
				return
			}
			if !ok {
				t.Fatalf("NextOpening: none, want %s", tc.want)
			}
			if !got.Equal(utc(t, tc.want)) {
				t.Errorf("NextOpening = %v, want %s", got.UTC(), tc.want)
			}
			if got.Location() != s.Location() {
				t.Errorf("NextOpening in %v, want the schedule's zone %v", got.Location(), s.Location())
			}
			if st := s.At(got); !st.IsOpen {
				t.Errorf("At(NextOpening) = %+v, want open", st)
			}
			if st := s.At(got.Add(-time.Nanosecond)); st.IsOpen {
				t.Errorf("At(NextOpening - 1ns) = %+v, want closed", st)
			}
		})
	}
}

// NextOpening agrees with following NextTransition until the schedule
// opens (what the CLI did before the engine had NextOpening).
func TestNextOpeningMatchesTransitions(t *testing.T) {
	schedules := []*engine.Schedule{
		schedule(t, "America/Chicago", false, engine.Rule{ClosedReason: "holiday", Holidays: "US"},
			closedRule("lunch", "12:00", "13:00"), weekdayHours),
		schedule(t, "Australia/Lord_Howe", false, engine.Rule{IsOpen: true, StartTime: "22:00", EndTime: "06:00",
			DateRRule: "FREQ=WEEKLY;BYDAY=MO,WE"}, closedRule("break", "01:45", "02:15")),
		schedule(t, "Europe/London", false, engine.Rule{IsOpen: true, DateRRule: "FREQ=MONTHLY;BYMONTHDAY=1"}),
	}
	follow := func(s *engine.Schedule, t time.Time) (time.Time, bool) {
		limit := t.Add(366 * 24 * time.Hour)
		for cur := t; ; {
			next, ok := s.NextTransition(cur)
			if !ok || !next.At.Before(limit) {
				return time.Time{}, false
			}
			if next.Status.IsOpen && !s.At(cur).IsOpen {
				return next.At, true
			}
			cur = next.At
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	found := 0
	for i := range 300 {
		at := start.Add(time.Duration(rng.Int64N(int64(366 * 24 * time.Hour))))
		s := schedules[i%len(schedules)]
		got, ok := s.NextOpening(at)
		want, wantOK := follow(s, at)
		if ok != wantOK || !got.Equal(want) {
			t.Errorf("schedule %d at %v: NextOpening = %v %v, following transitions gives %v %v",
				i%len(schedules), at, got.UTC(), ok, want.UTC(), wantOK)
		}
		if ok {
			found++
		}
	}
	if found < 250 {
		t.Errorf("only %d of 300 probes found an opening; the comparison is too weak", found)
	}
}
