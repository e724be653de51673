package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// Stream defaults.
const (
	// DefaultStreamName is the JetStream stream that keeps the events.
	DefaultStreamName = "SCHEDMGR_EVENTS"
	// DefaultMaxAge is how long events are kept.
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultDuplicates is the de-duplication window: replicas publishing
	// the same event id within it store one message.
	DefaultDuplicates = 2 * time.Minute
)

// StreamOptions configure the event stream. Zero values take the defaults
// for a new stream and leave an existing stream's value alone (see
// EnsureStream).
type StreamOptions struct {
	// Name is the stream name (default DefaultStreamName).
	Name string
	// MaxAge is the retention (default DefaultMaxAge).
	MaxAge time.Duration
	// Replicas is the JetStream replica count (at most 5). Zero keeps an
	// existing stream's count, and gives a new stream NewReplicas (default
	// 1).
	Replicas    int
	NewReplicas int
	// Duplicates is the de-duplication window (default DefaultDuplicates);
	// it must not exceed MaxAge.
	Duplicates time.Duration
	// MaxBytes bounds the stream size (default unlimited; negative means
	// unlimited explicitly); the oldest events are discarded first.
	MaxBytes int64
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.Name == "" {
		o.Name = DefaultStreamName
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Replicas <= 0 {
		o.Replicas = max(o.NewReplicas, 1)
	}
	if o.Duplicates <= 0 {
		o.Duplicates = DefaultDuplicates
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = -1 // unlimited
	}
	return o
}

// Validate rejects settings JetStream would refuse, naming the setting.
func (o StreamOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	if o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: must be 1 to 5, got %d", o.Replicas))
	}
	if o.Duplicates > o.MaxAge {
		errs = append(errs, fmt.Errorf("duplicates: window %s is longer than the retention %s", o.Duplicates, o.MaxAge))
	}
	return errors.Join(errs...)
}

// Config is the JetStream configuration of the event stream:
// subjects schedmgr.events.>, limits retention by age (MaxAge), file
// storage, discard old, and the de-duplication window.
func (o StreamOptions) Config() jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        o.Name,
		Description: "Schedule Manager transition events (CloudEvents JSON)",
		Subjects:    []string{event.SubjectAll},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      o.MaxAge,
		MaxBytes:    o.MaxBytes,
		MaxMsgs:     -1,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		Duplicates:  o.Duplicates,
		// The publisher looks up the latest event of a schedule before it
		// publishes one caused by a config write (10,000 at once for a
		// write that closes 10,000 schedules): direct gets are answered
		// by the stream itself, not queued behind the JetStream API. In
		// a cluster any replica of the stream may answer, perhaps a
		// moment behind: the lookup is a best effort anyway (message ids
		// de-duplicate the same event).
		AllowDirect: true,
	}
}

// EnsureStream creates the event stream, or brings an existing one in
// line without undoing an operator's edits: the settings given (non-zero
// in o) are applied, and the ones left at zero keep the stream's value (an
// operator who widened MaxBytes or MaxAge with `nats stream edit` keeps
// it across restarts). The subjects, the discard policy and direct gets
// are always the service's, since publishing depends on them. Replicas
// starting together may all call it.
func EnsureStream(ctx context.Context, js jetstream.JetStream, o StreamOptions) (jetstream.Stream, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := o.Config()
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if s, err = js.CreateStream(ctx, cfg); errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name) // another replica created it first
		}
		if err != nil {
			return nil, fmt.Errorf("create stream %s: %w", cfg.Name, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	have := s.CachedInfo().Config
	want := merge(have, cfg, o)
	if equalSettings(have, want) {
		return s, nil
	}
	if s, err = js.UpdateStream(ctx, want); err != nil {
		return nil, fmt.Errorf("update stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// merge is the existing config have with the service's own fields from
// ours and the settings explicitly given in o.
func merge(have, ours jetstream.StreamConfig, o StreamOptions) jetstream.StreamConfig {
	want := have
	want.Subjects, want.Discard, want.Retention, want.AllowDirect = ours.Subjects, ours.Discard, ours.Retention, ours.AllowDirect
	if o.MaxAge > 0 {
		want.MaxAge = ours.MaxAge
	}
	if o.MaxBytes != 0 {
		want.MaxBytes = ours.MaxBytes
	}
	if o.Replicas > 0 {
		want.Replicas = ours.Replicas
	}
	if o.Duplicates > 0 {
		want.Duplicates = ours.Duplicates
	}
	if want.Duplicates > want.MaxAge && want.MaxAge > 0 {
		want.Duplicates = want.MaxAge
	}
	return want
}

func equalSettings(a, b jetstream.StreamConfig) bool {
	return slices.Equal(a.Subjects, b.Subjects) && a.Discard == b.Discard && a.Retention == b.Retention && a.AllowDirect == b.AllowDirect &&
		a.MaxAge == b.MaxAge && a.MaxBytes == b.MaxBytes && a.Replicas == b.Replicas && a.Duplicates == b.Duplicates
}
