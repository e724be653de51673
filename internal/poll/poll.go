// Package poll waits in tests for a condition that something running
// concurrently makes true: a replica serving a version, a webhook
// delivered, a consumer deleted.
//
//	poll.Until(t, "replica b to serve version 3", func() bool { return served(b) == 3 })
//
// It asserts no duration: the deadline only stops a test that would
// otherwise hang, and is generous so that a slow or loaded machine never
// fails a test. Durations worth knowing are measured in benchmarks
// (BENCHMARKS.md) or logged by e2e tests.
package poll

import (
	"testing"
	"time"
)

// Timeout is how long Until waits before failing the test. A test that
// proves something by its condition holding before a longer timer of the
// code under test fires (a redelivery after an ack wait, say) sets that
// timer above Timeout.
const Timeout = time.Minute

// interval is the pause between two evaluations of the condition.
const interval = 10 * time.Millisecond

// Until evaluates cond every 10 ms until it returns true, and fails the
// test (naming what it waited for) if it is still false after Timeout.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	until(tb, Timeout, what, cond, nil)
}

// UntilExplained is Until that, when it gives up, adds what explain
// returns then (the state of the parts involved) to the failure.
func UntilExplained(tb testing.TB, what string, cond func() bool, explain func() string) {
	tb.Helper()
	until(tb, Timeout, what, cond, explain)
}

func until(tb testing.TB, timeout time.Duration, what string, cond func() bool, explain func() string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			if explain != nil {
				tb.Fatalf("gave up after %s waiting for %s:\n%s", timeout, what, explain())
			}
			tb.Fatalf("gave up after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
