package engine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Benchmarks of rules that take their dates from a 2,000-event iCalendar
// calendar (DESIGN.md §6 Calendars):
//
//	BenchmarkCalendarAt2000Events        one evaluation (warm per-year expansion)
//	BenchmarkCalendarTimeline2000Events  a 30-day timeline
//	BenchmarkCalendarCompile2000Events   parsing and validating the calendar
//	BenchmarkCalendarColdYear2000Events  the first evaluation of a year: its expansion
//
// Run: go test -run='^$' -bench=Calendar -benchmem ./engine

// calendar2000 is a calendar shaped like an organisation's shared closures
// calendar exported from Outlook or Google: 2,000 events over 2026–2027,
// mostly single all-day and timed events, some weekly and yearly series
// with exceptions.
func calendar2000() string {
	r := rand.New(rand.NewPCG(2000, 5545))
	events := make([]string, 0, 2000)
	zones := []string{"America/Chicago", "Europe/London", "Asia/Kolkata"}
	for i := range 2000 {
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(730))
		var e strings.Builder
		fmt.Fprintf(&e, "UID:ev-%d@example.com\nSUMMARY:Closure %d\n", i, i)
		switch k := r.IntN(20); {
		case k < 8: // all-day, 1–3 days
			fmt.Fprintf(&e, "DTSTART;VALUE=DATE:%s\nDTEND;VALUE=DATE:%s", day.Format("20060102"), day.AddDate(0, 0, 1+r.IntN(3)).Format("20060102"))
		case k < 16: // timed, in a zone or UTC
			start := day.Add(time.Duration(6*60+r.IntN(12*60)) * time.Minute)
			if k%2 == 0 {
				fmt.Fprintf(&e, "DTSTART;TZID=%s:%s\nDURATION:PT%dM", zones[r.IntN(len(zones))], start.Format("20060102T150405"), 15+r.IntN(240))
			} else {
				fmt.Fprintf(&e, "DTSTART:%s\nDTEND:%s", start.Format("20060102T150405Z"), start.Add(time.Duration(30+r.IntN(180))*time.Minute).Format("20060102T150405Z"))
			}
		case k < 19: // weekly series with an exception
			start := day.Add(time.Duration(8*60+r.IntN(8*60)) * time.Minute)
			fmt.Fprintf(&e, "DTSTART;TZID=%s:%s\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=%d\nEXDATE;TZID=%s:%s",
				zones[0], start.Format("20060102T150405"), 4+r.IntN(20), zones[0], start.AddDate(0, 0, 14).Format("20060102T150405"))
		default: // yearly
			fmt.Fprintf(&e, "DTSTART;VALUE=DATE:%s\nRRULE:FREQ=YEARLY", day.Format("20060102"))
		}
		events = append(events, e.String())
	}
	return ics(events...)
}

func calendarBenchDoc(text string) engine.Document {
	doc := twilioDefaultDoc()
	doc.Calendars = []engine.CalendarDoc{{ID: "closures", ICS: text}}
	doc.Rules = append([]engine.Rule{{ID: "closures", Name: "Closures", ClosedReason: "closure", Calendar: "closures"}}, doc.Rules...)
	doc.Schedules[0].Rules = append([]string{"closures"}, doc.Schedules[0].Rules...)
	return doc
}

func calendarBenchSchedule(b *testing.B) *engine.Schedule {
	cfg, err := engine.Compile(calendarBenchDoc(calendar2000()))
	if err != nil {
		b.Fatal(err)
	}
	return cfg.Schedules()[0]
}

func BenchmarkCalendarAt2000Events(b *testing.B) {
	s := calendarBenchSchedule(b)
	instants := benchInstants(4096)
	for _, t := range instants {
		s.At(t) // expand 2026 once
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.At(instants[i&4095])
	}
}

func BenchmarkCalendarTimeline2000Events(b *testing.B) {
	s := calendarBenchSchedule(b)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s.Timeline(from, from.AddDate(1, 0, 0)) // expand the years once
	b.ReportAllocs()
	b.ResetTimer()
	segs := 0
	for i := 0; b.Loop(); i++ {
		start := from.AddDate(0, 0, i%300)
		segs = len(s.Timeline(start, start.AddDate(0, 0, 30)))
	}
	b.ReportMetric(float64(segs), "segments")
}

func BenchmarkCalendarCompile2000Events(b *testing.B) {
	doc := calendarBenchDoc(calendar2000())
	b.ReportAllocs()
	b.SetBytes(int64(len(doc.Calendars[0].ICS)))
	for b.Loop() {
		if _, err := engine.Compile(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCalendarColdYear2000Events(b *testing.B) {
	doc := calendarBenchDoc(calendar2000())
	b.ReportAllocs()
	at := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		cfg, err := engine.Compile(doc)
		if err != nil {
			b.Fatal(err)
		}
		s := cfg.Schedules()[0]
		b.StartTimer()
		s.At(at)
	}
}
