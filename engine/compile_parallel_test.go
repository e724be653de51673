package engine_test

import (
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

// A document large enough to be compiled by several goroutines compiles
// to what one goroutine makes of it, and its errors come in document
// order, each schedule's duplicate-name error after its own problems.
func TestCompileInParts(t *testing.T) {
	const n = 10000 // 2 parts and more on 2 cores or more
	compileWith := func(procs int, doc engine.Document) (*engine.Config, error) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		return engine.Compile(doc)
	}

	doc := scalegen.Document(scalegen.Options{Schedules: n})
	// A calendar rule in every schedule: its per-zone views are made by
	// the goroutines compiling them (-race checks they share it safely).
	doc.Calendars = []engine.CalendarDoc{{ID: "closures", ICS: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" +
		"BEGIN:VEVENT\r\nUID:1@t\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261225\r\nSUMMARY:Eve\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"}}
	doc.Rules = append(slices.Clone(doc.Rules), engine.Rule{ID: "closures", IsOpen: false, ClosedReason: "holiday", Calendar: "closures"})
	doc.Schedules = slices.Clone(doc.Schedules)
	for i := range doc.Schedules {
		doc.Schedules[i].Rules = append([]string{"closures"}, doc.Schedules[i].Rules...)
	}
	one, err := compileWith(1, doc)
	if err != nil {
		t.Fatal(err)
	}
	many, err := compileWith(4, doc)
	if err != nil {
		t.Fatal(err)
	}
	a, b := one.Schedules(), many.Schedules()
	if len(a) != n || len(b) != n {
		t.Fatalf("%d and %d schedules, want %d", len(a), len(b), n)
	}
	for i := range a {
		if a[i].Name() != b[i].Name() || a[i].Fingerprint() != b[i].Fingerprint() || a[i].Location().String() != b[i].Location().String() ||
			!slices.Equal(a[i].RuleIDs(), b[i].RuleIDs()) {
			t.Fatalf("schedule %d: %s %s in one part, %s %s in several", i, a[i].Name(), a[i].Fingerprint(), b[i].Name(), b[i].Fingerprint())
		}
		if s, ok := many.Schedule(a[i].Name()); !ok || s != b[i] {
			t.Fatalf("Schedule(%q) does not find schedule %d", a[i].Name(), i)
		}
	}

	bad := doc
	bad.Schedules = slices.Clone(doc.Schedules)
	bad.Schedules[5].TimeZone = "Mars/Olympus"
	bad.Schedules[6000].Rules = append([]string{"no-such-rule"}, bad.Schedules[6000].Rules[1:]...)
	bad.Schedules[9000].Name = bad.Schedules[10].Name
	bad.Schedules[9000].TimeZone = "Nowhere/Else"
	bad.Schedules[n-1].Name = ""
	want := []string{"schedules[5].timeZone", "schedules[6000].rules[0]", "schedules[9000].timeZone", "schedules[9000].name", "schedules[9999].name"}
	for _, procs := range []int{1, 2, 4} {
		_, err := compileWith(procs, bad)
		var ve *engine.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("GOMAXPROCS %d: %v, want a validation error", procs, err)
		}
		var got []string
		for _, e := range ve.Errors {
			got = append(got, e.Path)
		}
		if !slices.Equal(got, want) {
			t.Errorf("GOMAXPROCS %d: errors at %q, want %q", procs, got, want)
		}
	}
}
