package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Preview of a draft (DESIGN.md §3: a 1,000-schedule config, 14 days,
// ≤ 1 s) is Load of the draft, Lint, and Diff against the published
// config. Run: go test -run='^$' -bench=Preview -benchmem ./engine

// previewDocs returns a published document of 1,000 schedules × 10 rules
// (10,000 rules: engine.MaxRules) and a draft of it in which every
// schedule's weekday hours end 30 minutes later (edit all) or only the
// first schedule's do (edit one).
func previewDocs(b *testing.B) (published, editAll, editOne []byte) {
	doc := bigDocuments(1000, 1000)[0]
	keep := doc.Rules[:0]
	for _, r := range doc.Rules {
		if !strings.HasSuffix(r.ID, "-sun") && !strings.HasSuffix(r.ID, "-stock") {
			keep = append(keep, r)
		}
	}
	doc.Rules = keep
	for i := range doc.Schedules {
		ids := doc.Schedules[i].Rules[:0]
		for _, id := range doc.Schedules[i].Rules {
			if !strings.HasSuffix(id, "-sun") && !strings.HasSuffix(id, "-stock") {
				ids = append(ids, id)
			}
		}
		doc.Schedules[i].Rules = ids
	}
	enc := func(d engine.Document) []byte {
		out, err := json.Marshal(d)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	later := func(d engine.Document, all bool) engine.Document {
		d.Rules = append([]engine.Rule(nil), d.Rules...)
		for i := range d.Rules {
			r := &d.Rules[i]
			if strings.HasSuffix(r.ID, "-hours") && (all || strings.HasPrefix(r.ID, "s00000-")) {
				var h, m int
				fmt.Sscanf(r.EndTime, "%d:%d", &h, &m)
				m += 30
				r.EndTime = fmt.Sprintf("%02d:%02d", h+m/60, m%60)
			}
		}
		return d
	}
	return enc(doc), enc(later(doc, true)), enc(later(doc, false))
}

func BenchmarkPreview1000Schedules(b *testing.B) {
	published, editAll, editOne := previewDocs(b)
	pub, err := engine.Load(published)
	if err != nil {
		b.Fatalf("%.500v", err)
	}
	now := time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)
	to := now.Add(14 * 24 * time.Hour)
	// The published config is warm (the service evaluates it all day).
	engine.Diff(nil, pub, now, to)
	for _, bc := range []struct {
		name    string
		draft   []byte
		changed int
	}{{"edit-all", editAll, 1000}, {"edit-one", editOne, 1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var diffs []engine.ScheduleDiff
			warnings := 0
			for b.Loop() {
				// What POST /api/v1/preview does, JSON aside: the draft is
				// fresh each time, so nothing of it is expanded yet.
				draft, ws, err := engine.LoadWithWarnings(bc.draft, now)
				if err != nil {
					b.Fatalf("%.500v", err)
				}
				warnings = len(ws)
				diffs = engine.Diff(pub, draft, now, to)
			}
			b.StopTimer()
			changed, differences := 0, 0
			for _, d := range diffs {
				if d.Change == engine.ChangeChanged {
					changed++
				}
				differences += len(d.Differences)
			}
			if changed != bc.changed || differences == 0 {
				b.Fatalf("%d changed schedules (want %d), %d differences", changed, bc.changed, differences)
			}
			b.ReportMetric(float64(differences), "differences")
			// The generated configs do hold closed rules hidden by others
			// (a one-off maintenance night inside an office-move closure).
			b.ReportMetric(float64(warnings), "warnings")
		})
	}
	// The parts alone, on a fresh draft each time.
	b.Run("lint-only", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			draft, err := engine.Load(editAll)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			draft.Lint(now)
		}
	})
	b.Run("diff-only", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			draft, err := engine.Load(editAll)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			engine.Diff(pub, draft, now, to)
		}
	})
}
