package fetch

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	fetches     *prometheus.CounterVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	lastFailure *prometheus.GaugeVec
}

// newMetrics registers the fetch metrics on reg (nil: not exported). The
// timestamps let an alert compare across replicas (max by calendar): the
// replica that fetched sets them.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "calendar_fetches_total",
			Help: "Calendar fetches by outcome: changed (a new config version), unchanged, failed (the last good copy stays).",
		}, []string{"calendar", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "calendar_fetch_errors_total",
			Help: "Failed calendar fetches by reason: refused, network, timeout, status, too_large, malformed, store.",
		}, []string{"calendar", "reason"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "schedmgr", Name: "calendar_last_success_timestamp_seconds",
			Help: "When this replica last fetched the calendar successfully (changed or not).",
		}, []string{"calendar"}),
		lastFailure: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "schedmgr", Name: "calendar_last_failure_timestamp_seconds",
			Help: "When a fetch of the calendar last failed on this replica.",
		}, []string{"calendar"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.fetches, m.errors, m.lastSuccess, m.lastFailure} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue // a second Refresher on the same registry (tests)
			}
			return nil, fmt.Errorf("fetch: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observe(id string, at time.Time, res Result, reason Reason, err error) {
	ts := float64(at.UnixNano()) / 1e9
	switch {
	case err != nil:
		m.fetches.WithLabelValues(id, "failed").Inc()
		m.errors.WithLabelValues(id, string(reason)).Inc()
		m.lastFailure.WithLabelValues(id).Set(ts)
	case res.Changed:
		m.fetches.WithLabelValues(id, "changed").Inc()
		m.lastSuccess.WithLabelValues(id).Set(ts)
	default:
		m.fetches.WithLabelValues(id, "unchanged").Inc()
		m.lastSuccess.WithLabelValues(id).Set(ts)
	}
}

// forget drops the series of a calendar that left the config.
func (m *metrics) forget(id string) {
	m.lastSuccess.DeleteLabelValues(id)
	m.lastFailure.DeleteLabelValues(id)
}
