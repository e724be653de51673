// Package client is a typed Go client of a Schedule Manager service: the
// Twilio-compatible check-schedule endpoint, the admin API under /api/v1
// and the transition events (Server-Sent Events over HTTP, or straight
// from NATS JetStream).
//
//	c, err := client.New("http://127.0.0.1:8080",
//		client.WithToken(os.Getenv("SCHEDMGR_TOKEN")), // only the admin API needs one
//		client.WithTimeout(5*time.Second),             // per attempt
//		client.WithRetries(3, 200*time.Millisecond),   // reads only, with backoff
//	)
//	if err != nil { ... }
//
//	// Is Support open now? (checkresult.Response, as the endpoint returns it)
//	r, err := c.Check(ctx, "Support")
//	if err != nil { ... }
//	fmt.Println(r.IsOpen, r.ClosedReason, r.NextTransition)
//
//	// At a local wall-clock time in the schedule's zone.
//	r, err = c.Simulate(ctx, "Support", "2027-11-25T10:00") // closed, "holiday"
//
//	// Edit the config with compare-and-swap.
//	cfg, err := c.Config(ctx)
//	v, err := c.PutConfig(ctx, edited(cfg.Data), cfg.Version, "holidays 2027")
//	var apiErr *client.Error
//	switch {
//	case errors.Is(err, client.ErrConflict):
//		errors.As(err, &apiErr) // apiErr.CurrentVersion: reload, merge, retry
//	case errors.Is(err, client.ErrBadRequest):
//		errors.As(err, &apiErr) // apiErr.Fields: [{rules[3].endTime "25:00" is not a time (HH:MM)}]
//	}
//
//	// What would a draft change? (nothing is stored; a viewer token will do)
//	p, err := c.Preview(ctx, draft, 14)
//	for _, s := range p.Schedules {
//		if s.Change == client.ChangeRemoved && s.RecentRequests > 0 { ... } // its callers would get 404
//	}
//	res, err := c.Publish(ctx, draft, cfg.Version, "new hours") // PutConfig, with the lint warnings
//
//	// Close a schedule now, reopen it later.
//	_, err = c.CloseSchedule(ctx, "Support", "fire drill")
//	_, err = c.OpenSchedule(ctx, "Support", "")
//
//	// Follow the transitions; reconnects resume after the last event.
//	events, errc := c.SubscribeSSE(ctx, client.SSEOptions{Schedule: "Support"})
//	for ev := range events {
//		fmt.Println(ev.Data.Schedule, ev.Data.IsOpen, ev.Data.ClosedReason, ev.Data.Cause)
//	}
//	if err := <-errc; err != nil { ... } // 401, 403, 404: reconnecting would not help
//
// # Errors
//
// An answer other than 2xx is an *Error with the status, the service's
// message, the problems of a rejected config (Fields) and, on a version
// conflict, CurrentVersion. errors.Is matches it against ErrBadRequest
// (400), ErrUnauthorized (401), ErrForbidden (403), ErrNotFound (404),
// ErrConflict (409), ErrTooLarge (413) and ErrUnavailable (503).
//
// # Timeouts and retries
//
// Every call takes a context. WithTimeout bounds each attempt (default
// 30 s). Reads (GET) are retried after a network error, a timed-out attempt,
// a 5xx (but 501 and 505) or a 429, with exponential backoff and jitter, or
// after the delay of a Retry-After header; a retry that could not start
// before the context's deadline is not attempted. Writes (PUT, POST) are
// never retried: an answer lost on the way back does not mean the write
// was not applied.
//
// # Events
//
// SubscribeSSE reads GET /api/v1/events (a viewer token suffices) and
// reconnects by itself, sending Last-Event-ID. SubscribeNATS reads the
// SCHEDMGR_EVENTS stream with a JetStream ordered consumer filtered on
// subjects schedmgr.events.<schedule token>.<opened|closed> (see package
// publisher); it needs the service's NATS as an events reader (the URL of
// `schedule-manager nats-url --role reader` for the embedded server, the
// reader user of a cluster set up as deploy/README.md says). Both deliver Event:
// the CloudEvent (publisher.Event) and its stream sequence, the resume
// point for either transport (Event.LastEventID).
package client
