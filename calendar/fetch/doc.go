// Package fetch keeps the iCalendar calendars of the config that have a
// URL up to date (DESIGN.md §6 Calendars). The engine reads calendars only
// from the config document; this package is the I/O side: it downloads a
// calendar on its refresh spec, checks it with the engine (syntax, size,
// event and occurrence limits), and writes a changed text into the config
// as a new version with the store's compare-and-swap, so every replica
// evaluates the same dates and history shows each change. A failed fetch
// (refused address, network, timeout, HTTP status, too large, malformed)
// changes nothing: the config keeps the last good copy, and the failure is
// counted (schedmgr_calendar_fetches_total{outcome="failed"},
// schedmgr_calendar_fetch_errors_total{reason}) and timestamped for the
// CalendarFetchFailing alert.
//
// URLs may not reach private, loopback or link-local addresses unless
// Options.AllowPrivate is set: the check runs on the resolved address of
// every connection, redirects included. URLs are never logged (Google's
// private calendar links carry a secret).
//
//	r, err := fetch.New(fetch.Options{Store: js, Claimer: claimer, Registerer: reg, Logger: log})
//	go r.Run(ctx, func() []engine.CalendarDoc { cfg, _ := sched.Config(); return cfg.Document().Calendars })
//	res, err := r.Refresh(ctx, "closures") // an admin's "refresh now"
package fetch
