package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultStream           = "SCHEDMGR_EVENTS"
	DefaultDeadLetterStream = "SCHEDMGR_DEADLETTERS"
	DefaultDeadLetterPrefix = "schedmgr.deadletters"
	DefaultBucket           = "schedmgr_webhooks"
	DefaultMaxDeliver       = 20
	DefaultAttemptTimeout   = 10 * time.Second
	DefaultBackoffBase      = 5 * time.Second
	DefaultBackoffMax       = 5 * time.Minute
	DefaultDeadLetterMaxAge = 30 * 24 * time.Hour
)

// Options configure a Dispatcher. Zero values take the defaults.
//
// With the defaults an event is retried for 60 to 75 minutes (5 s, 10 s,
// … doubling to 5 min, jittered) before it is dead-lettered, so an
// endpoint that is down for an hour receives everything once it is back,
// at most BackoffMax after it returns.
type Options struct {
	// Endpoints come from the service settings. They cannot be deleted
	// through the API.
	Endpoints []Endpoint
	// Stream is the JetStream stream of events (default DefaultStream),
	// created by the event publisher. Until it exists delivery waits.
	Stream string
	// DeadLetterStream (default DefaultDeadLetterStream) keeps the events
	// that could not be delivered, on DeadLetterPrefix.<endpoint id>
	// (default DefaultDeadLetterPrefix), for DeadLetterMaxAge (default 30
	// days).
	DeadLetterStream string
	DeadLetterPrefix string
	DeadLetterMaxAge time.Duration
	// Bucket is the KV bucket of API endpoints (default DefaultBucket).
	Bucket string
	// Replicas is the JetStream replica count of the bucket and the
	// dead-letter stream (default 1).
	Replicas int
	// MaxDeliver is how many attempts an event gets before it is
	// dead-lettered (default DefaultMaxDeliver).
	MaxDeliver int
	// AttemptTimeout bounds one POST (default DefaultAttemptTimeout).
	AttemptTimeout time.Duration
	// BackoffBase and BackoffMax shape the delay between attempts:
	// BackoffBase·2ⁿ⁻¹ after the n-th failure, at most BackoffMax.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Transport makes the HTTP requests (default: a clone of
	// http.DefaultTransport). Redirects are never followed.
	Transport http.RoundTripper
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
	def(&o.Stream, DefaultStream)
	def(&o.DeadLetterStream, DefaultDeadLetterStream)
	def(&o.DeadLetterPrefix, DefaultDeadLetterPrefix)
	def(&o.Bucket, DefaultBucket)
	if o.DeadLetterMaxAge <= 0 {
		o.DeadLetterMaxAge = DefaultDeadLetterMaxAge
	}
	o.Replicas = max(o.Replicas, 1)
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffBase)
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
// file (webhooks.endpoints[0].url, webhooks.max-deliver, …).
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	seen := map[string]bool{}
	for i, e := range o.Endpoints {
		for _, fe := range e.Validate() {
			errs = append(errs, fmt.Errorf("webhooks.endpoints[%d].%s: %s", i, fe.Path, fe.Message))
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
	if strings.ContainsAny(o.DeadLetterPrefix, "*> ") {
		errs = append(errs, fmt.Errorf("webhooks.dead-letter-prefix: %q must not hold wildcards or spaces", o.DeadLetterPrefix))
	}
	return errors.Join(errs...)
}
