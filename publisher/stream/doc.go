// Package stream publishes transition events to the NATS JetStream stream
// event.StreamName and reads them back.
//
// The stream (EnsureStream) takes the subjects schedmgr.events.> (see
// package event for the scheme), keeps events for MaxAge (default 7 days)
// and de-duplicates on Nats-Msg-Id for Duplicates (default 2 minutes).
// Every event is published with its deterministic id as Nats-Msg-Id, so
// replicas that announce the same transition store one message between
// them.
//
//	_, err := stream.EnsureStream(ctx, js, stream.StreamOptions{Replicas: 3})
//	pub, err := stream.New(nc, stream.Options{Registerer: reg, Logger: log})
//	pub.Enqueue(event.New("schedule-manager", data)) // never blocks
//	...
//	err = pub.Close(ctx) // publishes what is queued
//
// Reader follows the stream from a sequence (the API's Server-Sent
// Events); Snapshotter publishes the status of every schedule on
// schedmgr.snapshot.
package stream
