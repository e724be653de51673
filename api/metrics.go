package api

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a check-schedule request (label "outcome").
const (
	outcomeOpen       = "open"
	outcomeClosed     = "closed"
	outcomeUnknown    = "unknown_schedule"
	outcomeBadRequest = "bad_request"
	outcomeError      = "error"
)

// Outcomes of a config write (label "outcome").
const (
	writeOK       = "ok"
	writeConflict = "conflict"
	writeInvalid  = "invalid"
	writeTooLarge = "too_large"
	writeFailed   = "error"
)

type metrics struct {
	checkDuration prometheus.Histogram
	// Pre-resolved children, so a request does not hash label values.
	checkOpen, checkClosed, checkUnknown, checkBad, checkError prometheus.Counter
	writes                                                     *prometheus.CounterVec
	sseClients                                                 prometheus.Gauge
	sseRefused                                                 *prometheus.CounterVec
}

// checkBuckets start at 10µs: a cached answer takes a few microseconds.
var checkBuckets = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	checks := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "schedmgr", Name: "check_requests_total",
		Help: "check-schedule requests, by outcome (open, closed, unknown_schedule, bad_request, error).",
	}, []string{"outcome"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "schedmgr", Name: "check_duration_seconds",
		Help:    "Time to answer a check-schedule request, body parsing and encoding included.",
		Buckets: checkBuckets,
	})
	writes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "schedmgr", Name: "config_writes_total",
		Help: "Config writes through the admin API (put, manual close/open, rollback), by outcome (ok, conflict, invalid, too_large, error).",
	}, []string{"outcome"})
	sseClients := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "schedmgr", Name: "sse_clients",
		Help: "Event streams (GET /api/v1/events) open now.",
	})
	sseRefused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "schedmgr", Name: "sse_refused_total",
		Help: "Event streams refused, by the limit that refused them (max_clients, max_per_token, shutting_down).",
	}, []string{"reason"})
	if reg != nil {
		var err error
		if sseClients, err = register(reg, sseClients); err != nil {
			return nil, err
		}
		if sseRefused, err = register(reg, sseRefused); err != nil {
			return nil, err
		}
		if checks, err = register(reg, checks); err != nil {
			return nil, err
		}
		if duration, err = register(reg, duration); err != nil {
			return nil, err
		}
		if writes, err = register(reg, writes); err != nil {
			return nil, err
		}
	}
	m := &metrics{
		checkDuration: duration,
		checkOpen:     checks.WithLabelValues(outcomeOpen),
		checkClosed:   checks.WithLabelValues(outcomeClosed),
		checkUnknown:  checks.WithLabelValues(outcomeUnknown),
		checkBad:      checks.WithLabelValues(outcomeBadRequest),
		checkError:    checks.WithLabelValues(outcomeError),
		writes:        writes,
		sseClients:    sseClients,
		sseRefused:    sseRefused,
	}
	// Make every series visible from the start (rate() needs a zero).
	for _, o := range []string{writeOK, writeConflict, writeInvalid, writeTooLarge, writeFailed} {
		writes.WithLabelValues(o)
	}
	for _, r := range []string{sseMaxClients, sseMaxPerToken, sseShutdown} {
		sseRefused.WithLabelValues(r)
	}
	return m, nil
}

// register registers c, or reuses the collector already registered under
// the same description (a second handler on the same registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// check records one check-schedule request.
func (m *metrics) check(outcome string, d time.Duration) {
	switch outcome {
	case outcomeOpen:
		m.checkOpen.Inc()
	case outcomeClosed:
		m.checkClosed.Inc()
	case outcomeUnknown:
		m.checkUnknown.Inc()
	case outcomeBadRequest:
		m.checkBad.Inc()
	default:
		m.checkError.Inc()
	}
	m.checkDuration.Observe(d.Seconds())
}

// write records one config write attempt's final outcome.
func (m *metrics) write(outcome string) {
	m.writes.WithLabelValues(outcome).Inc()
}
