package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// Event is a transition event received from the service: the CloudEvent
// (event.Event: ID, Type, Time, Data.Schedule, Data.IsOpen, ...;
// NATSSubject() is the subject it was published on) with its place in the
// events stream.
type Event struct {
	// Sequence is the event's sequence number in the events stream (the
	// SSE id). Event.LastEventID resumes after this event.
	Sequence uint64 `json:"sequence"`
	event.Event
}

// LastEventID is the resume point after ev: the LastEventID of SSEOptions
// and NATSFilter.
func (ev Event) LastEventID() string { return strconv.FormatUint(ev.Sequence, 10) }

// eventsPath is the SSE endpoint.
const eventsPath = "/api/v1/events"

// SSE reconnection defaults.
const (
	// DefaultIdleTimeout is how long a stream may stay silent before it is
	// taken for dead and reopened (the service pings every 15 s).
	DefaultIdleTimeout = 45 * time.Second
	// defaultReconnect is the first reconnection delay when the service
	// did not send a retry field.
	defaultReconnect = time.Second
	// maxSSELine bounds one line of the stream (one event's JSON).
	maxSSELine = 4 << 20
)

// SSEOptions select the events of SubscribeSSE.
type SSEOptions struct {
	// Schedule limits the stream to one schedule ("": every schedule).
	Schedule string
	// LastEventID is where to start: "" for new events only, "0" for every
	// event the service still keeps, or the Sequence of the last event
	// received (Event.LastEventID) to resume after it.
	LastEventID string
	// IdleTimeout reopens a stream that sent nothing (not even a ping)
	// for this long (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// OnError, when set, is told about each failure the subscription
	// recovers from by reconnecting (connection lost, 503, an undecodable
	// event). It runs on the subscription's goroutine.
	OnError func(error)
}

// SubscribeSSE streams the service's transition events over Server-Sent
// Events (GET /api/v1/events, a viewer token is enough). Events arrive in
// stream order on the first channel. A lost connection is reopened with
// backoff and resumes after the last event received (Last-Event-ID), so
// nothing is missed or repeated while the service keeps the events.
//
// The subscription ends when ctx ends, or on an error reconnecting cannot
// fix (401, 403, 404, a bad LastEventID), which is sent on the second
// channel. Both channels are then closed; the error channel carries at most
// one error and nothing when ctx ended. Keep receiving from the event
// channel until it is closed.
func (c *Client) SubscribeSSE(ctx context.Context, opts SSEOptions) (<-chan Event, <-chan error) {
	events := make(chan Event, 16)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(events)
		if err := c.runSSE(ctx, opts, events); err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	return events, errc
}

func (c *Client) runSSE(ctx context.Context, opts SSEOptions, events chan<- Event) error {
	if opts.LastEventID != "" {
		if _, err := strconv.ParseUint(opts.LastEventID, 10, 64); err != nil {
			return fmt.Errorf("client: SubscribeSSE: LastEventID %q is not a stream sequence", opts.LastEventID)
		}
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	s := &sseStream{c: c, opts: opts, last: opts.LastEventID, events: events}
	failures := 0
	for {
		delivered, err := s.once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fatalSSE(err) {
			return err
		}
		if opts.OnError != nil {
			opts.OnError(err)
		}
		if delivered {
			failures = 0
		}
		base := s.retry
		if base <= 0 {
			base = defaultReconnect
		}
		wait := base << min(failures, 5)
		var ae *Error
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		wait = min(wait, MaxBackoff)
		wait = wait/2 + time.Duration(randN(int64(wait/2)+1))
		failures++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// fatalSSE reports whether reconnecting cannot fix err.
func fatalSSE(err error) bool {
	var ae *Error
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
			http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotAcceptable:
			return true
		}
		return false
	}
	var ce *contentTypeError
	return errors.As(err, &ce)
}

// contentTypeError is a 200 answer that is not an event stream (a proxy
// page, a service without events).
type contentTypeError struct{ got string }

func (e *contentTypeError) Error() string {
	return fmt.Sprintf("client: GET %s: the answer is %q, not an event stream", eventsPath, e.got)
}

// errStreamEnded is a stream the service closed.
var errStreamEnded = errors.New("client: the event stream ended")

type sseStream struct {
	c      *Client
	opts   SSEOptions
	last   string        // Last-Event-ID to send
	retry  time.Duration // the service's retry field
	events chan<- Event
}

// once opens the stream and reads it until it fails. delivered reports
// whether the connection was established and worked.
func (s *sseStream) once(ctx context.Context) (delivered bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := url.Values{}
	if s.opts.Schedule != "" {
		q.Set("schedule", s.opts.Schedule)
	}
	r := request{method: http.MethodGet, path: eventsPath, query: q}
	req, err := s.c.newRequest(cctx, r)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if s.last != "" {
		req.Header.Set("Last-Event-ID", s.last)
	}
	// The per-attempt timeout covers the wait for the headers only.
	var headerTimer *time.Timer
	timedOut := make(chan struct{})
	if s.c.timeout > 0 {
		headerTimer = time.AfterFunc(s.c.timeout, func() { close(timedOut); cancel() })
	}
	resp, err := s.c.hc.Do(req)
	if headerTimer != nil && !headerTimer.Stop() {
		<-timedOut
		if ctx.Err() == nil {
			if resp != nil {
				resp.Body.Close()
			}
			return false, &netError{op: "GET " + eventsPath, err: &TimeoutError{Timeout: s.c.timeout, Err: err}}
		}
	}
	if err != nil {
		return false, &netError{op: "GET " + eventsPath, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return false, newError(http.MethodGet, eventsPath, resp, body)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return false, &contentTypeError{got: resp.Header.Get("Content-Type")}
	}

	// Reopen a stream that went silent: the service pings regularly.
	idle := time.AfterFunc(s.opts.IdleTimeout, cancel)
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var id, typ string
	var data bytes.Buffer
	hasID := false
	for sc.Scan() {
		idle.Reset(s.opts.IdleTimeout)
		line := sc.Text()
		if line == "" {
			if data.Len() > 0 {
				// A slow receiver is not a silent stream.
				idle.Stop()
				if err := s.dispatch(ctx, id, typ, data.Bytes()); err != nil {
					if ctx.Err() != nil {
						return true, ctx.Err()
					}
					if s.opts.OnError != nil {
						s.opts.OnError(err)
					}
				}
				idle.Reset(s.opts.IdleTimeout)
			}
			if hasID {
				s.last = id // the spec: the id applies even without data
			}
			id, typ, hasID = "", "", false
			data.Reset()
			delivered = true
			continue
		}
		if line[0] == ':' {
			delivered = true // a comment (": connected", ": ping")
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			if !strings.ContainsRune(value, 0) {
				id, hasID = value, true
			}
		case "event":
			typ = value
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		case "retry":
			if ms, err := strconv.ParseUint(value, 10, 32); err == nil {
				s.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			return delivered, fmt.Errorf("client: GET %s: no data for %s, reconnecting", eventsPath, s.opts.IdleTimeout)
		}
		return delivered, &netError{op: "GET " + eventsPath, err: err}
	}
	return delivered, errStreamEnded
}

// dispatch decodes one SSE event and hands it over. Events of other types
// than a schedule's (a service may add kinds a subscriber did not ask for)
// are passed over.
func (s *sseStream) dispatch(ctx context.Context, id, typ string, data []byte) error {
	if typ != "" && typ != event.TypeOpened && typ != event.TypeClosed {
		return nil
	}
	var ev Event
	if err := json.Unmarshal(data, &ev.Event); err != nil {
		return fmt.Errorf("client: event %s (%s) is not a CloudEvent: %w", id, typ, err)
	}
	ev.Sequence, _ = strconv.ParseUint(id, 10, 64)
	select {
	case s.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NATSFilter selects the events of SubscribeNATS. The zero value receives
// every new event.
type NATSFilter struct {
	// Schedules limits the events to these schedules (none: every
	// schedule).
	Schedules []string
	// Kinds limits the events to event.KindOpened or
	// event.KindClosed (none: both).
	Kinds []string
	// LastEventID is where to start, as for SSE: "" for new events only,
	// "0" for every event the stream keeps, or an Event.LastEventID to
	// resume after that event.
	LastEventID string
	// Stream is the JetStream stream (default SCHEDMGR_EVENTS).
	Stream string
}

// Subjects returns the subject filters of f: event.SubjectAll, or one
// subject per schedule and kind (event.EventSubject,
// event.ScheduleFilter), or schedmgr.events.*.<kind>.
func (f NATSFilter) Subjects() ([]string, error) {
	var kinds []string
	seen := map[string]bool{}
	for _, k := range f.Kinds {
		if k != event.KindOpened && k != event.KindClosed {
			return nil, fmt.Errorf("client: kind %q is neither %q nor %q", k, event.KindOpened, event.KindClosed)
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 2 {
		kinds = nil // both: no filter on the kind
	}
	var subjects []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			subjects = append(subjects, s)
		}
	}
	switch {
	case len(f.Schedules) == 0 && len(kinds) == 0:
		add(event.SubjectAll)
	case len(f.Schedules) == 0:
		for _, k := range kinds {
			add(event.SubjectPrefix + ".*." + k)
		}
	default:
		for _, name := range f.Schedules {
			if len(kinds) == 0 {
				add(event.ScheduleFilter(name))
				continue
			}
			for _, k := range kinds {
				add(event.EventSubject(name, k == event.KindOpened))
			}
		}
	}
	return subjects, nil
}

// SubscribeNATS streams transition events straight from the JetStream
// events stream, through an ordered consumer filtered on the subjects of
// filter. The consumer is ephemeral and recreated by the NATS client after
// a disconnect, resuming where it stopped. nc must reach the service's
// NATS (its embedded server, or the cluster it joined) as an events
// reader: the embedded server refuses connections without a user, and
// `schedule-manager nats-url --role reader` prints a URL with the reader's
// user and password for nats.Connect:
//
//	nc, err := nats.Connect(os.Getenv("SCHEDMGR_NATS_URL")) // "$(schedule-manager nats-url --role reader)"
//	events, errc := client.SubscribeNATS(ctx, nc, client.NATSFilter{Schedules: []string{"Support"}})
//
// The reader's account holds a mirror of the events stream under the same
// name and with the same sequence numbers (so LastEventID works there as
// with the service's stream); on a cluster set up as deploy/README.md
// describes, use its reader user.
//
// Channels behave as for SubscribeSSE: events in stream order; at most one
// error (the stream does not exist, a bad filter, the consumer was lost
// for good), then both close; nothing on the error channel when ctx ended.
func SubscribeNATS(ctx context.Context, nc *nats.Conn, filter NATSFilter) (<-chan Event, <-chan error) {
	events := make(chan Event, 16)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(events)
		if err := runNATS(ctx, nc, filter, events); err != nil && ctx.Err() == nil {
			errc <- err
		}
	}()
	return events, errc
}

func runNATS(ctx context.Context, nc *nats.Conn, f NATSFilter, events chan<- Event) error {
	if nc == nil {
		return errors.New("client: SubscribeNATS: no NATS connection")
	}
	subjects, err := f.Subjects()
	if err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverNewPolicy}
	if f.LastEventID != "" {
		seq, err := strconv.ParseUint(f.LastEventID, 10, 64)
		if err != nil {
			return fmt.Errorf("client: SubscribeNATS: LastEventID %q is not a stream sequence", f.LastEventID)
		}
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq+1
	}
	stream := f.Stream
	if stream == "" {
		stream = event.StreamName
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("client: jetstream: %w", err)
	}
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return fmt.Errorf("client: consumer on stream %s: %w", stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("client: consume stream %s: %w", stream, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return fmt.Errorf("client: stream %s: %w", stream, err)
		}
		var ev Event
		if err := json.Unmarshal(m.Data(), &ev.Event); err != nil {
			continue // not a CloudEvent of ours; the SSE side reports these
		}
		if meta, err := m.Metadata(); err == nil {
			ev.Sequence = meta.Sequence.Stream
		}
		select {
		case events <- ev:
		case <-ctx.Done():
			return nil
		}
	}
}
