// Package nats publishes transition events to NATS JetStream and serves
// them to browsers as Server-Sent Events.
//
// The stream (EnsureStream, default name SCHEDMGR_EVENTS) takes the
// subjects schedmgr.events.> (see package publisher for the scheme), keeps
// events for MaxAge (default 7 days) and de-duplicates on Nats-Msg-Id for
// Duplicates (default 2 minutes). Every event is published with its
// deterministic id as Nats-Msg-Id, so replicas that announce the same
// transition store one message between them.
//
//	stream, err := nats.EnsureStream(ctx, js, nats.StreamOptions{Replicas: 3})
//	pub, err := nats.New(nc, nats.Options{Registerer: reg, Logger: log})
//	sched := scheduler.New(scheduler.Options{OnTransition: func(ev scheduler.Event) {
//		pub.Enqueue(event.New("schedule-manager", ev)) // never blocks
//	}})
//	...
//	err = pub.Close(ctx) // publishes what is queued
//
// Snapshotter publishes the status of every schedule on schedmgr.snapshot
// on a cron spec; SSEHandler serves GET /api/v1/events.
package stream
