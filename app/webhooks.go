package app

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/publisher/webhook"
)

// WebhookOptions configure webhook delivery. The zero value delivers to
// the endpoints created through the admin API, with the defaults of
// package webhook (20 attempts over about an hour, 10 s per attempt).
type WebhookOptions struct {
	// Disabled turns delivery and the webhook admin API off.
	Disabled bool
	// Endpoints are configured receivers (settings: webhooks.endpoints).
	// The admin API lists them but cannot delete them.
	Endpoints []webhook.Endpoint
	// MaxDeliver is the number of attempts before an event is
	// dead-lettered (default webhook.DefaultMaxDeliver).
	MaxDeliver int
	// AttemptTimeout bounds one POST (default 10 s).
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the delay between attempts:
	// base·2ⁿ⁻¹ after the n-th failure, at most max (defaults 5 s, 5 min).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// DeadLetterMaxAge is how long dead letters are kept (default 30 days).
	DeadLetterMaxAge time.Duration
	// Replicas is the JetStream replica count of the endpoint bucket and
	// the dead-letter stream (default StoreReplicas, else 1).
	Replicas int
}

// options maps the settings to the dispatcher's options.
func (w WebhookOptions) options() webhook.Options {
	return webhook.Options{
		Endpoints:        w.Endpoints,
		Stream:           event.StreamName,
		MaxDeliver:       w.MaxDeliver,
		AttemptTimeout:   w.AttemptTimeout,
		BackoffBase:      w.BackoffBase,
		BackoffMax:       w.BackoffMax,
		DeadLetterMaxAge: w.DeadLetterMaxAge,
		Replicas:         w.Replicas,
	}
}

// validate reports every invalid webhook setting, named as in the
// settings file.
func (w WebhookOptions) validate() error {
	if w.Disabled {
		return nil
	}
	if w.MaxDeliver < 0 || w.AttemptTimeout < 0 || w.BackoffBase < 0 || w.BackoffMax < 0 || w.DeadLetterMaxAge < 0 {
		return fmt.Errorf("webhooks: max-deliver and durations must not be negative")
	}
	return w.options().Validate()
}

// startWebhooks starts delivery consumers. Called after startEvents.
func (a *App) startWebhooks(ctx context.Context, js jetstream.JetStream) error {
	w := a.opts.Webhooks
	if w.Disabled {
		return nil
	}
	if err := w.validate(); err != nil {
		return err
	}
	o := w.options()
	if o.Replicas == 0 {
		o.Replicas = max(a.opts.StoreReplicas, 1)
	}
	o.Registerer, o.Logger = a.registry, a.log
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	d, err := webhook.Start(sctx, js, o)
	if err != nil {
		return err
	}
	a.webhooks = d
	return nil
}

// stopWebhooks stops delivery; called on shutdown before NATS closes.
// Attempts in flight finish within ctx; after it they are cut short and
// their events handed back to the stream for the next replica.
func (a *App) stopWebhooks(ctx context.Context) {
	if a.webhooks == nil {
		return
	}
	if err := a.webhooks.Stop(ctx); err != nil {
		a.log.Warn("webhook deliveries cut short by shutdown", "err", err)
	}
}
