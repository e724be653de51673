package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/publisher"
	natspub "github.com/schedule-manager/schedule-manager/publisher/nats"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// EventOptions configure transition events (CloudEvents on JetStream, SSE).
// The zero value publishes with the defaults.
type EventOptions struct {
	// Disabled turns publishing and GET /api/v1/events off.
	Disabled bool
	// Source is the CloudEvents source attribute (default "schedule-manager").
	Source string
	// MaxAge is how long the stream keeps events (default 7 days).
	MaxAge time.Duration
	// Replicas is the stream's JetStream replica count (default
	// StoreReplicas, else 1).
	Replicas int
	// Duplicates is the stream's de-duplication window (default 2 minutes):
	// replicas publishing the same transition within it store it once.
	Duplicates time.Duration
	// QueueSize bounds the events waiting to be published (default 65536);
	// beyond it events are dropped, counted and logged.
	QueueSize int
	// SnapshotSpec is a robfig/cron spec for the status snapshot on
	// schedmgr.snapshot ("@every 5m"); "" or "off" disables it (default).
	SnapshotSpec string
	// SSEHeartbeat is the interval of SSE keep-alive comments (default 15 s).
	SSEHeartbeat time.Duration
	// SSEMaxClients bounds concurrent SSE streams (default 256).
	SSEMaxClients int
}

func (e EventOptions) validate() error {
	var errs []error
	if e.MaxAge < 0 || e.Duplicates < 0 || e.SSEHeartbeat < 0 {
		errs = append(errs, errors.New("events: durations must not be negative"))
	}
	if e.QueueSize < 0 || e.SSEMaxClients < 0 {
		errs = append(errs, errors.New("events: queue size and SSE clients must not be negative"))
	}
	if err := (natspub.StreamOptions{MaxAge: e.MaxAge, Replicas: e.Replicas, Duplicates: e.Duplicates}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("events: %w", err))
	}
	if s := e.SnapshotSpec; s != "" && s != "off" {
		if _, err := cron.ParseStandard(s); err != nil {
			errs = append(errs, fmt.Errorf("events: snapshot-spec %q: %w", s, err))
		}
	}
	return errors.Join(errs...)
}

// events is the running event machinery of an App.
type events struct {
	source   string
	pub      *natspub.Publisher
	sse      *natspub.SSEHandler
	snapshot *natspub.Snapshotter
}

// startEvents prepares event publishing and returns the admin routes it
// serves. Called before the scheduler runs.
func (a *App) startEvents(ctx context.Context, js jetstream.JetStream) ([]api.Route, error) {
	o := a.opts.Events
	if o.Disabled {
		return nil, nil
	}
	replicas := o.Replicas
	if replicas == 0 {
		replicas = max(a.opts.StoreReplicas, 1)
	}
	sopts := natspub.StreamOptions{MaxAge: o.MaxAge, Replicas: replicas, Duplicates: o.Duplicates}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := natspub.EnsureStream(sctx, js, sopts); err != nil {
		return nil, err
	}
	pub, err := natspub.New(js.Conn(), natspub.Options{QueueSize: o.QueueSize, Registerer: a.registry, Logger: a.log,
		LateAfter: max(sopts.Duplicates, natspub.DefaultDuplicates) / 2})
	if err != nil {
		return nil, err
	}
	ev := &events{source: o.Source, pub: pub,
		sse: natspub.NewSSEHandler(js, natspub.SSEOptions{Heartbeat: o.SSEHeartbeat, MaxClients: o.SSEMaxClients, Logger: a.log})}
	if ev.source == "" {
		ev.source = publisher.DefaultSource
	}
	if s := o.SnapshotSpec; s != "" && s != "off" {
		ev.snapshot = natspub.NewSnapshotter(js.Conn(), a.sched, natspub.SnapshotOptions{Source: ev.source,
			Replica: a.opts.ReplicaID, Logger: a.log})
		if err := ev.snapshot.Start(s); err != nil {
			_ = pub.Close(ctx)
			return nil, err
		}
	}
	a.events = ev
	return []api.Route{{Pattern: "GET /api/v1/events", Handler: ev.sse}}, nil
}

// publishEvent is called by the scheduler for every transition, under its
// lock: it must only enqueue.
func (a *App) publishEvent(ev scheduler.Event) {
	if a.events == nil {
		return
	}
	a.events.pub.Enqueue(publisher.New(a.events.source, ev))
}

// closeEventStreams ends the open SSE streams; registered with the HTTP
// server's shutdown, which would otherwise wait for them.
func (a *App) closeEventStreams() {
	if a.events != nil {
		a.events.sse.Close()
	}
}

// stopEvents flushes pending events; called on shutdown before NATS closes.
func (a *App) stopEvents(ctx context.Context) {
	if a.events == nil {
		return
	}
	if a.events.snapshot != nil {
		a.events.snapshot.Stop()
	}
	a.events.sse.Close()
	if err := a.events.pub.Close(ctx); err != nil {
		a.log.Error("transition events not all published before shutdown", "err", err)
	}
}
