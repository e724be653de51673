package stream

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a publish, the label of schedmgr_events_published_total.
const (
	OutcomeStored    = "stored"    // JetStream stored the event
	OutcomeDuplicate = "duplicate" // already stored (another replica, or a retry)
	OutcomeError     = "error"     // an attempt failed; it is retried
	OutcomeDropped   = "dropped"   // given up: queue full, or shutdown before it was stored
)

// metrics of a Publisher.
type metrics struct {
	published *prometheus.CounterVec
	lag       prometheus.Histogram
	queued    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "events_published_total",
			Help: "Transition events handed to JetStream, by outcome (stored, duplicate, error = failed attempt, dropped).",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "schedmgr", Name: "event_publish_lag_seconds",
			Help:    "Time from a transition instant to the JetStream acknowledgement that stored its event.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "schedmgr", Name: "events_queued",
			Help: "Transition events queued or being published, not yet stored.",
		}),
	}
	for _, o := range []string{OutcomeStored, OutcomeDuplicate, OutcomeError, OutcomeDropped} {
		m.published.WithLabelValues(o)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.published, m.lag, m.queued} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register event metrics (one Publisher per registry): %w", err)
		}
	}
	return m, nil
}
