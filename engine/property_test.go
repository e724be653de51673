package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Property: Timeline agrees with pointwise evaluation (DESIGN.md §1 "Timeline
// and transitions"), on pseudo-random configs and ranges from a fixed seed,
// so a failure reproduces exactly.

var propZones = []string{
	"America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata",
	"Pacific/Chatham", "America/St_Johns", "America/Santiago", "UTC",
	"Africa/Casablanca", "America/Havana", // frequent changes; midnight transitions
}

// DST changes in the zones above (local dates), so ranges often cross one.
var propDSTDates = []time.Time{
	date(2026, 3, 8), date(2026, 11, 1), // Chicago, St John's
	date(2026, 3, 29), date(2026, 10, 25), // London
	date(2026, 4, 5), date(2026, 10, 4), // Lord Howe, Chatham (Apr), Santiago (Apr)
	date(2026, 9, 27), date(2026, 9, 6), // Chatham, Santiago (midnight gap)
	date(2025, 11, 2), date(2027, 3, 14), date(2027, 10, 31), date(2027, 4, 4),
	date(2040, 12, 31), date(2044, 12, 31), date(2040, 3, 11), // past tzdata's explicit transitions (golang/go#81583)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var propReasons = []string{"closed", "lunch", "holiday", "meeting", "maintenance"}

var propUnanchored = []string{
	"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
	"FREQ=WEEKLY;BYDAY=SA,SU",
	"FREQ=WEEKLY;BYDAY=SU",
	"FREQ=MONTHLY;BYDAY=+4TH",
	"FREQ=MONTHLY;BYDAY=-1MO",
	"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
	"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
	"FREQ=YEARLY;BYMONTH=3,4,9,10,11;BYMONTHDAY=1,4,5,6,8,25,27,29",
	"FREQ=MONTHLY;BYMONTHDAY=1,15,-1",
	"FREQ=DAILY",
}

var propHolidays = []string{"US", "GB", "CA", "AU-NSW", "FR", "DE", "NZ"}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func dateString(t time.Time) string { return t.Format("2006-01-02") }

// genMinute favours round hours, half hours and the small hours where DST
// changes happen.
func genMinute(r *rand.Rand) int {
	switch r.IntN(5) {
	case 0:
		return r.IntN(24) * 60
	case 1:
		return r.IntN(48) * 30
	case 2:
		return 60 + r.IntN(150) // 01:00-03:29
	default:
		return r.IntN(1440)
	}
}

func genRule(r *rand.Rand, id string, near time.Time) engine.Rule {
	rule := engine.Rule{ID: id, Name: "rule " + id, IsOpen: r.IntN(5) < 3}
	if !rule.IsOpen {
		rule.ClosedReason = propReasons[r.IntN(len(propReasons))]
	}
	// Time window.
	s, e := genMinute(r), genMinute(r)
	for e == s {
		e = genMinute(r)
	}
	switch r.IntN(7) {
	case 0: // all day
	case 1, 2: // ordinary
		rule.StartTime, rule.EndTime = clock(min(s, e)), clock(max(s, e))
	case 3: // overnight
		rule.StartTime, rule.EndTime = clock(max(s, e)), clock(min(s, e))
	case 4:
		rule.StartTime = clock(s)
	case 5:
		rule.EndTime = clock(max(e, 1))
	case 6:
		rule.StartTime, rule.EndTime = clock(s), "24:00"
	}
	// Date condition.
	day := func() time.Time { return near.AddDate(0, 0, r.IntN(56)-12) }
	switch r.IntN(9) {
	case 0, 1: // none
	case 2:
		a, b := day(), day()
		if b.Before(a) {
			a, b = b, a
		}
		rule.StartDate, rule.EndDate = dateString(a), dateString(b)
	case 3: // one-off
		rule.StartDate = dateString(day())
		rule.EndDate = rule.StartDate
	case 4:
		if r.IntN(2) == 0 {
			rule.StartDate = dateString(day())
		} else {
			rule.EndDate = dateString(day())
		}
	case 5:
		rule.DateRRule = propUnanchored[r.IntN(len(propUnanchored))]
	case 6: // anchored
		anchor := near.AddDate(0, 0, -r.IntN(60))
		switch r.IntN(5) {
		case 0:
			rule.DateRRule, rule.StartDate = "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", dateString(anchor)
		case 1:
			rule.DateRRule, rule.StartDate = fmt.Sprintf("FREQ=DAILY;INTERVAL=%d", 2+r.IntN(4)), dateString(anchor)
		case 2:
			rule.DateRRule = "DTSTART:" + anchor.Format("20060102") + "\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR"
		case 3:
			rule.DateRRule, rule.StartDate = fmt.Sprintf("FREQ=WEEKLY;BYDAY=TU,SU;COUNT=%d", 2+r.IntN(12)), dateString(anchor)
		case 4:
			rule.DateRRule, rule.StartDate = "FREQ=DAILY;UNTIL="+day().Format("20060102"), dateString(anchor)
		}
	case 7, 8:
		rule.Holidays = propHolidays[r.IntN(len(propHolidays))]
		if r.IntN(3) == 0 {
			rule.StartDate = dateString(day())
		}
	}
	return rule
}

// genCase returns a one-schedule document and a range [from, to).
func genCase(r *rand.Rand) (engine.Document, time.Time, time.Time) {
	var base time.Time
	if r.IntN(3) > 0 {
		base = propDSTDates[r.IntN(len(propDSTDates))].AddDate(0, 0, -r.IntN(30))
	} else {
		base = date(2025, 1, 1).AddDate(0, 0, r.IntN(4*365))
	}
	from := base.Add(time.Duration(r.IntN(86400)) * time.Second)
	if r.IntN(3) == 0 {
		from = from.Add(time.Duration(r.IntN(1e9))) // not on a second
	}
	length := time.Duration(1 + r.Int64N(int64(40*24*time.Hour)))
	if r.IntN(4) == 0 {
		length = time.Duration(1 + r.Int64N(int64(48*time.Hour))) // short ranges too
	}
	var doc engine.Document
	ids := []string{}
	for i := range 1 + r.IntN(8) {
		id := fmt.Sprintf("r%d", i)
		doc.Rules = append(doc.Rules, genRule(r, id, base))
		ids = append(ids, id)
	}
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	doc.Schedules = []engine.ScheduleDoc{{
		Name:        "P",
		TimeZone:    propZones[r.IntN(len(propZones))],
		ManualClose: r.IntN(40) == 0,
		Rules:       ids,
	}}
	return doc, from, from.Add(length)
}

func TestPropertyTimelineMatchesAt(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 150
	}
	r := rand.New(rand.NewPCG(20260308, 20261101))
	var segments, probes, transitions int
	for i := range n {
		doc, from, to := genCase(r)
		describe := func() string {
			b, _ := json.Marshal(doc)
			return fmt.Sprintf("case %d: range [%s, %s)\n%s", i, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), b)
		}
		cfg, err := engine.Compile(doc)
		if err != nil {
			t.Fatalf("generated an invalid config: %v\n%s", err, describe())
		}
		s := cfg.Schedules()[0]
		segs := s.Timeline(from, to)
		segments += len(segs)

		// (a) contiguous, covering [from, to) exactly, neighbours differ.
		if len(segs) == 0 {
			t.Fatalf("no segments\n%s", describe())
		}
		if !segs[0].Start.Equal(from) || !segs[len(segs)-1].End.Equal(to) {
			t.Fatalf("segments cover [%v, %v)\n%s", segs[0].Start, segs[len(segs)-1].End, describe())
		}
		for j, seg := range segs {
			if !seg.Start.Before(seg.End) {
				t.Fatalf("segment %d is empty: %+v\n%s", j, seg, describe())
			}
			if j > 0 {
				if !segs[j-1].End.Equal(seg.Start) {
					t.Fatalf("gap or overlap before segment %d: %v vs %v\n%s", j, segs[j-1].End, seg.Start, describe())
				}
				if segs[j-1].Status == seg.Status {
					t.Fatalf("segments %d and %d have the same status %+v\n%s", j-1, j, seg.Status, describe())
				}
			}
		}

		// (b) the segment's status is At's, at the edges and inside.
		check := func(at time.Time, want engine.Status, what string) {
			probes++
			if got := s.At(at); got != want {
				t.Fatalf("%s: At(%s) = %+v, segment says %+v\n%s", what, at.In(s.Location()).Format(time.RFC3339Nano), got, want, describe())
			}
		}
		for j, seg := range segs {
			check(seg.Start, seg.Status, fmt.Sprintf("start of segment %d", j))
			check(seg.End.Add(-time.Nanosecond), seg.Status, fmt.Sprintf("end-1ns of segment %d", j))
			if j > 0 {
				check(seg.Start.Add(-time.Nanosecond), segs[j-1].Status, fmt.Sprintf("start-1ns of segment %d", j))
			}
			if d := seg.End.Sub(seg.Start); d > 2 {
				check(seg.Start.Add(time.Duration(r.Int64N(int64(d)))), seg.Status, fmt.Sprintf("inside segment %d", j))
			}
		}
		span := to.Sub(from)
		for range 50 {
			at := from.Add(time.Duration(r.Int64N(int64(span))))
			seg, _ := segmentAt(segs, at)
			check(at, seg.Status, "random instant")
		}

		// (c) NextTransition is the first later segment with another state.
		samples := []time.Time{from, from.Add(time.Duration(r.Int64N(int64(span))))}
		if k := r.IntN(len(segs)); k > 0 {
			samples = append(samples, segs[k].Start, segs[k].Start.Add(-time.Nanosecond))
		}
		for _, at := range samples {
			transitions++
			k := sort.Search(len(segs), func(j int) bool { return segs[j].End.After(at) })
			now := segs[k].Status
			var want *engine.Segment
			for j := k + 1; j < len(segs); j++ {
				if !segs[j].Status.SameState(now) {
					want = &segs[j]
					break
				}
			}
			tr, ok := s.NextTransition(at)
			switch {
			case want != nil && (!ok || !tr.At.Equal(want.Start) || tr.Status != want.Status):
				t.Fatalf("NextTransition(%s) = %v %+v (found %v), want %v %+v\n%s",
					at.Format(time.RFC3339Nano), tr.At, tr.Status, ok, want.Start, want.Status, describe())
			case want == nil && ok && tr.At.Before(to):
				t.Fatalf("NextTransition(%s) = %v %+v, but the state does not change before %v\n%s",
					at.Format(time.RFC3339Nano), tr.At, tr.Status, to, describe())
			case ok && (tr.Status.SameState(now) || !tr.At.After(at)):
				t.Fatalf("NextTransition(%s) = %v %+v is not a change from %+v\n%s", at.Format(time.RFC3339Nano), tr.At, tr.Status, now, describe())
			}
		}

		// Splitting the range changes nothing but the cut.
		mid := from.Add(time.Duration(r.Int64N(int64(span))))
		if mid.After(from) {
			joined := append(s.Timeline(from, mid), s.Timeline(mid, to)...)
			merged := joined[:1]
			for _, seg := range joined[1:] {
				if last := &merged[len(merged)-1]; last.Status == seg.Status {
					last.End = seg.End
				} else {
					merged = append(merged, seg)
				}
			}
			if len(merged) != len(segs) {
				t.Fatalf("split at %v: %d segments, whole: %d\n%s", mid, len(merged), len(segs), describe())
			}
			for j := range segs {
				if !merged[j].Start.Equal(segs[j].Start) || !merged[j].End.Equal(segs[j].End) || merged[j].Status != segs[j].Status {
					t.Fatalf("split at %v: segment %d = %+v, whole = %+v\n%s", mid, j, merged[j], segs[j], describe())
				}
			}
		}
	}
	t.Logf("%d configs, %d segments, %d pointwise probes, %d NextTransition checks", n, segments, probes, transitions)
}
