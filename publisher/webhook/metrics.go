package webhook

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of an attempt (label outcome of schedmgr_webhook_attempts_total).
const (
	OutcomeOK       = "ok"       // 2xx
	OutcomeRetry    = "retry"    // 5xx, 408, 429, timeout or network error: tried again later
	OutcomeRejected = "rejected" // any other answer: dead-lettered
	OutcomeGone     = "gone"     // 410: the endpoint is disabled
)

// Outcomes of an event (label outcome of schedmgr_webhook_deliveries_total).
const (
	OutcomeDelivered    = "delivered"     // a 2xx answer
	OutcomeDeadLettered = "dead_lettered" // rejected, or retried until RetryFor ran out
)

// Reasons an event is dead-lettered.
const (
	ReasonRejected  = "rejected"  // the receiver answered a permanent failure
	ReasonExhausted = "exhausted" // retried until RetryFor (or MaxDeliver) ran out
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
			Help: "Events settled by the delivery workers, by endpoint and outcome: delivered (a 2xx answer) or dead_lettered (rejected, or retried until webhook-retry-for ran out)."},
			[]string{"endpoint", "outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "attempts_total",
			Help: "HTTP POSTs to webhook endpoints (admin redeliveries included), by endpoint and outcome: ok (2xx), retry (5xx, 408, 429, timeout or network error), rejected (any other answer), gone (410: the endpoint is disabled)."},
			[]string{"endpoint", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "schedmgr", Subsystem: "webhook", Name: "attempt_duration_seconds",
			Help:    "Duration of webhook POSTs, failures included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30}}, []string{"endpoint"}),
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
	outcome := OutcomeOK
	switch {
	case r.ok():
	case r.Gone:
		outcome = OutcomeGone
	case r.Retryable:
		outcome = OutcomeRetry
	default:
		outcome = OutcomeRejected
	}
	m.attempts.WithLabelValues(endpoint, outcome).Inc()
	m.duration.WithLabelValues(endpoint).Observe(r.Duration.Seconds())
}

// The gauges read at scrape time. dead_letters_stored is not
// dead_letters: a gauge named like the counter dead_letters_total would
// share its OpenMetrics family name.
var (
	descStored = prometheus.NewDesc("schedmgr_webhook_dead_letters_stored",
		"Dead letters stored now, by endpoint (the same on every replica).", []string{"endpoint"}, nil)
	descBacklog = prometheus.NewDesc("schedmgr_webhook_backlog",
		"Events not yet delivered to an endpoint: waiting in its consumer plus held by the replica delivering (the same on every replica).", []string{"endpoint"}, nil)
	descEndpoints = prometheus.NewDesc("schedmgr_webhook_endpoints",
		"Webhook endpoints, disabled ones included.", nil, nil)
	descDisabled = prometheus.NewDesc("schedmgr_webhook_endpoint_disabled",
		"1 when deliveries to an endpoint are disabled (it answered 410 Gone, or an admin disabled it) until an admin enables it again, else 0 (the same on every replica).", []string{"endpoint"}, nil)
	descFailing = prometheus.NewDesc("schedmgr_webhook_endpoint_failing",
		"1 while an endpoint's attempts fail for several schedules in a row, so it is only probed until it answers, else 0 (the same on every replica).", []string{"endpoint"}, nil)
)

// scrapeTimeout bounds the JetStream calls made during a scrape.
const scrapeTimeout = 2 * time.Second

// stateCollector reads the shared delivery state from JetStream and the
// bucket at scrape time, so every replica reports the same numbers.
type stateCollector struct{ d *Dispatcher }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descStored
	ch <- descBacklog
	ch <- descEndpoints
	ch <- descDisabled
	ch <- descFailing
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
		st := c.d.stateOf(e)
		ch <- prometheus.MustNewConstMetric(descDisabled, prometheus.GaugeValue, boolValue(st.Disabled != nil), e.ID)
		ch <- prometheus.MustNewConstMetric(descFailing, prometheus.GaugeValue, boolValue(st.Failing != nil), e.ID)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
