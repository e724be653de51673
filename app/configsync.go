package app

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// How a replica follows the config store.
const (
	// syncInterval is how often the latest version is polled, besides the
	// watch: it bounds how long a replica serves an old version when the
	// watch stalls (a KV watch can stall for 10–20 s after a NATS node
	// fails over, while direct reads of the head keep answering).
	syncInterval = 250 * time.Millisecond
	// latestTimeout bounds one poll of the latest version (a direct get
	// that answers in milliseconds; a miss is retried on the next tick).
	latestTimeout = 500 * time.Millisecond
	// versionTimeout bounds the read of one version's document.
	versionTimeout = 5 * time.Second
	// rewatchDelay is the pause before a watch that ended is opened again.
	rewatchDelay = time.Second
)

// syncConfig keeps the served config at the latest stored version. The
// watch delivers new versions at once; a poll every syncInterval, and at
// once after a NATS reconnect, catches what a stalled watch misses. Both
// paths apply every version in order, none skipped however many were
// written meanwhile, so each replica announces every config-caused
// transition itself (the same event ids on every replica). A watch that
// ends is opened again. It is the only goroutine that applies versions
// after the first.
func (a *App) syncConfig(ctx context.Context, watch <-chan store.Entry, stopWatch context.CancelFunc) {
	defer a.wg.Done()
	defer func() { stopWatch() }()
	poll := time.NewTicker(syncInterval)
	defer poll.Stop()
	// A watch is opened in the background: creating its consumer can wait
	// seconds for a stream leader, and the poll must go on meanwhile.
	opened := make(chan openedWatch, 1)
	opening := false
	reopen := func() {
		if opening {
			return
		}
		opening = true
		go func() { opened <- a.openWatch(ctx) }()
	}
	var rewatch <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-watch:
			if !ok {
				watch = nil
				rewatch = time.After(rewatchDelay)
				continue
			}
			// The watch says which version is new; catchUp reads it (and
			// any before it), once, and not at all when this replica
			// wrote it.
			a.catchUp(ctx, e.Version)
		case <-rewatch:
			rewatch = nil
			reopen()
		case w := <-opened:
			opening = false
			if w.ch == nil {
				rewatch = time.After(rewatchDelay)
				continue
			}
			stopWatch()
			watch, stopWatch = w.ch, w.stop
		case <-a.reconnected:
			// The watch's consumer may have gone with the old connection's
			// server: open another, and look at once.
			reopen()
			a.pollLatest(ctx)
		case <-poll.C:
			a.pollLatest(ctx)
		}
	}
}

// openedWatch is a watch opened in the background (ch nil: it failed).
type openedWatch struct {
	ch   <-chan store.Entry
	stop context.CancelFunc
}

// openWatch opens a watch of the config store.
func (a *App) openWatch(ctx context.Context) openedWatch {
	wctx, cancel := context.WithCancel(ctx)
	w, err := a.store.WatchVersions(wctx)
	if err != nil {
		cancel()
		if ctx.Err() == nil {
			a.log.Warn("watch config", "err", err)
		}
		return openedWatch{}
	}
	return openedWatch{ch: w, stop: cancel}
}

// readContext is the context of one store read of syncConfig: it ends
// after d, or as soon as NATS reconnects, since a request in flight on the
// lost connection would only wait for its timeout.
func (a *App) readContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithTimeout(ctx, d)
	a.readMu.Lock()
	a.cancelRead = cancel
	a.readMu.Unlock()
	return rctx, cancel
}

// pollLatest applies every version newer than the last one seen.
func (a *App) pollLatest(ctx context.Context) {
	pctx, cancel := a.readContext(ctx, latestTimeout)
	latest, err := a.store.Latest(pctx)
	cancel()
	if err != nil {
		return // NATS down or failing over: the next poll tries again
	}
	a.catchUp(ctx, latest)
}

// catchUp applies every version after the last one seen up to through,
// oldest first, as the watch would have. A replica that serves nothing yet
// (it is starting on a store that has versions) applies through only: the latest version is its
// initial state, and the changes of the versions before it were announced
// when they were written (replaying a history of 64 versions of a 40 MB
// document would delay readiness by a minute).
func (a *App) catchUp(ctx context.Context, through uint64) {
	from := a.seenVersion() + 1
	if from == 1 && !a.sched.Ready() {
		from = through
	}
	for v := from; v <= through && ctx.Err() == nil; v++ {
		vctx, cancel := a.readContext(ctx, versionTimeout)
		t0 := time.Now()
		e, cfg, err := a.readVersion(vctx, v)
		read := time.Since(t0)
		cancel()
		if errors.Is(err, store.ErrNotFound) {
			// Reads are direct gets, which any replica of the store may
			// answer, one that has not applied v yet included: v is a gap
			// in the numbering only once it has stayed missing for
			// gapConfirmations reads. Skipping it at once left a replica
			// serving the version before, after a NATS node failed over.
			if !a.confirmGap(v) {
				return // look again on the next poll
			}
			a.markSeen(v)
			continue
		}
		if err != nil {
			return // try again on the next poll
		}
		a.apply(e, cfg, read)
	}
}

// readVersion reads version v: its metadata, and its document unless
// this replica compiled that document already (it wrote the version),
// when cfg is that compiled config.
func (a *App) readVersion(ctx context.Context, v uint64) (e store.Entry, cfg *engine.Config, err error) {
	if e, err = a.store.VersionMeta(ctx, v); err != nil {
		return e, nil, err
	}
	if cfg = a.prepared.take(e); cfg != nil {
		return e, cfg, nil
	}
	e, err = a.store.Version(ctx, v)
	return e, nil, err
}

// seenVersion is the newest version applied or refused.
func (a *App) seenVersion() uint64 {
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	_, served := a.sched.Config()
	return max(served, a.refused, a.skipped)
}

// gapConfirmations is how many reads must find a version missing before
// it is taken for a gap in the numbering (one a poll: about 2 s).
const gapConfirmations = 8

// confirmGap counts one more read that found version v missing and reports
// whether enough have.
func (a *App) confirmGap(v uint64) bool {
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	if a.missing != v {
		a.missing, a.missingReads = v, 0
	}
	a.missingReads++
	return a.missingReads >= gapConfirmations
}

func (a *App) markSeen(v uint64) {
	a.applyMu.Lock()
	a.skipped = max(a.skipped, v)
	a.applyMu.Unlock()
}

// apply serves entry e if it is newer than the served version: cfg, its
// config compiled by this replica's API when it wrote it, or else e.Data.
// A version that does not validate is logged once and counted; the
// replica keeps serving the last good one.
func (a *App) apply(e store.Entry, cfg *engine.Config, read time.Duration) {
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	a.metrics.latest.Set(float64(max(e.Version, a.latestSeen)))
	a.latestSeen = max(e.Version, a.latestSeen)
	_, served := a.sched.Config()
	if (e.Version <= served && served != 0) || e.Version <= a.refused {
		return
	}
	reused := cfg != nil
	var err error
	t0 := time.Now()
	if cfg == nil {
		cfg, err = engine.LoadStored(e.Data) // what an earlier release stored keeps loading
	}
	compile := time.Since(t0)
	if err != nil {
		a.refused = e.Version
		a.metrics.applyErrors.Inc()
		a.log.Error("stored config is invalid; still serving the previous version", "version", e.Version, "err", err)
		return
	}
	t1 := time.Now()
	a.sched.Apply(cfg, e.Version, e.Meta.Time)
	build := time.Since(t1)
	if reused {
		a.metrics.applied.WithLabelValues(compiledByWriter).Inc()
	} else {
		a.metrics.applied.WithLabelValues(compiledOnRead).Inc()
	}
	a.metrics.lag.Set(0)
	a.log.Info("config applied", "version", e.Version, "schedules", len(cfg.Schedules()), "author", e.Meta.Author,
		"compiled_by_writer", reused, "read", read.Round(time.Millisecond), "compile", compile.Round(time.Millisecond),
		"build", build.Round(time.Millisecond))
	a.servedOne.Do(func() { close(a.served) })
	// Announce from the heartbeat goroutine: a write to the replicas
	// bucket can wait seconds while NATS elects a leader, and the next
	// version must not wait behind it.
	select {
	case a.announce <- struct{}{}:
	default:
	}
}

// watchConnection reports NATS reconnects to syncConfig, keeping the
// handler OpenStore installed (it logs).
func (a *App) watchConnection() {
	prev := a.nc.Opts.ReconnectedCB
	a.nc.SetReconnectHandler(func(nc *nats.Conn) {
		if prev != nil {
			prev(nc)
		}
		a.readMu.Lock()
		if a.cancelRead != nil {
			a.cancelRead()
		}
		a.readMu.Unlock()
		select {
		case a.reconnected <- struct{}{}:
		default:
		}
	})
}
