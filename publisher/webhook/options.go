package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultStream           = "SCHEDMGR_EVENTS"
	DefaultDeliveryStream   = "SCHEDMGR_WEBHOOKS"
	DefaultDeliveryMaxAge   = 7 * 24 * time.Hour
	DefaultDeadLetterStream = "SCHEDMGR_DEADLETTERS"
	DefaultDeadLetterPrefix = "schedmgr.deadletters"
	DefaultBucket           = "schedmgr_webhooks"
	DefaultConcurrency      = 64
	DefaultMaxPending       = 1000
	DefaultAttemptTimeout   = 15 * time.Second
	DefaultBackoffBase      = 5 * time.Second
	DefaultBackoffMax       = 2 * time.Hour
	DefaultRetryFor         = 24 * time.Hour
	DefaultProbeMax         = 30 * time.Second
	DefaultAckWait          = 30 * time.Second
	DefaultDeadLetterMaxAge = 30 * 24 * time.Hour
)

// Options configure a Dispatcher. Zero values take the defaults.
//
// With the defaults a failing event is retried after 5 s, 10 s, 20 s …
// doubling up to 2 h apart (less up to 20% of jitter), for 24 hours from
// its first failure, about 20 attempts, and then dead-lettered. An
// endpoint that fails as a whole is probed at most ProbeMax apart, and
// once it answers again every waiting event is retried at once.
type Options struct {
	// Endpoints come from the service settings. They cannot be deleted
	// through the API.
	Endpoints []Endpoint
	// Stream is the JetStream stream of events (default DefaultStream),
	// created by the event publisher.
	Stream string
	// DeliveryStream (default DefaultDeliveryStream) sources every event
	// of Stream; the endpoints' delivery consumers live on it, where
	// event readers have no access. It keeps events for DeliveryMaxAge
	// (default 7 days), which bounds how long a disabled endpoint's
	// backlog waits.
	DeliveryStream string
	DeliveryMaxAge time.Duration
	// DeadLetterStream (default DefaultDeadLetterStream) keeps the events
	// that could not be delivered, on DeadLetterPrefix.<endpoint id>
	// (default DefaultDeadLetterPrefix), for DeadLetterMaxAge (default 30
	// days).
	DeadLetterStream string
	DeadLetterPrefix string
	DeadLetterMaxAge time.Duration
	// Bucket is the KV bucket of API endpoints and endpoint states
	// (default DefaultBucket).
	Bucket string
	// Replicas is the JetStream replica count of the bucket, the delivery
	// stream and the dead-letter stream (default 1).
	Replicas int
	// Concurrency bounds the attempts in flight to one endpoint (default
	// DefaultConcurrency). Events of one schedule are never in flight
	// together.
	Concurrency int
	// MaxPending bounds the events of one endpoint held unacknowledged
	// (in flight, waiting for a retry, or queued behind an earlier event
	// of their schedule; default DefaultMaxPending).
	MaxPending int
	// MaxDeliver, when positive, caps the attempts of an event before it
	// is dead-lettered; by default only RetryFor bounds them.
	MaxDeliver int
	// AttemptTimeout bounds one POST (default DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the delay between attempts:
	// BackoffBase·2ⁿ⁻¹ after the n-th failure, at most BackoffMax.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// RetryFor is how long after its first failed attempt an event is
	// retried before it is dead-lettered (default DefaultRetryFor).
	RetryFor time.Duration
	// ProbeMax is the longest pause between two attempts to an endpoint
	// that fails as a whole (default DefaultProbeMax): how late, at most,
	// the backlog starts flowing after the receiver recovers.
	ProbeMax time.Duration
	// AckWait is how long an event handed to a replica stays assigned to
	// it without news (default DefaultAckWait). After a replica crash,
	// another replica takes over its endpoints about AckWait plus a few
	// seconds later.
	AckWait time.Duration
	// AllowPrivate lets endpoints target loopback, link-local, private
	// and cloud-metadata addresses, refused by default when an endpoint
	// is registered and on every connection.
	AllowPrivate bool
	// LookupIP resolves endpoint host names (default: the system
	// resolver). Tests and custom DNS set it.
	LookupIP LookupFunc
	// Registerer receives the metrics (default: none).
	Registerer prometheus.Registerer
	// Logger (default: discard).
	Logger *slog.Logger
	// Now is the clock of webhook-timestamp (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	defDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Stream, DefaultStream)
	def(&o.DeliveryStream, DefaultDeliveryStream)
	def(&o.DeadLetterStream, DefaultDeadLetterStream)
	def(&o.DeadLetterPrefix, DefaultDeadLetterPrefix)
	def(&o.Bucket, DefaultBucket)
	defDur(&o.DeliveryMaxAge, DefaultDeliveryMaxAge)
	defDur(&o.DeadLetterMaxAge, DefaultDeadLetterMaxAge)
	defDur(&o.AttemptTimeout, DefaultAttemptTimeout)
	defDur(&o.BackoffBase, DefaultBackoffBase)
	defDur(&o.BackoffMax, max(DefaultBackoffMax, o.BackoffBase))
	defDur(&o.RetryFor, DefaultRetryFor)
	defDur(&o.ProbeMax, DefaultProbeMax)
	defDur(&o.AckWait, DefaultAckWait)
	o.Replicas = max(o.Replicas, 1)
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxPending <= 0 {
		o.MaxPending = max(DefaultMaxPending, 4*o.Concurrency)
	}
	o.MaxDeliver = max(o.MaxDeliver, 0)
	if o.LookupIP == nil {
		o.LookupIP = defaultLookup
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate returns every invalid setting, each named as in the settings
// file (webhooks.endpoints[0].url, webhooks.backoff-max, …). A configured
// endpoint whose URL is a refused address (an IP literal or a private
// name) is invalid unless AllowPrivate is set.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	seen := map[string]bool{}
	for i, e := range o.Endpoints {
		fes := e.Validate()
		for _, fe := range fes {
			errs = append(errs, fmt.Errorf("webhooks.endpoints[%d].%s: %s", i, fe.Path, fe.Message))
		}
		if len(fes) == 0 && !o.AllowPrivate {
			if err := checkTarget(e.URL); err != nil {
				errs = append(errs, fmt.Errorf("webhooks.endpoints[%d].url: %w", i, err))
			}
		}
		if seen[e.ID] {
			errs = append(errs, fmt.Errorf("webhooks.endpoints[%d].id: %q is used twice", i, e.ID))
		}
		seen[e.ID] = true
	}
	if o.BackoffMax < o.BackoffBase {
		errs = append(errs, fmt.Errorf("webhooks.backoff-max: %s is shorter than backoff-base %s", o.BackoffMax, o.BackoffBase))
	}
	if o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("webhooks.replicas: must be 1 to 5, got %d", o.Replicas))
	}
	if o.Concurrency > 1000 {
		errs = append(errs, fmt.Errorf("webhooks.concurrency: at most 1000, got %d", o.Concurrency))
	}
	if o.MaxPending < o.Concurrency {
		errs = append(errs, fmt.Errorf("webhooks.max-pending: %d is below the concurrency %d", o.MaxPending, o.Concurrency))
	}
	if o.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("webhooks.ack-wait: at least 1s, got %s", o.AckWait))
	}
	if o.DeliveryMaxAge < o.RetryFor {
		errs = append(errs, fmt.Errorf("webhooks.delivery-max-age: %s is shorter than retry-for %s", o.DeliveryMaxAge, o.RetryFor))
	}
	if strings.ContainsAny(o.DeadLetterPrefix, "*> ") {
		errs = append(errs, fmt.Errorf("webhooks.dead-letter-prefix: %q must not hold wildcards or spaces", o.DeadLetterPrefix))
	}
	return errors.Join(errs...)
}

// timings derived from AckWait: a held event is marked in progress every
// heartbeat; a pull waits at most fetchWait; and the pin of an endpoint's
// consumer outlives a silent replica's held events (pinnedTTL), so that
// the next replica receives them before any newer event.
type timings struct {
	heartbeat, fetchWait, pinnedTTL time.Duration
}

func (o Options) timings() timings {
	t := timings{heartbeat: o.AckWait / 3, fetchWait: min(time.Second, o.AckWait/4)}
	t.pinnedTTL = o.AckWait + t.fetchWait + max(2*time.Second, o.AckWait/4)
	return t
}
