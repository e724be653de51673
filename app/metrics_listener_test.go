package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
)

// get GETs url with token ("" for none) and returns the status and body.
func get(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// scrapeMetrics returns the exposition of url (a /metrics URL), scraped
// with token, and fails the test unless it is answered 200.
func scrapeMetrics(t testing.TB, url, token string) string {
	t.Helper()
	code, body := get(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %.300s", url, code, body)
	}
	return body
}

// TestMetricsAccess: /metrics on the HTTP listener needs a token by
// default; metrics-public serves it to anyone; metrics-addr moves it to a
// listener of its own, anonymous there, absent from the HTTP listener,
// and closed by Shutdown.
func TestMetricsAccess(t *testing.T) {
	const metricsToken = "prometheus-scrape-token-0123"
	t.Run("default: a token of any role", func(t *testing.T) {
		o := testOptions(t, t.TempDir())
		o.Tokens = []api.Token{{Name: "prometheus", Role: api.RoleMetrics, SHA256: api.HashToken(metricsToken)}}
		a := start(t, o)
		url := "http://" + a.HTTPAddr() + "/metrics"
		if code, body := get(t, url, ""); code != http.StatusUnauthorized || !strings.Contains(body, "metrics-addr") {
			t.Errorf("anonymous scrape: %d %s", code, body)
		}
		for _, token := range []string{metricsToken, adminToken} {
			if body := scrapeMetrics(t, url, token); !strings.Contains(body, "schedmgr_config_version_served 1") {
				t.Errorf("scrape with a token lacks the served version:\n%.500s", body)
			}
		}
		if a.MetricsAddr() != "" {
			t.Errorf("MetricsAddr() = %q without a metrics listener", a.MetricsAddr())
		}
	})
	t.Run("metrics-public", func(t *testing.T) {
		o := testOptions(t, t.TempDir())
		o.MetricsPublic = true
		a := start(t, o)
		if body := scrapeMetrics(t, "http://"+a.HTTPAddr()+"/metrics", ""); !strings.Contains(body, "schedmgr_check_requests_total") {
			t.Errorf("public scrape:\n%.500s", body)
		}
	})
	t.Run("metrics-addr", func(t *testing.T) {
		o := testOptions(t, t.TempDir())
		o.MetricsAddr = "127.0.0.1:0"
		a := start(t, o)
		if a.MetricsAddr() == "" || a.MetricsAddr() == a.HTTPAddr() {
			t.Fatalf("MetricsAddr() = %q, HTTPAddr() = %q", a.MetricsAddr(), a.HTTPAddr())
		}
		metrics := "http://" + a.MetricsAddr()
		for _, name := range []string{"schedmgr_config_version_served 1", "schedmgr_check_requests_total", "schedmgr_sse_clients 0", "go_goroutines"} {
			if body := scrapeMetrics(t, metrics+"/metrics", ""); !strings.Contains(body, name) {
				t.Errorf("metrics listener: no %s", name)
			}
		}
		for _, path := range []string{"/", "/check-schedule?name=Support", "/api/v1/config", "/healthz"} {
			if code, _ := get(t, metrics+path, adminToken); code != http.StatusNotFound {
				t.Errorf("metrics listener serves %s: %d", path, code)
			}
		}
		if code, body := get(t, "http://"+a.HTTPAddr()+"/metrics", adminToken); code != http.StatusNotFound || !strings.Contains(body, "metrics-addr") {
			t.Errorf("HTTP listener /metrics with metrics-addr set: %d %s", code, body)
		}
		if err := a.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		c := http.Client{Timeout: 5 * time.Second}
		if resp, err := c.Get(metrics + "/metrics"); err == nil {
			resp.Body.Close()
			t.Errorf("metrics listener still answers after Shutdown: %s", resp.Status)
		}
	})
}

// TestMetricsAndSSEOptionsNameTheSetting: the new settings are checked
// before anything starts, each error naming its setting.
func TestMetricsAndSSEOptionsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"metrics addr not host:port", func(o *Options) { o.MetricsAddr = "9464" }, "metrics-addr"},
		{"metrics addr is the http addr", func(o *Options) { o.HTTPAddr, o.MetricsAddr = "127.0.0.1:18080", "127.0.0.1:18080" }, "metrics-addr: \"127.0.0.1:18080\" is also http-addr"},
		{"metrics public and addr", func(o *Options) { o.MetricsAddr, o.MetricsPublic = "127.0.0.1:0", true }, "metrics-public"},
		{"per-token over total", func(o *Options) { o.Events.SSEMaxClients, o.Events.SSEMaxPerToken = 8, 9 }, "sse-max-per-token: 9 is more than sse-max-clients (8)"},
		{"per-token over default total", func(o *Options) { o.Events.SSEMaxPerToken = 1000 }, "sse-max-clients (256)"},
		{"negative per-token", func(o *Options) { o.Events.SSEMaxPerToken = -1 }, "must not be negative"},
		{"unknown role", func(o *Options) {
			o.Tokens = []api.Token{{Name: "x", Role: "root", SHA256: strings.Repeat("0", 64)}}
		}, `tokens[0].role: "root" is not admin, viewer or metrics`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, t.TempDir())
			tt.mod(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	o := testOptions(t, t.TempDir())
	o.MetricsAddr = "127.0.0.1:9464"
	o.Events.SSEMaxClients, o.Events.SSEMaxPerToken = 4, 4
	o.Tokens = []api.Token{{Name: "prometheus", Role: api.RoleMetrics, SHA256: strings.Repeat("0", 64)}}
	if err := o.Validate(); err != nil {
		t.Errorf("valid metrics and SSE settings refused: %v", err)
	}
}

// BenchmarkScrape measures what one GET /metrics costs the service on the
// HTTP listener, without the network: served (a token, gzip as Prometheus
// asks), refused (anonymous: 401 before gathering), and a cached
// check-schedule answer for scale.
//
//	go test -run '^$' -bench Scrape -benchmem ./app
func BenchmarkScrape(b *testing.B) {
	a := start(b, testOptions(b, b.TempDir()))
	for _, bc := range []struct {
		name, path, token string
		code              int
	}{
		{"served", "/metrics", adminToken, http.StatusOK},
		{"refused", "/metrics", "", http.StatusUnauthorized},
		{"check-schedule", "/check-schedule?name=Support", "", http.StatusOK},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			if bc.token != "" {
				req.Header.Set("Authorization", "Bearer "+bc.token)
			}
			for b.Loop() {
				w := httptest.NewRecorder()
				a.api.ServeHTTP(w, req)
				if w.Code != bc.code {
					b.Fatalf("%s: %d", bc.path, w.Code)
				}
			}
		})
	}
}
