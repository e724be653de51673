package main

import (
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/api"
)

// TestMetricsAndSSESettings: the metrics and SSE settings reach the
// service's options from the file, the environment and flags, with the
// defaults when unset, and a metrics token role is accepted.
func TestMetricsAndSSESettings(t *testing.T) {
	s, err := loadFor(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.options()
	if err != nil {
		t.Fatal(err)
	}
	if o.MetricsAddr != "" || o.MetricsPublic || o.Events.SSEMaxClients != api.DefaultSSEMaxClients || o.Events.SSEMaxPerToken != api.DefaultSSEMaxPerToken {
		t.Errorf("defaults: metrics-addr %q, metrics-public %v, sse %d/%d", o.MetricsAddr, o.MetricsPublic, o.Events.SSEMaxClients, o.Events.SSEMaxPerToken)
	}

	yaml := "metrics-addr: 127.0.0.1:9464\nsse-max-clients: 64\ntokens:\n  - {name: prometheus, role: metrics, sha256: " + strings.Repeat("a", 64) + "}\n"
	s, err = loadFor(t, yaml, []string{"SCHEDMGR_SSE_MAX_PER_TOKEN=4"})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = s.options(); err != nil {
		t.Fatal(err)
	}
	if o.MetricsAddr != "127.0.0.1:9464" || o.Events.SSEMaxClients != 64 || o.Events.SSEMaxPerToken != 4 || len(o.Tokens) != 1 || o.Tokens[0].Role != api.RoleMetrics {
		t.Errorf("metrics-addr %q, sse %d/%d, tokens %+v", o.MetricsAddr, o.Events.SSEMaxClients, o.Events.SSEMaxPerToken, o.Tokens)
	}

	s, err = loadFor(t, "", nil, "--metrics-public", "--sse-max-per-token", "300")
	if err != nil {
		t.Fatal(err)
	}
	if !s.MetricsPublic {
		t.Error("--metrics-public not set")
	}
	if _, err := s.options(); err == nil || !strings.Contains(err.Error(), "sse-max-per-token: 300 is more than sse-max-clients (256)") {
		t.Errorf("per-token limit over the total: %v", err)
	}
}
