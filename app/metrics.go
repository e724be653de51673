package app

import "github.com/prometheus/client_golang/prometheus"

type appMetrics struct {
	latest      prometheus.Gauge
	lag         prometheus.Gauge
	applyErrors prometheus.Counter
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
