package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

func mustLoad(tb testing.TB, doc string) *engine.Config {
	tb.Helper()
	cfg, err := engine.Load([]byte(doc))
	if err != nil {
		tb.Fatalf("load: %v\n%s", err, doc)
	}
	return cfg
}

// diffDoc is a config with Support (weekdays 08:00 to end, Chicago, US
// holidays), Sales (London) and any more schedules.
func diffDoc(end string, more ...string) string {
	return lintDoc(`{"id": "us", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
		{"id": "weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "`+end+`"},
		{"id": "london", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "09:00", "endTime": "17:00"}`,
		strings.Join(append([]string{sched("Support", "us", "weekdays"), `{"name": "Sales", "timeZone": "Europe/London", "rules": ["london"]}`}, more...), ","))
}

// diffLine renders a difference for comparison.
func diffLine(d engine.Difference) string {
	st := func(s *engine.State) string {
		switch {
		case s == nil:
			return "-"
		case s.IsOpen:
			return "open"
		}
		return s.ClosedReason
	}
	return fmt.Sprintf("%s %s %s>%s", d.Start.Format(time.RFC3339), d.End.Format(time.RFC3339), st(d.Before), st(d.After))
}

func diffLines(d engine.ScheduleDiff) []string {
	var out []string
	for _, x := range d.Differences {
		out = append(out, diffLine(x))
	}
	return out
}

func TestDiffEndTimeAcrossDST(t *testing.T) {
	// Thursday 5 March 2026 to Wednesday 11 March: Chicago springs forward
	// on Sunday the 8th, so the same wall-clock hour has another offset.
	chi := mustLoc(t, "America/Chicago")
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, chi)
	to := from.AddDate(0, 0, 7)
	got := engine.Diff(mustLoad(t, diffDoc("17:00")), mustLoad(t, diffDoc("18:00")), from, to)
	if len(got) != 2 || got[0].Name != "Support" || got[0].Change != engine.ChangeChanged || got[1].Name != "Sales" || got[1].Change != engine.ChangeUnchanged {
		t.Fatalf("diff %+v", got)
	}
	want := []string{
		"2026-03-05T17:00:00-06:00 2026-03-05T18:00:00-06:00 closed>open",
		"2026-03-06T17:00:00-06:00 2026-03-06T18:00:00-06:00 closed>open",
		"2026-03-09T17:00:00-05:00 2026-03-09T18:00:00-05:00 closed>open",
		"2026-03-10T17:00:00-05:00 2026-03-10T18:00:00-05:00 closed>open",
		"2026-03-11T17:00:00-05:00 2026-03-11T18:00:00-05:00 closed>open",
	}
	if lines := diffLines(got[0]); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("differences:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(got[1].Differences) != 0 || got[1].Differences == nil {
		t.Fatalf("unchanged schedule has differences %v (want an empty list)", got[1].Differences)
	}
}

func TestDiffRenameAddRemove(t *testing.T) {
	utc := time.UTC
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, utc) // a Monday
	to := from.AddDate(0, 0, 1)
	night := `{"name": "Night Desk", "timeZone": "UTC", "rules": ["london"]}`
	renamed := `{"name": "Night Team", "timeZone": "UTC", "rules": ["london"]}`
	got := engine.Diff(mustLoad(t, diffDoc("17:00", night)), mustLoad(t, diffDoc("17:00", renamed)), from, to)
	var kinds []string
	for _, d := range got {
		kinds = append(kinds, d.Name+":"+d.Change)
	}
	if want := "Support:unchanged Sales:unchanged Night Team:added Night Desk:removed"; strings.Join(kinds, " ") != want {
		t.Fatalf("got %s, want %s", strings.Join(kinds, " "), want)
	}
	wantAdded := []string{
		"2026-03-02T00:00:00Z 2026-03-02T09:00:00Z ->closed",
		"2026-03-02T09:00:00Z 2026-03-02T17:00:00Z ->open",
		"2026-03-02T17:00:00Z 2026-03-03T00:00:00Z ->closed",
	}
	if lines := diffLines(got[2]); strings.Join(lines, "\n") != strings.Join(wantAdded, "\n") {
		t.Fatalf("added:\n%s", strings.Join(lines, "\n"))
	}
	wantRemoved := strings.ReplaceAll(strings.Join(wantAdded, "\n"), "->closed", "closed>-")
	wantRemoved = strings.ReplaceAll(wantRemoved, "->open", "open>-")
	if lines := diffLines(got[3]); strings.Join(lines, "\n") != wantRemoved {
		t.Fatalf("removed:\n%s", strings.Join(lines, "\n"))
	}
	// Nothing published yet: everything is added.
	first := engine.Diff(nil, mustLoad(t, diffDoc("17:00")), from, to)
	if len(first) != 2 || first[0].Change != engine.ChangeAdded || first[1].Change != engine.ChangeAdded {
		t.Fatalf("first publish: %+v", first)
	}
	// Nothing at all.
	if d := engine.Diff(nil, nil, from, to); len(d) != 0 {
		t.Fatalf("Diff(nil, nil) = %v", d)
	}
}

func TestDiffStatesNotRules(t *testing.T) {
	// Splitting one open rule in two changes the deciding rule, not the
	// answer: changed, without differences.
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	one := lintDoc(`{"id": "a", "isOpen": true, "startTime": "08:00", "endTime": "18:00"}`, `{"name": "S", "timeZone": "UTC", "rules": ["a"]}`)
	two := lintDoc(`{"id": "a", "isOpen": true, "startTime": "08:00", "endTime": "12:00"}, {"id": "b", "isOpen": true, "startTime": "12:00", "endTime": "18:00"}`,
		`{"name": "S", "timeZone": "UTC", "rules": ["a", "b"]}`)
	got := engine.Diff(mustLoad(t, one), mustLoad(t, two), from, from.AddDate(0, 0, 14))
	if len(got) != 1 || got[0].Change != engine.ChangeChanged || len(got[0].Differences) != 0 {
		t.Fatalf("diff %+v", got)
	}
	// A manual close is one difference over the whole range.
	closed := strings.Replace(one, `"timeZone"`, `"manualClose": true, "timeZone"`, 1)
	got = engine.Diff(mustLoad(t, one), mustLoad(t, closed), from, from.AddDate(0, 0, 2))
	want := []string{
		"2026-03-02T08:00:00Z 2026-03-02T18:00:00Z open>manual",
		"2026-03-02T18:00:00Z 2026-03-03T08:00:00Z closed>manual",
		"2026-03-03T08:00:00Z 2026-03-03T18:00:00Z open>manual",
		"2026-03-03T18:00:00Z 2026-03-04T00:00:00Z closed>manual",
	}
	if lines := diffLines(got[0]); strings.Join(lines, "\n") != "2026-03-02T00:00:00Z 2026-03-02T08:00:00Z closed>manual\n"+strings.Join(want, "\n") {
		t.Fatalf("manual close:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDiffZoneChange(t *testing.T) {
	// Same hours, other zone: the differences are at the shifted hours and
	// written in the new zone.
	from := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	doc := func(zone string) string {
		return lintDoc(`{"id": "a", "isOpen": true, "startTime": "09:00", "endTime": "17:00"}`, `{"name": "S", "timeZone": "`+zone+`", "rules": ["a"]}`)
	}
	got := engine.Diff(mustLoad(t, doc("UTC")), mustLoad(t, doc("Europe/Berlin")), from, from.Add(24*time.Hour))
	want := []string{
		"2026-03-02T09:00:00+01:00 2026-03-02T10:00:00+01:00 closed>open",
		"2026-03-02T17:00:00+01:00 2026-03-02T18:00:00+01:00 open>closed",
	}
	if lines := diffLines(got[0]); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("zone change:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDiffTruncated(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := engine.Diff(mustLoad(t, diffDoc("17:00")), mustLoad(t, diffDoc("17:01")), from, from.AddDate(6, 0, 0))
	if d := got[0]; !d.Truncated || len(d.Differences) != engine.MaxDifferences {
		t.Fatalf("truncated %v with %d differences", d.Truncated, len(d.Differences))
	}
	if got[1].Truncated {
		t.Fatal("unchanged schedule truncated")
	}
}

// TestDiffAgreesWithAt is the property: an instant lies in a difference
// exactly when the two configs answer differently there, and the
// difference holds both answers.
func TestDiffAgreesWithAt(t *testing.T) {
	docs := []string{
		diffDoc("17:00"), diffDoc("18:00"), diffDoc("24:00"),
		lintDoc(`{"id": "us", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
			{"id": "weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,FR", "startTime": "22:00", "endTime": "06:00"},
			{"id": "london", "isOpen": false, "closedReason": "lunch", "startTime": "12:00", "endTime": "13:00"}`,
			sched("Support", "london", "weekdays", "us")+`, {"name": "Sales", "timeZone": "Australia/Lord_Howe", "rules": ["weekdays", "london"]}`),
	}
	from := time.Date(2026, 3, 1, 3, 17, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 45) // across the US and European DST changes
	for i, bd := range docs {
		for j, ad := range docs {
			b, a := mustLoad(t, bd), mustLoad(t, ad)
			for _, d := range engine.Diff(b, a, from, to) {
				bs, _ := b.Schedule(d.Name)
				as, _ := a.Schedule(d.Name)
				k := 0
				for at := from; at.Before(to); at = at.Add(7 * time.Minute) {
					for k < len(d.Differences) && !d.Differences[k].End.After(at) {
						k++
					}
					in := k < len(d.Differences) && !d.Differences[k].Start.After(at)
					sb, sa := bs.At(at), as.At(at)
					if differ := !sb.SameState(sa); differ != in {
						t.Fatalf("docs %d→%d %s at %v: differ %v, in a difference %v", i, j, d.Name, at, differ, in)
					}
					if in {
						x := d.Differences[k]
						if x.Before == nil || x.After == nil || x.Before.IsOpen != sb.IsOpen || x.Before.ClosedReason != sb.ClosedReason ||
							x.After.IsOpen != sa.IsOpen || x.After.ClosedReason != sa.ClosedReason {
							t.Fatalf("docs %d→%d %s at %v: difference %s, answers %+v → %+v", i, j, d.Name, at, diffLine(x), sb, sa)
						}
					}
				}
			}
		}
	}
}
