package app

import "github.com/prometheus/client_golang/prometheus"

type appMetrics struct {
	latest      prometheus.Gauge
	lag         prometheus.Gauge
	applyErrors prometheus.Counter
}

// registerConnected exports whether the NATS connection is up: while it is
// down the replica serves its cached config and refuses writes (degraded,
// see Degraded), which an alert reports.
func registerConnected(reg prometheus.Registerer, connected func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "schedmgr", Name: "nats_connected",
		Help: "1 while this replica's NATS connection is up, 0 while it serves from its cache and refuses writes."},
		func() float64 {
			if connected() {
				return 1
			}
			return 0
		}))
}

func newAppMetrics(reg prometheus.Registerer) *appMetrics {
	m := &appMetrics{
		latest: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "schedmgr", Name: "config_version_latest",
			Help: "Latest config version in the store, as seen by this replica."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "schedmgr", Name: "config_version_lag",
			Help: "How many versions this replica is behind the latest config version."}),
		applyErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "schedmgr", Name: "config_apply_errors_total",
			Help: "Stored config versions this replica refused because they did not validate."}),
	}
	reg.MustRegister(m.latest, m.lag, m.applyErrors)
	return m
}
