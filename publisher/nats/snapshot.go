package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/robfig/cron/v3"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/publisher"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// StatusSource is what a snapshot reads. *scheduler.Scheduler implements it.
type StatusSource interface {
	All() []scheduler.Current
	Config() (*engine.Config, uint64)
}

var _ StatusSource = (*scheduler.Scheduler)(nil)

// SnapshotOptions configure a Snapshotter.
type SnapshotOptions struct {
	// Source is the CloudEvents source (default publisher.DefaultSource).
	Source string
	// Replica names this replica in the snapshot.
	Replica string
	Logger  *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Snapshotter publishes the status of every schedule on
// publisher.SnapshotSubject with a plain core NATS publish: a snapshot is
// for subscribers that are listening now (a late joiner gets a full
// picture within one period) and is stale by the next, so it is not kept
// in the event stream and does not go through de-duplication. Every
// replica publishes its own (Data.Replica tells them apart). A snapshot
// larger than the server's max payload is split into parts.
type Snapshotter struct {
	nc   *natsgo.Conn
	src  StatusSource
	opts SnapshotOptions

	mu   sync.Mutex
	cron *cron.Cron
}

// NewSnapshotter returns a Snapshotter; call Publish, or Start for a
// periodic job.
func NewSnapshotter(nc *natsgo.Conn, src StatusSource, opts SnapshotOptions) *Snapshotter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
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
	all := s.src.All()
	_, version := s.src.Config()
	now := s.opts.Now()
	limit := int(s.nc.MaxPayload()) - envelopeReserve
	if limit < envelopeReserve {
		limit = envelopeReserve
	}
	// Group schedules into parts that fit.
	var parts [][]publisher.ScheduleStatus
	var cur []publisher.ScheduleStatus
	size := 0
	for _, c := range all {
		st := publisher.StatusOf(c)
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
			p = []publisher.ScheduleStatus{}
		}
		snap := publisher.NewSnapshot(s.opts.Source, s.opts.Replica, now, version, i+1, len(parts), p)
		data, err := json.Marshal(snap)
		if err != nil {
			return i, fmt.Errorf("encode snapshot: %w", err)
		}
		msg := natsgo.NewMsg(publisher.SnapshotSubject)
		msg.Data = data
		msg.Header.Set("Content-Type", publisher.ContentType)
		if err := s.nc.PublishMsg(msg); err != nil {
			return i, fmt.Errorf("publish snapshot part %d/%d: %w", i+1, len(parts), err)
		}
	}
	return len(parts), nil
}

// Start publishes a snapshot on a robfig/cron spec ("@every 5m",
// "*/5 * * * *") until Stop.
func (s *Snapshotter) Start(spec string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cron != nil {
		return errors.New("snapshotter already started")
	}
	c := cron.New(cron.WithChain(cron.Recover(cronLogger{s.opts.Logger})))
	if _, err := c.AddFunc(spec, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if n, err := s.Publish(ctx); err != nil {
			s.opts.Logger.Warn("status snapshot failed", "parts_sent", n, "err", err)
		}
	}); err != nil {
		return fmt.Errorf("snapshot spec %q: %w", spec, err)
	}
	c.Start()
	s.cron = c
	return nil
}

// Stop ends the periodic job and waits for a running snapshot.
func (s *Snapshotter) Stop() {
	s.mu.Lock()
	c := s.cron
	s.cron = nil
	s.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
