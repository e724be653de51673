// Package event is the wire format of Schedule Manager's transition
// events: the CloudEvents 1.0 envelope (Event, Snapshot), the NATS subject
// scheme (Subject, SubjectToken, StreamName), the deterministic event id
// (ID) and Standard Webhooks signatures (Sign, Verify).
//
// It imports nothing but the standard library, so a subscriber or a
// webhook receiver links no server code. The service's sinks
// (publisher/stream: JetStream and the status snapshot; publisher/webhook:
// signed webhooks) and the Go client build on it.
//
// # Events
//
// One event per change of a schedule's state (open↔closed, or a change of
// closed reason), in JSON structured mode:
//
//	{"specversion":"1.0",
//	 "id":"5f0c…",                                // ID: 32 hex digits
//	 "source":"schedule-manager",                 // configurable
//	 "type":"io.schedulemanager.schedule.closed", // or ….opened
//	 "subject":"Support",                         // the schedule name
//	 "time":"2026-11-26T06:00:00Z",               // the transition instant
//	 "datacontenttype":"application/json",
//	 "data":{"schedule":"Support","timeZone":"America/Chicago",
//	   "isOpen":false,"closedReason":"holiday","at":"2026-11-26T06:00:00Z",
//	   "previous":{"isOpen":true,"closedReason":""},
//	   "rule":{"id":"us","name":"US holidays"},"holiday":"Thanksgiving Day",
//	   "nextTransition":{"at":"2026-11-27T14:00:00Z","isOpen":true,"closedReason":""},
//	   "configVersion":7,"cause":"schedule"}}
//
// rule and nextTransition are null when no rule decided (a manual close, no
// rule matched) or no change is ahead. cause is "schedule" (a boundary was
// reached: time is the boundary), "config" (a config write flipped the
// state, e.g. a manual close: time is the write time of that version) or
// "reconcile" (a missed change found late: time is when the state began).
// A schedule added by a config write is announced with previous
// {isOpen:false, closedReason:""}.
//
// The id is deterministic (ID: schedule, instant, new state), so every
// replica announcing the same transition produces the same event, and
// JetStream, de-duplicating on Nats-Msg-Id, stores it once.
//
// # Subjects
//
//	schedmgr.events.<token>.opened
//	schedmgr.events.<token>.closed
//	schedmgr.snapshot
//
// <token> is SubjectToken(name): [A-Za-z0-9_-] kept, every other byte as
// ~XX (hex), "" as "~", long names shortened with a hash; distinct names
// give distinct tokens. Subscribers filter with ordinary wildcards:
//
//	nats sub 'schedmgr.events.>'                  # everything
//	nats sub 'schedmgr.events.*.closed'           # every close
//	nats sub 'schedmgr.events.Sales~20EU.*'       # the schedule "Sales EU"
//
// The events are kept in the JetStream stream StreamName. The snapshot
// (type TypeSnapshot, see Snapshot) is the status of every schedule, on a
// cron spec, for subscribers that join late; it is a plain NATS publish,
// not kept in the stream.
//
// # Webhooks
//
// Webhook deliveries carry an Event as their body and the Standard
// Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). A
// receiver checks them with Verify against the endpoint's secret:
//
//	body, _ := io.ReadAll(r.Body) // the raw bytes, not re-encoded JSON
//	if err := event.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
//		http.Error(w, "invalid signature", http.StatusUnauthorized)
//		return
//	}
//	var ev event.Event
//	_ = json.Unmarshal(body, &ev)
package event
