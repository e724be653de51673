package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
	"github.com/schedule-manager/schedule-manager/scheduler"
	"github.com/schedule-manager/schedule-manager/store"
	"github.com/schedule-manager/schedule-manager/web"
)

// App is a running service.
type App struct {
	opts      Options
	log       *slog.Logger
	conn      *StoreConn // NATS and the config store
	nc        *nats.Conn
	store     *store.JetStream
	presence  *store.Presence
	sched     *scheduler.Scheduler
	http      *http.Server
	listener  net.Listener
	registry  *prometheus.Registry
	metrics   *appMetrics
	cron      *cron.Cron
	api       *api.Server
	events    *events             // nil when events are disabled
	webhooks  *webhook.Dispatcher // nil when webhooks are disabled
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	served    chan struct{} // closed when the first config is applied
	servedOne sync.Once
	errc      chan error
	closeOnce sync.Once

	applyMu      sync.Mutex    // serialises apply
	latestSeen   uint64        // newest version seen, under applyMu
	refused      uint64        // last version refused as invalid, under applyMu
	skipped      uint64        // last version number found missing, under applyMu
	missing      uint64        // version the last reads found missing, under applyMu
	missingReads int           // how many reads in a row found it missing, under applyMu
	reconnected  chan struct{} // NATS reconnected: syncConfig looks at once
	announce     chan struct{} // a version was applied: heartbeat announces it
	readMu       sync.Mutex
	cancelRead   context.CancelFunc // ends syncConfig's store read in flight
	closeErr     error
	// prepared is the config the API compiled from a document it is
	// writing, so that apply does not compile it again (prepare.go).
	prepared preparedConfig

	// metricsSrv and metricsListener serve /metrics on MetricsAddr; nil
	// when metrics are served on the HTTP listener (metrics_listener.go).
	metricsSrv      *http.Server
	metricsListener net.Listener
}

// Start builds and starts the service. It returns once the HTTP listener is
// bound and the first config is applied; call Shutdown to stop it.
func Start(ctx context.Context, opts Options) (*App, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	if o.ReplicaID == "" {
		host, _ := os.Hostname()
		o.ReplicaID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a := &App{opts: o, log: o.Logger, cancel: cancel, served: make(chan struct{}), errc: make(chan error, 4),
		registry: prometheus.NewRegistry(), reconnected: make(chan struct{}, 1), announce: make(chan struct{}, 1)}
	ok := false
	defer func() {
		if !ok {
			a.closeAll()
		}
	}()

	startCtx, cancelStart := context.WithTimeout(ctx, 30*time.Second)
	defer cancelStart()
	var err error
	if a.conn, err = OpenStore(startCtx, o.storeOptions()); err != nil {
		return nil, err
	}
	js := a.conn.JetStream
	a.nc, a.store = a.conn.Conn, a.conn.Store
	sopts := store.Options{Replicas: o.StoreReplicas, Logger: o.Logger}
	if a.presence, err = store.NewPresence(startCtx, js, sopts); err != nil {
		return nil, fmt.Errorf("open presence: %w", err)
	}
	if err := a.seed(startCtx); err != nil {
		return nil, err
	}
	tokens, err := resolveTokens(startCtx, js, o)
	if err != nil {
		return nil, err
	}

	a.metrics = newAppMetrics(a.registry)
	registerConnected(a.registry, a.nc.IsConnected)
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.sched = scheduler.New(scheduler.Options{Horizon: o.Horizon, Logger: o.Logger, OnTransition: a.onTransition,
		MetricsMaxSchedules: o.MetricsMaxSchedules})
	a.registry.MustRegister(a.sched)

	if err := a.startEvents(runCtx, js); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := a.conn.ensureReaderMirror(startCtx); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := a.startWebhooks(runCtx, js); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	deps := api.Deps{
		Status: a.sched, Store: a.store, Presence: a.presence, Health: a,
		Metrics:    a.publicMetrics(),
		UI:         web.Handler(),
		Registerer: a.registry, Logger: o.Logger, Now: time.Now,
		Prepared: a.prepare,
	}
	if a.events != nil {
		deps.Events = a.events.reader
	}
	if a.webhooks != nil {
		deps.Webhooks = a.webhooks
	}
	if err := a.startCalendars(runCtx, js, &deps); err != nil {
		return nil, fmt.Errorf("calendars: %w", err)
	}
	if a.api, err = api.New(deps, api.Options{Tokens: tokens, FailClosed: o.FailClosed, CORSOrigins: o.CORSOrigins,
		MaxBodyBytes: o.MaxBodyBytes, Limits: o.Limits, SSEHeartbeat: o.Events.SSEHeartbeat, SSEMaxClients: o.Events.SSEMaxClients,
		SSEMaxPerToken: o.Events.SSEMaxPerToken, PublicMetrics: o.MetricsPublic}); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}

	// Apply the current config before serving, so the first request is
	// answered. An empty store (no seed) serves an empty config until a
	// first version is written.
	// Latest, not Get: the document is read once, by syncConfig.
	if latest, err := a.store.Latest(startCtx); err == nil && latest == 0 {
		empty, _ := engine.Compile(engine.Document{})
		a.sched.Apply(empty, 0, time.Time{})
		a.servedOne.Do(func() { close(a.served) })
	}
	wctx, stopWatch := context.WithCancel(runCtx)
	watch, err := a.store.WatchVersions(wctx)
	if err != nil {
		stopWatch()
		return nil, fmt.Errorf("watch config: %w", err)
	}
	a.watchConnection()
	a.wg.Add(1)
	go a.syncConfig(runCtx, watch, stopWatch)
	select {
	case <-a.served:
	case <-startCtx.Done():
		return nil, fmt.Errorf("no valid config could be applied: %w", startCtx.Err())
	}
	a.wg.Add(2)
	go func() { defer a.wg.Done(); _ = a.sched.Run(runCtx) }()
	go a.heartbeat(runCtx)
	if err := a.startCron(); err != nil {
		return nil, err
	}

	a.http = &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	a.http.RegisterOnShutdown(a.api.Close) // ends event streams
	if err := a.startMetrics(); err != nil {
		return nil, err
	}
	if a.listener, err = net.Listen("tcp", o.HTTPAddr); err != nil {
		return nil, fmt.Errorf("http-addr: %w", err)
	}
	go func() {
		if err := a.http.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.errc <- fmt.Errorf("http: %w", err)
		}
	}()
	a.log.Info("schedule manager started", "http", "http://"+a.listener.Addr().String(), "nats", a.NATSURL(), "replica", o.ReplicaID)
	ok = true
	return a, nil
}

// HTTPAddr returns the bound HTTP address.
func (a *App) HTTPAddr() string { return a.listener.Addr().String() }

// NATSURL returns the client URL of the embedded server, or the joined URL,
// without credentials: it is for logs and messages. NATSURLFor gives one
// to connect with.
func (a *App) NATSURL() string {
	if a.opts.NATSURL == "" {
		return a.conn.ClientURL()
	}
	return redactURLs(a.opts.NATSURL)
}

// NATSURLFor returns the embedded server's client URL with the user and
// password of role r in it (see StoreConn.ClientURLFor).
func (a *App) NATSURLFor(r NATSRole) (string, error) { return a.conn.ClientURLFor(r) }

// ConnectedNATSURL is the URL of the NATS server the replica is connected
// to now ("" while disconnected).
func (a *App) ConnectedNATSURL() string { return a.nc.ConnectedUrl() }

// Scheduler returns the status cache (for tests and embedding).
func (a *App) Scheduler() *scheduler.Scheduler { return a.sched }

// Err returns a channel that reports a fatal error of a background part.
func (a *App) Err() <-chan error { return a.errc }

// seed imports the seed config when the store is empty.
func (a *App) seed(ctx context.Context) error {
	if _, err := a.store.Get(ctx); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read config: %w", err)
	}
	if len(a.opts.SeedConfig) == 0 {
		return nil
	}
	cfg, err := engine.Loader{Limits: a.opts.Limits}.Load(a.opts.SeedConfig)
	if err != nil {
		return fmt.Errorf("seed-config: %w", err)
	}
	a.prepare(a.opts.SeedConfig, cfg)
	v, err := a.store.Put(ctx, a.opts.SeedConfig, 0, store.Meta{Author: "seed", Message: "first start: seeded config", Time: time.Now()})
	if errors.Is(err, store.ErrConflict) {
		return nil // another replica seeded first
	}
	if err != nil {
		return fmt.Errorf("seed config: %w", err)
	}
	a.log.Info("seeded the config store", "version", v)
	return nil
}

// heartbeat records the served version well within the presence TTL.
func (a *App) heartbeat(ctx context.Context) {
	defer a.wg.Done()
	t := time.NewTicker(a.presence.TTL() / 3)
	defer t.Stop()
	for {
		fromTicker := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fromTicker = true
		case <-a.announce: // a version was applied: say so now
		}
		_, v := a.sched.Config()
		actx, cancel := context.WithTimeout(ctx, a.presence.TTL()/3)
		err := a.presence.Announce(actx, a.opts.ReplicaID, v)
		cancel()
		if err != nil && ctx.Err() == nil {
			a.log.Warn("announce served version", "err", err)
		}
		if !fromTicker {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, a.presence.TTL()/3)
		if reps, err := a.presence.Replicas(lctx); err == nil {
			var latest uint64
			for _, r := range reps {
				latest = max(latest, r.Version)
			}
			if l, err := a.store.Latest(lctx); err == nil {
				latest = max(latest, l)
			}
			a.metrics.latest.Set(float64(latest))
			a.metrics.lag.Set(float64(latest - min(v, latest)))
		}
		cancel()
	}
}

// Degraded lists what degrades this replica without stopping it from
// answering check-schedule (GET /healthz).
func (a *App) Degraded() []string {
	var out []string
	if !a.nc.IsConnected() {
		out = append(out, "not connected to NATS: serving the cached config; config writes fail")
	}
	return out
}

// startCron starts the periodic jobs: reconcile and status snapshots.
func (a *App) startCron() error {
	a.cron = cron.New(cron.WithChain(cron.Recover(cronLogger{a.log})))
	if spec := a.opts.ReconcileSpec; spec != "off" {
		if _, err := a.cron.AddFunc(spec, func() {
			if n := a.sched.Reconcile(); n > 0 {
				a.log.Warn("reconcile repaired schedules", "repairs", n)
			}
		}); err != nil {
			return fmt.Errorf("reconcile-spec: %w", err)
		}
	}
	if a.events != nil && a.events.snapshot != nil {
		if _, err := a.cron.AddFunc(a.opts.Events.SnapshotSpec, a.publishSnapshot); err != nil {
			return fmt.Errorf("events: snapshot-spec: %w", err)
		}
	}
	a.cron.Start()
	return nil
}

// onTransition runs once per change, one call at a time and in order, but
// outside the scheduler's lock (10,000 at once when many schedules share an
// opening time; events queue behind it): publish, and log only at debug
// level; the events themselves are the record.
func (a *App) onTransition(ev scheduler.Event) {
	a.publishEvent(ev)
	a.log.Debug("schedule state changed", "schedule", ev.Schedule, "open", ev.Status.IsOpen,
		"reason", ev.Status.ClosedReason, "at", ev.At, "cause", ev.Cause)
}

// Shutdown stops accepting requests, finishes in-flight ones, stops the
// background loops and closes NATS cleanly.
func (a *App) Shutdown(ctx context.Context) error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.http != nil {
			sctx, cancel := context.WithTimeout(ctx, a.opts.ShutdownTimeout)
			if err := a.http.Shutdown(sctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			}
			cancel()
		}
		if a.presence != nil && a.nc != nil && a.nc.IsConnected() {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_ = a.presence.Withdraw(wctx, a.opts.ReplicaID)
			cancel()
		}
		a.closeAll()
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// closeAll stops loops and NATS; used by Shutdown and by a failed Start.
func (a *App) closeAll() {
	a.stopMetrics()
	if a.cron != nil {
		<-a.cron.Stop().Done()
	}
	a.cancel()
	a.wg.Wait()
	flushCtx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
	a.stopWebhooks(flushCtx)
	a.stopEvents(flushCtx)
	cancel()
	if a.conn != nil {
		a.conn.Close()
	}
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
