package app

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/calendar/feed"
	"github.com/schedule-manager/schedule-manager/calendar/fetch"
	"github.com/schedule-manager/schedule-manager/engine"
)

// CalendarOptions configure iCalendar calendars fetched by URL and the
// schedule feeds.
type CalendarOptions struct {
	// FetchDisabled stops fetching calendars by URL (setting
	// calendar-fetch-disabled); calendars in the config still apply.
	FetchDisabled bool
	// AllowPrivate lets calendar URLs reach private and loopback addresses
	// (setting calendar-allow-private; off by default).
	AllowPrivate bool
	// FetchTimeout bounds one download (setting calendar-fetch-timeout,
	// default fetch.DefaultTimeout).
	FetchTimeout time.Duration
}

func (c CalendarOptions) validate() error {
	if c.FetchTimeout < 0 {
		return fmt.Errorf("calendar-fetch-timeout: must not be negative")
	}
	return nil
}

// startCalendars opens the feed-link bucket and, unless disabled, starts
// the calendar refresher (one replica fetches each scheduled refresh, by
// claims in a KV bucket), and adds both to the API's dependencies.
func (a *App) startCalendars(ctx context.Context, js jetstream.JetStream, deps *api.Deps) error {
	c := a.opts.Calendars
	if err := c.validate(); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	links, err := feed.NewKVLinks(sctx, js, a.opts.StoreReplicas)
	if err != nil {
		return err
	}
	deps.Feeds = links
	if c.FetchDisabled {
		return nil
	}
	claimer, err := fetch.NewKVClaimer(sctx, js, a.opts.StoreReplicas)
	if err != nil {
		return err
	}
	r, err := fetch.New(fetch.Options{Store: a.store, Claimer: claimer, AllowPrivate: c.AllowPrivate,
		Timeout: c.FetchTimeout, Registerer: a.registry, Logger: a.log})
	if err != nil {
		return err
	}
	deps.Calendars = r
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		// Wait for the first config, so the first pass sees its calendars.
		select {
		case <-a.served:
		case <-ctx.Done():
			return
		}
		_ = r.Run(ctx, a.servedCalendars)
	}()
	return nil
}

// servedCalendars returns the calendars of the config this replica serves.
func (a *App) servedCalendars() []engine.CalendarDoc {
	cfg, _ := a.sched.Config()
	if cfg == nil {
		return nil
	}
	return cfg.Document().Calendars
}
