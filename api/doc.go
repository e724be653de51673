// Package api serves the Schedule Manager over HTTP and owns every route:
// Twilio's check-schedule contract (GET /check-schedule?name=&simulate=, or
// POST with a JSON or form body), the admin JSON API under /api/v1 (config
// with versioned compare-and-swap writes, schedules with their status and
// timeline, manual close and reopen, history and rollback, live events as
// Server-Sent Events, webhook endpoints and dead letters, holiday and
// iCalendar calendars, schedule feeds as iCalendar), /healthz,
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
// role reads, the admin role also writes.
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
// The handler does not apply configs: the application watches the store
// and calls the scheduler's Apply, so an accepted write is served once the
// watch delivers it (on every replica alike).
package api
