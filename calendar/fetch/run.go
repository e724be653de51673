package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/engine"
)

// tick is how often Run looks at the served config for new, changed or
// removed calendars, between due refreshes.
const tick = time.Minute

// Run refreshes every calendar with a URL on its refresh spec until ctx
// ends. calendars returns the calendars of the config this replica serves.
// A calendar with a URL and no text yet is fetched at once. With a
// Claimer, one replica fetches each scheduled refresh.
func (r *Refresher) Run(ctx context.Context, calendars func() []engine.CalendarDoc) error {
	due := map[string]time.Time{} // id → next scheduled refresh
	specs := map[string]string{}  // id → the spec due was computed from
	firsts := map[string]bool{}   // id+url → the first fetch was tried
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		now := r.o.Now()
		wake := now.Add(tick)
		seen := map[string]bool{}
		for _, c := range calendars() {
			if c.URL == "" {
				continue
			}
			seen[c.ID] = true
			sched, err := engine.CalendarRefreshSchedule(c.Refresh)
			if err != nil {
				continue // the config would not have validated
			}
			if specs[c.ID] != c.Refresh || due[c.ID].IsZero() {
				specs[c.ID] = c.Refresh
				due[c.ID] = nextRefresh(sched, now)
			}
			first := c.ID + "\x00" + c.URL
			switch {
			case c.ICS == "" && !firsts[first]:
				firsts[first] = true
				r.claimAndRefresh(ctx, c.ID, "first."+urlKey(c.URL))
			case !now.Before(due[c.ID]):
				r.claimAndRefresh(ctx, c.ID, claimKey(c.ID, due[c.ID]))
				due[c.ID] = nextRefresh(sched, now)
			}
			if due[c.ID].Before(wake) {
				wake = due[c.ID]
			}
		}
		for id := range due {
			if !seen[id] {
				delete(due, id)
				delete(specs, id)
				r.metrics.forget(id)
			}
		}
		timer.Reset(max(wake.Sub(r.o.Now()), time.Second))
	}
}

// claimAndRefresh refreshes calendar id if this replica wins key.
func (r *Refresher) claimAndRefresh(ctx context.Context, id, key string) {
	if r.o.Claimer != nil {
		won, err := r.o.Claimer.Claim(ctx, key)
		if err != nil {
			r.log.Warn("calendar fetch: claim failed; skipping this refresh", "calendar", id, "err", err)
			return
		}
		if !won {
			return // another replica fetches this one
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 2*r.o.Timeout)
	defer cancel()
	_, _ = r.Refresh(fctx, id) // recorded in status, metrics and log
}

// nextRefresh is the first activation of sched after t. An "@every"
// interval is aligned to multiples of itself since the Unix epoch (robfig
// would count it from t), so that every replica computes the same instants
// and claims the same keys.
func nextRefresh(sched cron.Schedule, t time.Time) time.Time {
	if c, ok := sched.(cron.ConstantDelaySchedule); ok {
		d := c.Delay
		return time.Unix(0, 0).Add(t.Sub(time.Unix(0, 0)).Truncate(d) + d)
	}
	return sched.Next(t)
}

func urlKey(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:8])
}
