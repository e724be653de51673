package engine_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

// Benchmarks for DESIGN.md §3:
//
//	uncached evaluation, 11-rule schedule            ≤ 2 µs        BenchmarkAt11Rules
//	timelines, 10,000 schedules × 12 rules × 30 days ≤ 2 s, 300 MB BenchmarkTimeline10kSchedules
//
// Run: go test -run='^$' -bench=. -benchmem ./engine
// (one core: GOMAXPROCS=1 go test -run='^$' -bench=Timeline10k -benchmem ./engine)

// twilioDefaultDoc is shaped like Twilio's default config.private.json: the
// "Open hours" rule listed first, then ten closed holiday rules (yearly
// RRULEs and one-off dates), all evaluated on every call.
func twilioDefaultDoc() engine.Document {
	yearly := func(id, name, rr string) engine.Rule {
		return engine.Rule{ID: id, Name: name, ClosedReason: "holiday", DateRRule: rr}
	}
	once := func(id, name, d string) engine.Rule {
		return engine.Rule{ID: id, Name: name, ClosedReason: "holiday", StartDate: d, EndDate: d}
	}
	rules := []engine.Rule{
		{ID: "open", Name: "Open hours", IsOpen: true, StartTime: "08:00", EndTime: "17:00", DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
		yearly("xmas", "Christmas Day", "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"),
		yearly("july4", "July 4th", "RRULE:FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=4"),
		yearly("june19", "Juneteenth", "RRULE:FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=19"),
		once("labor", "Labor Day", "2026-09-07"),
		once("mlk", "Martin Luther King Jr. Day", "2026-01-19"),
		once("memorial", "Memorial Day", "2026-05-25"),
		yearly("newyear", "New Year's Day", "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"),
		once("presidents", "Presidents' Day", "2026-02-16"),
		once("thanks", "Thanksgiving Day", "2026-11-26"),
		yearly("veterans", "Veterans Day", "RRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=11"),
	}
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	return engine.Document{Rules: rules, Schedules: []engine.ScheduleDoc{{Name: "Example", TimeZone: "America/Chicago", Rules: ids}}}
}

func twilioDefaultSchedule(b *testing.B) *engine.Schedule {
	cfg, err := engine.Compile(twilioDefaultDoc())
	if err != nil {
		b.Fatal(err)
	}
	return cfg.Schedules()[0]
}

// benchInstants are spread over 2026 at odd minutes, so the benchmark does
// not evaluate one cached answer.
func benchInstants(n int) []time.Time {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
	}
	return out
}

func BenchmarkAt11Rules(b *testing.B) {
	s := twilioDefaultSchedule(b)
	instants := benchInstants(4096)
	for _, t := range instants {
		s.At(t) // the per-year expansions are computed once per config
	}
	b.ReportAllocs()
	b.ResetTimer()
	open := 0
	for i := 0; b.Loop(); i++ {
		if s.At(instants[i&4095]).IsOpen {
			open++
		}
	}
	if open == 0 {
		b.Fatal("never open")
	}
}

// BenchmarkAt11RulesColdConfig includes the first evaluation of a freshly
// compiled config (RRULE expansion of the year), what the first request
// after a publish pays.
func BenchmarkAt11RulesColdConfig(b *testing.B) {
	doc := twilioDefaultDoc()
	at := time.Date(2026, 7, 3, 15, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		cfg, _ := engine.Compile(doc)
		cfg.Schedules()[0].At(at)
	}
}

func BenchmarkNextTransition(b *testing.B) {
	s := twilioDefaultSchedule(b)
	instants := benchInstants(4096)
	for _, t := range instants {
		s.NextTransition(t)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := s.NextTransition(instants[i&4095]); !ok {
			b.Fatal("no transition")
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	small, _ := json.Marshal(twilioDefaultDoc())
	docs := bigDocuments(800, 800) // 9,600 rules: just under engine.MaxRules
	large, _ := json.Marshal(docs[0])
	for _, bc := range []struct {
		name string
		data []byte
	}{{"twilio-11-rules", small}, {"800-schedules-9600-rules", large},
		// What a replica does with each new version at 100,000 schedules
		// (39 MB; its schedules compiled by GOMAXPROCS goroutines).
		{"scalegen-100000-schedules", scalegen.JSON(scalegen.Options{Schedules: 100000})}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := engine.Load(bc.data); err != nil {
					b.Fatalf("%.500v", err)
				}
			}
		})
	}
}

var benchZones = []string{
	"America/Chicago", "America/New_York", "America/Los_Angeles", "America/Denver", "America/Toronto",
	"America/Sao_Paulo", "America/St_Johns", "Europe/London", "Europe/Berlin", "Europe/Paris",
	"Asia/Kolkata", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney", "Australia/Lord_Howe",
	"Pacific/Auckland", "Pacific/Chatham", "Africa/Johannesburg", "UTC",
}

var benchCalendars = []string{"US", "CA", "GB", "DE", "FR", "AU-NSW", "AU-VIC", "NZ", "IE", "NL", "DE-BY"}

// bigDocuments builds n schedules of 12 distinct rules each, split into
// documents of at most perDoc schedules (a document holds at most
// engine.MaxRules rules). The mix is what contact centres configure: weekday
// hours, lunch, a holiday calendar, yearly company days, one-off closures, a
// maintenance window, Saturday hours, an overnight line, biweekly Sunday
// hours and a monthly stock-take.
func bigDocuments(n, perDoc int) []engine.Document {
	r := rand.New(rand.NewPCG(10000, 12))
	hm := func(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
	day := func() string {
		return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(45)).Format("2006-01-02")
	}
	var docs []engine.Document
	for first := 0; first < n; first += perDoc {
		var doc engine.Document
		for i := first; i < min(first+perDoc, n); i++ {
			p := fmt.Sprintf("s%05d-", i)
			open := 7*60 + 15*r.IntN(9)     // 07:00-09:00
			closeAt := 16*60 + 30*r.IntN(9) // 16:00-20:00
			lunch := 11*60 + 15*r.IntN(12)  // 11:00-13:45
			rules := []engine.Rule{
				{ID: p + "hol", Name: "Public holidays", ClosedReason: "holiday", Holidays: benchCalendars[r.IntN(len(benchCalendars))]},
				{ID: p + "company", Name: "Company day", ClosedReason: "holiday", DateRRule: fmt.Sprintf("RRULE:FREQ=YEARLY;BYMONTH=%d;BYMONTHDAY=%d", 1+r.IntN(12), 1+r.IntN(28))},
				{ID: p + "summer", Name: "Summer party", ClosedReason: "event", DateRRule: fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%dFR", 6+r.IntN(3), 1+r.IntN(4)), StartTime: hm(12*60 + 30*r.IntN(6))},
				{ID: p + "once", Name: "Office move", ClosedReason: "closed", StartDate: day(), EndDate: day()[:8] + "28"},
				{ID: p + "maint", Name: "Maintenance", ClosedReason: "maintenance", StartDate: "2026-03-08", EndDate: "2026-03-08", StartTime: hm(60 + 30*r.IntN(4)), EndTime: hm(3*60 + 30*r.IntN(4))},
				{ID: p + "lunch", Name: "Lunch", ClosedReason: "lunch", StartTime: hm(lunch), EndTime: hm(lunch + 30 + 15*r.IntN(3)), DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
				{ID: p + "hours", Name: "Open hours", IsOpen: true, StartTime: hm(open), EndTime: hm(closeAt), DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
				{ID: p + "sat", Name: "Saturday", IsOpen: true, StartTime: hm(9*60 + 30*r.IntN(3)), EndTime: hm(13*60 + 30*r.IntN(4)), DateRRule: "FREQ=WEEKLY;BYDAY=SA"},
				{ID: p + "night", Name: "Night line", IsOpen: true, StartTime: hm(21*60 + 30*r.IntN(4)), EndTime: hm(5*60 + 30*r.IntN(4)), DateRRule: "FREQ=WEEKLY;BYDAY=FR"},
				{ID: p + "eve", Name: "Early close", ClosedReason: "early close", StartDate: "2026-03-20", EndDate: "2026-03-27", StartTime: hm(14*60 + 30*r.IntN(4))},
				{ID: p + "sun", Name: "Sunday rota", IsOpen: true, StartTime: "10:00", EndTime: "14:00", DateRRule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", StartDate: day()},
				{ID: p + "stock", Name: "Stock-take", ClosedReason: "stock-take", StartTime: hm(15*60 + 30*r.IntN(3)), EndTime: "24:00", DateRRule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"},
			}
			ids := make([]string, len(rules))
			for j := range rules {
				rule := &rules[j]
				rule.Name = p + rule.Name // names are unique in a document
				if rule.EndDate != "" && rule.EndDate < rule.StartDate {
					rule.StartDate, rule.EndDate = rule.EndDate, rule.StartDate
				}
				ids[j] = rule.ID
			}
			doc.Rules = append(doc.Rules, rules...)
			doc.Schedules = append(doc.Schedules, engine.ScheduleDoc{Name: p + "line", TimeZone: benchZones[r.IntN(len(benchZones))], Rules: ids})
		}
		docs = append(docs, doc)
	}
	return docs
}

func compileAll(b *testing.B, docs []engine.Document) []*engine.Schedule {
	var all []*engine.Schedule
	for _, d := range docs {
		cfg, err := engine.Compile(d)
		if err != nil {
			b.Fatalf("%.500v", err)
		}
		all = append(all, cfg.Schedules()...)
	}
	return all
}

func BenchmarkTimeline10kSchedules(b *testing.B) {
	const schedules, perDoc = 10000, 800 // 800 × 12 = 9,600 rules per document
	docs := bigDocuments(schedules, perDoc)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // 30 days across DST in most zones
	to := from.Add(30 * 24 * time.Hour)
	run := func(b *testing.B, cold bool) {
		all := compileAll(b, docs)
		results := make([][]engine.Segment, len(all))
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		runtime.GC()
		configsMB := float64(heapObjects(sample)) / (1 << 20)
		var peak uint64
		var ms runtime.MemStats
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if cold {
				// Fresh configs: nothing expanded or cached yet, as after a publish.
				b.StopTimer()
				all = nil
				results = make([][]engine.Segment, len(results))
				runtime.GC()
				all = compileAll(b, docs)
				b.StartTimer()
			}
			for i, s := range all {
				results[i] = s.Timeline(from, to)
				if i%100 == 0 {
					peak = max(peak, heapObjects(sample))
				}
			}
			peak = max(peak, heapObjects(sample))
		}
		b.StopTimer()
		segs := 0
		for _, r := range results {
			segs += len(r)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(peak)/(1<<20), "MB-heap")                     // peak of the heap (live and garbage), sampled every 100 timelines
		b.ReportMetric(configsMB, "MB-configs")                              // the compiled configs alone
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MB-live")             // configs + all timelines, after GC
		b.ReportMetric(float64(segs)/float64(len(all)), "segments/schedule") // sanity: the work done
		runtime.KeepAlive(all)
		runtime.KeepAlive(results)
	}
	// cold: every pass starts from freshly compiled configs (nothing expanded
	// yet), as after a publish; the heap holds the configs and one generation
	// of timelines. warm: the same configs again and again; each pass
	// replaces the previous pass's timelines one by one, so for a while two
	// generations are live.
	b.Run("cold", func(b *testing.B) { run(b, true) })
	b.Run("warm", func(b *testing.B) { run(b, false) })
}

// heapObjects reads the bytes in heap objects (live or not yet swept), like
// MemStats.HeapAlloc but without stopping the world.
func heapObjects(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}
