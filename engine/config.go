package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // same answers on a minimal container as on a laptop
	"unicode/utf8"
)

// Limits on the fields of a document (see Limits for its size), so that
// hostile input is refused with a message instead of exhausting memory.
const (
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

// Load parses and validates a document within the default Limits. A
// validation failure is a *ValidationError listing every problem.
func Load(data []byte) (*Config, error) { return Loader{}.Load(data) }

// LoadStored is Load for a version a store already holds: it does not
// refuse strings that are not valid UTF-8 or hold unpaired surrogate
// escapes (they read as U+FFFD, as they did when an earlier release
// accepted them), so such a version keeps being served after an upgrade
// instead of stopping the service. Every write goes through Load, which
// refuses them with their path.
//
// Nor does it apply any Limits: a stored version is served whatever the
// limits of this process, which may be lower than the writer's.
func LoadStored(data []byte) (*Config, error) {
	doc, _, err := parseDocument(data, sizeHints{})
	if err != nil {
		return nil, err
	}
	return compile(doc, unlimited.WithDefaults())
}

// Compile validates doc within the default Limits and prepares it for
// evaluation. The config keeps a copy of doc: changing doc afterwards does
// not change the config.
func Compile(doc Document) (*Config, error) { return Loader{}.Compile(doc) }

// compile is Compile of a document that nothing else references, within
// lim (with defaults applied).
func compile(doc Document, lim Limits) (*Config, error) {
	var errs errorList
	if len(doc.Rules) > lim.Rules {
		return nil, limitError(&LimitError{Path: "rules", Limit: LimitRules, Max: lim.Rules, Count: len(doc.Rules)})
	}
	if len(doc.Schedules) > lim.Schedules {
		return nil, limitError(&LimitError{Path: "schedules", Limit: LimitSchedules, Max: lim.Schedules, Count: len(doc.Schedules)})
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
	for _, cr := range all {
		cr.digest = ruleDigest(cr)
	}
	cfg := &Config{doc: doc, rules: all, byName: make(map[string]*Schedule, len(doc.Schedules)),
		schedules: make([]*Schedule, 0, len(doc.Schedules))}
	// The schedules are allocated together: one allocation, not 100,000.
	block := make([]Schedule, len(doc.Schedules))
	parts := compileSchedules(doc.Schedules, rules, block)
	for i, s := range doc.Schedules {
		sc := &block[i]
		parts.errorsOf(i, &errs)
		if s.Name == "" {
			continue
		}
		if prev, ok := cfg.byName[s.Name]; ok {
			errs.add(schedulePath(i)+".name", "duplicate schedule name %s (also schedules[%d])", quote(s.Name), prev.index)
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
	if msg := nameProblem(what, s, maxLen, required); msg != "" {
		errs.add(path, "%s", msg)
	}
}

// nameProblem is what is wrong with a name, id or reason s, or "".
func nameProblem(what, s string, maxLen int, required bool) string {
	switch {
	case s == "" && required:
		return what + " is required"
	case s == "":
		return ""
	case !utf8.ValidString(s):
		return what + " is not valid UTF-8"
	}
	// One pass: length and control characters.
	n, control := 0, false
	for _, r := range s {
		n++
		control = control || isControl(r)
	}
	switch {
	case n > maxLen:
		return fmt.Sprintf("%s is %d characters long, the limit is %d", what, n, maxLen)
	case strings.TrimSpace(s) != s:
		return what + " " + quote(s) + " has leading or trailing spaces"
	case control:
		return what + " " + quote(s) + " contains control characters"
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func schedulePath(i int) string { return "schedules[" + strconv.Itoa(i) + "]" }

// schedulesPerWorker is the fewest schedules worth a goroutine of their
// own in compileSchedules.
const schedulesPerWorker = 4096

// compiledParts are the schedules compiled by compileSchedules, in
// contiguous parts, with each part's errors.
type compiledParts struct {
	size  int         // schedules per part (the last may have fewer)
	errs  []errorList // of each part, in document order
	after [][]int32   // after[p][k]: len(errs[p]) once schedule size*p+k was compiled
}

// compileSchedules compiles docs into block, in parallel when there are
// many (at 100,000 schedules compiling them took 0.2–0.5 s of a replica's
// time to apply a version): each goroutine compiles a contiguous part,
// with zones and errors of its own.
func compileSchedules(docs []ScheduleDoc, rules map[string]*compiledRule, block []Schedule) compiledParts {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(docs)/schedulesPerWorker))
	size := max(1, (len(docs)+workers-1)/workers)
	parts := compiledParts{size: size, errs: make([]errorList, workers), after: make([][]int32, workers)}
	var wg sync.WaitGroup
	for p := range workers {
		lo, hi := min(p*size, len(docs)), min((p+1)*size, len(docs))
		run := func() {
			cs := scheduleCompiler{rules: rules, zones: map[string]*time.Location{}, errs: &parts.errs[p]}
			after := make([]int32, hi-lo)
			for i := lo; i < hi; i++ {
				cs.compile(i, docs[i], &block[i])
				after[i-lo] = int32(len(parts.errs[p]))
			}
			parts.after[p] = after
		}
		if workers == 1 {
			run()
			continue
		}
		wg.Go(run)
	}
	wg.Wait()
	return parts
}

// errorsOf appends the errors of schedule i to errs.
func (c compiledParts) errorsOf(i int, errs *errorList) {
	p, k := i/c.size, i%c.size
	if len(c.errs[p]) == 0 {
		return
	}
	from := int32(0)
	if k > 0 {
		from = c.after[p][k-1]
	}
	*errs = append(*errs, c.errs[p][from:c.after[p][k]]...)
}

// scheduleCompiler compiles the schedules of one document, with what they
// share: the rules by id, one Location per zone (~2.5 KB each) and a
// hasher for the fingerprints.
type scheduleCompiler struct {
	rules map[string]*compiledRule
	zones map[string]*time.Location
	errs  *errorList
	buf   []byte
}

// compile fills sc from s, the i-th schedule. Paths of errors are built
// only when there is one: a document of 100,000 valid schedules builds
// none.
func (c *scheduleCompiler) compile(i int, s ScheduleDoc, sc *Schedule) {
	errs := c.errs
	if msg := nameProblem("name", s.Name, MaxNameLength, true); msg != "" {
		errs.add(schedulePath(i)+".name", "%s", msg)
	}
	*sc = Schedule{name: s.Name, manual: s.ManualClose, doc: s}
	switch {
	case s.TimeZone == "":
		errs.add(schedulePath(i)+".timeZone", "time zone is required (an IANA name such as \"America/Chicago\")")
	case s.TimeZone == "Local" || len(s.TimeZone) > 64:
		errs.add(schedulePath(i)+".timeZone", "unknown time zone %s", quote(s.TimeZone))
	default:
		loc, ok := c.zones[s.TimeZone]
		if !ok {
			loc, _ = time.LoadLocation(s.TimeZone)
			c.zones[s.TimeZone] = loc // nil if unknown
		}
		if loc == nil {
			errs.add(schedulePath(i)+".timeZone", "unknown time zone %s", quote(s.TimeZone))
		}
		sc.loc = loc
	}
	if len(s.Rules) > maxRulesPerSchedule {
		errs.add(schedulePath(i)+".rules", "%d rules is more than the limit of %d per schedule", len(s.Rules), maxRulesPerSchedule)
		return
	}
	sc.rules = make([]*compiledRule, 0, len(s.Rules))
	var seen map[string]bool // only for long lists: short ones are scanned
	if len(s.Rules) > 16 {
		seen = make(map[string]bool, len(s.Rules))
	}
	for j, id := range s.Rules {
		r, ok := c.rules[id]
		dup := false
		if ok {
			if seen != nil {
				dup = seen[id]
				seen[id] = true
			} else {
				dup = slices.Contains(sc.rules, r)
			}
		}
		switch {
		case !ok:
			errs.add(schedulePath(i)+".rules["+strconv.Itoa(j)+"]", "no rule with id %s", quote(id))
		case dup:
			errs.add(schedulePath(i)+".rules["+strconv.Itoa(j)+"]", "rule %s is listed twice", quote(id))
		default:
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
	sc.fingerprint = c.fingerprint(s, sc.rules)
}

// fingerprint digests a schedule's fields and its rules' contents (each
// rule's digest, computed once per rule).
func (c *scheduleCompiler) fingerprint(s ScheduleDoc, rules []*compiledRule) [16]byte {
	// One buffer, one sum: many small writes to the hash cost more than
	// the hashing.
	b := c.buf[:0]
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s.Name)))
	b = append(b, s.Name...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s.TimeZone)))
	b = append(b, s.TimeZone...)
	if s.ManualClose {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(rules)))
	for _, r := range rules {
		b = append(b, r.digest[:]...)
	}
	c.buf = b
	sum := sha256.Sum256(b)
	return [16]byte(sum[:16])
}

// ruleDigest digests what a rule evaluates by: its fields, and its
// calendar's contents.
func ruleDigest(r *compiledRule) [32]byte {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(r.src)
	if r.cal != nil {
		_ = enc.Encode(r.cal.hash) // a changed calendar changes the schedule
	}
	return [32]byte(h.Sum(nil))
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
