// Package app builds the Schedule Manager service from Options and runs it:
// NATS (embedded or joined), the versioned store, the scheduler, the event
// sinks (converting scheduler events into event.Event), the HTTP API and
// metrics. cmd/schedule-manager only parses settings and calls
// Start; tests start the whole service in-process the same way.
package app
