package main

import (
	"strings"
	"testing"
	"time"
)

// TestLoadSmoke runs a very short load test: both targets answer without
// errors and a ratio is reported. The 70% target itself is checked by
// running the command, not here (timing assertions do not belong in tests).
func TestLoadSmoke(t *testing.T) {
	var out strings.Builder
	if err := run(&out, config{duration: 200 * time.Millisecond, conns: 4, rounds: 1, scrapers: 2}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"check-schedule", "trivial handler", "ratio", "check + 2 scrapers", "scrapers answered"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
