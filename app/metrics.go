package app

import "github.com/prometheus/client_golang/prometheus"

type appMetrics struct {
	latest      prometheus.Gauge
	lag         prometheus.Gauge
	applyErrors prometheus.Counter
	applied     *prometheus.CounterVec
}

// How an applied version's config was obtained (label compiled of
// schedmgr_config_versions_applied_total).
const (
	compiledByWriter = "by_writer" // this replica wrote it and compiled it then
	compiledOnRead   = "on_read"   // read from the store and compiled
)

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
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "schedmgr", Name: "config_versions_applied_total",
			Help: "Config versions this replica started serving: compiled=by_writer when it wrote the version (its document is neither read back nor compiled again), on_read when it read the document from the store."},
			[]string{"compiled"}),
	}
	for _, c := range []string{compiledByWriter, compiledOnRead} {
		m.applied.WithLabelValues(c)
	}
	reg.MustRegister(m.latest, m.lag, m.applyErrors, m.applied)
	return m
}
