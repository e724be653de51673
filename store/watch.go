package store

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watchRetries bounds how often Watch retries fetching the document of one
// version before skipping it (a later version supersedes it anyway).
const watchRetries = 5

// Watch sends the current entry (if any), then every new version in
// increasing order, each with its data. The channel is closed when ctx ends
// or the underlying NATS connection is closed. A version whose document
// cannot be read after a few retries is logged and skipped. Receive
// promptly: a slow receiver holds back delivery of later versions.
func (s *JetStream) Watch(ctx context.Context) (<-chan Entry, error) {
	return s.watch(ctx, true)
}

// WatchVersions is Watch without the documents: each entry has its
// version, metadata and SHA256 but no Data (read it with Version). A
// replica that reads each version once, and not at all the ones it
// wrote itself, follows a 40 MB document without reading it twice.
func (s *JetStream) WatchVersions(ctx context.Context) (<-chan Entry, error) {
	return s.watch(ctx, false)
}

func (s *JetStream) watch(ctx context.Context, withData bool) (<-chan Entry, error) {
	w, err := s.head.Watch(ctx, headKey, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("store: watch: %w", err)
	}
	out := make(chan Entry)
	go func() {
		defer close(out)
		defer stopWatcher(w)
		var last uint64
		for {
			var kve jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				return
			case kve, ok = <-w.Updates():
				if !ok {
					return
				}
			}
			// nil marks the end of the initial values.
			if kve == nil || kve.Operation() != jetstream.KeyValuePut || kve.Revision() <= last {
				continue
			}
			e, err := s.resolveWatched(ctx, kve, withData)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.log.Warn("store: watch: skipping unreadable version", "version", kve.Revision(), "err", err)
				continue
			}
			last = e.Version
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// resolveWatched decodes a watched head revision and, if withData, fetches
// its document, retrying transient failures with a short backoff.
func (s *JetStream) resolveWatched(ctx context.Context, kve jetstream.KeyValueEntry, withData bool) (Entry, error) {
	delay := 50 * time.Millisecond
	var err error
	for attempt := 0; ; attempt++ {
		var e Entry
		e, _, err = s.entry(ctx, kve.Revision(), kve.Value(), withData)
		if err == nil || attempt == watchRetries {
			return e, err
		}
		select {
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// stopWatcher stops w and drains its channel so that the client's delivery
// goroutine, possibly blocked on a full channel, can finish.
func stopWatcher(w jetstream.KeyWatcher) {
	_ = w.Stop()
	go func() {
		for range w.Updates() {
		}
	}()
}
