package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // same answers on a minimal container as on a laptop
	"unicode/utf8"
)

// Limits on a document, so that hostile input is refused with a message
// instead of exhausting memory.
const (
	MaxRules            = 10000
	MaxSchedules        = 20000
	MaxNameLength       = 200 // runes, for rule and schedule names and ids
	MaxReasonLength     = 100
	maxRRuleLength      = 1000
	maxRulesPerSchedule = 1000
)

// Config is a validated, compiled document, ready to evaluate. It is
// immutable and safe for concurrent use.
type Config struct {
	doc       Document
	rules     []*compiledRule // every rule in document order, used or not (for Lint)
	schedules []*Schedule
	byName    map[string]*Schedule
	// caches are the per-year memos of every recurrence and holiday
	// calendar, for Probe.
	caches []*yearCache
}

// Load parses and validates a document. A validation failure is a
// *ValidationError listing every problem.
func Load(data []byte) (*Config, error) {
	doc, err := ParseDocument(data)
	if err != nil {
		return nil, err
	}
	return compile(doc) // doc is ours alone: no copy needed
}

// LoadStored is Load for a version a store already holds: it does not
// refuse strings that are not valid UTF-8 or hold unpaired surrogate
// escapes (they read as U+FFFD, as they did when an earlier release
// accepted them), so such a version keeps being served after an upgrade
// instead of stopping the service. Every write goes through Load, which
// refuses them with their path.
func LoadStored(data []byte) (*Config, error) {
	doc, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	return compile(doc)
}

// Compile validates doc and prepares it for evaluation. The config keeps a
// copy of doc: changing doc afterwards does not change the config.
func Compile(doc Document) (*Config, error) {
	return compile(doc.clone())
}

// compile is Compile of a document that nothing else references.
func compile(doc Document) (*Config, error) {
	var errs errorList
	if len(doc.Rules) > MaxRules {
		errs.add("rules", "%d rules is more than the limit of %d", len(doc.Rules), MaxRules)
		return nil, &ValidationError{Errors: errs}
	}
	if len(doc.Schedules) > MaxSchedules {
		errs.add("schedules", "%d schedules is more than the limit of %d", len(doc.Schedules), MaxSchedules)
		return nil, &ValidationError{Errors: errs}
	}
	calendars := compileCalendars(doc.Calendars, &errs)
	holidays := map[string]*yearCache{}
	recurrences := map[string]*recurrence{}
	rules := make(map[string]*compiledRule, len(doc.Rules))
	ruleNames := make(map[string]int, len(doc.Rules))
	all := make([]*compiledRule, len(doc.Rules))
	for i, r := range doc.Rules {
		path := "rules[" + strconv.Itoa(i) + "]"
		cr := compileRule(path, r, &errs, holidays, recurrences)
		if r.Calendar != "" {
			if c, ok := calendars[r.Calendar]; ok {
				cr.cal = c
			} else if !calendarListed(doc.Calendars, r.Calendar) {
				errs.add(path+".calendar", "no calendar with id %s", quote(r.Calendar))
			}
		}
		switch {
		case r.ID == "":
			// reported by compileRule
		case rules[r.ID] != nil:
			errs.add(path+".id", "duplicate rule id %s (also rules[%d])", quote(r.ID), rules[r.ID].index)
		default:
			rules[r.ID] = cr
		}
		if r.Name != "" {
			if j, ok := ruleNames[r.Name]; ok {
				errs.add(path+".name", "duplicate rule name %s (also rules[%d])", quote(r.Name), j)
			} else {
				ruleNames[r.Name] = i
			}
		}
		cr.index = i
		all[i] = cr
	}
	cfg := &Config{doc: doc, rules: all, byName: make(map[string]*Schedule, len(doc.Schedules))}
	zones := map[string]*time.Location{} // one Location per zone: ~2.5 KB each
	for i, s := range doc.Schedules {
		path := "schedules[" + strconv.Itoa(i) + "]"
		sc := compileSchedule(path, s, rules, zones, &errs)
		if s.Name == "" {
			continue
		}
		if prev, ok := cfg.byName[s.Name]; ok {
			errs.add(path+".name", "duplicate schedule name %s (also schedules[%d])", quote(s.Name), prev.index)
			continue
		}
		sc.index = i
		cfg.byName[s.Name] = sc
		cfg.schedules = append(cfg.schedules, sc)
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	for _, c := range holidays {
		cfg.caches = append(cfg.caches, c)
	}
	for _, r := range recurrences {
		cfg.caches = append(cfg.caches, r.cache)
	}
	// Map order is random; report problems in document order.
	slices.SortFunc(cfg.caches, func(a, b *yearCache) int { return strings.Compare(a.label, b.label) })
	return cfg, nil
}

// calendarListed reports whether id names a calendar of the document (one
// with errors of its own, which are reported where it is defined).
func calendarListed(cals []CalendarDoc, id string) bool {
	for _, c := range cals {
		if c.ID == id {
			return true
		}
	}
	return false
}

// Probe expands every rule's dates for each year from from to to
// (inclusive, by calendar year, one year of margin each side for local
// dates) and reports, as a *ValidationError, every rule whose expansion
// panicked. The service probes a window around now before it accepts a
// config, so that most configs that would fail later are refused up front;
// evaluation beyond the window still panics with an *ExpansionPanic, which
// the scheduler contains to the schedules concerned.
func (c *Config) Probe(from, to time.Time) error {
	var errs errorList
	for _, yc := range c.caches {
		for y := from.UTC().Year() - 1; y <= to.UTC().Year()+1; y++ {
			if err := probeYear(yc, y); err != nil {
				errs.add(yc.label, "expanding its dates for %d failed (the recurrence library panicked: %v); simplify the rule", y, err.Value)
				break
			}
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

func probeYear(yc *yearCache, year int) (failure *ExpansionPanic) {
	defer func() {
		if v := recover(); v != nil {
			if p, ok := v.(*ExpansionPanic); ok {
				failure = p
				return
			}
			failure = &ExpansionPanic{Path: yc.label, Year: year, Value: v}
		}
	}()
	yc.get(year)
	return nil
}

func checkName(path, what, s string, maxLen int, required bool, errs *errorList) {
	switch {
	case s == "" && required:
		errs.add(path, "%s is required", what)
	case !utf8.ValidString(s):
		errs.add(path, "%s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > maxLen:
		errs.add(path, "%s is %d characters long, the limit is %d", what, utf8.RuneCountInString(s), maxLen)
	case strings.TrimSpace(s) != s:
		errs.add(path, "%s %s has leading or trailing spaces", what, quote(s))
	case strings.IndexFunc(s, isControl) >= 0:
		errs.add(path, "%s %s contains control characters", what, quote(s))
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func compileSchedule(path string, s ScheduleDoc, rules map[string]*compiledRule, zones map[string]*time.Location, errs *errorList) *Schedule {
	checkName(path+".name", "name", s.Name, MaxNameLength, true, errs)
	sc := &Schedule{name: s.Name, manual: s.ManualClose, doc: s}
	switch {
	case s.TimeZone == "":
		errs.add(path+".timeZone", "time zone is required (an IANA name such as \"America/Chicago\")")
	case s.TimeZone == "Local" || len(s.TimeZone) > 64:
		errs.add(path+".timeZone", "unknown time zone %s", quote(s.TimeZone))
	default:
		loc, ok := zones[s.TimeZone]
		if !ok {
			loc, _ = time.LoadLocation(s.TimeZone)
			zones[s.TimeZone] = loc // nil if unknown
		}
		if loc == nil {
			errs.add(path+".timeZone", "unknown time zone %s", quote(s.TimeZone))
		}
		sc.loc = loc
	}
	if len(s.Rules) > maxRulesPerSchedule {
		errs.add(path+".rules", "%d rules is more than the limit of %d per schedule", len(s.Rules), maxRulesPerSchedule)
		return sc
	}
	seen := make(map[string]bool, len(s.Rules))
	for j, id := range s.Rules {
		rp := path + ".rules[" + strconv.Itoa(j) + "]"
		r, ok := rules[id]
		switch {
		case !ok:
			errs.add(rp, "no rule with id %s", quote(id))
		case seen[id]:
			errs.add(rp, "rule %s is listed twice", quote(id))
		default:
			seen[id] = true
			sc.rules = append(sc.rules, r)
			if r.cal != nil && sc.loc != nil {
				if sc.cals == nil {
					sc.cals = make([]*calView, len(sc.rules)-1, len(s.Rules))
				}
				sc.cals = append(sc.cals, r.cal.view(sc.loc))
			} else if sc.cals != nil {
				sc.cals = append(sc.cals, nil)
			}
		}
	}
	sc.prepare()
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(s)
	for _, r := range sc.rules {
		_ = enc.Encode(r.src)
		if r.cal != nil {
			_ = enc.Encode(r.cal.hash) // a changed calendar changes the schedule
		}
	}
	sc.fingerprint = hex.EncodeToString(h.Sum(nil)[:16])
	return sc
}

// Document returns a copy of the document the config was compiled from.
// The caller may change the copy (to build the next version, say); that
// changes neither the config nor a later Document. Each call copies every
// rule and schedule, so call it once per use, not in a loop.
func (c *Config) Document() Document { return c.doc.clone() }

// Schedule returns the schedule with the given name.
func (c *Config) Schedule(name string) (*Schedule, bool) {
	s, ok := c.byName[name]
	return s, ok
}

// Schedules returns every schedule in document order. The slice must not be
// modified.
func (c *Config) Schedules() []*Schedule { return c.schedules }
