package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
)

// stored is what delivery needs of a stored CloudEvent.
type stored struct {
	ID       string
	Schedule string
	Type     string // TypeOpened or TypeClosed
}

// parseEvent reads the id, subject (schedule) and kind of a stored event.
// The kind is the subject's last token, or else the suffix of the
// CloudEvents type.
func parseEvent(subject string, data []byte) (stored, error) {
	var ce struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(data, &ce); err != nil {
		return stored{}, fmt.Errorf("not a JSON CloudEvent: %w", err)
	}
	if ce.ID == "" {
		return stored{}, errors.New("the CloudEvent has no id")
	}
	typ := event.KindOf(subject)
	if typ == "" {
		typ = ce.Type[strings.LastIndexByte(ce.Type, '.')+1:]
	}
	return stored{ID: ce.ID, Schedule: ce.Subject, Type: typ}, nil
}

// worker delivers the events of one endpoint. Every replica runs one per
// enabled endpoint; they all pull from the endpoint's consumer, whose
// pinned priority group hands every event to the one replica holding the
// pin (see the package documentation). A worker binds the consumer and
// runs delivery sessions until stopped.
type worker struct {
	d   *Dispatcher
	ep  Endpoint
	key []byte
	log *slog.Logger

	stopping chan struct{}      // closed by stop: finish and hand back
	ctx      context.Context    // cancelled by abort: cut attempts short
	abort    context.CancelFunc // cancels ctx
	done     chan struct{}      // closed when run returns
	stopOnce sync.Once

	// failing is the failing mark the sessions want stored (nil: none);
	// failingWake wakes the goroutine that stores it.
	failing     atomic.Pointer[Failing]
	failingWake chan struct{}
}

func newWorker(d *Dispatcher, ep Endpoint) (*worker, error) {
	key, err := event.ParseSecret(ep.Secret)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", ep.ID, err)
	}
	w := &worker{d: d, ep: ep, key: key, log: d.log.With("endpoint", ep.ID),
		stopping: make(chan struct{}), done: make(chan struct{}), failingWake: make(chan struct{}, 1)}
	w.ctx, w.abort = context.WithCancel(context.Background())
	return w, nil
}

// stop asks the worker to finish: it starts no new attempt, lets those in
// flight finish and hands its other events back. Call abort to cut the
// attempts short.
func (w *worker) stop() {
	w.stopOnce.Do(func() { close(w.stopping) })
}

func (w *worker) stopped() bool {
	select {
	case <-w.stopping:
		return true
	default:
		return false
	}
}

// sleep waits d or until stop; it reports whether to go on.
func (w *worker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.stopping:
		return false
	case <-t.C:
		return true
	}
}

// run binds the consumer and runs sessions until stop. Failures (stream
// missing, NATS down, consumer deleted) are retried with a growing pause.
func (w *worker) run() {
	defer close(w.done)
	defer w.abort()
	stopWriter, writerDone := make(chan struct{}), make(chan struct{})
	go w.writeFailing(stopWriter, writerDone)
	defer func() { close(stopWriter); <-writerDone }()
	const firstPause = 250 * time.Millisecond
	pause := firstPause
	var lastErr string
	fail := func(err error) bool {
		if msg := err.Error(); msg != lastErr {
			w.log.Warn("webhook: cannot consume events; retrying", "err", err)
			lastErr = msg
		}
		ok := w.sleep(pause)
		pause = min(2*pause, 30*time.Second)
		return ok
	}
	for !w.stopped() {
		// Moving an earlier version's consumer may wait for the delivery
		// stream to copy the events stream.
		ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
		c, err := w.d.ensureConsumer(ctx, w.ep)
		cancel()
		if errors.Is(err, ErrNotFound) {
			return // the endpoint was deleted; the registry watch retires us
		}
		if err != nil {
			if w.stopped() || !fail(err) {
				return
			}
			continue
		}
		if lastErr != "" {
			w.log.Info("webhook: consuming events again")
			lastErr, pause = "", firstPause
		}
		err = newSession(w, c).run()
		if err == nil {
			return
		}
		if !fail(err) {
			return
		}
	}
}

// reportFailing asks for the endpoint's failing mark to be stored (f) or
// cleared (nil), in the background and in the order asked.
func (w *worker) reportFailing(f *Failing) {
	w.failing.Store(f)
	select {
	case w.failingWake <- struct{}{}:
	default:
	}
}

// writeFailing stores the latest failing mark asked for until stop.
func (w *worker) writeFailing(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-w.failingWake:
		}
		f := w.failing.Load()
		ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
		err := w.d.writeFailing(ctx, w.ep.ID, f)
		cancel()
		if err != nil {
			w.log.Warn("webhook: cannot record whether the endpoint is failing", "failing", f != nil, "err", err)
		}
	}
}
