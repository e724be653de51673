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
// package webhook: up to 64 attempts in flight per endpoint, in order per
// schedule, 15 s per attempt, retries for 24 hours, and loopback, private
// and metadata addresses refused.
type WebhookOptions struct {
	// Disabled turns delivery and the webhook admin API off.
	Disabled bool
	// Endpoints are configured receivers (settings: webhooks.endpoints).
	// The admin API lists them but cannot delete them.
	Endpoints []webhook.Endpoint
	// Concurrency bounds the attempts in flight per endpoint (default
	// webhook.DefaultConcurrency).
	Concurrency int
	// MaxDeliver, when positive, caps the attempts of an event before it
	// is dead-lettered; by default RetryFor alone bounds them.
	MaxDeliver int
	// AttemptTimeout bounds one POST (default 15 s).
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the delay between attempts:
	// base·2ⁿ⁻¹ after the n-th failure, at most max (defaults 5 s, 2 h).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// RetryFor is how long a failing event is retried before it is
	// dead-lettered (default 24 h).
	RetryFor time.Duration
	// AllowPrivate lets endpoints target loopback, link-local, private
	// and cloud-metadata addresses (local development, tests).
	AllowPrivate bool
	// AckWait is how long events handed to a replica stay assigned to it
	// without news: another replica takes over a dead replica's endpoints
	// about AckWait plus a few seconds later (default 30 s).
	AckWait time.Duration
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
		Concurrency:      w.Concurrency,
		MaxDeliver:       w.MaxDeliver,
		AttemptTimeout:   w.AttemptTimeout,
		BackoffBase:      w.BackoffBase,
		BackoffMax:       w.BackoffMax,
		RetryFor:         w.RetryFor,
		AllowPrivate:     w.AllowPrivate,
		AckWait:          w.AckWait,
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
	if w.Concurrency < 0 || w.MaxDeliver < 0 || w.AttemptTimeout < 0 || w.BackoffBase < 0 || w.BackoffMax < 0 ||
		w.RetryFor < 0 || w.AckWait < 0 || w.DeadLetterMaxAge < 0 {
		return fmt.Errorf("webhooks: concurrency, max-deliver and durations must not be negative")
	}
	return w.options().Validate()
}

// startWebhooks starts delivery. Called after startEvents, whose stream
// the delivery stream sources.
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
// Attempts in flight finish within ctx; after it they are cut short. The
// events this replica held go back to their consumers, for the next
// replica.
func (a *App) stopWebhooks(ctx context.Context) {
	if a.webhooks == nil {
		return
	}
	if err := a.webhooks.Stop(ctx); err != nil {
		a.log.Warn("webhook deliveries cut short by shutdown", "err", err)
	}
}
