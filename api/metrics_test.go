package api_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
)

// counterValue reads one counter series from reg.
func counterValue(tb testing.TB, reg *prometheus.Registry, name, label, value string) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func histogramCount(tb testing.TB, reg *prometheus.Registry, name string) uint64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{opts: api.Options{Limits: engine.Limits{DocumentBytes: 1 << 20}}})
	e.get("/check-schedule?name=Support", "")                              // open
	e.get("/check-schedule?name=Support&simulate=2026-03-02T12:30", "")    // closed
	e.get("/check-schedule?name=Closed%20Desk", "")                        // closed
	e.get("/check-schedule?name=Nope", "")                                 // unknown
	e.get("/check-schedule", "")                                           // bad request
	e.get("/check-schedule?name=Support&simulate=soon", "")                // bad request
	e.do(request{method: "OPTIONS", path: "/check-schedule"})              // not a check
	e.putConfig(adminToken, baseDoc, e.seeded, "")                         // ok
	e.putConfig(adminToken, baseDoc, e.seeded, "")                         // conflict
	e.putConfig(adminToken, `{"rules": 1}`, e.seeded, "")                  // invalid
	e.post("/api/v1/schedules/Support/close", adminToken, nil)             // ok
	e.do(request{method: "PUT", path: "/api/v1/config", token: adminToken, // too large
		body: `{"version": 1, "data": "` + string(make([]byte, 5<<20)) + `"}`})

	checks := map[string]float64{"open": 1, "closed": 2, "unknown_schedule": 1, "bad_request": 2, "error": 0}
	for outcome, want := range checks {
		if got := counterValue(t, e.reg, "schedmgr_check_requests_total", "outcome", outcome); got != want {
			t.Errorf("check_requests_total{outcome=%q} = %v, want %v", outcome, got, want)
		}
	}
	if got := histogramCount(t, e.reg, "schedmgr_check_duration_seconds"); got != 6 {
		t.Errorf("check_duration_seconds count = %d, want 6", got)
	}
	writes := map[string]float64{"ok": 2, "conflict": 1, "invalid": 1, "too_large": 1, "error": 0}
	for outcome, want := range writes {
		if got := counterValue(t, e.reg, "schedmgr_config_writes_total", "outcome", outcome); got != want {
			t.Errorf("config_writes_total{outcome=%q} = %v, want %v", outcome, got, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	e := newEnv(t, envOptions{noSeed: true})
	deps := api.Deps{Status: e.sched, Store: e.store}
	tests := []struct {
		name string
		deps api.Deps
		opts api.Options
	}{
		{"no status", api.Deps{Store: e.store}, api.Options{}},
		{"no store", api.Deps{Status: e.sched}, api.Options{}},
		{"bad role", deps, api.Options{Tokens: []api.Token{{Name: "x", Role: "root", SHA256: api.HashToken("t")}}}},
		{"bad hash", deps, api.Options{Tokens: []api.Token{{Name: "x", Role: api.RoleAdmin, SHA256: "abc"}}}},
		{"no name", deps, api.Options{Tokens: []api.Token{{Role: api.RoleAdmin, SHA256: api.HashToken("t")}}}},
		{"duplicate", deps, api.Options{Tokens: []api.Token{
			{Name: "x", Role: api.RoleAdmin, SHA256: api.HashToken("t")},
			{Name: "y", Role: api.RoleViewer, SHA256: api.HashToken("t")},
		}}},
		{"bad origin", deps, api.Options{CORSOrigins: []string{"flex.twilio.com"}}},
	}
	for _, tc := range tests {
		if _, err := api.New(tc.deps, tc.opts); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
	// Two handlers on one registry share the metrics.
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := api.New(api.Deps{Status: e.sched, Store: e.store, Registerer: reg}, api.Options{}); err != nil {
			t.Errorf("second New on one registry: %v", err)
		}
	}
}

func TestHashToken(t *testing.T) {
	// sha256("abc"), from FIPS 180-2.
	if got := api.HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
}
