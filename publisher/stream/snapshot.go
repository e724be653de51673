package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/event"
)

// StatusSource is what a snapshot reads: the current status of every
// schedule, in document order, and the config version they come from.
type StatusSource interface {
	Statuses() ([]event.ScheduleStatus, uint64)
}

// StatusFunc adapts a function to StatusSource.
type StatusFunc func() ([]event.ScheduleStatus, uint64)

// Statuses calls f.
func (f StatusFunc) Statuses() ([]event.ScheduleStatus, uint64) { return f() }

// SnapshotOptions configure a Snapshotter.
type SnapshotOptions struct {
	// Source is the CloudEvents source (default event.DefaultSource).
	Source string
	// Replica names this replica in the snapshot.
	Replica string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Snapshotter publishes the status of every schedule on
// event.SnapshotSubject with a plain core NATS publish: a snapshot is
// for subscribers that are listening now (a late joiner gets a full
// picture within one period) and is stale by the next, so it is not kept
// in the event stream and does not go through de-duplication. Every
// replica publishes its own (Data.Replica tells them apart). A snapshot
// larger than the server's max payload is split into parts.
type Snapshotter struct {
	nc   *nats.Conn
	src  StatusSource
	opts SnapshotOptions
}

// NewSnapshotter returns a Snapshotter; call Publish (the service calls it
// on its cron spec).
func NewSnapshotter(nc *nats.Conn, src StatusSource, opts SnapshotOptions) *Snapshotter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Snapshotter{nc: nc, src: src, opts: opts}
}

// envelopeReserve is room left in each part for the envelope around the
// schedules.
const envelopeReserve = 1024

// Publish sends one snapshot now and returns the number of parts sent.
func (s *Snapshotter) Publish(ctx context.Context) (int, error) {
	all, version := s.src.Statuses()
	now := s.opts.Now()
	limit := int(s.nc.MaxPayload()) - envelopeReserve
	if limit < envelopeReserve {
		limit = envelopeReserve
	}
	// Group schedules into parts that fit.
	var parts [][]event.ScheduleStatus
	var cur []event.ScheduleStatus
	size := 0
	for _, st := range all {
		b, err := json.Marshal(st)
		if err != nil {
			return 0, fmt.Errorf("encode snapshot of %q: %w", st.Schedule, err)
		}
		if len(cur) > 0 && size+len(b)+1 > limit {
			parts, cur, size = append(parts, cur), nil, 0
		}
		cur, size = append(cur, st), size+len(b)+1
	}
	if len(cur) > 0 || len(parts) == 0 {
		parts = append(parts, cur)
	}
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return i, fmt.Errorf("publish snapshot: %w", err)
		}
		if p == nil {
			p = []event.ScheduleStatus{}
		}
		snap := event.NewSnapshot(s.opts.Source, s.opts.Replica, now, version, i+1, len(parts), p)
		data, err := json.Marshal(snap)
		if err != nil {
			return i, fmt.Errorf("encode snapshot: %w", err)
		}
		msg := nats.NewMsg(event.SnapshotSubject)
		msg.Data = data
		msg.Header.Set("Content-Type", event.ContentType)
		if err := s.nc.PublishMsg(msg); err != nil {
			return i, fmt.Errorf("publish snapshot part %d/%d: %w", i+1, len(parts), err)
		}
	}
	return len(parts), nil
}
