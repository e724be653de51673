package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of a dead-letter message. Its data is the original event, byte
// for byte.
const (
	HeaderDLEndpoint   = "Schedmgr-Endpoint"
	HeaderDLEventID    = "Schedmgr-Event-Id"
	HeaderDLSubject    = "Schedmgr-Event-Subject"
	HeaderDLStreamSeq  = "Schedmgr-Stream-Seq"
	HeaderDLAttempts   = "Schedmgr-Attempts"
	HeaderDLLastStatus = "Schedmgr-Last-Status"
	HeaderDLLastError  = "Schedmgr-Last-Error"
	HeaderDLReason     = "Schedmgr-Reason"
)

// DeadLetter is an event that could not be delivered to an endpoint.
type DeadLetter struct {
	// Seq is the message's sequence in the dead-letter stream: the handle
	// to redeliver or discard it.
	Seq      uint64 `json:"seq"`
	Endpoint string `json:"endpoint"`
	EventID  string `json:"eventId"`
	// Schedule and Type come from the event.
	Schedule string `json:"schedule,omitempty"`
	Type     string `json:"type,omitempty"`
	// Subject and StreamSeq locate the original in the events stream.
	// LastError is a short reason (status, timeout, connection refused),
	// never what the receiver answered.
	Subject    string    `json:"subject"`
	StreamSeq  uint64    `json:"streamSeq"`
	Attempts   int       `json:"attempts"`
	LastStatus int       `json:"lastStatus,omitempty"`
	LastError  string    `json:"lastError,omitempty"`
	Reason     string    `json:"reason"`
	DeadAt     time.Time `json:"deadAt"`
	// Event is the CloudEvent as stored (omitted when it is not JSON).
	Event json.RawMessage `json:"event,omitempty"`

	data []byte
}

// deadLetters is the dead-letter stream.
type deadLetters struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	prefix string // subject prefix; a dead letter of endpoint E is on prefix.E
}

// openDeadLetters creates or updates the dead-letter stream.
func openDeadLetters(ctx context.Context, js jetstream.JetStream, o Options) (*deadLetters, error) {
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        o.DeadLetterStream,
		Description: "Schedule Manager webhook events that could not be delivered",
		Subjects:    []string{o.DeadLetterPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      o.DeadLetterMaxAge,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", o.DeadLetterStream, err)
	}
	return &deadLetters{js: js, stream: s, prefix: o.DeadLetterPrefix}, nil
}

func (d *deadLetters) subject(endpoint string) string { return d.prefix + "." + endpoint }

// put stores a dead letter of msg, the event of events-stream sequence
// origin. The message id (endpoint and origin) makes a repeat after a
// crash a duplicate, stored once. The last error is a short reason, never
// the receiver's answer: viewers read dead letters.
func (d *deadLetters) put(ctx context.Context, endpoint string, msg jetstream.Msg, origin uint64,
	eventID, reason string, attempts int, last result) error {
	m := nats.NewMsg(d.subject(endpoint))
	m.Data = msg.Data()
	m.Header.Set(HeaderDLEndpoint, endpoint)
	m.Header.Set(HeaderDLEventID, eventID)
	m.Header.Set(HeaderDLSubject, msg.Subject())
	m.Header.Set(HeaderDLStreamSeq, strconv.FormatUint(origin, 10))
	m.Header.Set(HeaderDLAttempts, strconv.Itoa(attempts))
	m.Header.Set(HeaderDLReason, reason)
	if last.Status != 0 {
		m.Header.Set(HeaderDLLastStatus, strconv.Itoa(last.Status))
	}
	if last.Err != nil {
		m.Header.Set(HeaderDLLastError, headerSafe(shortReason(last.Err.Error())))
	}
	id := endpoint + ":" + strconv.FormatUint(origin, 10)
	if _, err := d.js.PublishMsg(ctx, m, jetstream.WithMsgID(id), jetstream.WithExpectStream(d.stream.CachedInfo().Config.Name)); err != nil {
		return fmt.Errorf("store dead letter of event %s for endpoint %s: %w", eventID, endpoint, err)
	}
	return nil
}

// headerSafe removes line breaks, which a header value cannot hold.
func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// list returns up to limit dead letters with a sequence above after, of
// one endpoint ("" for all), oldest first, and whether more follow.
func (d *deadLetters) list(ctx context.Context, endpoint string, after uint64, limit int) ([]DeadLetter, bool, error) {
	filter := d.prefix + ".>"
	if endpoint != "" {
		filter = d.subject(endpoint)
	}
	var out []DeadLetter
	seq := after + 1
	for {
		raw, err := d.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read dead letters: %w", err)
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, decodeDeadLetter(raw))
		seq = raw.Sequence + 1
	}
}

// get returns one dead letter of endpoint, or ErrNoDeadLetter.
func (d *deadLetters) get(ctx context.Context, endpoint string, seq uint64) (DeadLetter, error) {
	raw, err := d.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && raw.Subject != d.subject(endpoint)) {
		return DeadLetter{}, fmt.Errorf("%w: endpoint %s has no dead letter %d", ErrNoDeadLetter, endpoint, seq)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("read dead letter %d: %w", seq, err)
	}
	return decodeDeadLetter(raw), nil
}

// remove deletes a dead letter (redelivered or discarded).
func (d *deadLetters) remove(ctx context.Context, seq uint64) error {
	if err := d.stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	return nil
}

// purge deletes every dead letter of an endpoint.
func (d *deadLetters) purge(ctx context.Context, endpoint string) error {
	if err := d.stream.Purge(ctx, jetstream.WithPurgeSubject(d.subject(endpoint))); err != nil {
		return fmt.Errorf("purge dead letters of %s: %w", endpoint, err)
	}
	return nil
}

// counts returns the number of stored dead letters per endpoint.
func (d *deadLetters) counts(ctx context.Context) (map[string]uint64, error) {
	info, err := d.stream.Info(ctx, jetstream.WithSubjectFilter(d.prefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream info: %w", err)
	}
	out := make(map[string]uint64, len(info.State.Subjects))
	for subj, n := range info.State.Subjects {
		out[strings.TrimPrefix(subj, d.prefix+".")] = n
	}
	return out, nil
}

func decodeDeadLetter(raw *jetstream.RawStreamMsg) DeadLetter {
	h := raw.Header
	dl := DeadLetter{
		Seq:       raw.Sequence,
		Endpoint:  h.Get(HeaderDLEndpoint),
		EventID:   h.Get(HeaderDLEventID),
		Subject:   h.Get(HeaderDLSubject),
		LastError: shortReason(h.Get(HeaderDLLastError)),
		Reason:    h.Get(HeaderDLReason),
		DeadAt:    raw.Time,
		data:      raw.Data,
	}
	dl.StreamSeq, _ = strconv.ParseUint(h.Get(HeaderDLStreamSeq), 10, 64)
	dl.Attempts, _ = strconv.Atoi(h.Get(HeaderDLAttempts))
	dl.LastStatus, _ = strconv.Atoi(h.Get(HeaderDLLastStatus))
	if ev, err := parseEvent(dl.Subject, raw.Data); err == nil {
		dl.Schedule, dl.Type = ev.Schedule, ev.Type
		dl.Event = json.RawMessage(raw.Data)
	}
	return dl
}
