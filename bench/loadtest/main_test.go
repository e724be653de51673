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
	if err := run(&out, config{duration: 200 * time.Millisecond, conns: 4, rounds: 1}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"check-schedule", "trivial handler", "ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestScraperFloodSmoke runs the scraper rounds against each way of
// serving /metrics and checks what the anonymous scrapers were answered:
// metrics when public, 401 by default, 404 with a metrics listener.
func TestScraperFloodSmoke(t *testing.T) {
	for metrics, want := range map[string]string{"public": "answered 200 OK", "token": "answered 401 Unauthorized", "listener": "answered 404 Not Found"} {
		t.Run(metrics, func(t *testing.T) {
			var out strings.Builder
			if err := run(&out, config{duration: 100 * time.Millisecond, conns: 2, rounds: 1, scrapers: 2, metrics: metrics}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, w := range []string{"check + 2 scrapers", want} {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
