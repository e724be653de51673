package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// servedConfigs is a served-config function whose config a test swaps.
type servedConfigs struct {
	cfg     *engine.Config
	version uint64
}

func (s *servedConfigs) get() (*engine.Config, uint64) { return s.cfg, s.version }

func (s *servedConfigs) serve(t *testing.T, names ...string) {
	t.Helper()
	var scheds []string
	for _, n := range names {
		scheds = append(scheds, fmt.Sprintf(`{"name": %q, "timeZone": "UTC", "rules": ["a"]}`, n))
	}
	cfg, err := engine.Load([]byte(`{"rules": [{"id": "a", "isOpen": true}], "schedules": [` + strings.Join(scheds, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	s.version++
}

var t0 = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

func TestRequestCountsHours(t *testing.T) {
	var sv servedConfigs
	sv.serve(t, "A", "B")
	c := newRequestCounts(sv.get)
	for h := range 30 {
		for range h + 1 { // h+1 requests in hour h
			c.add("A", t0.Add(time.Duration(h)*time.Hour))
		}
	}
	c.add("B", t0)
	total := func(at time.Time, name string) uint64 { return c.recent(at, []string{name})[0] }
	// At hour 29 the last 24 hours are hours 6..29: 7+8+...+30.
	at := t0.Add(29 * time.Hour)
	if got, want := total(at, "A"), uint64((7+30)*24/2); got != want {
		t.Errorf("A over the last day: %d, want %d", got, want)
	}
	if got := total(at, "B"); got != 0 {
		t.Errorf("B a day later: %d, want 0 (its hour has passed)", got)
	}
	if got := total(t0.Add(30*time.Minute), "B"); got != 1 {
		t.Errorf("B: %d, want 1", got)
	}
	if got := total(at.Add(48*time.Hour), "A"); got != 0 {
		t.Errorf("A two days later: %d", got)
	}
	// A clock that steps back counts nothing into a later hour's bucket.
	c.add("A", at.Add(-24*time.Hour))
	if got, want := total(at, "A"), uint64((7+30)*24/2); got != want {
		t.Errorf("after a step back: %d, want %d", got, want)
	}
}

func TestRequestCountsBounded(t *testing.T) {
	var sv servedConfigs
	sv.serve(t, "A")
	c := newRequestCounts(sv.get)
	for i := range 3 * maxOtherNames {
		c.add(fmt.Sprintf("random-%d", i), t0)
	}
	c.add(strings.Repeat("n", 4*engine.MaxNameLength+1), t0) // no schedule can have it
	if len(c.other) != maxOtherNames || c.dropped != 2*maxOtherNames {
		t.Fatalf("%d other names, %d dropped", len(c.other), c.dropped)
	}
	// The served names are always counted.
	c.add("A", t0)
	if got := c.recent(t0, []string{"A", "random-0", "random-2000"}); got[0] != 1 || got[1] != 1 || got[2] != 0 {
		t.Fatalf("counts %v", got)
	}
	// A day later the quiet names make room again.
	later := t0.Add(25 * time.Hour)
	c.add("typo", later)
	if len(c.other) != 1 || c.recent(later, []string{"typo"})[0] != 1 {
		t.Fatalf("after a day: %d other names", len(c.other))
	}
}

func TestRequestCountsFollowConfig(t *testing.T) {
	var sv servedConfigs
	sv.serve(t, "Night Desk", "Support")
	c := newRequestCounts(sv.get)
	for range 5 {
		c.add("Night Desk", t0)
	}
	c.add("Night Team", t0) // not served yet: counted as another name
	// The rename is published: Night Desk's count moves with the name.
	sv.serve(t, "Night Team", "Support")
	c.add("Night Desk", t0) // a caller that still uses the old name: 404
	c.add("Night Team", t0)
	got := c.recent(t0, []string{"Night Desk", "Night Team", "Support"})
	if got[0] != 6 || got[1] != 2 || got[2] != 0 {
		t.Fatalf("counts %v, want [6 2 0]", got)
	}
	if _, ok := c.known.Load().byName["Night Desk"]; ok {
		t.Error("the removed name is still in the served index")
	}
	// Back again: the count is still there.
	sv.serve(t, "Night Desk", "Support")
	if got := c.recent(t0, []string{"Night Desk"}); got[0] != 6 {
		t.Fatalf("Night Desk back: %d", got[0])
	}
	if len(c.other) != 1 { // Night Team, removed with 2 requests
		t.Fatalf("other names: %v", c.other)
	}
}

func TestRequestCountsKeepBusiestRemoved(t *testing.T) {
	var sv servedConfigs
	sv.serve(t, "Busy")
	c := newRequestCounts(sv.get)
	for i := range maxOtherNames {
		c.add(fmt.Sprintf("noise-%d", i), t0)
	}
	for range 3 {
		c.add("Busy", t0)
	}
	sv.serve(t, "Other")
	// Busy had more requests than the quietest other name: it takes its
	// place.
	if got := c.recent(t0, []string{"Busy"}); got[0] != 3 || len(c.other) != maxOtherNames {
		t.Fatalf("Busy %d, %d other names", got[0], len(c.other))
	}
}

func TestRequestCountsNoAllocs(t *testing.T) {
	var sv servedConfigs
	sv.serve(t, "Support")
	c := newRequestCounts(sv.get)
	c.add("Support", t0)
	if n := testing.AllocsPerRun(100, func() { c.add("Support", t0) }); n != 0 {
		t.Errorf("counting a served name allocates %v times", n)
	}
}
