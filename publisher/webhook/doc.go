// Package webhook delivers Schedule Manager's transition events to HTTP
// endpoints, signed as Standard Webhooks (https://www.standardwebhooks.com,
// signatures in package event).
//
// # Delivery
//
// A Dispatcher runs in every replica. For each endpoint it binds one
// durable JetStream pull consumer on the events stream (SCHEDMGR_EVENTS),
// named ConsumerName(id), filtered to the endpoint's schedules and event
// types (subjects schedmgr.events.<token>.<opened|closed>). All replicas
// pull from that one consumer, so each event is delivered by one of them.
// The consumer allows one unacknowledged event (MaxAckPending 1): events
// reach an endpoint in stream order, so in order per schedule, and a
// failing event holds back the ones after it until it is delivered or
// dead-lettered.
//
// Each attempt POSTs the CloudEvent (application/cloudevents+json) with
// the headers webhook-id (the event id, the same on every attempt),
// webhook-timestamp and webhook-signature. Redirects are not followed. A
// 2xx answer acknowledges the event. A 5xx, 408, 429, timeout or network
// error is retried after BackoffBase·2ⁿ⁻¹ (at most BackoffMax, jittered,
// NakWithDelay); any other answer is permanent. After a permanent answer,
// or the MaxDeliver-th failed attempt, the event is stored in the
// dead-letter stream (SCHEDMGR_DEADLETTERS, subject
// schedmgr.deadletters.<endpoint>) with the last status and error, where
// the admin API lists it and an admin can redeliver it.
//
// Endpoints come from the settings (Options.Endpoints) and from the admin
// API (package api calls CreateEndpoint, DeleteEndpoint, DeadLetters,
// Redeliver...), which keeps them in the KV bucket
// schedmgr_webhooks that every replica watches.
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
