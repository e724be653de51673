// Package app builds the Schedule Manager service from Options and runs it:
// NATS (embedded or joined), the versioned store, the scheduler, the event
// sinks (converting scheduler events into event.Event), the HTTP API and
// metrics. cmd/schedule-manager only parses settings and calls
// Start; tests start the whole service in-process the same way.
//
// Metrics are served on the HTTP listener behind a bearer token, or
// anonymously there with Options.MetricsPublic, or anonymously on a
// listener of their own with Options.MetricsAddr (the HTTP listener then
// answers 404): see metrics_listener.go.
package app
