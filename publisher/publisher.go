package publisher

import "context"

// Publisher is an event sink. Publish returns once the sink has the event
// (for JetStream: stored, or acknowledged as a duplicate) or fails with an
// error that says why.
type Publisher interface {
	Publish(ctx context.Context, ev Event) error
}

// PublisherFunc adapts a function to the Publisher interface (tests, local
// fan-out).
type PublisherFunc func(ctx context.Context, ev Event) error

// Publish calls f(ctx, ev).
func (f PublisherFunc) Publish(ctx context.Context, ev Event) error { return f(ctx, ev) }

var _ Publisher = PublisherFunc(nil)
