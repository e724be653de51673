// Package api serves the Schedule Manager over HTTP and owns every route:
// Twilio's check-schedule contract (GET /check-schedule?name=&simulate=, or
// POST with a JSON or form body), the admin JSON API under /api/v1 (config
// with versioned compare-and-swap writes and their lint warnings, a preview
// of a draft, schedules with their status and timeline, manual close and
// reopen, history and rollback, live events as Server-Sent Events, webhook
// endpoints and dead letters, holiday and iCalendar calendars, schedule
// feeds as iCalendar), /healthz,
// /readyz, /metrics and the web UI. It reaches the rest of the service
// through small interfaces defined here (StatusSource, ConfigStore,
// ReplicaLister, EventFeed, Webhooks, CalendarRefresher, FeedLinks,
// Health). One route needs no token: GET /feeds/{secret}.ics, a schedule's
// feed by a secret link (calendar clients cannot send a header); the
// secret is stored hashed and never logged.
//
// Every answer is JSON, errors included ({"error": "..."} with a message that
// says what to fix). Admin calls need "Authorization: Bearer <token>"; tokens
// are configured as SHA-256 hashes and compared in constant time. The viewer
// role reads, the admin role also writes, the metrics role reads /metrics
// only. /metrics needs a token of any role unless Options.PublicMetrics
// (an anonymous scrape is refused before anything is gathered); an
// application that serves metrics on a listener of its own leaves
// Deps.Metrics nil. Event streams are limited in all and per token name
// (Options.SSEMaxClients, SSEMaxPerToken).
//
//	h, err := api.New(api.Deps{
//		Status:     sched,    // *scheduler.Scheduler
//		Store:      js,       // *store.JetStream
//		Presence:   presence, // *store.Presence, optional
//		Registerer: prometheus.DefaultRegisterer,
//		Logger:     logger,
//	}, api.Options{
//		Tokens: []api.Token{{Name: "ops", Role: api.RoleAdmin, SHA256: api.HashToken(secret)}},
//	})
//	if err != nil { ... }
//	srv := &http.Server{Addr: ":8080", Handler: h, ReadTimeout: 10 * time.Second}
//	srv.RegisterOnShutdown(h.Close) // ends open event streams
//
// POST /api/v1/preview compares a draft with the served config, schedule by
// schedule, over the next days, with how many check-schedule requests each
// name had on this replica in the last 24 hours (counted on the hot path
// without allocating; unknown names are bounded, see requests.go).
//
// POST /api/v1/preview/timeline and /api/v1/preview/check evaluate one
// schedule of a draft (its timeline over a range, or the check-schedule
// answer at an instant), so a UI can show a draft before it is published.
//
// GET /api/v1/schedules pages when asked to (?limit=, then the answer's
// next as ?cursor=; ?q= filters names case-insensitively, ?status= to
// open, closed, manual or error, ?sort=name or -name), so a config of
// 100,000 schedules never travels whole; without those parameters it
// answers every schedule in document order, as before.
//
// GET /api/v1/events also sends an io.schedulemanager.config.version event
// (without an id) when the stream opens and whenever this replica applies
// a new version, with who published it and why.
//
// The handler does not apply configs: the application watches the store
// and calls the scheduler's Apply, so an accepted write is served once the
// watch delivers it (on every replica alike).
package api
