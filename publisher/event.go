package publisher

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
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

// New builds the event for a scheduler transition. source is the
// CloudEvents source ("" means DefaultSource).
func New(source string, ev scheduler.Event) Event {
	if source == "" {
		source = DefaultSource
	}
	at := ev.At.UTC()
	typ := TypeClosed
	if ev.Status.IsOpen {
		typ = TypeOpened
	}
	d := Data{
		Schedule:      ev.Schedule,
		TimeZone:      ev.TimeZone,
		IsOpen:        ev.Status.IsOpen,
		ClosedReason:  ev.Status.ClosedReason,
		At:            at,
		Previous:      State{IsOpen: ev.Previous.IsOpen, ClosedReason: ev.Previous.ClosedReason},
		Holiday:       ev.Status.Holiday,
		ConfigVersion: ev.ConfigVersion,
		Cause:         ev.Cause,
	}
	if ev.Status.RuleID != "" || ev.Status.RuleName != "" {
		d.Rule = &Rule{ID: ev.Status.RuleID, Name: ev.Status.RuleName}
	}
	if ev.HasNext {
		d.NextTransition = &Transition{At: ev.Next.At.UTC(), IsOpen: ev.Next.Status.IsOpen, ClosedReason: ev.Next.Status.ClosedReason}
	}
	return Event{
		SpecVersion:     SpecVersion,
		ID:              EventID(ev.Schedule, at, ev.Status),
		Source:          source,
		Type:            typ,
		Subject:         ev.Schedule,
		Time:            at,
		DataContentType: DataContentType,
		Data:            d,
	}
}

// EventID is the deterministic id of the transition of schedule to status
// at instant at: every replica announcing the same transition computes the
// same id, which is the JetStream Nats-Msg-Id that de-duplicates it.
//
// It is the first 16 bytes of SHA-256 over the length-prefixed schedule
// name, the instant in Unix nanoseconds, isOpen and the length-prefixed
// closed reason, in hex (32 characters). Only the state (isOpen,
// closedReason) counts, not the deciding rule.
func EventID(schedule string, at time.Time, status engine.Status) string {
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
	if status.IsOpen {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	writeString(status.ClosedReason)
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}
