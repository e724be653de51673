package stream

import (
	"context"
	"errors"
	"fmt"
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

// StreamOptions configure the event stream. Zero values take the defaults.
type StreamOptions struct {
	// Name is the stream name (default DefaultStreamName).
	Name string
	// MaxAge is the retention (default DefaultMaxAge).
	MaxAge time.Duration
	// Replicas is the JetStream replica count (default 1, at most 5).
	Replicas int
	// Duplicates is the de-duplication window (default DefaultDuplicates);
	// it must not exceed MaxAge.
	Duplicates time.Duration
	// MaxBytes bounds the stream size (default unlimited); the oldest
	// events are discarded first.
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
		o.Replicas = 1
	}
	if o.Duplicates <= 0 {
		o.Duplicates = DefaultDuplicates
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = -1
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
	}
}

// EnsureStream creates the event stream or updates its settings. Replicas
// starting together may all call it: the same config is accepted.
func EnsureStream(ctx context.Context, js jetstream.JetStream, o StreamOptions) (jetstream.Stream, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	cfg := o.Config()
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create or update stream %s: %w", cfg.Name, err)
	}
	return s, nil
}
