package engine_test

import (
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// FuzzCalendar: any text either is refused with an error or compiles into
// a calendar whose rule evaluates without panicking, with a timeline that
// agrees with At at its boundaries.
func FuzzCalendar(f *testing.F) {
	f.Add(closuresICS)
	f.Add(ics("UID:a\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"))
	f.Add(ics("UID:a\nDTSTART;TZID=W. Europe Standard Time:20260329T013000\nDURATION:PT2H\nRRULE:FREQ=YEARLY"))
	f.Add("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261101T063000Z\r\nEXDATE:20261101T063000Z,20261102T063000Z\r\nRDATE;VALUE=DATE:20261103\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<14 {
			return
		}
		doc := engine.Document{
			Calendars: []engine.CalendarDoc{{ID: "c", ICS: text}},
			Rules:     []engine.Rule{{ID: "c", ClosedReason: "closure", Calendar: "c"}, {ID: "o", IsOpen: true, StartTime: "08:00", EndTime: "18:00"}},
			Schedules: []engine.ScheduleDoc{{Name: "S", TimeZone: "America/Chicago", Rules: []string{"c", "o"}}},
		}
		cfg, err := engine.Compile(doc)
		if err != nil {
			return
		}
		s := cfg.Schedules()[0]
		from := time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)
		segs := s.Timeline(from, from.AddDate(0, 0, 10))
		for i, seg := range segs {
			if got := s.At(seg.Start); got != seg.Status {
				t.Fatalf("segment %d at %v: At = %+v, timeline %+v", i, seg.Start, got, seg.Status)
			}
			if got := s.At(seg.End.Add(-time.Nanosecond)); got != seg.Status {
				t.Fatalf("segment %d end: At = %+v, timeline %+v", i, got, seg.Status)
			}
		}
	})
}
