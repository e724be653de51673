package engine

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// breakRecurrence makes the recurrence of rule index i panic for year bad,
// as the RRULE library has done on inputs that validated.
func breakRecurrence(t *testing.T, cfg *Config, path string, bad int) {
	t.Helper()
	for _, yc := range cfg.caches {
		if yc.label == path {
			orig := yc.compute
			yc.compute = func(year int) *yearInfo {
				if year == bad {
					panic("index out of range [7] with length 7")
				}
				return orig(year)
			}
			return
		}
	}
	t.Fatalf("no cache labelled %s", path)
}

func TestProbeNamesTheRuleThatPanics(t *testing.T) {
	doc := []byte(`{"rules":[
		{"id":"us","isOpen":false,"closedReason":"holiday","holidays":"US"},
		{"id":"days","isOpen":true,"dateRRule":"FREQ=WEEKLY;BYDAY=MO,TU","startTime":"08:00","endTime":"17:00"}],
		"schedules":[{"name":"S","timeZone":"UTC","rules":["us","days"]}]}`)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	cfg, err := Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Probe(now.AddDate(-2, 0, 0), now.AddDate(2, 0, 0)); err != nil {
		t.Fatalf("a sound config failed the probe: %v", err)
	}
	if cfg, err = Load(doc); err != nil {
		t.Fatal(err)
	}
	breakRecurrence(t, cfg, "rules[1].dateRRule", 2028)
	err = cfg.Probe(now.AddDate(-2, 0, 0), now.AddDate(2, 0, 0))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Path != "rules[1].dateRRule" ||
		!strings.Contains(ve.Errors[0].Msg, "2028") {
		t.Fatalf("Probe = %v, want one error at rules[1].dateRRule naming 2028", err)
	}
	// Outside the probed years evaluation panics with the rule's path.
	sc, _ := cfg.Schedule("S")
	func() {
		defer func() {
			v := recover()
			p, ok := v.(*ExpansionPanic)
			if !ok || p.Path != "rules[1].dateRRule" || p.Year != 2028 {
				t.Errorf("At in the broken year panicked with %#v, want an *ExpansionPanic for rules[1].dateRRule in 2028", v)
			}
		}()
		sc.At(time.Date(2028, 3, 6, 9, 0, 0, 0, time.UTC))
	}()
	// Other years still evaluate.
	if st := sc.At(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)); !st.IsOpen {
		t.Errorf("a Monday of 2027 is %+v, want open", st)
	}
}
