package app

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// EventOptions configure transition events (CloudEvents on JetStream, SSE).
type EventOptions struct{}

// startEvents prepares event publishing and returns the admin routes it
// serves. Called before the scheduler runs.
func (a *App) startEvents(ctx context.Context, js jetstream.JetStream) ([]api.Route, error) {
	return nil, nil
}

// publishEvent is called by the scheduler for every transition, under its
// lock: it must only enqueue.
func (a *App) publishEvent(ev scheduler.Event) {}

// stopEvents flushes pending events; called on shutdown before NATS closes.
func (a *App) stopEvents(ctx context.Context) {}
