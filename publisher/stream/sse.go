package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// SSE defaults.
const (
	DefaultHeartbeat     = 15 * time.Second
	DefaultMaxSSEClients = 256
	// sseWriteTimeout bounds one write to a client, so a client that stops
	// reading cannot hold a stream (and its consumer) forever.
	sseWriteTimeout = time.Minute
)

// SSEOptions configure an SSEHandler. Zero values take the defaults.
type SSEOptions struct {
	// Stream is the event stream (default DefaultStreamName).
	Stream string
	// Heartbeat is the interval of ": ping" comments (default 15 s).
	Heartbeat time.Duration
	// MaxClients bounds concurrent streams (default 256); beyond, 503.
	MaxClients int
	Logger     *slog.Logger
}

// SSEHandler serves the events as Server-Sent Events (GET /api/v1/events):
//
//	id: <stream sequence>
//	event: io.schedulemanager.schedule.opened
//	data: {"specversion":"1.0",...}
//
// Each stream reads the event stream with its own ordered consumer. A
// reconnecting client resumes after the sequence in its Last-Event-ID
// header (browsers send it), or after ?since=<sequence> (0: every retained
// event); without either, only new events are sent. ?schedule=<name>
// limits the stream to one schedule. A ": ping" comment is sent every
// Heartbeat so proxies keep the connection. The stream ends when the
// client goes away or Close is called.
type SSEHandler struct {
	js   jetstream.JetStream
	opts SSEOptions
	log  *slog.Logger

	mu      sync.Mutex
	clients int
	closed  bool
	closing chan struct{}
}

// NewSSEHandler returns the SSE handler reading from js.
func NewSSEHandler(js jetstream.JetStream, opts SSEOptions) *SSEHandler {
	if opts.Stream == "" {
		opts.Stream = DefaultStreamName
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxSSEClients
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &SSEHandler{js: js, opts: opts, log: opts.Logger, closing: make(chan struct{})}
}

// Close ends every open stream and refuses new ones (503). Call it when
// the HTTP server shuts down: its graceful shutdown waits for handlers,
// and an event stream would otherwise never end.
func (h *SSEHandler) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
}

func (h *SSEHandler) acquire() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.clients >= h.opts.MaxClients {
		return false
	}
	h.clients++
	return true
}

func (h *SSEHandler) release() {
	h.mu.Lock()
	h.clients--
	h.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (h *SSEHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg, err := consumerConfig(r)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !h.acquire() {
		writeJSONError(w, http.StatusServiceUnavailable, "too many event streams open (or shutting down); retry later")
		return
	}
	defer h.release()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-h.closing:
			cancel()
		case <-ctx.Done():
		}
	}()

	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := h.js.OrderedConsumer(cctx, h.opts.Stream, cfg)
	ccancel()
	if err != nil {
		h.log.Warn("event stream: create consumer", "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "event stream unavailable: "+err.Error())
		return
	}
	it, err := cons.Messages()
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, "event stream unavailable: "+err.Error())
		return
	}
	defer it.Stop()
	msgs := make(chan jetstream.Msg, 64)
	go func() {
		defer close(msgs)
		for {
			m, err := it.Next()
			if err != nil {
				return // stopped, or the consumer is gone
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	rc := http.NewResponseController(w)
	// The server's WriteTimeout would cut the stream: lift it, and bound
	// each write instead.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		h.log.Debug("event stream: clear write deadline", "err", err)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n: connected\n\n") {
		return
	}
	ping := time.NewTicker(h.opts.Heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if !send(": ping\n\n") {
				return
			}
		case m, ok := <-msgs:
			if !ok {
				return
			}
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			typ := event.TypeClosed
			if event.KindOf(m.Subject()) == event.KindOpened {
				typ = event.TypeOpened
			}
			if !send("id: %d\nevent: %s\ndata: %s\n\n", meta.Sequence.Stream, typ, m.Data()) {
				return
			}
		}
	}
}

// consumerConfig reads the resume point and filter of a request.
func consumerConfig(r *http.Request) (jetstream.OrderedConsumerConfig, error) {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	q := r.URL.Query()
	from, source := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if from == "" && q.Has("since") {
		from, source = q.Get("since"), "since"
	}
	if from != "" {
		seq, err := strconv.ParseUint(from, 10, 64)
		if err != nil {
			return cfg, fmt.Errorf("%s: %q is not a stream sequence (a non-negative integer)", source, from)
		}
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = seq + 1
	}
	if q.Has("schedule") {
		name := q.Get("schedule")
		cfg.FilterSubjects = []string{event.ScheduleFilter(name)}
	}
	return cfg, nil
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
