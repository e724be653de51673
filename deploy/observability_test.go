package deploy_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// dashboardExprs returns every PromQL expression of the Grafana dashboard
// (panel targets, rows' nested panels, template variable queries), keyed
// by where it is.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	d := readJSON(t, "deploy/grafana/dashboards/schedule-manager.json")
	exprs := map[string]string{}
	var walk func(panels []any)
	walk = func(panels []any) {
		for _, p := range panels {
			walk(asList(dig(p, "panels")))
			if asString(dig(p, "type")) == "row" {
				continue
			}
			for i, tg := range asList(dig(p, "targets")) {
				exprs[fmt.Sprintf("panel %q target %d", dig(p, "title"), i)] = asString(dig(tg, "expr"))
			}
		}
	}
	walk(asList(d["panels"]))
	for _, v := range asList(dig(d, "templating", "list")) {
		if asString(dig(v, "type")) == "query" {
			exprs[fmt.Sprintf("variable %v", dig(v, "name"))] = asString(dig(v, "query", "query"))
		}
	}
	return exprs
}

// alertRules returns the rules of alerts.yml.
func alertRules(t *testing.T) []map[string]any {
	t.Helper()
	var rules []map[string]any
	for _, g := range asList(yamlDoc(t, "deploy/prometheus/alerts.yml")["groups"]) {
		if asString(dig(g, "name")) == "" {
			t.Errorf("alerts.yml: a group without a name")
		}
		for _, r := range asList(dig(g, "rules")) {
			rules = append(rules, asMap(r))
		}
	}
	return rules
}

// TestGrafanaDashboard checks the dashboard's structure: panels with
// PromQL, unique ids, the data source variable, and the panels the issue
// asks for.
func TestGrafanaDashboard(t *testing.T) {
	d := readJSON(t, "deploy/grafana/dashboards/schedule-manager.json")
	if asString(d["uid"]) == "" || asString(d["title"]) == "" {
		t.Error("dashboard needs a uid and a title")
	}
	vars := map[string]bool{}
	for _, v := range asList(dig(d, "templating", "list")) {
		vars[asString(dig(v, "name"))] = true
	}
	ids := map[string]bool{}
	titles := map[string]bool{}
	var walk func(panels []any)
	walk = func(panels []any) {
		for _, p := range panels {
			id, title := asString(dig(p, "id")), asString(dig(p, "title"))
			if ids[id] {
				t.Errorf("panel id %s used twice", id)
			}
			ids[id] = true
			titles[title] = true
			if dig(p, "gridPos", "w") == nil || dig(p, "gridPos", "h") == nil {
				t.Errorf("panel %q has no gridPos", title)
			}
			walk(asList(dig(p, "panels")))
			if asString(dig(p, "type")) == "row" {
				continue
			}
			targets := asList(dig(p, "targets"))
			if len(targets) == 0 {
				t.Errorf("panel %q has no targets", title)
			}
			for _, tg := range targets {
				if expr := asString(dig(tg, "expr")); !strings.Contains(expr, "schedmgr_") {
					t.Errorf("panel %q: expr %q queries no schedmgr_ metric", title, expr)
				}
				if uid := asString(dig(tg, "datasource", "uid")); uid != "${datasource}" {
					t.Errorf("panel %q: datasource uid %q, want the ${datasource} variable", title, uid)
				}
			}
		}
	}
	walk(asList(d["panels"]))
	if !vars["datasource"] {
		t.Error("no datasource template variable")
	}
	checkDashboardInputs(t, d)
	for _, want := range []string{"Schedule status", "Open / closed over time", "Transitions", "check-schedule requests",
		"check-schedule latency", "Event publish lag", "Webhook deliveries", "Webhook dead letters", "Replica version lag"} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	for where, expr := range dashboardExprs(t) {
		checkPromQLShape(t, "dashboard "+where, expr)
		if strings.Contains(expr, "histogram_quantile") && !strings.Contains(expr, "_bucket") {
			t.Errorf("dashboard %s: histogram_quantile without a _bucket series: %s", where, expr)
		}
	}
	all := strings.Join(slices.Collect(mapValues(dashboardExprs(t))), "\n")
	for _, q := range []string{"histogram_quantile(0.5, sum by (le) (rate(schedmgr_check_duration_seconds_bucket",
		"histogram_quantile(0.99, sum by (le) (rate(schedmgr_check_duration_seconds_bucket"} {
		if !strings.Contains(all, q) {
			t.Errorf("no check-schedule latency query %s...", q)
		}
	}
}

// checkDashboardInputs checks what makes Grafana's import ask for a data
// source (Dashboards → New → Import): __inputs declares a Prometheus data
// source input, the data source variable's current value is that input
// (import replaces "${DS_...}" with the chosen data source; provisioning
// leaves it, and the variable then falls back to the default data source),
// every "${DS_...}" used is declared and every declared input used, and
// __requires names each panel type.
func checkDashboardInputs(t *testing.T, d map[string]any) {
	t.Helper()
	inputs := map[string]bool{}
	for _, in := range asList(d["__inputs"]) {
		name := asString(dig(in, "name"))
		if asString(dig(in, "type")) != "datasource" || asString(dig(in, "pluginId")) != "prometheus" || !strings.HasPrefix(name, "DS_") {
			t.Errorf("__inputs entry %v: want a prometheus datasource input named DS_...", in)
		}
		inputs[name] = true
	}
	if len(inputs) != 1 {
		t.Fatalf("__inputs declares %d data source inputs, want one (import would not ask for the data source)", len(inputs))
	}
	raw := readFile(t, "deploy/grafana/dashboards/schedule-manager.json")
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{(DS_[A-Z0-9_]+)\}`).FindAllStringSubmatch(raw, -1) {
		used[m[1]] = true
		if !inputs[m[1]] {
			t.Errorf("${%s} is used but not declared in __inputs", m[1])
		}
	}
	for name := range inputs {
		if !used[name] {
			t.Errorf("__inputs declares %s, which nothing uses: the choice made on import would be lost", name)
		}
	}
	for _, v := range asList(dig(d, "templating", "list")) {
		if asString(dig(v, "type")) == "datasource" {
			if cur := asString(dig(v, "current", "value")); !strings.HasPrefix(cur, "${DS_") {
				t.Errorf("data source variable %v: current value %q, want the ${DS_...} input", dig(v, "name"), cur)
			}
		}
	}
	required := map[string]bool{}
	for _, r := range asList(d["__requires"]) {
		required[asString(dig(r, "type"))+"/"+asString(dig(r, "id"))] = true
	}
	var walk func(panels []any)
	walk = func(panels []any) {
		for _, p := range panels {
			if typ := asString(dig(p, "type")); typ != "row" && !required["panel/"+typ] {
				t.Errorf("__requires does not name panel type %s", typ)
			}
			walk(asList(dig(p, "panels")))
		}
	}
	walk(asList(d["panels"]))
	if !required["datasource/prometheus"] || !required["grafana/grafana"] {
		t.Errorf("__requires %v lacks grafana or the prometheus data source", sortedKeys(required))
	}
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, k := range sortedKeys(m) {
			if !yield(m[k]) {
				return
			}
		}
	}
}

// checkPromQLShape catches the slips a text file allows: unbalanced
// brackets and quotes, an empty expression.
func checkPromQLShape(t *testing.T, where, expr string) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("%s: empty expression", where)
		return
	}
	var stack []rune
	inQuote := false
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range expr {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				t.Errorf("%s: unbalanced %q in %s", where, r, expr)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inQuote || len(stack) > 0 {
		t.Errorf("%s: unclosed quote or bracket in %s", where, expr)
	}
}

// TestAlertRules checks every rule has what an on-call engineer needs:
// a name, an expression, a duration, a severity, a summary and a
// description.
func TestAlertRules(t *testing.T) {
	rules := alertRules(t)
	if len(rules) < 8 {
		t.Fatalf("only %d alert rules", len(rules))
	}
	names := map[string]bool{}
	durRE := regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	for _, r := range rules {
		name := asString(r["alert"])
		if name == "" {
			t.Errorf("a rule without an alert name: %v", r)
			continue
		}
		if names[name] {
			t.Errorf("alert %s defined twice", name)
		}
		names[name] = true
		checkPromQLShape(t, "alert "+name, asString(r["expr"]))
		if f := asString(r["for"]); !durRE.MatchString(f) {
			t.Errorf("alert %s: for %q is not a duration", name, f)
		}
		if s := asString(dig(r, "labels", "severity")); s != "critical" && s != "warning" && s != "info" {
			t.Errorf("alert %s: severity %q, want critical, warning or info", name, s)
		}
		for _, a := range []string{"summary", "description"} {
			if asString(dig(r, "annotations", a)) == "" {
				t.Errorf("alert %s: no %s annotation", name, a)
			}
		}
	}
	// The alerts the issue asks for, by the metric they watch.
	all := ""
	for _, r := range rules {
		all += asString(r["expr"]) + "\n"
	}
	for _, m := range []string{"schedmgr_config_version_lag > 0", "schedmgr_webhook_dead_letters_total",
		"schedmgr_webhook_attempts_total", "schedmgr_webhook_endpoint_disabled", "schedmgr_event_publish_lag_seconds_bucket", "schedmgr_reconcile_repairs_total",
		`schedmgr_check_requests_total{outcome="error"}`, "schedmgr_calendar_last_failure_timestamp_seconds"} {
		if !strings.Contains(all, m) {
			t.Errorf("no alert uses %s", m)
		}
	}
}

// promtool finds promtool on PATH or in the Go bin directory.
func promtool() string {
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "promtool"); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// TestPromtool validates the rules and the Prometheus config, and runs the
// alert unit tests (prometheus/alerts_test.yml), with promtool. Without
// promtool it is skipped, except under CI=true where it fails (.ci/run
// installs it). Debian's prometheus package ships it:
//
//	apt-get install prometheus
func TestPromtool(t *testing.T) {
	bin := promtool()
	if bin == "" {
		testenv.Missing(t, "promtool not found (PATH, $GOBIN, $GOPATH/bin, ~/go/bin); "+
			"install Debian's prometheus package (apt-get install prometheus), or "+
			"go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0 (a long build)")
	}
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(root, "deploy/prometheus/alerts.yml")},
		{"check", "config", filepath.Join(root, "deploy/prometheus/prometheus.yml")},
		{"test", "rules", filepath.Join(root, "deploy/prometheus/alerts_test.yml")},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestEveryAlertHasUnitTests fails for an alert rule of alerts.yml that
// alerts_test.yml never shows firing, or never shows not firing (before
// its "for" elapsed, below its threshold, or once resolved), and for a
// unit test of an alert that does not exist. promtool runs the tests
// (TestPromtool).
func TestEveryAlertHasUnitTests(t *testing.T) {
	doc := yamlDoc(t, "deploy/prometheus/alerts_test.yml")
	if files := asList(doc["rule_files"]); len(files) != 1 || asString(files[0]) != "alerts.yml" {
		t.Errorf("alerts_test.yml: rule_files %v, want [alerts.yml]", doc["rule_files"])
	}
	fires, silent := map[string]int{}, map[string]int{}
	for _, tc := range asList(doc["tests"]) {
		for _, at := range asList(dig(tc, "alert_rule_test")) {
			name := asString(dig(at, "alertname"))
			if len(asList(dig(at, "exp_alerts"))) > 0 {
				fires[name]++
			} else {
				silent[name]++
			}
		}
	}
	rules := map[string]bool{}
	for _, r := range alertRules(t) {
		rules[asString(r["alert"])] = true
	}
	for _, name := range sortedKeys(rules) {
		if fires[name] == 0 {
			t.Errorf("alert %s: no unit test in alerts_test.yml shows it firing", name)
		}
		if silent[name] == 0 {
			t.Errorf("alert %s: no unit test in alerts_test.yml shows it not firing (exp_alerts: [])", name)
		}
	}
	for _, m := range []map[string]int{fires, silent} {
		for name := range m {
			if !rules[name] {
				t.Errorf("alerts_test.yml tests alert %q, which alerts.yml does not define", name)
			}
		}
	}
}

// metricRE matches a metric name of the service in a PromQL expression.
var metricRE = regexp.MustCompile(`\bschedmgr_[a-z_]+\b`)

// TestMetricNamesAreExported starts the real service, makes it produce
// every kind of series (a check-schedule request, a transition with its
// event, webhook deliveries and a dead letter), scrapes /metrics and fails
// if the dashboard or an alert rule uses a metric name that is not
// exported, or a label those metrics do not have.
func TestMetricNamesAreExported(t *testing.T) {
	exprs := map[string]string{}
	for where, expr := range dashboardExprs(t) {
		exprs["dashboard "+where] = expr
	}
	for _, r := range alertRules(t) {
		exprs["alert "+asString(r["alert"])] = asString(r["expr"])
	}
	used := map[string][]string{}
	for _, where := range sortedKeys(exprs) {
		for _, m := range metricRE.FindAllString(exprs[where], -1) {
			if !slices.Contains(used[m], where) {
				used[m] = append(used[m], where)
			}
		}
	}

	const token = apptest.AdminToken
	// Scraped as compose and Kubernetes scrape it: anonymously, on the
	// metrics listener (metrics-addr).
	a := apptest.Start(t, func(o *app.Options) {
		o.NATSListen = "off"
		o.Tokens = nil
		o.MetricsAddr = "127.0.0.1:0"
		o.Webhooks.AllowPrivate = true  // the receivers are on loopback
		o.Calendars.AllowPrivate = true // the calendar origin below is on loopback
	})
	base := "http://" + a.HTTPAddr()

	// Calendar fetches: one succeeds, one fails (HTTP 404).
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok.ics" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20300101\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	}))
	defer origin.Close()
	for _, c := range []string{"ok", "gone"} {
		if code, body := request(t, "PUT", base+"/api/v1/calendars/"+c, token, fmt.Sprintf(`{"url":%q}`, origin.URL+"/"+c+".ics")); code != http.StatusOK {
			t.Logf("PUT /api/v1/calendars/%s: %d %s: the calendar metrics may stay missing", c, code, body)
		}
	}

	// Two webhook receivers: one accepts, one rejects (a dead letter).
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	reject := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer reject.Close()
	for _, ep := range [][2]string{{"ok", ok.URL}, {"reject", reject.URL}} {
		code, body := request(t, "POST", base+"/api/v1/webhooks", token, fmt.Sprintf(`{"id":%q,"url":%q}`, ep[0], ep[1]))
		if code != http.StatusCreated {
			t.Logf("POST /api/v1/webhooks (%s): %d %s: the webhook metrics may stay missing", ep[0], code, body)
		}
	}
	if code, body := request(t, "GET", base+"/check-schedule?name=Support", "", ""); code != http.StatusOK {
		t.Fatalf("check-schedule: %d %s", code, body)
	}
	// "Ops 24x7" is open except two hours a month: a manual close is a
	// transition, which is counted, published and delivered.
	if code, body := request(t, "POST", base+"/api/v1/schedules/Ops%2024x7/close", token, ""); code != http.StatusOK {
		t.Fatalf("manual close: %d %s", code, body)
	}

	// Counters with labels appear once something happened: poll until
	// every used name is there, or the deadline.
	var exp exposition
	var missing []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		exp = scrape(t, "http://"+a.MetricsAddr()+"/metrics")
		missing = missing[:0]
		for _, m := range sortedKeys(used) {
			if exp.problem(m) != "" {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("%s: %s; used by %s", m, exp.problem(m), strings.Join(used[m], ", "))
	}
	if len(used) < 15 {
		t.Errorf("the dashboard and rules use only %d metric names: %v", len(used), sortedKeys(used))
	}
	if len(missing) == 0 {
		for _, where := range sortedKeys(exprs) {
			checkLabels(t, where, exprs[where], exp)
		}
	}
}

// Labels Prometheus adds to every series it scrapes (replica: the compose
// scrape configuration's target label).
var targetLabels = map[string]bool{"job": true, "instance": true, "replica": true}

var (
	selectorRE = regexp.MustCompile(`(schedmgr_[a-z_]+)\{([^}]*)\}`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	groupingRE = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
)

// checkLabels fails for a label matcher naming a label the metric does not
// have, and for a grouping label (by, on, ...) that none of the
// expression's metrics has.
func checkLabels(t *testing.T, where, expr string, exp exposition) {
	t.Helper()
	for _, sel := range selectorRE.FindAllStringSubmatch(expr, -1) {
		for _, m := range matcherRE.FindAllStringSubmatch(sel[2], -1) {
			if !targetLabels[m[1]] && !exp.labels[sel[1]][m[1]] {
				t.Errorf("%s: %s has no label %q (has %v)", where, sel[1], m[1], sortedKeys(exp.labels[sel[1]]))
			}
		}
	}
	all := map[string]bool{}
	for _, m := range metricRE.FindAllString(expr, -1) {
		for l := range exp.labels[m] {
			all[l] = true
		}
	}
	for _, g := range groupingRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !targetLabels[l] && !all[l] {
				t.Errorf("%s: groups by %q, a label none of its metrics has", where, l)
			}
		}
	}
}

// exposition is what a scrape of /metrics says: the TYPE of each family
// (series names that are no family are typed "series"), and the label
// names of each series name.
type exposition struct {
	types  map[string]string
	labels map[string]map[string]bool
}

// problem says why a name used in PromQL has no series ("" when it has).
func (e exposition) problem(name string) string {
	typ, ok := e.types[name]
	switch {
	case !ok:
		return "not exported by the service"
	case typ == "histogram" || typ == "summary":
		return "a " + typ + " has no series of that name: use " + name + "_bucket, _sum or _count"
	}
	return ""
}

var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"`)

// scrape reads a Prometheus text exposition.
func scrape(t *testing.T, url string) exposition {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	e := exposition{types: map[string]string{}, labels: map[string]map[string]bool{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if fields := strings.Fields(f); len(fields) == 2 {
				e.types[fields[0]] = fields[1]
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line+" ", "{ ")
		name := line[:end]
		if _, seen := e.types[name]; !seen {
			e.types[name] = "series"
		}
		if e.labels[name] == nil {
			e.labels[name] = map[string]bool{}
		}
		if strings.HasPrefix(line[end:], "{") {
			for _, l := range labelRE.FindAllStringSubmatch(line[end:], -1) {
				e.labels[name][l[1]] = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return e
}

func request(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(b))
}
