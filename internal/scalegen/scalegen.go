// Package scalegen generates large, realistic config documents for scale
// benchmarks and smoke tests: many schedules (one per client, queue and
// team of a contact-centre outsourcer), each listing 3 to 12 rules of a
// shared pool, with Twilio-style UUID rule ids and a mix of time zones.
//
//	data := scalegen.JSON(scalegen.Options{Schedules: 100_000})
//
// The output is deterministic for given Options (Seed included), so a
// benchmark measures the same document on every run and every commit.
package scalegen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Options shape a generated document. Zero values take the defaults.
type Options struct {
	// Schedules is the number of schedules (default 1,000).
	Schedules int
	// Rules is the size of the shared rule pool (default 180).
	Rules int
	// Seed makes a different document of the same shape (default 1).
	Seed uint64
	// FlipAt, when set, makes every schedule open at that instant (whole
	// minutes; each schedule in its own zone's wall clock), and no rule of
	// any schedule closes it then: a benchmark of every schedule changing
	// state at one instant. The instant must not be within 2 days of a
	// DST change of the zones used (the rules are wall-clock times).
	FlipAt time.Time
}

func (o Options) withDefaults() Options {
	if o.Schedules <= 0 {
		o.Schedules = 1000
	}
	if o.Rules <= 0 {
		o.Rules = 180
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// Zones are the 15 time zones schedules are spread over.
var Zones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
	"America/Toronto", "America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin",
	"Europe/Madrid", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
}

// holidayCodes are the holiday calendars of the pool's holiday rules.
var holidayCodes = []string{"US", "GB", "CA", "DE", "FR", "AU-NSW", "NL", "IE", "NZ", "DE-BY"}

// kind is what a pool rule does, which decides where a schedule may list it.
type kind int

const (
	kindOpen   kind = iota // an opening-hours rule
	kindClosed             // a closed rule (holidays, lunch, maintenance, one-off dates)
)

// poolRule is a rule of the pool and its kind.
type poolRule struct {
	rule engine.Rule
	kind kind
}

// Document returns the generated document.
func Document(o Options) engine.Document {
	o = o.withDefaults()
	r := rand.New(rand.NewPCG(o.Seed, 0x5ca1e))
	pool := rulePool(r, o.Rules)
	var open, closed []int
	for i, p := range pool {
		if p.kind == kindOpen {
			open = append(open, i)
		} else {
			closed = append(closed, i)
		}
	}
	doc := engine.Document{Rules: make([]engine.Rule, 0, len(pool)+len(Zones))}
	for _, p := range pool {
		doc.Rules = append(doc.Rules, p.rule)
	}
	var flipRules []string // by zone
	if !o.FlipAt.IsZero() {
		flipRules, closed = addFlipRules(r, &doc, pool, closed, o.FlipAt)
	}
	doc.Schedules = make([]engine.ScheduleDoc, 0, o.Schedules)
	for i := range o.Schedules {
		zone := r.IntN(len(Zones))
		n := 3 + r.IntN(10) // 3..12 rules
		ids := make([]string, 0, n)
		seen := map[int]bool{}
		pick := func(from []int) {
			for range 8 { // a few tries to find one not listed yet
				j := from[r.IntN(len(from))]
				if !seen[j] {
					seen[j] = true
					ids = append(ids, pool[j].rule.ID)
					return
				}
			}
		}
		// Closed rules first (their order is their priority), then one or
		// two opening-hours rules (or the flip rule).
		opens := 1 + r.IntN(2)
		if flipRules != nil {
			opens = 1
		}
		for len(ids) < n-opens {
			before := len(ids)
			pick(closed)
			if len(ids) == before {
				break
			}
		}
		if flipRules != nil {
			ids = append(ids, flipRules[zone])
		} else {
			for range opens {
				pick(open)
			}
		}
		doc.Schedules = append(doc.Schedules, engine.ScheduleDoc{
			Name:     fmt.Sprintf("client-%04d/queue-%02d/team-%d", i/40, (i/4)%10, i%4),
			TimeZone: Zones[zone],
			Rules:    ids,
		})
	}
	return doc
}

// JSON returns the generated document as compact JSON.
func JSON(o Options) []byte {
	data, err := json.Marshal(Document(o))
	if err != nil {
		panic(err) // a Document always encodes
	}
	return data
}

// uuid returns a random UUID (version 4 layout) from r.
func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^(0xf<<12) | 0x4<<12 // version 4
	b = b&^(0x3<<62) | 0x2<<62 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func hm(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60%24, minutes%60) }

// rulePool returns n rules in the proportions of a contact centre's
// config: opening hours (weekdays, weekends, overnight, 24x7), lunch
// breaks, holiday calendars, one-off closures, yearly holidays, monthly
// maintenance and every-other-week rules.
func rulePool(r *rand.Rand, n int) []poolRule {
	weekdays := []string{"MO,TU,WE,TH,FR", "MO,TU,WE,TH,FR,SA", "MO,TU,WE,TH", "TU,WE,TH,FR,SA"}
	out := make([]poolRule, 0, n)
	for i := 0; len(out) < n; i++ {
		id := uuid(r)
		var p poolRule
		switch i % 18 {
		case 0, 1, 2, 3: // weekday hours
			start := 6*60 + 30*r.IntN(9)
			end := 16*60 + 30*r.IntN(13)
			p = poolRule{kind: kindOpen, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Hours %s %s-%s #%d", weekdays[i%4], hm(start), hm(end), i),
				IsOpen: true, DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=" + weekdays[r.IntN(len(weekdays))], StartTime: hm(start), EndTime: hm(end)}}
		case 4: // weekend
			start := 9*60 + 60*r.IntN(3)
			p = poolRule{kind: kindOpen, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Weekend #%d", i), IsOpen: true,
				DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=SA,SU", StartTime: hm(start), EndTime: hm(start + 4*60)}}
		case 5: // overnight or 24x7
			if i%36 == 5 {
				p = poolRule{kind: kindOpen, rule: engine.Rule{ID: id, Name: fmt.Sprintf("24x7 #%d", i), IsOpen: true}}
			} else {
				p = poolRule{kind: kindOpen, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Night desk #%d", i), IsOpen: true,
					DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", StartTime: "22:00", EndTime: "06:00"}}
			}
		case 6, 7: // lunch
			start := 11*60 + 30*r.IntN(5)
			p = poolRule{kind: kindClosed, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Lunch %s #%d", hm(start), i), ClosedReason: "lunch",
				DateRRule: "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", StartTime: hm(start), EndTime: hm(start + 60)}}
		case 8, 9: // holiday calendar
			code := holidayCodes[r.IntN(len(holidayCodes))]
			p = poolRule{kind: kindClosed, rule: engine.Rule{ID: id, Name: fmt.Sprintf("%s holidays #%d", code, i), ClosedReason: "holiday", Holidays: code}}
		case 10, 11, 12, 13: // one-off closure
			d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(730)).Format("2006-01-02")
			reason := []string{"holiday", "closed", "training", "maintenance"}[r.IntN(4)]
			p = poolRule{kind: kindClosed, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Closure %s #%d", d, i), ClosedReason: reason, StartDate: d, EndDate: d}}
		case 14, 15: // yearly holiday
			m, day := 1+r.IntN(12), 1+r.IntN(28)
			p = poolRule{kind: kindClosed, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Yearly %02d-%02d #%d", m, day, i), ClosedReason: "holiday",
				DateRRule: fmt.Sprintf("RRULE:FREQ=YEARLY;BYMONTH=%d;BYMONTHDAY=%d", m, day)}}
		case 16: // monthly maintenance
			p = poolRule{kind: kindClosed, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Maintenance #%d", i), ClosedReason: "maintenance",
				DateRRule: "RRULE:FREQ=MONTHLY;BYDAY=1SU", StartTime: "02:00", EndTime: "04:00"}}
		case 17: // every other Saturday
			p = poolRule{kind: kindOpen, rule: engine.Rule{ID: id, Name: fmt.Sprintf("Every other Saturday #%d", i), IsOpen: true,
				DateRRule: "DTSTART:20260103\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", StartTime: "10:00", EndTime: "14:00"}}
		}
		out = append(out, p)
	}
	return out
}

// addFlipRules adds one opening rule per zone that opens at instant at,
// every day, and returns their ids by zone, with the closed rules that may
// be listed besides them: those that do not close the schedule at or just
// before at in any zone (so that every schedule changes state then).
func addFlipRules(r *rand.Rand, doc *engine.Document, pool []poolRule, closed []int, at time.Time) (byZone []string, safe []int) {
	byZone = make([]string, len(Zones))
	for z, name := range Zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		lt := at.In(loc)
		start := lt.Hour()*60 + lt.Minute()
		id := uuid(r)
		doc.Rules = append(doc.Rules, engine.Rule{ID: id, Name: "Opens at the flip, " + name, IsOpen: true,
			StartTime: hm(start), EndTime: hm(start + 8*60)})
		byZone[z] = id
	}
	// Keep the closed rules that are closed in no zone at at or a minute
	// before (a lunch then, a holiday or closure that day).
	var check engine.Document
	check.Rules = doc.Rules
	for _, i := range closed {
		ok := true
		for _, name := range Zones {
			check.Schedules = []engine.ScheduleDoc{{Name: "x", TimeZone: name, Rules: []string{pool[i].rule.ID}}}
			cfg, err := engine.Compile(check)
			if err != nil {
				panic(err)
			}
			s := cfg.Schedules()[0]
			if st := s.At(at); !st.IsOpen && st.RuleID != "" {
				ok = false
			}
			if st := s.At(at.Add(-time.Minute)); !st.IsOpen && st.RuleID != "" {
				ok = false
			}
		}
		if ok {
			safe = append(safe, i)
		}
	}
	return byZone, safe
}
