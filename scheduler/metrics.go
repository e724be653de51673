package scheduler

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultMetricsMaxSchedules is the default of Options.MetricsMaxSchedules.
// At 100,000 schedules the per-schedule series made /metrics 18 MB
// (200,000 series, 0.5–1.1 s a scrape) before any transition was counted.
const DefaultMetricsMaxSchedules = 10000

// schedulerMetrics are created per Scheduler and registered by Register.
type schedulerMetrics struct {
	transitions        *prometheus.CounterVec // per schedule, while perSchedule
	transitionsByCause *prometheus.CounterVec
	// perSchedule is whether the served config is small enough for
	// series of each schedule (Options.MetricsMaxSchedules).
	perSchedule        atomic.Bool
	repairs            prometheus.Counter
	version            prometheus.Gauge
	schedules          prometheus.Gauge
	evaluationFailures prometheus.Counter
	lockHold           prometheus.Histogram
}

func newSchedulerMetrics() *schedulerMetrics {
	m := &schedulerMetrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "transitions_total",
			Help: "Changes of schedule state announced, by schedule, new state and cause.",
		}, []string{"schedule", "state", "cause"}),
		transitionsByCause: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "transitions_by_cause_total",
			Help: "Changes of schedule state announced, by new state and cause (every schedule, whatever metrics-max-schedules says).",
		}, []string{"state", "cause"}),
		repairs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "reconcile_repairs_total",
			Help: "Schedules whose cached status the reconcile job found wrong and repaired.",
		}),
		version: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "schedmgr", Name: "config_version_served",
			Help: "Config version this replica serves.",
		}),
		schedules: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "schedmgr", Name: "schedules",
			Help: "Number of schedules in the served config.",
		}),
		evaluationFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "schedmgr", Name: "schedule_evaluation_failures_total",
			Help: "Schedules found not evaluable (a rule's expansion panicked); each answers an error state until the config changes.",
		}),
		lockHold: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "schedmgr", Name: "scheduler_lock_hold_seconds",
			Help:    "How long the scheduler's writers (config apply, transitions, reconcile) held its lock, each time.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .025, .05, .1, .25, 1},
		}),
	}
	m.perSchedule.Store(true) // until a config over the limit is applied
	return m
}

// forget deletes the series of a schedule that left the config, so removed
// names do not pile up in /metrics. It deletes each possible label set
// (a hash lookup each): DeletePartialMatch would scan every series, which
// is quadratic when a write removes thousands of schedules.
func (m *schedulerMetrics) forget(schedule string) {
	for _, state := range []string{"open", "closed"} {
		for _, cause := range []string{CauseSchedule, CauseConfig, CauseReconcile} {
			m.transitions.DeleteLabelValues(schedule, state, cause)
		}
	}
}

// applied records a new snapshot, and whether its schedules get series of
// their own (at most max of them; negative: none). It reports whether
// that changed.
func (m *schedulerMetrics) applied(snap *snapshot, max int) (changed bool) {
	m.version.Set(float64(snap.version))
	m.schedules.Set(float64(len(snap.order)))
	per := max >= 0 && len(snap.order) <= max
	if m.perSchedule.Swap(per) == per {
		return false
	}
	if !per {
		m.transitions.Reset()
	}
	return true
}

func (m *schedulerMetrics) transition(ev Event) {
	state := "open"
	if !ev.Status.IsOpen {
		state = "closed"
	}
	m.transitionsByCause.WithLabelValues(state, ev.Cause).Inc()
	if m.perSchedule.Load() {
		m.transitions.WithLabelValues(ev.Schedule, state, ev.Cause).Inc()
	}
}

var (
	openDesc = prometheus.NewDesc("schedmgr_schedule_open",
		"1 when the schedule is open now, 0 when closed.", []string{"schedule", "reason"}, nil)
	nextDesc = prometheus.NewDesc("schedmgr_schedule_next_transition_timestamp_seconds",
		"Unix time of the schedule's next change of state (absent when none within a year).", []string{"schedule"}, nil)
	byStateDesc = prometheus.NewDesc("schedmgr_schedules_by_state",
		"Schedules open and closed now, by closed reason (every schedule, whatever metrics-max-schedules says).", []string{"state", "reason"}, nil)
	failedDesc = prometheus.NewDesc("schedmgr_schedules_failed",
		"Schedules of the served config that cannot be evaluated and answer an error state.", nil, nil)
	holdMaxDesc = prometheus.NewDesc("schedmgr_scheduler_lock_hold_max_seconds",
		"The longest time the scheduler's lock has been held since start (target: 50 ms at 100,000 schedules).", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *Scheduler) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- nextDesc
	ch <- byStateDesc
	ch <- failedDesc
	ch <- holdMaxDesc
	s.metrics.lockHold.Describe(ch)
	s.metrics.transitions.Describe(ch)
	s.metrics.transitionsByCause.Describe(ch)
	s.metrics.evaluationFailures.Describe(ch)
	s.metrics.repairs.Describe(ch)
	s.metrics.version.Describe(ch)
	s.metrics.schedules.Describe(ch)
}

// Collect implements prometheus.Collector. Gauges are read from the cache
// at scrape time, so removed schedules disappear at once; the series of
// each schedule only while the config has at most MetricsMaxSchedules.
func (s *Scheduler) Collect(ch chan<- prometheus.Metric) {
	failed := 0
	type stateKey struct {
		open   bool
		reason string
	}
	byState := map[stateKey]int{}
	if snap := s.state.Load(); snap != nil {
		per := s.metrics.perSchedule.Load()
		now := s.opts.Now()
		var c Current
		for _, e := range snap.order {
			c = Current{}
			snap.answer(e, now, &c)
			if c.Err != nil {
				failed++
				continue
			}
			byState[stateKey{c.Status.IsOpen, c.Status.ClosedReason}]++
			if !per {
				continue
			}
			open := 0.0
			if c.Status.IsOpen {
				open = 1
			}
			name := c.Schedule.Name()
			ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, open, name, c.Status.ClosedReason)
			if c.HasNext {
				ch <- prometheus.MustNewConstMetric(nextDesc, prometheus.GaugeValue, float64(c.Next.At.UnixNano())/1e9, name)
			}
		}
	}
	for k, n := range byState {
		state := "closed"
		if k.open {
			state = "open"
		}
		ch <- prometheus.MustNewConstMetric(byStateDesc, prometheus.GaugeValue, float64(n), state, k.reason)
	}
	ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.GaugeValue, float64(failed))
	ch <- prometheus.MustNewConstMetric(holdMaxDesc, prometheus.GaugeValue, s.LongestLockHold().Seconds())
	s.metrics.lockHold.Collect(ch)
	if s.metrics.perSchedule.Load() {
		// Not above the limit: an event delivered while a config over it
		// was applied may have added a series after the reset.
		s.metrics.transitions.Collect(ch)
	}
	s.metrics.transitionsByCause.Collect(ch)
	s.metrics.evaluationFailures.Collect(ch)
	s.metrics.repairs.Collect(ch)
	s.metrics.version.Collect(ch)
	s.metrics.schedules.Collect(ch)
}

var _ prometheus.Collector = (*Scheduler)(nil)
