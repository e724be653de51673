package engine_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// TestDocumentIsACopy: a Config is shared by every goroutine that evaluates
// it, so nothing it hands out, nor the document it was compiled from, may
// reach the slices it holds. Everything reachable is mutated here, and
// neither a later Document nor any evaluation may change.
func TestDocumentIsACopy(t *testing.T) {
	input := baseDoc()
	cfg, err := engine.Compile(input)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC) // a week with Christmas
	to := from.AddDate(0, 0, 7)
	type snapshot struct {
		timelines   [][]engine.Segment
		docs        []engine.ScheduleDoc
		ruleIDs     [][]string
		fingerprint []string
	}
	take := func() snapshot {
		var s snapshot
		for _, sc := range cfg.Schedules() {
			s.timelines = append(s.timelines, sc.Timeline(from, to))
			s.docs = append(s.docs, sc.Doc())
			s.ruleIDs = append(s.ruleIDs, sc.RuleIDs())
			s.fingerprint = append(s.fingerprint, sc.Fingerprint())
		}
		return s
	}
	want := take()
	if !reflect.DeepEqual(cfg.Document(), baseDoc()) {
		t.Fatalf("Document() = %+v, want the compiled document", cfg.Document())
	}

	mutate := func(d *engine.Document) {
		for i := range d.Rules {
			d.Rules[i].IsOpen = !d.Rules[i].IsOpen
			d.Rules[i].ID += "-changed"
			d.Rules[i].StartTime = "00:00"
		}
		for i := range d.Schedules {
			d.Schedules[i].Name += "-changed"
			d.Schedules[i].ManualClose = true
			d.Schedules[i].TimeZone = "UTC"
			for j := range d.Schedules[i].Rules {
				d.Schedules[i].Rules[j] = "nope"
			}
			d.Schedules[i].Rules = append(d.Schedules[i].Rules[:0], "late")
		}
		d.Rules = append(d.Rules[:0], engine.Rule{ID: "other", IsOpen: true})
		d.Schedules = d.Schedules[:1]
	}
	doc := cfg.Document()
	mutate(&doc)
	mutate(&input) // the caller's document, after Compile
	for _, sc := range cfg.Schedules() {
		d := sc.Doc()
		d.Rules[0] = "nope"
		d.ManualClose = true
		ids := sc.RuleIDs()
		ids[0] = "nope"
		_ = append(ids[:0], "late", "late", "late")
	}

	if got := cfg.Document(); !reflect.DeepEqual(got, baseDoc()) {
		t.Errorf("after mutating copies, Document() = %+v", got)
	}
	if got := take(); !reflect.DeepEqual(got, want) {
		t.Errorf("after mutating copies, schedules changed:\n got %+v\nwant %+v", got, want)
	}
	for _, sc := range cfg.Schedules() {
		if sc.ManualClose() || sc.At(from).ClosedReason == engine.ReasonManual {
			t.Errorf("%s is manually closed", sc.Name())
		}
	}
	if _, ok := cfg.Schedule("Sales"); !ok || len(cfg.Schedules()) != 2 {
		t.Error("a schedule went missing")
	}
}

// TestDocumentKeepsNilAndEmpty: the copy encodes and compares like the
// original (null stays null, [] stays []).
func TestDocumentKeepsNilAndEmpty(t *testing.T) {
	for _, doc := range []engine.Document{
		{},
		{Rules: []engine.Rule{}, Schedules: []engine.ScheduleDoc{}},
		{Schedules: []engine.ScheduleDoc{{Name: "A", TimeZone: "UTC"}, {Name: "B", TimeZone: "UTC", Rules: []string{}}}},
	} {
		cfg, err := engine.Compile(doc)
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Document()
		if !reflect.DeepEqual(got, doc) {
			t.Errorf("Document() = %#v, want %#v", got, doc)
		}
		for i, sc := range cfg.Schedules() {
			if (sc.RuleIDs() == nil) != (doc.Schedules[i].Rules == nil) || !slices.Equal(sc.RuleIDs(), doc.Schedules[i].Rules) {
				t.Errorf("%s: RuleIDs() = %#v", sc.Name(), sc.RuleIDs())
			}
		}
	}
}
