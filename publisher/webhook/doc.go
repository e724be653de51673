// Package webhook delivers Schedule Manager's transition events to HTTP
// endpoints, signed as Standard Webhooks (https://www.standardwebhooks.com,
// signatures in package event).
//
// # Streams and consumers
//
// The delivery stream SCHEDMGR_WEBHOOKS sources every event of the events
// stream SCHEDMGR_EVENTS, from the creation of the first endpoint: a
// service that never had one does not store each event twice (the stream
// then does not exist). Each endpoint has one durable consumer on it,
// named ConsumerName(id), filtered to the endpoint's schedules and event
// types (subjects schedmgr.events.<token>.<opened|closed>). Event readers
// (the events-reader NATS identity) may create and consume their own
// consumers on SCHEDMGR_EVENTS; they have no access to SCHEDMGR_WEBHOOKS,
// so they can neither take nor see webhook deliveries.
//
// Earlier versions kept the delivery consumers on SCHEDMGR_EVENTS. On
// start, an endpoint whose consumer is found there is moved: its new
// consumer starts at the first event after everything the old one had
// acknowledged (found through the Nats-Stream-Source header of the copied
// events), and the old one is replaced by a paused marker consumer that
// matches no event and whose deliver policy the earlier version cannot
// update, so an earlier replica still running during a rolling upgrade
// stops delivering instead of delivering twice. An event in flight at the
// switch may reach the receiver twice; none is lost. Delete the markers
// (nats consumer rm SCHEDMGR_EVENTS schedmgr_webhook_<id>) once no older
// replica runs; deleting an endpoint deletes its marker.
//
// # Who delivers: one replica per endpoint
//
// A Dispatcher runs in every replica, with a worker per enabled endpoint,
// and all of them pull from the endpoint's consumer. The consumer has a
// priority group with the pinned policy: the server hands every event to
// the one replica holding the pin, and the others wait on standby. So
// each event is delivered by one replica (exactly once while nothing
// fails), and that replica can keep per-schedule order in memory.
//
// # Order per schedule, concurrency across schedules
//
// The active worker pulls up to MaxPending (1,000) events and queues them
// in one lane per schedule, in stream order. Only a lane's head is
// attempted, so a schedule's events reach the receiver in order; up to
// Concurrency (64) heads of different lanes are in flight at once. A
// failing or slow schedule holds back only its own lane: its head waits
// for its retry, while the other lanes go on. (If failing schedules ever
// held all MaxPending events, the others would wait too; each failing
// schedule holds only the few events it has in a day.)
//
// The worker holds its events unacknowledged, in memory. Every AckWait/3
// it marks them all in progress, so the server never gives them to anyone
// else while it lives.
//
// # Attempts, retries, dead letters
//
// Each attempt POSTs the CloudEvent (application/cloudevents+json) with
// the headers webhook-id (the event id, the same on every attempt),
// webhook-timestamp and webhook-signature, within AttemptTimeout (15 s).
// Redirects are not followed. A 2xx answer acknowledges the event. A 5xx,
// 408, 429, timeout or network error is retried BackoffBase·2ⁿ⁻¹ after the
// n-th failure (5 s, 10 s, 20 s … at most BackoffMax, 2 h; less up to 20%
// of jitter; a later Retry-After is honoured), for RetryFor (24 h) after
// the first failure, about 20 attempts. Any other answer, or the last
// failure, moves the event to the dead-letter stream
// (SCHEDMGR_DEADLETTERS, subject schedmgr.deadletters.<endpoint>) with the
// number of attempts, the last status and a short reason: never the
// receiver's answer, which only the service log shows, since viewers read
// dead letters. An admin lists and redelivers dead letters through the
// API.
//
// 410 Gone disables the endpoint on every replica (State.Disabled, the
// metric schedmgr_webhook_endpoint_disabled): its events wait in its
// consumer, for up to DeliveryMaxAge (7 days), and EnableEndpoint resumes
// delivery, in order, from the event that got the 410.
//
// # A receiver that fails as a whole
//
// When five attempts in a row fail, for at least two schedules, the
// endpoint counts as failing (State.Failing, the metric
// schedmgr_webhook_endpoint_failing): the worker stops starting attempts
// and probes the receiver with one event at a time, 1 s, 2 s, 4 s … at
// most ProbeMax (30 s) apart. As soon as it answers, every waiting event
// is retried at once and new ones flow, so the backlog arrives promptly
// rather than after each event's retry pause; the events keep their own
// retry schedules and deadlines.
//
// # Replica stops and crashes
//
// A replica that stops (Stop, SIGTERM) lets its attempts finish (until
// the stop deadline, then cuts them short), hands every event it holds
// back and gives up the pin; another replica takes over at once. An event
// whose attempt was cut short may reach the receiver twice.
//
// A replica that dies holds its events until AckWait after its last
// heartbeat, and the pin until pinnedTTL (AckWait plus a few seconds)
// after its last pull, so the pin moves only once every event it held is
// due again. The next replica takes over about AckWait (30 s) plus a few
// seconds after the crash.
//
// Either way the server sends the events due again to the new holder
// before any newer event, but not in stream order. So a worker that takes
// the pin first warms up: it queues what it receives in its lanes (each
// in stream order) and attempts nothing until the redeliveries are over
// (a first-time delivery arrives, or a pull comes back short). Order per
// schedule is thus kept across stops and crashes. An attempt in flight at
// a crash may have reached the receiver: that event is delivered again
// (at least once; receivers de-duplicate on webhook-id). Retry schedules
// live in memory: an event that was being retried starts its schedule
// (and its RetryFor) again on the next replica.
//
// One case can reorder: when the pin moves while its holder still runs (a
// consumer leader change in a NATS cluster, or the holder cut off from
// NATS for longer than the pin lasts), the new holder may deliver a newer
// event of a schedule before the old holder hands back an older one. The
// old holder notices (the server answers its next pull "pin id
// mismatch"), cuts its attempts short and hands everything back.
//
// # Addresses
//
// By default an endpoint may not target loopback, link-local, private,
// shared (CGNAT), multicast, reserved or cloud-metadata addresses
// (169.254.169.254 and the like), nor names that denote them (localhost,
// *.internal, *.local, single-label names). CreateEndpoint and
// Options.Validate refuse such URLs, CreateEndpoint after resolving the
// host too, and every connection is checked again after resolution, in
// the dialer's Control function, before it is attempted, so a name that
// later resolves to a private address (DNS rebinding) is refused as well.
// No proxy is used. Options.AllowPrivate (setting webhook-allow-private)
// lifts the rule, for local development and tests.
//
// Endpoints come from the settings (Options.Endpoints) and from the admin
// API (package api calls CreateEndpoint, DeleteEndpoint, EnableEndpoint,
// DeadLetters, Redeliver...), which keeps them in the KV bucket
// schedmgr_webhooks, with every endpoint's State; every replica watches
// it.
//
//	d, err := webhook.Start(ctx, js, webhook.Options{
//		Endpoints: []webhook.Endpoint{{ID: "crm", URL: "https://crm.example/hooks", Secret: secret}},
//		Registerer: registry, Logger: logger,
//	})
//	...
//	defer d.Stop(shutdownCtx)
//
// # Receiving
//
// A receiver checks each request with event.Verify (package event links no
// server code) before trusting it, and de-duplicates on webhook-id, since
// delivery is at least once:
//
//	body, _ := io.ReadAll(r.Body)
//	if err := event.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
//
// examples/webhook-receiver is a complete receiver.
package webhook
