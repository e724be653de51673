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
	"github.com/schedule-manager/schedule-manager/internal/text"
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
	// Covered reports whether the precomputed timelines cover now.
	Covered() bool
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

// Health reports what degrades the service without stopping it from
// answering check-schedule (NATS unreachable, a lagging config watch).
// *app.App implements it.
type Health interface {
	// Degraded lists the current problems; empty means healthy.
	Degraded() []string
}

// Deps are the components the handler uses.
type Deps struct {
	// Status serves check-schedule and the schedule views. Required.
	Status StatusSource
	// Store holds the config; the admin API reads and writes it. Required.
	Store ConfigStore
	// Presence tells whether every replica serves the latest version.
	// Optional: without it only this replica's version is compared.
	Presence ReplicaLister
	// Events serves GET /api/v1/events. Optional: without it the route
	// answers 404 (events disabled).
	Events EventFeed
	// Webhooks serves /api/v1/webhooks and /api/v1/deadletters. Optional:
	// without it those routes answer 404 (webhooks disabled).
	Webhooks Webhooks
	// Health adds degradations to GET /healthz. Optional.
	Health Health
	// Metrics serves GET /metrics (promhttp), behind a token unless
	// Options.PublicMetrics. Optional: without it /metrics answers 404 (the
	// application serves metrics on a listener of their own).
	Metrics http.Handler
	// UI serves the admin web UI at / and /assets/. Optional.
	UI http.Handler
	// Calendars fetches calendars with a URL (refresh now, fetch status).
	// Optional: without it POST /api/v1/calendars/{id}/refresh answers 404.
	Calendars CalendarRefresher
	// Feeds stores secret schedule feed links. Optional: without it
	// /api/v1/feeds and /feeds/ answer 404.
	Feeds FeedLinks
	// Registerer receives the API's metrics. Optional.
	Registerer prometheus.Registerer
	// Logger receives errors and recovered panics. Optional.
	Logger *slog.Logger
	// Now is the clock (default time.Now): the instant of a cached answer
	// and of a version's metadata. Give it the scheduler's clock.
	Now func() time.Time
	// Prepared, when set, is told the config a document compiled to just
	// before the document is written (PUT /api/v1/config), so that this
	// replica can serve the new version without compiling it again.
	// Optional.
	Prepared func(data []byte, cfg *engine.Config)
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
	// answered 413. Bodies that carry a config document (PUT
	// /api/v1/config, POST /api/v1/preview) may be as large as
	// Limits.DocumentBytes and a little more.
	MaxBodyBytes int64
	// Limits bound the documents written (schedules, rules, bytes; zero
	// fields take engine's defaults). A document over one is refused with
	// 413 before it is read whole, naming the limit and its setting.
	Limits engine.Limits
	// PublicCheck says whether check-schedule answers without a token.
	// nil means true (Twilio Studio calls it without credentials); point it
	// at false to require a viewer or admin token.
	PublicCheck *bool
	// SSEHeartbeat is the interval of keep-alive comments on event streams
	// (default DefaultSSEHeartbeat).
	SSEHeartbeat time.Duration
	// SSEMaxClients bounds concurrent event streams (default
	// DefaultSSEMaxClients); beyond it a new stream is answered 503.
	SSEMaxClients int
	// SSEMaxPerToken bounds the concurrent event streams of one token name
	// (default DefaultSSEMaxPerToken), so one token cannot take every slot
	// of SSEMaxClients; beyond it a new stream of that token is answered
	// 503.
	SSEMaxPerToken int
	// PublicMetrics serves GET /metrics without a token. The default
	// (false) answers an anonymous scrape 401 before gathering anything.
	PublicMetrics bool
}

// DefaultMaxBodyBytes is the default Options.MaxBodyBytes.
const DefaultMaxBodyBytes = 4 << 20

// checkPath is Twilio's function path, kept so existing flows keep working.
const checkPath = "/check-schedule"

// Server is the HTTP handler of the whole service: check-schedule, the
// admin API, health, metrics and the UI. Every route is registered in
// routes.
type Server struct {
	status       StatusSource
	store        ConfigStore
	presence     ReplicaLister
	feed         EventFeed
	webhooks     Webhooks
	calendars    CalendarRefresher
	feeds        FeedLinks
	health       Health
	log          *slog.Logger
	now          func() time.Time
	auth         *authenticator
	cors         cors
	metrics      *metrics
	mux          *http.ServeMux
	sse          *sseSlots
	requests     *requestCounts // check-schedule requests per name, for previews
	manual       *manualBatcher
	names        nameIndexCache   // sorted schedule names, for paged lists
	versionMeta  versionMetaCache // the newest version's metadata, for event streams
	sseHeartbeat time.Duration
	failClosed   bool
	publicCheck  bool
	maxBody      int64
	limits       engine.Limits // with defaults applied
	loader       engine.Loader
	docBody      int64 // body limit of the routes carrying a document
	prepared     func([]byte, *engine.Config)
}

// New returns the HTTP handler of the service. Every response of the API,
// errors included, is JSON.
func New(deps Deps, opts Options) (*Server, error) {
	if deps.Status == nil {
		return nil, errors.New("api: Deps.Status is required")
	}
	if deps.Store == nil {
		return nil, errors.New("api: Deps.Store is required")
	}
	s := &Server{
		status:       deps.Status,
		store:        deps.Store,
		presence:     deps.Presence,
		feed:         deps.Events,
		webhooks:     deps.Webhooks,
		calendars:    deps.Calendars,
		feeds:        deps.Feeds,
		health:       deps.Health,
		log:          deps.Logger,
		now:          deps.Now,
		failClosed:   opts.FailClosed,
		publicCheck:  opts.PublicCheck == nil || *opts.PublicCheck,
		maxBody:      opts.MaxBodyBytes,
		limits:       opts.Limits.WithDefaults(),
		loader:       engine.Loader{Limits: opts.Limits},
		prepared:     deps.Prepared,
		sse:          newSSESlots(opts.SSEMaxClients, opts.SSEMaxPerToken),
		sseHeartbeat: opts.SSEHeartbeat,
	}
	s.requests = newRequestCounts(deps.Status.Config)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.docBody = documentBodyLimit(s.maxBody, s.limits)
	if s.sseHeartbeat <= 0 {
		s.sseHeartbeat = DefaultSSEHeartbeat
	}
	s.manual = &manualBatcher{s: s}
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
	s.routes(s.metricsRoute(deps.Metrics, opts.PublicMetrics), deps.UI)
	return s, nil
}

// routes registers every route but check-schedule, which is dispatched
// before the mux (see ServeHTTP) because it is the hot path.
func (s *Server) routes(metricsHandler, ui http.Handler) {
	m := http.NewServeMux()
	m.Handle("GET /api/v1/whoami", s.admin(false, s.whoami))
	m.Handle("GET /api/v1/config", s.admin(false, s.getConfig))
	m.Handle("PUT /api/v1/config", s.admin(true, s.putConfig))
	m.Handle("GET /api/v1/schedules", s.admin(false, s.listSchedulesRoute))
	m.Handle("GET /api/v1/schedules/{name}", s.admin(false, s.getSchedule))
	m.Handle("GET /api/v1/schedules/{name}/timeline", s.admin(false, s.getTimeline))
	m.Handle("POST /api/v1/schedules/{name}/close", s.admin(true, s.manualCloseHandler(true)))
	m.Handle("POST /api/v1/schedules/{name}/open", s.admin(true, s.manualCloseHandler(false)))
	m.Handle("GET /api/v1/history", s.admin(false, s.listHistory))
	m.Handle("GET /api/v1/history/{version}", s.admin(false, s.getVersion))
	m.Handle("POST /api/v1/rollback", s.admin(true, s.rollback))
	m.Handle("POST /api/v1/preview", s.admin(false, s.preview))
	m.Handle("POST /api/v1/preview/timeline", s.admin(false, s.previewTimeline))
	m.Handle("POST /api/v1/preview/check", s.admin(false, s.previewCheck))
	m.Handle("GET /api/v1/events", s.admin(false, s.events))
	m.Handle("GET /api/v1/webhooks", s.admin(false, s.listWebhooks))
	m.Handle("POST /api/v1/webhooks", s.admin(true, s.createWebhook))
	m.Handle("GET /api/v1/webhooks/{id}", s.admin(false, s.getWebhook))
	m.Handle("DELETE /api/v1/webhooks/{id}", s.admin(true, s.deleteWebhook))
	m.Handle("POST /api/v1/webhooks/{id}/enable", s.admin(true, s.enableWebhook))
	m.Handle("POST /api/v1/webhooks/{id}/disable", s.admin(true, s.disableWebhook))
	m.Handle("GET /api/v1/webhooks/{id}/deadletters", s.admin(false, s.listDeadLetters))
	m.Handle("POST /api/v1/webhooks/{id}/deadletters/redeliver", s.admin(true, s.redeliverAll))
	m.Handle("POST /api/v1/webhooks/{id}/deadletters/{seq}/redeliver", s.admin(true, s.redeliverOne))
	m.Handle("DELETE /api/v1/webhooks/{id}/deadletters/{seq}", s.admin(true, s.discardDeadLetter))
	m.Handle("GET /api/v1/deadletters", s.admin(false, s.listDeadLetters))
	m.Handle("GET /api/v1/calendars", s.admin(false, s.listCalendars))
	m.Handle("PUT /api/v1/calendars/{id}", s.admin(true, s.putCalendar))
	m.Handle("POST /api/v1/calendars/{id}/refresh", s.admin(true, s.refreshCalendar))
	m.Handle("GET /api/v1/holidays/{code}", s.admin(false, s.listHolidays))
	m.Handle("GET /api/v1/schedules/{name}/calendar.ics", s.admin(false, s.scheduleCalendar))
	m.Handle("GET /api/v1/feeds", s.admin(false, s.listFeeds))
	m.Handle("POST /api/v1/feeds", s.admin(true, s.createFeed))
	m.Handle("DELETE /api/v1/feeds/{id}", s.admin(true, s.revokeFeed))
	m.HandleFunc("GET "+feedPathPrefix+"{file}", s.publicFeed)
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", metricsHandler)
	if ui != nil {
		m.Handle("GET /{$}", ui)
		m.Handle("GET /assets/", ui)
	}
	s.mux = m
}

// ServeHTTP dispatches a request. Unknown routes and methods get JSON 404
// and 405 answers instead of the mux's plain text, and a panic becomes a
// JSON 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.Error("api: handler panic", "method", r.Method, "path", text.Truncate(logPath(r.URL.Path), maxQuoted), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if r.URL.Path == checkPath {
		s.metrics.checkError.Inc()
	}
	// If the handler had already written headers this cannot change the
	// status, but it still ends the body with a JSON error.
	writeError(w, http.StatusInternalServerError, "internal error; the server log has the details")
}

// healthz is the liveness probe: 200 while the process serves HTTP. It
// lists degradations (NATS unreachable, ...) that readiness ignores,
// because check-schedule keeps answering from the cache through them.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	var problems []string
	if s.health != nil {
		problems = s.health.Degraded()
	}
	if len(problems) == 0 {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "degraded", "problems": problems})
}

// readyz is the one readiness probe: 200 when this replica answers
// check-schedule correctly, that is when a config is applied and its
// precomputed timelines cover now. A replica that lost NATS keeps serving
// its cache and stays ready (see healthz).
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.status.Ready() {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "not ready: no configuration loaded yet")
		return
	}
	if !s.status.Covered() {
		writeError(w, http.StatusServiceUnavailable, "not ready: the precomputed timelines no longer cover now (the scheduler is stuck; see the server log)")
		return
	}
	_, v := s.status.Config()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "version": v})
}

// writeTimeout bounds store calls made for one request, so a stalled NATS
// connection cannot hold a request for long (a lost connection fails at
// once: store.ErrUnavailable).
const writeTimeout = 5 * time.Second

func (s *Server) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), writeTimeout)
}

// whoami tells a client (the UI) which token it holds and what it may do.
func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p principal) {
	writeJSON(w, http.StatusOK, struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		CanWrite bool   `json:"canWrite"`
	}{p.name, p.role, p.canWrite()})
}
