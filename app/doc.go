// Package app builds the Schedule Manager service from Options and runs it:
// NATS (embedded or joined), the versioned store, the scheduler, the event
// sinks (converting scheduler events into event.Event), the HTTP API and
// metrics. cmd/schedule-manager only parses settings and calls
// Start; tests start the whole service in-process the same way.
//
// NATS is part of the trust boundary (natsauth.go): the embedded server
// refuses clients without a user. Its users are generated on first start
// in DataDir/nats-credentials.json (mode 0600): the service's, in account
// SCHEDMGR, and the events reader's, in account SCHEDMGR_READERS with a
// mirror of the events stream and nothing else. StoreConn.ClientURLFor
// (and `schedule-manager nats-url`) gives a URL with them. Against an
// external cluster, NATSClientOptions holds credentials and TLS.
//
// Metrics are served on the HTTP listener behind a bearer token, or
// anonymously there with Options.MetricsPublic, or anonymously on a
// listener of their own with Options.MetricsAddr (the HTTP listener then
// answers 404): see metrics_listener.go.
package app
