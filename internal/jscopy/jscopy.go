// Package jscopy creates and updates JetStream streams that copy another
// stream (a mirror or a source): the readers' mirror of the events stream
// and the webhook delivery stream.
//
// Such a copy is written asynchronously (JetStream's async persist mode)
// when it is not replicated: a copy that loses its last writes in a crash
// fetches them again from the stream it copies when it restarts, since it
// resumes after the last message it holds. The flush per message that the
// default mode costs was a third of the time 100,000 simultaneous events
// took to be stored by the embedded server (issue 13).
package jscopy

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// PersistMode is the persist mode of a copy with the given replicas:
// async when unreplicated (replicated streams flush through their Raft log
// and refuse the async mode).
func PersistMode(replicas int) jetstream.PersistModeType {
	if replicas > 1 {
		return jetstream.DefaultPersistMode
	}
	return jetstream.AsyncPersistMode
}

// Ensure creates the copy cfg (which must have a Mirror or Sources), with
// the persist mode of PersistMode, or updates it. An existing stream keeps
// its persist mode, which JetStream does not let an update change (a copy
// created by a version before this one stays in the default mode), and its
// mirror or sources.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	if cfg.Mirror == nil && len(cfg.Sources) == 0 {
		return nil, fmt.Errorf("stream %s copies no stream", cfg.Name)
	}
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		create := cfg
		create.PersistMode = PersistMode(cfg.Replicas)
		s, err = js.CreateStream(ctx, create)
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return s, err
		}
		// Another replica created it first: update it.
		s, err = js.Stream(ctx, cfg.Name)
	}
	if err != nil {
		return nil, err
	}
	old := s.CachedInfo().Config
	cfg.PersistMode = old.PersistMode
	// What it copies, and from where, stays as created: a copy that began
	// at a time or sequence must not start over.
	cfg.Mirror, cfg.Sources = old.Mirror, old.Sources
	return js.UpdateStream(ctx, cfg)
}
