package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
	"github.com/schedule-manager/schedule-manager/store"
)

// StatusSource answers status questions from the served config.
// *scheduler.Scheduler implements it.
type StatusSource interface {
	// Status is the cached status of a schedule now.
	Status(name string) (scheduler.Current, bool)
	// Evaluate is the status of a schedule at instant t.
	Evaluate(name string, t time.Time) (scheduler.Current, bool)
	// All is the cached status of every schedule, in document order.
	All() []scheduler.Current
	// Config is the served config and its version (nil before the first).
	Config() (*engine.Config, uint64)
	// Ready reports whether a config is served.
	Ready() bool
}

// ConfigStore is the versioned config store the admin API reads and
// writes. store.JetStream implements it.
type ConfigStore interface {
	Get(ctx context.Context) (store.Entry, error)
	Put(ctx context.Context, data []byte, expected uint64, meta store.Meta) (uint64, error)
	History(ctx context.Context, limit int) ([]store.Entry, error)
	Version(ctx context.Context, v uint64) (store.Entry, error)
}

// ReplicaLister lists the live replicas and the config version each
// serves. *store.Presence implements it.
type ReplicaLister interface {
	Replicas(ctx context.Context) ([]store.ReplicaStatus, error)
}

var (
	_ StatusSource  = (*scheduler.Scheduler)(nil)
	_ ConfigStore   = (*store.JetStream)(nil)
	_ ReplicaLister = (*store.Presence)(nil)
)

// Deps are the components the handler uses.
type Deps struct {
	// Status serves check-schedule and the schedule views. Required.
	Status StatusSource
	// Store holds the config; the admin API reads and writes it. Required.
	Store ConfigStore
	// Presence tells whether every replica serves the latest version.
	// Optional: without it only this replica's version is compared.
	Presence ReplicaLister
	// Registerer receives the API's metrics. Optional.
	Registerer prometheus.Registerer
	// Logger receives errors and recovered panics. Optional.
	Logger *slog.Logger
	// Now is the clock (default time.Now): the instant of a cached answer
	// and of a version's metadata. Give it the scheduler's clock.
	Now func() time.Time
}

// Options configure the handler. The zero value is usable.
type Options struct {
	// Tokens are the accepted bearer tokens. With none, every admin call
	// is refused with 401.
	Tokens []Token
	// FailClosed makes an unknown schedule answer isOpen false. The default
	// (false) answers isOpen true, as Twilio's function did, so a caller
	// typo does not close a contact centre.
	FailClosed bool
	// CORSOrigins are the origins allowed to call the API from a browser:
	// "*" or exact origins such as "https://flex.twilio.com". nil means
	// ["*"]; an empty non-nil slice allows none.
	CORSOrigins []string
	// MaxBodyBytes bounds request bodies (default 4 MiB); a larger body is
	// answered 413.
	MaxBodyBytes int64
	// PublicCheck says whether check-schedule answers without a token.
	// nil means true (Twilio Studio calls it without credentials); point it
	// at false to require a viewer or admin token.
	PublicCheck *bool
	// Routes are further admin endpoints (events, webhooks) served with the
	// same authentication, role check and JSON errors.
	Routes []Route
}

// Route is an extra admin endpoint. Pattern is a ServeMux pattern such as
// "GET /api/v1/events"; Write routes need an admin token, others a viewer.
type Route struct {
	Pattern string
	Write   bool
	Handler http.Handler
}

// DefaultMaxBodyBytes is the default Options.MaxBodyBytes.
const DefaultMaxBodyBytes = 4 << 20

type callerKey struct{}

// Caller returns the name of the token that authenticated an extra Route's
// request ("" outside one), for recording who changed what.
func Caller(r *http.Request) string {
	name, _ := r.Context().Value(callerKey{}).(string)
	return name
}

// checkPath is Twilio's function path, kept so existing flows keep working.
const checkPath = "/check-schedule"

type server struct {
	status      StatusSource
	store       ConfigStore
	presence    ReplicaLister
	log         *slog.Logger
	now         func() time.Time
	auth        *authenticator
	cors        cors
	metrics     *metrics
	mux         *http.ServeMux
	failClosed  bool
	publicCheck bool
	maxBody     int64
}

// New returns the HTTP handler of the check-schedule endpoint and the admin
// API under /api/v1. Every response, errors included, is JSON.
func New(deps Deps, opts Options) (http.Handler, error) {
	if deps.Status == nil {
		return nil, errors.New("api: Deps.Status is required")
	}
	if deps.Store == nil {
		return nil, errors.New("api: Deps.Store is required")
	}
	if p, ok := deps.Presence.(*store.Presence); ok && p == nil {
		deps.Presence = nil // a typed nil would be called and panic
	}
	s := &server{
		status:      deps.Status,
		store:       deps.Store,
		presence:    deps.Presence,
		log:         deps.Logger,
		now:         deps.Now,
		failClosed:  opts.FailClosed,
		publicCheck: opts.PublicCheck == nil || *opts.PublicCheck,
		maxBody:     opts.MaxBodyBytes,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	var err error
	if s.auth, err = newAuthenticator(opts.Tokens); err != nil {
		return nil, err
	}
	if s.cors, err = newCORS(opts.CORSOrigins); err != nil {
		return nil, err
	}
	if s.metrics, err = newMetrics(deps.Registerer); err != nil {
		return nil, fmt.Errorf("api: register metrics: %w", err)
	}
	s.routes()
	for _, rt := range opts.Routes {
		h := rt.Handler
		s.mux.Handle(rt.Pattern, s.admin(rt.Write, func(w http.ResponseWriter, r *http.Request, p principal) {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, p.name)))
		}))
	}
	return s, nil
}

// routes registers the admin API. check-schedule is dispatched before the
// mux (see ServeHTTP) because it is the hot path.
func (s *server) routes() {
	m := http.NewServeMux()
	m.Handle("GET /api/v1/whoami", s.admin(false, s.whoami))
	m.Handle("GET /api/v1/config", s.admin(false, s.getConfig))
	m.Handle("PUT /api/v1/config", s.admin(true, s.putConfig))
	m.Handle("GET /api/v1/schedules", s.admin(false, s.listSchedules))
	m.Handle("GET /api/v1/schedules/{name}", s.admin(false, s.getSchedule))
	m.Handle("GET /api/v1/schedules/{name}/timeline", s.admin(false, s.getTimeline))
	m.Handle("POST /api/v1/schedules/{name}/close", s.admin(true, s.manualCloseHandler(true)))
	m.Handle("POST /api/v1/schedules/{name}/open", s.admin(true, s.manualCloseHandler(false)))
	m.Handle("GET /api/v1/history", s.admin(false, s.listHistory))
	m.Handle("GET /api/v1/history/{version}", s.admin(false, s.getVersion))
	m.Handle("POST /api/v1/rollback", s.admin(true, s.rollback))
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	s.mux = m
}

// ServeHTTP dispatches a request. Unknown routes and methods get JSON 404
// and 405 answers instead of the mux's plain text, and a panic becomes a
// JSON 500.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.recoverPanic(w, r)
	if r.URL.Path == checkPath {
		s.serveCheck(w, r)
		return
	}
	s.cors.apply(w.Header(), r)
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// No route for this method: learn from the mux whether the path exists
	// with another method (405 and its Allow header) or not at all (404).
	cw := &captureWriter{header: http.Header{}}
	h.ServeHTTP(cw, r)
	if cw.code == http.StatusMethodNotAllowed {
		allow := cw.header.Get("Allow")
		if r.Method == http.MethodOptions {
			s.cors.preflight(w, []string{allow + ", OPTIONS"})
			return
		}
		w.Header().Set("Allow", allow)
		writeErrorf(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s; use %s", quote(r.Method), quote(r.URL.Path), allow)
		return
	}
	writeErrorf(w, http.StatusNotFound, "no endpoint %s; the API is check-schedule and /api/v1/{config,schedules,history,rollback}", quote(r.URL.Path))
}

// captureWriter records the status and headers the mux's own error handler
// writes, and discards its plain-text body.
type captureWriter struct {
	header http.Header
	code   int
}

func (c *captureWriter) Header() http.Header         { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureWriter) WriteHeader(code int)        { c.code = code }

// recoverPanic turns a handler panic into a logged JSON 500. An
// http.ErrAbortHandler panic is passed on: it asks net/http to abort.
func (s *server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.Error("api: handler panic", "method", r.Method, "path", truncate(r.URL.Path, maxQuoted), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if r.URL.Path == checkPath {
		s.metrics.checkError.Inc()
	}
	// If the handler had already written headers this cannot change the
	// status, but it still ends the body with a JSON error.
	writeError(w, http.StatusInternalServerError, "internal error; the server log has the details")
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.status.Ready() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "not ready: no configuration loaded yet")
		return
	}
	_, v := s.status.Config()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "version": v})
}

// truncate shortens s to at most n runes.
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// contextTimeout bounds store calls made for one request, so a stalled
// NATS connection cannot hold a request forever.
const contextTimeout = 10 * time.Second

func (s *server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), contextTimeout)
}

// whoami tells a client (the UI) which token it holds and what it may do.
func (s *server) whoami(w http.ResponseWriter, _ *http.Request, p principal) {
	writeJSON(w, http.StatusOK, struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		CanWrite bool   `json:"canWrite"`
	}{p.name, p.role, p.canWrite()})
}
