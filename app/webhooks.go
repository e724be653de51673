package app

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/api"
)

// WebhookOptions configure webhook delivery.
type WebhookOptions struct{}

// startWebhooks starts delivery consumers and returns the admin routes for
// endpoints and dead letters. Called after startEvents.
func (a *App) startWebhooks(ctx context.Context, js jetstream.JetStream) ([]api.Route, error) {
	return nil, nil
}

// stopWebhooks stops delivery; called on shutdown before NATS closes.
func (a *App) stopWebhooks(ctx context.Context) {}
