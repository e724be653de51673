package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/text"
	"github.com/schedule-manager/schedule-manager/store"
)

// Manual close and reopen are operational state: an incident may close
// every site at once, and none of those calls may fail because another
// write landed first. So the edits of one replica are group-committed: they
// queue, and one goroutine writes everything queued as one new version
// (engine.SetManualCloses), retrying on the newest version when another
// replica's write wins the compare-and-swap. Hundreds of concurrent closes
// become a handful of versions, and a caller waits for the write that
// carries its edit.
//
// A caller is answered only once the outcome of its edit is known: an edit
// whose caller has gone away before it was written is dropped, never
// written later.

// maxBatch bounds the edits written as one version.
const maxBatch = 1000

// manualRequest is one queued close or reopen.
type manualRequest struct {
	ctx     context.Context
	edit    engine.ManualEdit
	author  string
	message string
	done    chan manualOutcome // buffered: the committer never blocks on it
}

// manualOutcome is the answer to one manualRequest.
type manualOutcome struct {
	version uint64
	changed bool
	err     error
}

// manualBatcher queues manual edits and commits them in batches.
type manualBatcher struct {
	s *Server

	mu      sync.Mutex
	queue   []*manualRequest
	running bool
}

// errGaveUp is returned when the edits could not be written before their
// callers' deadlines because other writers kept winning. Nothing was written.
var errGaveUp = errors.New("other writes kept landing first until the deadline; nothing was written")

// submit queues req and waits for its outcome.
func (b *manualBatcher) submit(req *manualRequest) manualOutcome {
	req.done = make(chan manualOutcome, 1)
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	// The committer answers every request it takes, within one write's
	// timeout of the caller's deadline.
	return <-req.done
}

// run commits batches until the queue is empty.
func (b *manualBatcher) run() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := slices.Clone(b.queue[:n])
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.commit(batch)
	}
}

// commit writes batch as one version, retrying on conflicts until the
// earliest caller deadline.
func (b *manualBatcher) commit(batch []*manualRequest) {
	s := b.s
	for attempt := 0; ; attempt++ {
		// Drop the requests whose callers are gone: they were not written.
		live := batch[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.done <- manualOutcome{err: err}
				continue
			}
			live = append(live, r)
		}
		batch = live
		if len(batch) == 0 {
			return
		}
		if attempt > 0 {
			if err := backoff(batch[0].ctx, attempt); err != nil {
				continue // its caller is gone; the loop answers it
			}
		}
		ctx, cancel := context.WithTimeout(earliest(batch), writeTimeout)
		outcomes, retry := b.try(ctx, batch)
		cancel()
		if !retry {
			for i, r := range batch {
				r.done <- outcomes[i]
			}
			return
		}
		s.metrics.write(writeConflict)
	}
}

// try reads the latest version, applies the batch and writes it. retry is
// true when another write won the compare-and-swap.
func (b *manualBatcher) try(ctx context.Context, batch []*manualRequest) (outcomes []manualOutcome, retry bool) {
	s := b.s
	outcomes = make([]manualOutcome, len(batch))
	fail := func(err error) ([]manualOutcome, bool) {
		for i := range outcomes {
			outcomes[i] = manualOutcome{err: err}
		}
		return outcomes, false
	}
	e, err := s.store.Get(ctx)
	if err != nil {
		return fail(err)
	}
	edits := make([]engine.ManualEdit, len(batch))
	for i, r := range batch {
		edits[i] = r.edit
	}
	out, cfg, results, err := engine.SetManualClosesConfig(e.Data, edits)
	if err != nil {
		return fail(errStoredInvalid{version: e.Version, err: err})
	}
	var authors, messages []string
	changed := false
	for i, res := range results {
		outcomes[i] = manualOutcome{version: e.Version, changed: res.Changed, err: res.Err}
		if res.Err == nil && res.Changed {
			changed = true
			if !slices.Contains(authors, batch[i].author) {
				authors = append(authors, batch[i].author)
			}
			messages = append(messages, batch[i].message)
		}
	}
	if !changed {
		return outcomes, false
	}
	if s.prepared != nil {
		s.prepared(out, cfg) // this replica serves it without compiling it again
	}
	meta := store.Meta{Author: strings.Join(authors, ", "), Message: joinMessages(messages), Time: s.now().UTC()}
	v, err := s.store.Put(ctx, out, e.Version, meta)
	if errors.Is(err, store.ErrConflict) {
		if ctx.Err() != nil {
			return fail(errGaveUp)
		}
		return nil, true
	}
	if err != nil {
		return fail(err)
	}
	s.metrics.write(writeOK)
	for i := range outcomes {
		if outcomes[i].err == nil {
			outcomes[i].version = v
		}
	}
	return outcomes, false
}

// earliest is the context of the batch's earliest deadline: the write must
// be decided before any waiting caller gives up.
func earliest(batch []*manualRequest) context.Context {
	ctx := batch[0].ctx
	first, ok := ctx.Deadline()
	for _, r := range batch[1:] {
		if d, has := r.ctx.Deadline(); has && (!ok || d.Before(first)) {
			ctx, first, ok = r.ctx, d, true
		}
	}
	return ctx
}

// joinMessages is the history message of a batch: every edit's message,
// shortened to the limit of one message.
func joinMessages(msgs []string) string {
	out := strings.Join(msgs, "; ")
	if messageTooLong(out) {
		out = text.Truncate(out, maxMessageRunes-1) // and "…": maxMessageRunes in all
	}
	return out
}

// backoff sleeps a short random time that grows with the attempt, so that
// replicas committing at the same time spread out.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(attempt, 8)) * int64(5*time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
