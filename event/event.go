package event

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// CloudEvents attribute values used by every event.
const (
	// SpecVersion is the CloudEvents specification version.
	SpecVersion = "1.0"
	// DefaultSource is the CloudEvents source when none is configured.
	DefaultSource = "schedule-manager"
	// TypeOpened is the type of an event whose new status is open.
	TypeOpened = "io.schedulemanager.schedule.opened"
	// TypeClosed is the type of an event whose new status is closed
	// (including a change of closed reason while closed).
	TypeClosed = "io.schedulemanager.schedule.closed"
	// TypeSnapshot is the type of a status snapshot (see SnapshotSubject).
	TypeSnapshot = "io.schedulemanager.schedule.snapshot"
	// DataContentType is the content type of the data attribute.
	DataContentType = "application/json"
	// ContentType is the media type of a whole event in structured mode
	// (HTTP bodies, the NATS Content-Type header).
	ContentType = "application/cloudevents+json"
)

// Event is a CloudEvents 1.0 event in JSON structured mode, announcing one
// change of a schedule's status. Its JSON form is the wire format on NATS,
// in webhook bodies and in the SSE stream.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"` // the transition instant, RFC 3339 with nanoseconds, UTC
	DataContentType string    `json:"datacontenttype"`
	Data            Data      `json:"data"`
}

// Data is the payload of an Event.
type Data struct {
	Schedule     string `json:"schedule"`
	TimeZone     string `json:"timeZone"`
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
	// At is the transition instant (the same as the event time). For a
	// change caused by a config write it is the write time of the version.
	At       time.Time `json:"at"`
	Previous State     `json:"previous"`
	// Rule is the deciding rule; nil when no rule decided (manual close,
	// or closed because no rule matched).
	Rule *Rule `json:"rule"`
	// Holiday names the holiday when a holiday calendar decided.
	Holiday string `json:"holiday,omitempty"`
	// NextTransition is the next change of state; nil when there is none
	// (an always-open schedule).
	NextTransition *Transition `json:"nextTransition"`
	ConfigVersion  uint64      `json:"configVersion"`
	// Cause is "schedule" (a boundary was reached), "config" (a config
	// write flipped the status, e.g. a manual close) or "reconcile" (a
	// missed change found late).
	Cause string `json:"cause"`
}

// State is a status without its explanation.
type State struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
}

// Rule identifies a config rule.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Transition is a future change of state.
type Transition struct {
	At           time.Time `json:"at"`
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
}

// Opened reports whether the event announces an open status.
func (e Event) Opened() bool { return e.Data.IsOpen }

// NATSSubject is the subject the event is published on.
func (e Event) NATSSubject() string { return EventSubject(e.Data.Schedule, e.Data.IsOpen) }

// New returns the event announcing d: one change of d.Schedule's state at
// d.At. The id, type, subject and time are derived from d, so every replica
// announcing the same change builds the same event. Times are in UTC.
// source is the CloudEvents source ("" means DefaultSource).
func New(source string, d Data) Event {
	if source == "" {
		source = DefaultSource
	}
	d.At = d.At.UTC()
	if d.NextTransition != nil {
		n := *d.NextTransition
		n.At = n.At.UTC()
		d.NextTransition = &n
	}
	typ := TypeClosed
	if d.IsOpen {
		typ = TypeOpened
	}
	return Event{
		SpecVersion:     SpecVersion,
		ID:              ID(d.Schedule, d.At, d.IsOpen, d.ClosedReason),
		Source:          source,
		Type:            typ,
		Subject:         d.Schedule,
		Time:            d.At,
		DataContentType: DataContentType,
		Data:            d,
	}
}

// ID is the deterministic id of the change of schedule to the state
// (isOpen, closedReason) at instant at: every replica announcing the same
// change computes the same id, which is the JetStream Nats-Msg-Id that
// de-duplicates it.
//
// It is the first 16 bytes of SHA-256 over the length-prefixed schedule
// name, the instant in Unix nanoseconds, isOpen and the length-prefixed
// closed reason, in hex (32 characters). Only the state counts, not the
// deciding rule. The layout never changes: replicas of different versions
// must agree on it during a rolling upgrade.
func ID(schedule string, at time.Time, isOpen bool, closedReason string) string {
	h := sha256.New()
	var buf [8]byte
	writeString := func(s string) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	writeString(schedule)
	binary.BigEndian.PutUint64(buf[:], uint64(at.UnixNano()))
	h.Write(buf[:])
	if isOpen {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	writeString(closedReason)
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}
