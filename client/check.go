package client

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// checkPath is the Twilio-compatible endpoint.
const checkPath = "/check-schedule"

// Check asks whether schedule name is open now (the service's clock and
// its cached status, manual closes included). An unknown schedule is an
// *Error matching ErrNotFound (the service's fail-open answer is not
// returned as a result).
func (c *Client) Check(ctx context.Context, name string) (CheckResult, error) {
	return c.check(ctx, url.Values{"name": {name}})
}

// Simulate asks whether schedule name is open at instant at, in any form
// the service's simulate parameter takes: "2026-07-03T10:00" (wall clock
// in the schedule's zone), "2026-07-03T15:00:00Z" or "…-05:00" (an
// absolute instant), "2026-07-03" (local midnight). An unparseable time is
// an *Error matching ErrBadRequest.
func (c *Client) Simulate(ctx context.Context, name, at string) (CheckResult, error) {
	return c.check(ctx, url.Values{"name": {name}, "simulate": {at}})
}

// CheckAt asks whether schedule name is open at instant t (Simulate with t
// as RFC 3339).
func (c *Client) CheckAt(ctx context.Context, name string, t time.Time) (CheckResult, error) {
	return c.Simulate(ctx, name, t.Format(time.RFC3339Nano))
}

func (c *Client) check(ctx context.Context, q url.Values) (CheckResult, error) {
	var r CheckResult
	if err := c.do(ctx, request{method: http.MethodGet, path: checkPath, query: q}, &r); err != nil {
		return CheckResult{}, err
	}
	inScheduleZone(&r)
	return r, nil
}

// inScheduleZone moves the times of r into the schedule's zone (decoded
// JSON has only a fixed offset), so they print with the zone's
// abbreviation ("CST"). The instants do not change.
func inScheduleZone(r *CheckResult) {
	loc := location(r.TimeZone)
	if loc == nil {
		return
	}
	r.At = r.At.In(loc)
	if r.NextTransition != nil {
		r.NextTransition.At = r.NextTransition.At.In(loc)
	}
	if !r.NextOpening.IsZero() {
		r.NextOpening = r.NextOpening.In(loc)
	}
}

func timelineInZone(tl *Timeline) {
	loc := location(tl.TimeZone)
	if loc == nil {
		return
	}
	tl.From, tl.To = tl.From.In(loc), tl.To.In(loc)
	for i := range tl.Segments {
		tl.Segments[i].Start = tl.Segments[i].Start.In(loc)
		tl.Segments[i].End = tl.Segments[i].End.In(loc)
	}
}

var locations sync.Map // zone name → *time.Location (nil when unknown)

// location loads a time zone once; nil when it is unknown here.
func location(name string) *time.Location {
	if name == "" {
		return nil
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	locations.Store(name, loc)
	return loc
}
