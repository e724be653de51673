package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// EventOptions configure transition events (CloudEvents on JetStream, SSE).
// The zero value publishes with the defaults.
type EventOptions struct {
	// Disabled turns publishing and GET /api/v1/events off.
	Disabled bool
	// Source is the CloudEvents source attribute (default "schedule-manager").
	Source string
	// MaxAge is how long the stream keeps events (zero: 7 days for a new
	// stream; an existing stream keeps what it has, operator edits
	// included).
	MaxAge time.Duration
	// MaxBytes bounds the stream's size, oldest events dropped first (zero:
	// unlimited for a new stream, an existing one keeps its value;
	// negative: unlimited).
	MaxBytes int64
	// Replicas is the stream's JetStream replica count (zero: StoreReplicas
	// for a new stream; an existing stream keeps its count).
	Replicas int
	// Duplicates is the stream's de-duplication window (zero: 2 minutes for
	// a new stream; an existing one keeps its value): replicas publishing
	// the same transition within it store it once.
	Duplicates time.Duration
	// QueueSize bounds the events waiting to be published (default twice
	// the schedule limit, at least 65536: every schedule may change state
	// at one instant, and again before the first wave is stored); beyond
	// it events are dropped, counted and logged.
	QueueSize int
	// SnapshotSpec is a robfig/cron spec for the status snapshot on
	// schedmgr.snapshot ("@every 5m"); "" or "off" disables it (default).
	SnapshotSpec string
	// SSEHeartbeat is the interval of SSE keep-alive comments (default 15 s).
	SSEHeartbeat time.Duration
	// SSEMaxClients bounds concurrent SSE streams (default 256).
	SSEMaxClients int
	// SSEMaxPerToken bounds the concurrent SSE streams of one token
	// (default 16), so one token cannot hold every slot.
	SSEMaxPerToken int
}

func (e EventOptions) validate() error {
	var errs []error
	if e.MaxAge < 0 || e.Duplicates < 0 || e.SSEHeartbeat < 0 {
		errs = append(errs, errors.New("events: durations must not be negative"))
	}
	if e.QueueSize < 0 || e.SSEMaxClients < 0 || e.SSEMaxPerToken < 0 {
		errs = append(errs, errors.New("events: queue size and SSE clients must not be negative"))
	}
	total, perToken := cmp.Or(e.SSEMaxClients, api.DefaultSSEMaxClients), cmp.Or(e.SSEMaxPerToken, api.DefaultSSEMaxPerToken)
	if perToken > total {
		errs = append(errs, fmt.Errorf("sse-max-per-token: %d is more than sse-max-clients (%d); keep it well below, so that one token cannot hold every event stream", perToken, total))
	}
	if err := (stream.StreamOptions{MaxAge: e.MaxAge, Replicas: e.Replicas, Duplicates: e.Duplicates, MaxBytes: e.MaxBytes}).Validate(); err != nil {
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
	pub      *stream.Publisher
	reader   *stream.Reader
	snapshot *stream.Snapshotter // nil when snapshots are off
}

// startEvents prepares event publishing. Called before the scheduler runs.
func (a *App) startEvents(ctx context.Context, js jetstream.JetStream) error {
	o := a.opts.Events
	if o.Disabled {
		return nil
	}
	sopts := stream.StreamOptions{MaxAge: o.MaxAge, Replicas: o.Replicas, NewReplicas: a.opts.StoreReplicas,
		Duplicates: o.Duplicates, MaxBytes: o.MaxBytes}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := stream.EnsureStream(sctx, js, sopts); err != nil {
		return err
	}
	queue := cmp.Or(o.QueueSize, max(stream.DefaultQueueSize, 2*a.opts.Limits.WithDefaults().Schedules))
	pub, err := stream.New(js.Conn(), stream.Options{QueueSize: queue, Registerer: a.registry, Logger: a.log,
		LateAfter: max(sopts.Duplicates, stream.DefaultDuplicates) / 2})
	if err != nil {
		return err
	}
	ev := &events{source: o.Source, pub: pub, reader: stream.NewReader(js, "")}
	if ev.source == "" {
		ev.source = event.DefaultSource
	}
	if s := o.SnapshotSpec; s != "" && s != "off" {
		ev.snapshot = stream.NewSnapshotter(js.Conn(), stream.StatusFunc(a.statuses),
			stream.SnapshotOptions{Source: ev.source, Replica: a.opts.ReplicaID})
	}
	a.events = ev
	return nil
}

// publishSnapshot sends one status snapshot (the cron job of
// Events.SnapshotSpec).
func (a *App) publishSnapshot() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := a.events.snapshot.Publish(ctx); err != nil {
		a.log.Warn("status snapshot failed", "parts_sent", n, "err", err)
	}
}

// statuses is the current status of every schedule, for snapshots.
func (a *App) statuses() ([]event.ScheduleStatus, uint64) {
	_, version := a.sched.Config()
	all := a.sched.All()
	out := make([]event.ScheduleStatus, len(all))
	for i, c := range all {
		out[i] = statusOf(c)
	}
	return out, version
}

// statusOf converts a cached scheduler answer.
func statusOf(c scheduler.Current) event.ScheduleStatus {
	s := event.ScheduleStatus{IsOpen: c.Status.IsOpen, ClosedReason: c.Status.ClosedReason, Holiday: c.Status.Holiday,
		Rule: ruleOf(c.Status.RuleID, c.Status.RuleName)}
	if c.Schedule != nil {
		s.Schedule, s.TimeZone = c.Schedule.Name(), c.Schedule.Location().String()
	}
	if c.Err != nil { // not evaluable: the fail-open error state of check-schedule
		s.IsOpen, s.ClosedReason, s.Rule, s.Holiday = true, "error", nil, ""
		return s
	}
	if c.HasNext {
		s.NextTransition = &event.Transition{At: c.Next.At.UTC(), IsOpen: c.Next.Status.IsOpen, ClosedReason: c.Next.Status.ClosedReason}
	}
	return s
}

func ruleOf(id, name string) *event.Rule {
	if id == "" && name == "" {
		return nil
	}
	return &event.Rule{ID: id, Name: name}
}

// EventOf is the CloudEvent announcing a scheduler transition. source is
// the CloudEvents source ("" means event.DefaultSource).
func EventOf(source string, ev scheduler.Event) event.Event {
	d := event.Data{
		Schedule:      ev.Schedule,
		TimeZone:      ev.TimeZone,
		IsOpen:        ev.Status.IsOpen,
		ClosedReason:  ev.Status.ClosedReason,
		At:            ev.At,
		Previous:      event.State{IsOpen: ev.Previous.IsOpen, ClosedReason: ev.Previous.ClosedReason},
		Rule:          ruleOf(ev.Status.RuleID, ev.Status.RuleName),
		Holiday:       ev.Status.Holiday,
		ConfigVersion: ev.ConfigVersion,
		Cause:         ev.Cause,
	}
	if ev.HasNext {
		d.NextTransition = &event.Transition{At: ev.Next.At, IsOpen: ev.Next.Status.IsOpen, ClosedReason: ev.Next.Status.ClosedReason}
	}
	return event.New(source, d)
}

// publishEvent is called by the scheduler for every transition: it must
// only enqueue.
func (a *App) publishEvent(ev scheduler.Event) {
	if a.events == nil {
		return
	}
	a.events.pub.Enqueue(EventOf(a.events.source, ev))
}

// stopEvents flushes pending events; called on shutdown before NATS closes.
func (a *App) stopEvents(ctx context.Context) {
	if a.events == nil {
		return
	}
	if err := a.events.pub.Close(ctx); err != nil {
		a.log.Error("transition events not all published before shutdown", "err", err)
	}
}
