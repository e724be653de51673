package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/schedule-manager/schedule-manager/publisher/stream"
)

// EventFeed reads stored transition events back in stream order.
// *stream.Reader implements it.
type EventFeed interface {
	Follow(ctx context.Context, o stream.FollowOptions) (<-chan stream.Message, error)
}

var _ EventFeed = (*stream.Reader)(nil)

// SSE defaults.
const (
	DefaultSSEHeartbeat   = 15 * time.Second
	DefaultSSEMaxClients  = 256
	DefaultSSEMaxPerToken = 16
	// sseWriteTimeout bounds one write to a client, so a client that stops
	// reading cannot hold a stream (and its consumer) forever.
	sseWriteTimeout = time.Minute
	// sseRetryAfter is the Retry-After (seconds) of a refused stream.
	sseRetryAfter = "5"
)

// Why a stream was refused (label "reason" of schedmgr_sse_refused_total).
const (
	sseOK          = ""
	sseMaxClients  = "max_clients"
	sseMaxPerToken = "max_per_token"
	sseShutdown    = "shutting_down"
)

// sseSlots counts the open event streams, in all and per token name, and
// ends them on Close.
type sseSlots struct {
	max, maxPerToken int

	mu       sync.Mutex
	open     int
	perToken map[string]int
	closed   bool
	closing  chan struct{}
}

func newSSESlots(max, maxPerToken int) *sseSlots {
	if max <= 0 {
		max = DefaultSSEMaxClients
	}
	if maxPerToken <= 0 {
		maxPerToken = DefaultSSEMaxPerToken
	}
	return &sseSlots{max: max, maxPerToken: maxPerToken, perToken: map[string]int{}, closing: make(chan struct{})}
}

// acquire takes a slot for a stream of token, or says which limit refused
// it.
func (s *sseSlots) acquire(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return sseShutdown
	case s.perToken[token] >= s.maxPerToken:
		return sseMaxPerToken
	case s.open >= s.max:
		return sseMaxClients
	}
	s.open++
	s.perToken[token]++
	return sseOK
}

func (s *sseSlots) release(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open--
	if s.perToken[token]--; s.perToken[token] <= 0 {
		delete(s.perToken, token)
	}
}

func (s *sseSlots) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
}

// refuse answers a stream acquire refused, naming the limit.
func (s *sseSlots) refuse(w http.ResponseWriter, reason, token string) {
	w.Header().Set("Retry-After", sseRetryAfter)
	switch reason {
	case sseMaxPerToken:
		writeErrorf(w, http.StatusServiceUnavailable, "token %s already has %d event streams open, the limit per token (setting sse-max-per-token); close one, or retry later",
			quote(token), s.maxPerToken)
	case sseMaxClients:
		writeErrorf(w, http.StatusServiceUnavailable, "this server already has %d event streams open, its limit (setting sse-max-clients); retry later, or on another replica",
			s.max)
	default:
		writeError(w, http.StatusServiceUnavailable, "this server is shutting down; retry later, or on another replica")
	}
}

// Close ends every open event stream and refuses new ones (503). Call it
// when the HTTP server shuts down (http.Server.RegisterOnShutdown): its
// graceful shutdown waits for handlers, and an event stream would
// otherwise never end.
func (s *Server) Close() { s.sse.close() }

// events serves GET /api/v1/events as Server-Sent Events:
//
//	id: <stream sequence>
//	event: io.schedulemanager.schedule.opened
//	data: {"specversion":"1.0",...}
//
// A reconnecting client resumes after the sequence in its Last-Event-ID
// header (browsers send it), or after ?since=<sequence> (0: every retained
// event); without either, only new events are sent. ?schedule=<name>
// limits the stream to one schedule; ?versions=true adds the config
// version events (VersionEventType, opt-in so that a subscriber that reads
// every event as a CloudEvent is not handed one). A ": ping" comment is sent every
// heartbeat so proxies keep the connection. Streams are limited in all
// (Options.SSEMaxClients) and per token name (Options.SSEMaxPerToken), so
// that no single token can take every slot; a refused stream is answered
// 503 with Retry-After and a message naming the limit.
func (s *Server) events(w http.ResponseWriter, r *http.Request, p principal) {
	if s.feed == nil {
		writeError(w, http.StatusNotFound, "events are disabled on this service (events.disabled)")
		return
	}
	o, err := followOptions(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	withVersions, err := boolQuery(r, "versions")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if reason := s.sse.acquire(p.name); reason != sseOK {
		s.metrics.sseRefused.WithLabelValues(reason).Inc()
		s.sse.refuse(w, reason, p.name)
		return
	}
	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()
	defer s.sse.release(p.name)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.sse.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	msgs, err := s.feed.Follow(ctx, o)
	if err != nil {
		s.log.Warn("event stream unavailable", "err", err)
		writeError(w, http.StatusServiceUnavailable, "event stream unavailable: "+err.Error())
		return
	}

	rc := http.NewResponseController(w)
	// The server's WriteTimeout would cut the stream: lift it, and bound
	// each write instead.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		s.log.Debug("event stream: clear write deadline", "err", err)
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
	ping := time.NewTicker(s.sseHeartbeat)
	defer ping.Stop()
	// New config versions this replica applies are sent too, when asked
	// for (versions_sse.go).
	versions := time.NewTicker(versionPoll)
	defer versions.Stop()
	if !withVersions {
		versions.Stop()
	}
	var vw versionWatch
	sendVersion := func() bool {
		if !withVersions {
			return true
		}
		if v, ok := vw.changed(s); ok {
			return send("event: %s\ndata: %s\n\n", VersionEventType, s.versionEventData(ctx, v))
		}
		return true
	}
	if !sendVersion() {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-versions.C:
			if !sendVersion() {
				return
			}
		case <-ping.C:
			if !send(": ping\n\n") {
				return
			}
		case m, ok := <-msgs:
			if !ok || !send("id: %d\nevent: %s\ndata: %s\n\n", m.Seq, m.Type, m.Data) {
				return
			}
		}
	}
}

// followOptions reads the resume point and filter of a request.
func followOptions(r *http.Request) (stream.FollowOptions, error) {
	var o stream.FollowOptions
	q := r.URL.Query()
	from, source := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if from == "" && q.Has("since") {
		from, source = q.Get("since"), "since"
	}
	if from != "" {
		seq, err := strconv.ParseUint(from, 10, 64)
		if err != nil {
			return o, fmt.Errorf("%s: %s is not a stream sequence (a non-negative integer)", source, quote(from))
		}
		o.Resume, o.After = true, seq
	}
	o.Schedule = q.Get("schedule")
	return o, nil
}

// boolQuery reads the optional boolean query parameter name (absent:
// false).
func boolQuery(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return false, nil
	}
	b, err := strconv.ParseBool(q.Get(name))
	if err != nil {
		return false, fmt.Errorf("%s: %s is not true or false", name, quote(q.Get(name)))
	}
	return b, nil
}
