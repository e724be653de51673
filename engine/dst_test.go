package engine_test

import (
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Golden timelines across DST changes. Every boundary is an exact UTC
// instant, worked out by hand from the zone's offsets:
//
//	America/Chicago      2026-03-08 02:00 CST(-6) → 03:00 CDT(-5) at 08:00Z
//	                     2026-11-01 02:00 CDT(-5) → 01:00 CST(-6) at 07:00Z
//	Europe/London        2026-03-29 01:00 GMT → 02:00 BST(+1) at 01:00Z
//	                     2026-10-25 02:00 BST → 01:00 GMT at 01:00Z
//	Australia/Lord_Howe  2026-04-05 02:00(+11) → 01:30(+10:30) at 2026-04-04T15:00Z
//	                     2026-10-04 02:00(+10:30) → 02:30(+11) at 2026-10-03T15:30Z
//	Asia/Kolkata         +05:30 all year

type wantSeg struct {
	start, end string // RFC 3339, UTC
	st         engine.Status
}

type dstCase struct {
	name     string
	zone     string
	rules    []engine.Rule
	from, to string // RFC 3339
	segs     []wantSeg
}

func oneDay(open bool, date, start, end string) engine.Rule {
	r := engine.Rule{IsOpen: open, StartDate: date, EndDate: date, StartTime: start, EndTime: end}
	if !open {
		r.ClosedReason = "maintenance"
	}
	return r
}

func TestDSTTimelines(t *testing.T) {
	cases := []dstCase{
		{
			name: "Chicago weekday hours across spring forward", zone: "America/Chicago",
			rules: []engine.Rule{weekdayHours},
			from:  "2026-03-06T00:00:00Z", to: "2026-03-10T00:00:00Z",
			segs: []wantSeg{
				{"2026-03-06T00:00:00Z", "2026-03-06T14:00:00Z", noMatch},
				{"2026-03-06T14:00:00Z", "2026-03-06T23:00:00Z", open("r0")}, // 08:00-17:00 CST
				{"2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z", noMatch},
				{"2026-03-09T13:00:00Z", "2026-03-09T22:00:00Z", open("r0")}, // 08:00-17:00 CDT
				{"2026-03-09T22:00:00Z", "2026-03-10T00:00:00Z", noMatch},
			},
		},
		{
			name: "Chicago window starting inside the skipped hour", zone: "America/Chicago",
			rules: []engine.Rule{oneDay(true, "2026-03-08", "02:30", "04:00")},
			from:  "2026-03-08T06:00:00Z", to: "2026-03-09T05:00:00Z", // local midnight to midnight
			segs: []wantSeg{
				{"2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z", noMatch},
				{"2026-03-08T08:00:00Z", "2026-03-08T09:00:00Z", open("r0")}, // from 03:00 CDT
				{"2026-03-08T09:00:00Z", "2026-03-09T05:00:00Z", noMatch},
			},
		},
		{
			name: "Chicago window entirely inside the skipped hour never opens", zone: "America/Chicago",
			rules: []engine.Rule{oneDay(true, "2026-03-08", "02:00", "03:00")},
			from:  "2026-03-08T06:00:00Z", to: "2026-03-09T05:00:00Z",
			segs: []wantSeg{{"2026-03-08T06:00:00Z", "2026-03-09T05:00:00Z", noMatch}},
		},
		{
			name: "Chicago closed window ending inside the skipped hour", zone: "America/Chicago",
			rules: []engine.Rule{oneDay(false, "2026-03-08", "01:00", "02:30"), allDayOpen},
			from:  "2026-03-08T06:00:00Z", to: "2026-03-08T12:00:00Z",
			segs: []wantSeg{
				{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", open("r1")},
				{"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z", closedBy("maintenance", "r0")}, // 01:00 CST to the gap
				{"2026-03-08T08:00:00Z", "2026-03-08T12:00:00Z", open("r1")},
			},
		},
		{
			name: "Chicago window inside the repeated hour opens twice", zone: "America/Chicago",
			rules: []engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")},
			from:  "2026-11-01T05:00:00Z", to: "2026-11-02T06:00:00Z", // 25-hour day
			segs: []wantSeg{
				{"2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z", noMatch},
				{"2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z", open("r0")}, // 01:30-02:00 CDT
				{"2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z", noMatch},    // 01:00-01:30 CST
				{"2026-11-01T07:30:00Z", "2026-11-01T08:00:00Z", open("r0")}, // 01:30-02:00 CST
				{"2026-11-01T08:00:00Z", "2026-11-02T06:00:00Z", noMatch},
			},
		},
		{
			name: "Chicago overnight window across fall back lasts 10 hours", zone: "America/Chicago",
			rules: []engine.Rule{{IsOpen: true, StartTime: "22:00", EndTime: "06:00"}},
			from:  "2026-10-31T17:00:00Z", to: "2026-11-01T18:00:00Z",
			segs: []wantSeg{
				{"2026-10-31T17:00:00Z", "2026-11-01T03:00:00Z", noMatch},
				{"2026-11-01T03:00:00Z", "2026-11-01T12:00:00Z", open("r0")}, // 22:00 CDT to 06:00 CST
				{"2026-11-01T12:00:00Z", "2026-11-01T18:00:00Z", noMatch},
			},
		},
		{
			name: "Chicago overnight window across spring forward lasts 7 hours", zone: "America/Chicago",
			rules: []engine.Rule{{IsOpen: true, StartTime: "23:00", EndTime: "06:00"}},
			from:  "2026-03-07T12:00:00Z", to: "2026-03-08T18:00:00Z",
			segs: []wantSeg{
				{"2026-03-07T12:00:00Z", "2026-03-08T05:00:00Z", noMatch},
				{"2026-03-08T05:00:00Z", "2026-03-08T11:00:00Z", open("r0")}, // 23:00 CST to 06:00 CDT
				{"2026-03-08T11:00:00Z", "2026-03-08T18:00:00Z", noMatch},
			},
		},
		{
			name: "London window ending in the skipped hour", zone: "Europe/London",
			rules: []engine.Rule{oneDay(true, "2026-03-29", "00:30", "01:30")},
			from:  "2026-03-29T00:00:00Z", to: "2026-03-29T23:00:00Z",
			segs: []wantSeg{
				{"2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z", noMatch},
				{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", open("r0")},
				{"2026-03-29T01:00:00Z", "2026-03-29T23:00:00Z", noMatch},
			},
		},
		{
			name: "London window inside the repeated hour opens twice", zone: "Europe/London",
			rules: []engine.Rule{oneDay(true, "2026-10-25", "01:15", "01:45")},
			from:  "2026-10-24T23:00:00Z", to: "2026-10-26T00:00:00Z",
			segs: []wantSeg{
				{"2026-10-24T23:00:00Z", "2026-10-25T00:15:00Z", noMatch},
				{"2026-10-25T00:15:00Z", "2026-10-25T00:45:00Z", open("r0")}, // BST
				{"2026-10-25T00:45:00Z", "2026-10-25T01:15:00Z", noMatch},
				{"2026-10-25T01:15:00Z", "2026-10-25T01:45:00Z", open("r0")}, // GMT
				{"2026-10-25T01:45:00Z", "2026-10-26T00:00:00Z", noMatch},
			},
		},
		{
			name: "London office hours move an hour in UTC", zone: "Europe/London",
			rules: []engine.Rule{{IsOpen: true, StartTime: "09:00", EndTime: "17:00", DateRRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}},
			from:  "2026-03-27T00:00:00Z", to: "2026-03-31T00:00:00Z",
			segs: []wantSeg{
				{"2026-03-27T00:00:00Z", "2026-03-27T09:00:00Z", noMatch},
				{"2026-03-27T09:00:00Z", "2026-03-27T17:00:00Z", open("r0")}, // GMT
				{"2026-03-27T17:00:00Z", "2026-03-30T08:00:00Z", noMatch},
				{"2026-03-30T08:00:00Z", "2026-03-30T16:00:00Z", open("r0")}, // BST
				{"2026-03-30T16:00:00Z", "2026-03-31T00:00:00Z", noMatch},
			},
		},
		{
			name: "Lord Howe 01:45 window on the fall-back day", zone: "Australia/Lord_Howe",
			rules: []engine.Rule{oneDay(true, "2026-04-05", "01:45", "03:00")},
			from:  "2026-04-04T13:00:00Z", to: "2026-04-05T13:30:00Z", // local midnight (+11) to midnight (+10:30)
			segs: []wantSeg{
				{"2026-04-04T13:00:00Z", "2026-04-04T14:45:00Z", noMatch},
				{"2026-04-04T14:45:00Z", "2026-04-04T15:00:00Z", open("r0")}, // 01:45-02:00 +11
				{"2026-04-04T15:00:00Z", "2026-04-04T15:15:00Z", noMatch},    // 01:30-01:45 +10:30, again
				{"2026-04-04T15:15:00Z", "2026-04-04T16:30:00Z", open("r0")}, // 01:45-03:00 +10:30
				{"2026-04-04T16:30:00Z", "2026-04-05T13:30:00Z", noMatch},
			},
		},
		{
			name: "Lord Howe window starting inside the 30-minute gap", zone: "Australia/Lord_Howe",
			rules: []engine.Rule{oneDay(true, "2026-10-04", "02:15", "03:00")},
			from:  "2026-10-03T13:30:00Z", to: "2026-10-04T13:00:00Z", // local midnight (+10:30) to midnight (+11)
			segs: []wantSeg{
				{"2026-10-03T13:30:00Z", "2026-10-03T15:30:00Z", noMatch},
				{"2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z", open("r0")}, // 02:30-03:00 +11
				{"2026-10-03T16:00:00Z", "2026-10-04T13:00:00Z", noMatch},
			},
		},
		{
			name: "Lord Howe daily hours across the spring change", zone: "Australia/Lord_Howe",
			rules: []engine.Rule{{IsOpen: true, StartTime: "09:00", EndTime: "17:00"}},
			from:  "2026-10-02T13:30:00Z", to: "2026-10-04T13:00:00Z",
			segs: []wantSeg{
				{"2026-10-02T13:30:00Z", "2026-10-02T22:30:00Z", noMatch},
				{"2026-10-02T22:30:00Z", "2026-10-03T06:30:00Z", open("r0")}, // 10-03, +10:30
				{"2026-10-03T06:30:00Z", "2026-10-03T22:00:00Z", noMatch},
				{"2026-10-03T22:00:00Z", "2026-10-04T06:00:00Z", open("r0")}, // 10-04, +11
				{"2026-10-04T06:00:00Z", "2026-10-04T13:00:00Z", noMatch},
			},
		},
		{
			name: "Kolkata has no DST", zone: "Asia/Kolkata",
			rules: []engine.Rule{{IsOpen: true, StartTime: "09:00", EndTime: "17:30", DateRRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}},
			from:  "2026-03-06T00:00:00Z", to: "2026-03-10T00:00:00Z",
			segs: []wantSeg{
				{"2026-03-06T00:00:00Z", "2026-03-06T03:30:00Z", noMatch},
				{"2026-03-06T03:30:00Z", "2026-03-06T12:00:00Z", open("r0")},
				{"2026-03-06T12:00:00Z", "2026-03-09T03:30:00Z", noMatch},
				{"2026-03-09T03:30:00Z", "2026-03-09T12:00:00Z", open("r0")},
				{"2026-03-09T12:00:00Z", "2026-03-10T00:00:00Z", noMatch},
			},
		},
		{
			name: "Kolkata same UTC hours in November", zone: "Asia/Kolkata",
			rules: []engine.Rule{{IsOpen: true, StartTime: "09:00", EndTime: "17:30", DateRRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}},
			from:  "2026-11-02T00:00:00Z", to: "2026-11-03T00:00:00Z",
			segs: []wantSeg{
				{"2026-11-02T00:00:00Z", "2026-11-02T03:30:00Z", noMatch},
				{"2026-11-02T03:30:00Z", "2026-11-02T12:00:00Z", open("r0")},
				{"2026-11-02T12:00:00Z", "2026-11-03T00:00:00Z", noMatch},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := schedule(t, tc.zone, false, tc.rules...)
			got := s.Timeline(utc(t, tc.from), utc(t, tc.to))
			if len(got) != len(tc.segs) {
				for _, g := range got {
					t.Logf("  %v – %v %+v", g.Start.UTC(), g.End.UTC(), g.Status)
				}
				t.Fatalf("got %d segments, want %d", len(got), len(tc.segs))
			}
			for i, w := range tc.segs {
				g := got[i]
				if !g.Start.Equal(utc(t, w.start)) || !g.End.Equal(utc(t, w.end)) || g.Status != w.st {
					t.Errorf("segment %d = [%v, %v) %+v, want [%s, %s) %+v", i, g.Start.UTC(), g.End.UTC(), g.Status, w.start, w.end, w.st)
				}
				// Pointwise evaluation agrees at both edges of every segment.
				if st := s.At(g.Start); st != g.Status {
					t.Errorf("At(%v) = %+v, segment says %+v", g.Start.UTC(), st, g.Status)
				}
				if st := s.At(g.End.Add(-time.Nanosecond)); st != g.Status {
					t.Errorf("At(%v - 1ns) = %+v, segment says %+v", g.End.UTC(), st, g.Status)
				}
			}
		})
	}
}

func TestDSTNextTransition(t *testing.T) {
	weekdayKolkata := engine.Rule{IsOpen: true, StartTime: "09:00", EndTime: "17:30", DateRRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}
	tests := []struct {
		name   string
		zone   string
		rules  []engine.Rule
		from   string
		wantAt string // "" for none
		want   engine.Status
	}{
		{"Chicago gap: opens at 03:00 CDT", "America/Chicago", []engine.Rule{oneDay(true, "2026-03-08", "02:30", "04:00")},
			"2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z", open("r0")},
		{"Chicago gap: closes at 04:00 CDT", "America/Chicago", []engine.Rule{oneDay(true, "2026-03-08", "02:30", "04:00")},
			"2026-03-08T08:00:00Z", "2026-03-08T09:00:00Z", noMatch},
		{"Chicago gap: after the one-off rule there is none", "America/Chicago", []engine.Rule{oneDay(true, "2026-03-08", "02:30", "04:00")},
			"2026-03-08T09:00:00Z", "", engine.Status{}},
		{"Chicago window inside the gap: none", "America/Chicago", []engine.Rule{oneDay(true, "2026-03-08", "02:00", "03:00")},
			"2026-03-08T00:00:00Z", "", engine.Status{}},
		{"Chicago repeat: first opening", "America/Chicago", []engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")},
			"2026-11-01T05:00:00Z", "2026-11-01T06:30:00Z", open("r0")},
		{"Chicago repeat: first closing", "America/Chicago", []engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")},
			"2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z", noMatch},
		{"Chicago repeat: second opening", "America/Chicago", []engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")},
			"2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z", open("r0")},
		{"Chicago repeat: second closing", "America/Chicago", []engine.Rule{oneDay(true, "2026-11-01", "01:30", "02:00")},
			"2026-11-01T07:45:00Z", "2026-11-01T08:00:00Z", noMatch},
		{"Chicago weekend to Monday CDT", "America/Chicago", []engine.Rule{weekdayHours},
			"2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z", open("r0")},
		{"Chicago Friday CDT to Monday CST", "America/Chicago", []engine.Rule{weekdayHours},
			"2026-10-30T22:00:00Z", "2026-11-02T14:00:00Z", open("r0")},
		{"Chicago sub-second before a boundary", "America/Chicago", []engine.Rule{weekdayHours},
			"2026-03-09T12:59:59.999999999Z", "2026-03-09T13:00:00Z", open("r0")},
		{"Chicago exactly at a boundary: the next one", "America/Chicago", []engine.Rule{weekdayHours},
			"2026-03-09T13:00:00Z", "2026-03-09T22:00:00Z", noMatch},
		{"London repeat: second opening in GMT", "Europe/London", []engine.Rule{oneDay(true, "2026-10-25", "01:15", "01:45")},
			"2026-10-25T00:45:00Z", "2026-10-25T01:15:00Z", open("r0")},
		{"London skipped: closes at the gap", "Europe/London", []engine.Rule{oneDay(true, "2026-03-29", "00:30", "01:30")},
			"2026-03-29T00:40:00Z", "2026-03-29T01:00:00Z", noMatch},
		{"Lord Howe fall back: reopens at 01:45 +10:30", "Australia/Lord_Howe", []engine.Rule{oneDay(true, "2026-04-05", "01:45", "03:00")},
			"2026-04-04T15:00:00Z", "2026-04-04T15:15:00Z", open("r0")},
		{"Lord Howe fall back: closes at 02:00 +11", "Australia/Lord_Howe", []engine.Rule{oneDay(true, "2026-04-05", "01:45", "03:00")},
			"2026-04-04T14:50:00Z", "2026-04-04T15:00:00Z", noMatch},
		{"Lord Howe spring: opens at 02:30 +11", "Australia/Lord_Howe", []engine.Rule{oneDay(true, "2026-10-04", "02:15", "03:00")},
			"2026-10-03T13:30:00Z", "2026-10-03T15:30:00Z", open("r0")},
		{"Kolkata Friday evening to Monday", "Asia/Kolkata", []engine.Rule{weekdayKolkata},
			"2026-03-06T12:00:00Z", "2026-03-09T03:30:00Z", open("r0")},
		{"Kolkata closes at 17:30 IST", "Asia/Kolkata", []engine.Rule{weekdayKolkata},
			"2026-03-09T03:30:00Z", "2026-03-09T12:00:00Z", noMatch},
		{"only the state counts: open rule to open rule is no transition", "UTC",
			[]engine.Rule{{IsOpen: true, StartTime: "00:00", EndTime: "12:00"}, {IsOpen: true, StartTime: "12:00", EndTime: "24:00"}},
			"2026-01-05T00:00:00Z", "", engine.Status{}},
		{"closed reason change is a transition", "UTC",
			[]engine.Rule{closedRule("lunch", "12:00", "13:00"), closedRule("evening", "13:00", "24:00")},
			"2026-01-05T12:30:00Z", "2026-01-05T13:00:00Z", closedBy("evening", "r1")},
		{"next holiday months ahead (5 July 2027 is observed Independence Day)", "America/Chicago", []engine.Rule{{ClosedReason: "holiday", Holidays: "US"}, allDayOpen},
			"2027-07-07T00:00:00Z", "2027-09-06T05:00:00Z", engine.Status{ClosedReason: "holiday", RuleID: "r0", Holiday: "Labor Day"}},
		{"change 20 days ahead (past the first search chunk)", "UTC", []engine.Rule{oneDay(true, "2026-01-21", "", "")},
			"2026-01-01T00:00:00Z", "2026-01-21T00:00:00Z", open("r0")},
		{"change 40 days ahead (in the second chunk)", "Asia/Kolkata", []engine.Rule{oneDay(true, "2026-02-10", "10:00", "")},
			"2026-01-01T00:00:00Z", "2026-02-10T04:30:00Z", open("r0")},
		{"yearly rule almost a year ahead", "UTC", []engine.Rule{{IsOpen: true, DateRRule: "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"}},
			"2026-01-02T00:00:00Z", "2027-01-01T00:00:00Z", open("r0")},
		{"change more than 366 days ahead is not searched", "UTC", []engine.Rule{{IsOpen: true, StartDate: "2027-06-01"}},
			"2026-01-01T00:00:00Z", "", engine.Status{}},
		{"always open: none", "UTC", []engine.Rule{allDayOpen}, "2026-01-01T00:00:00Z", "", engine.Status{}},
		{"no rules: none", "Asia/Kolkata", nil, "2026-01-01T00:00:00Z", "", engine.Status{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := schedule(t, tc.zone, false, tc.rules...)
			tr, ok := s.NextTransition(utc(t, tc.from))
			if tc.wantAt == "" {
				if ok {
					t.Errorf("NextTransition = %v %+v, want none", tr.At.UTC(), tr.Status)
				}
				return
			}
			if !ok {
				t.Fatalf("NextTransition: none, want %s", tc.wantAt)
			}
			if !tr.At.Equal(utc(t, tc.wantAt)) || tr.Status != tc.want {
				t.Errorf("NextTransition = %v %+v, want %s %+v", tr.At.UTC(), tr.Status, tc.wantAt, tc.want)
			}
		})
	}
}

// A whole year in Kolkata: one closed segment before the first opening, then
// an open and a closed segment per weekday (2026 has 261), all at the same
// UTC times.
func TestDSTKolkataYear(t *testing.T) {
	s := schedule(t, "Asia/Kolkata", false, engine.Rule{IsOpen: true, StartTime: "09:00", EndTime: "17:30", DateRRule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"})
	loc := mustLoc(t, "Asia/Kolkata")
	segs := s.Timeline(time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc))
	if len(segs) != 1+2*261 {
		t.Fatalf("got %d segments, want %d", len(segs), 1+2*261)
	}
	for _, seg := range segs {
		if !seg.IsOpen {
			continue
		}
		if h, m, _ := seg.Start.UTC().Clock(); h != 3 || m != 30 {
			t.Errorf("opening at %v", seg.Start.UTC())
		}
		if h, m, _ := seg.End.UTC().Clock(); h != 12 || m != 0 {
			t.Errorf("closing at %v", seg.End.UTC())
		}
	}
}

// Status is a function of the wall clock: both occurrences of a repeated
// hour answer the same, in every zone with a fall back.
func TestDSTRepeatedHourSameStatus(t *testing.T) {
	for _, tc := range []struct {
		zone          string
		first, second string // the same wall clock, one offset apart
	}{
		{"America/Chicago", "2026-11-01T06:40:00Z", "2026-11-01T07:40:00Z"},
		{"Europe/London", "2026-10-25T00:40:00Z", "2026-10-25T01:40:00Z"},
		{"Australia/Lord_Howe", "2026-04-04T14:40:00Z", "2026-04-04T15:10:00Z"},
	} {
		s := schedule(t, tc.zone, false, closedRule("lunch", "01:40", "01:41"), allDayOpen)
		a, b := s.At(utc(t, tc.first)), s.At(utc(t, tc.second))
		if a != b || a != closedBy("lunch", "r0") {
			t.Errorf("%s: %+v and %+v, want both closed lunch", tc.zone, a, b)
		}
	}
}

// Timeline accepts instants in any location and returns the same instants.
func TestTimelineLocationOfArguments(t *testing.T) {
	s := schedule(t, "America/Chicago", false, weekdayHours)
	tokyo := mustLoc(t, "Asia/Tokyo")
	a := s.Timeline(utc(t, "2026-03-06T00:00:00Z"), utc(t, "2026-03-10T00:00:00Z"))
	b := s.Timeline(utc(t, "2026-03-06T00:00:00Z").In(tokyo), utc(t, "2026-03-10T00:00:00Z").In(tokyo))
	if len(a) != len(b) {
		t.Fatalf("%d vs %d segments", len(a), len(b))
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) || a[i].Status != b[i].Status {
			t.Errorf("segment %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
	if segs := s.Timeline(utc(t, "2026-03-06T00:00:00Z"), utc(t, "2026-03-06T00:00:00Z")); segs != nil {
		t.Errorf("empty range: %v", segs)
	}
	if segs := s.Timeline(utc(t, "2026-03-07T00:00:00Z"), utc(t, "2026-03-06T00:00:00Z")); segs != nil {
		t.Errorf("reversed range: %v", segs)
	}
	// A range longer than MaxTimelineRange is cut to it.
	from := utc(t, "2026-01-01T00:00:00Z")
	segs := s.Timeline(from, from.Add(engine.MaxTimelineRange+240*time.Hour))
	if end := segs[len(segs)-1].End; !end.Equal(from.Add(engine.MaxTimelineRange)) {
		t.Errorf("long range ends at %v", end)
	}
}

// golang/go#81583: beyond a zone's last explicit tzdata transition (~2037),
// time.ZoneBounds returns an end that is not after the instant on the last
// UTC day of every leap year, which made Timeline loop forever. The watchdog
// turns a regression into a prompt failure (with the stuck stack) instead of
// a ten-minute test timeout.
func TestTimelineLeapYearZoneBoundsBug(t *testing.T) {
	watchdog := time.AfterFunc(30*time.Second, func() {
		panic("Timeline did not finish: ZoneBounds loop (golang/go#81583)")
	})
	defer watchdog.Stop()
	for _, zone := range []string{"America/Chicago", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "Asia/Kolkata"} {
		s := schedule(t, zone, false, weekdayHours, engine.Rule{ClosedReason: "holiday", Holidays: "US"})
		for _, y := range []int{2040, 2044, 2096, 8000} {
			from := time.Date(y, 12, 20, 0, 0, 0, 0, time.UTC)
			checkTimelineInvariants(t, s, from, from.AddDate(0, 0, 20))
		}
		// An always-open schedule searches a whole year, through 31 December.
		always := schedule(t, zone, false, allDayOpen)
		if tr, ok := always.NextTransition(time.Date(2040, 6, 1, 0, 0, 0, 0, time.UTC)); ok {
			t.Errorf("%s: always open, NextTransition = %+v", zone, tr)
		}
	}
}

// Segment times carry the schedule's zone, whatever the process's TZ.
func TestTimelineTimesInScheduleZone(t *testing.T) {
	cfg, err := engine.Load([]byte(`{"rules":[{"id":"r","name":"r","isOpen":true,"startTime":"08:00","endTime":"17:00"}],
	 "schedules":[{"name":"S","timeZone":"Asia/Kolkata","rules":["r"]},{"name":"M","manualClose":true,"timeZone":"Asia/Kolkata","rules":["r"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"S", "M"} {
		s, _ := cfg.Schedule(name)
		for _, seg := range s.Timeline(from, from.Add(48*time.Hour)) {
			if seg.Start.Location() != s.Location() || seg.End.Location() != s.Location() {
				t.Errorf("%s: segment %v–%v not in %v", name, seg.Start, seg.End, s.Location())
			}
		}
	}
}
