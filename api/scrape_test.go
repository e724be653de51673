package api_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/schedule-manager/schedule-manager/api"
)

const metricsToken = "metrics-secret-token"

// tokensWithMetrics are the usual admin and viewer tokens plus a metrics
// token (the one a Prometheus server gets).
func tokensWithMetrics() []api.Token {
	return []api.Token{
		{Name: adminName, Role: api.RoleAdmin, SHA256: api.HashToken(adminToken)},
		{Name: viewerName, Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)},
		{Name: "prometheus", Role: api.RoleMetrics, SHA256: api.HashToken(metricsToken)},
	}
}

// scrapeEnv is an environment whose /metrics is the registry's promhttp
// handler, counting the scrapes that reach it (that is, that gather).
func scrapeEnv(t *testing.T, opts api.Options, noHandler bool) (*env, *atomic.Int64) {
	t.Helper()
	var gathered atomic.Int64
	opts.Tokens = tokensWithMetrics()
	e := newEnv(t, envOptions{opts: opts, deps: func(d *api.Deps) {
		if noHandler {
			return
		}
		h := promhttp.HandlerFor(d.Registerer.(*prometheus.Registry), promhttp.HandlerOpts{})
		d.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gathered.Add(1)
			h.ServeHTTP(w, r)
		})
	}})
	return e, &gathered
}

// scrape GETs /metrics with token ("" for none) and returns the status,
// the WWW-Authenticate header and the body.
func (e *env) scrape(t *testing.T, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
}

// TestMetricsNeedAToken: by default an anonymous or wrongly authenticated
// scrape is refused before anything is gathered; a token of any role
// scrapes; PublicMetrics serves anyone; without a handler the route says
// where metrics went.
func TestMetricsNeedAToken(t *testing.T) {
	byDefault, gatheredDefault := scrapeEnv(t, api.Options{}, false)
	public, gatheredPublic := scrapeEnv(t, api.Options{PublicMetrics: true}, false)
	elsewhere, _ := scrapeEnv(t, api.Options{}, true)
	tests := []struct {
		name     string
		env      *env
		gathered *atomic.Int64
		token    string
		code     int
		contains string
	}{
		{"anonymous", byDefault, gatheredDefault, "", 401, "GET /metrics needs a bearer token"},
		{"wrong token", byDefault, gatheredDefault, "not-a-token", 401, "metrics-addr"},
		{"metrics token", byDefault, gatheredDefault, metricsToken, 200, "schedmgr_check_requests_total"},
		{"viewer token", byDefault, gatheredDefault, viewerToken, 200, "schedmgr_check_requests_total"},
		{"admin token", byDefault, gatheredDefault, adminToken, 200, "schedmgr_check_requests_total"},
		{"public, anonymous", public, gatheredPublic, "", 200, "schedmgr_check_requests_total"},
		{"public, wrong token", public, gatheredPublic, "not-a-token", 200, "schedmgr_check_requests_total"},
		{"served elsewhere", elsewhere, nil, adminToken, 404, "not served on this listener"},
		{"served elsewhere, anonymous", elsewhere, nil, "", 404, "metrics-addr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before int64
			if tc.gathered != nil {
				before = tc.gathered.Load()
			}
			code, auth, body := tc.env.scrape(t, tc.token)
			if code != tc.code || !strings.Contains(body, tc.contains) {
				t.Fatalf("status %d, want %d; body %.300s, want it to contain %q", code, tc.code, body, tc.contains)
			}
			if code == 401 && !strings.HasPrefix(auth, "Bearer ") {
				t.Errorf("401 without a Bearer challenge: WWW-Authenticate %q", auth)
			}
			if tc.gathered == nil {
				return
			}
			want := before
			if code == 200 {
				want++
			}
			if got := tc.gathered.Load(); got != want {
				t.Errorf("gathered %d times, want %d: a refused scrape must not gather", got-before, want-before)
			}
		})
	}
}

// TestMetricsRoleReadsOnlyMetrics: a metrics token is refused (403,
// naming its role) everywhere but /metrics, check-schedule included when
// that needs a token; it still answers anonymous public check-schedule.
func TestMetricsRoleReadsOnlyMetrics(t *testing.T) {
	private := false
	e, _ := scrapeEnv(t, api.Options{PublicCheck: &private}, false)
	pub, _ := scrapeEnv(t, api.Options{}, false)
	for _, rq := range []request{
		{method: "GET", path: "/api/v1/config"},
		{method: "GET", path: "/api/v1/whoami"},
		{method: "GET", path: "/api/v1/schedules"},
		{method: "GET", path: "/api/v1/events"},
		{method: "GET", path: "/api/v1/history"},
		{method: "PUT", path: "/api/v1/config", body: `{"data": {"rules": [], "schedules": []}, "version": 1}`, contentType: "application/json"},
		{method: "POST", path: "/api/v1/schedules/Support/close"},
		{method: "GET", path: "/check-schedule?name=Support"},
	} {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) {
			before := e.latest()
			rq.token = metricsToken
			r := e.do(rq)
			expect(t, rq.path, r, http.StatusForbidden)
			if !strings.Contains(r.str("error"), `role "metrics", which can only read /metrics`) {
				t.Errorf("error %q does not name the role", r.str("error"))
			}
			e.unchanged(rq.path, before.Version, before.Data)
		})
	}
	if r := pub.get("/check-schedule?name=Support", metricsToken); r.code != 200 {
		t.Errorf("public check-schedule with a metrics token: %d %s", r.code, r.body)
	}
	if r := e.get("/check-schedule?name=Support", viewerToken); r.code != 200 {
		t.Errorf("private check-schedule with a viewer token: %d %s", r.code, r.body)
	}
}
