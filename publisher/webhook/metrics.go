package webhook

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a delivery attempt (label outcome of
// schedmgr_webhook_deliveries_total).
const (
	OutcomeOK         = "ok"          // 2xx: delivered
	OutcomeRetry      = "retry"       // failed, will be retried with backoff
	OutcomeFailed     = "failed"      // permanent rejection (4xx, 3xx): dead-lettered at once
	OutcomeDeadLetter = "dead_letter" // retryable failure after max-deliver attempts: dead-lettered
)

// Reasons an event is dead-lettered.
const (
	ReasonRejected  = "rejected"  // the receiver answered a permanent failure
	ReasonExhausted = "exhausted" // max-deliver attempts failed
	ReasonMalformed = "malformed" // the stored message is not a CloudEvent
)

type metrics struct {
	deliveries   *prometheus.CounterVec
	attempts     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	deadLetters  *prometheus.CounterVec
	redeliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, d *Dispatcher) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "deliveries_total",
			Help: "Webhook delivery attempts by endpoint and outcome (ok, retry, failed, dead_letter)."}, []string{"endpoint", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "attempts_total",
			Help: "HTTP POSTs made to webhook endpoints, admin redeliveries included."}, []string{"endpoint"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "attempt_duration_seconds",
			Help:    "Duration of webhook POSTs, failures included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"endpoint"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "dead_letters_total",
			Help: "Events moved to the dead-letter stream, by endpoint and reason (rejected, exhausted, malformed)."}, []string{"endpoint", "reason"}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "redeliveries_total",
			Help: "Admin redeliveries of dead letters by endpoint and outcome (ok, failed)."}, []string{"endpoint", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.attempts, m.duration, m.deadLetters, m.redeliveries, stateCollector{d}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// forget drops the series of a deleted endpoint.
func (m *metrics) forget(id string) {
	l := prometheus.Labels{"endpoint": id}
	m.deliveries.DeletePartialMatch(l)
	m.attempts.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.deadLetters.DeletePartialMatch(l)
	m.redeliveries.DeletePartialMatch(l)
}

// observe records one attempt.
func (m *metrics) observe(endpoint string, r result) {
	m.attempts.WithLabelValues(endpoint).Inc()
	m.duration.WithLabelValues(endpoint).Observe(r.Duration.Seconds())
}

var (
	descStored = prometheus.NewDesc("schedmgr_webhook_dead_letters",
		"Dead letters stored now, by endpoint (the same on every replica).", []string{"endpoint"}, nil)
	descBacklog = prometheus.NewDesc("schedmgr_webhook_backlog",
		"Events not yet delivered to an endpoint: waiting in its consumer plus in flight (the same on every replica).", []string{"endpoint"}, nil)
	descEndpoints = prometheus.NewDesc("schedmgr_webhook_endpoints",
		"Webhook endpoints delivered to by this replica.", nil, nil)
)

// scrapeTimeout bounds the JetStream calls made during a scrape.
const scrapeTimeout = 2 * time.Second

// stateCollector reads the shared delivery state from JetStream at scrape
// time, so every replica reports the same numbers.
type stateCollector struct{ d *Dispatcher }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStored
	ch <- descBacklog
	ch <- descEndpoints
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	eps := c.d.Endpoints()
	ch <- prometheus.MustNewConstMetric(descEndpoints, prometheus.GaugeValue, float64(len(eps)))
	counts, err := c.d.deadLetterCounts(ctx)
	for _, e := range eps {
		if err == nil {
			ch <- prometheus.MustNewConstMetric(descStored, prometheus.GaugeValue, float64(counts[e.ID]), e.ID)
		}
		if n, err := c.d.backlog(ctx, e.ID); err == nil {
			ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(n), e.ID)
		}
	}
}
