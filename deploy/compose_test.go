package deploy_test

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// TestCompose checks deploy/compose.yaml: the files it mounts and builds
// from exist, the NATS cluster has three nodes whose routes name each
// other, and the two replicas join it with distinct ids.
func TestCompose(t *testing.T) {
	c := yamlDoc(t, "deploy/compose.yaml")
	services := asMap(c["services"])
	volumes := asMap(c["volumes"])
	for name, s := range services {
		svc := asMap(s)
		if asString(svc["image"]) == "" && svc["build"] == nil {
			t.Errorf("service %s: no image and no build", name)
		}
		if b := asMap(svc["build"]); b != nil {
			ctx := path.Join("deploy", asString(b["context"]))
			if !exists(ctx) || !exists(path.Join(ctx, asString(b["dockerfile"]))) {
				t.Errorf("service %s: build context %s or dockerfile %v does not exist", name, ctx, b["dockerfile"])
			}
		}
		for _, v := range asList(svc["volumes"]) {
			src, _, _ := strings.Cut(asString(v), ":")
			switch {
			case strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
				if !exists(path.Join("deploy", src)) {
					t.Errorf("service %s: mounts %s, which does not exist", name, src)
				}
			case !strings.HasPrefix(src, "/"):
				if _, ok := volumes[src]; !ok {
					t.Errorf("service %s: named volume %s is not declared", name, src)
				}
			}
		}
		deps := svc["depends_on"]
		for _, d := range asList(deps) {
			if services[asString(d)] == nil {
				t.Errorf("service %s depends on unknown service %v", name, d)
			}
		}
		for d := range asMap(deps) {
			if services[d] == nil {
				t.Errorf("service %s depends on unknown service %v", name, d)
			}
		}
	}

	var nats, replicas []string
	for name := range services {
		switch {
		case regexp.MustCompile(`^nats-\d+$`).MatchString(name):
			nats = append(nats, name)
		case strings.HasPrefix(name, "schedmgr-"):
			replicas = append(replicas, name)
		}
	}
	slices.Sort(nats)
	slices.Sort(replicas)
	if len(nats) != 3 || len(replicas) != 2 {
		t.Fatalf("want 3 NATS nodes and 2 replicas, got %v and %v", nats, replicas)
	}
	natsConf := readFile(t, "deploy/compose/nats.conf")
	for _, n := range nats {
		if !strings.Contains(natsConf, "nats://"+n+":6222") {
			t.Errorf("nats.conf: no route to %s", n)
		}
		if asString(dig(services, n, "environment", "SERVER_NAME")) != n {
			t.Errorf("service %s: SERVER_NAME is not %s", n, n)
		}
	}
	for _, k := range []string{"jetstream", "server_name: $SERVER_NAME", "store_dir: /data", "http: 0.0.0.0:8222"} {
		if !strings.Contains(natsConf, k) {
			t.Errorf("nats.conf does not have %q", k)
		}
	}

	settings := yamlDoc(t, "deploy/compose/settings.yaml")
	if dig(settings, "store-replicas") != 3 {
		t.Errorf("compose settings: store-replicas = %v, want 3", settings["store-replicas"])
	}
	urls := asString(settings["nats-url"])
	for _, n := range nats {
		if !strings.Contains(urls, "nats://"+n+":4222") {
			t.Errorf("compose settings: nats-url %q does not list %s", urls, n)
		}
	}
	ids := map[string]bool{}
	hostPorts := map[string]bool{}
	for _, r := range replicas {
		env := asMap(dig(services, r, "environment"))
		id := asString(env["SCHEDMGR_REPLICA_ID"])
		if id == "" || ids[id] {
			t.Errorf("service %s: SCHEDMGR_REPLICA_ID %q is empty or not unique", r, id)
		}
		ids[id] = true
		if asString(env["SCHEDMGR_SETTINGS"]) != "/etc/schedule-manager/settings.yaml" {
			t.Errorf("service %s: SCHEDMGR_SETTINGS = %v", r, env["SCHEDMGR_SETTINGS"])
		}
		for _, p := range asList(dig(services, r, "ports")) {
			hostPorts[asString(p)] = true
		}
	}
	for _, p := range []string{"8081:8080", "8082:8080"} {
		if !hostPorts[p] {
			t.Errorf("no replica publishes %s (have %v)", p, sortedKeys(hostPorts))
		}
	}

	// Prometheus scrapes both replicas and loads the rules; Grafana gets
	// the provisioning and dashboards directories the provisioning names.
	prom := yamlDoc(t, "deploy/prometheus/prometheus.yml")
	var targets []string
	for _, sc := range asList(prom["scrape_configs"]) {
		for _, st := range asList(dig(sc, "static_configs")) {
			for _, tg := range asList(dig(st, "targets")) {
				targets = append(targets, asString(tg))
			}
		}
	}
	// Prometheus scrapes each replica's metrics listener, whose port
	// compose does not publish to the host.
	metricsAddr := asString(dig(c, "x-schedmgr-env", "SCHEDMGR_METRICS_ADDR"))
	_, metricsPort, _ := strings.Cut(metricsAddr, ":")
	if metricsPort == "" {
		t.Fatalf("compose.yaml: the replicas have no SCHEDMGR_METRICS_ADDR (got %q): Prometheus would need a token", metricsAddr)
	}
	for _, r := range replicas {
		if asString(dig(services, r, "environment", "SCHEDMGR_METRICS_ADDR")) != metricsAddr {
			t.Errorf("service %s: SCHEDMGR_METRICS_ADDR is not %s", r, metricsAddr)
		}
		if !slices.Contains(targets, r+":"+metricsPort) {
			t.Errorf("prometheus.yml does not scrape %s:%s (targets %v)", r, metricsPort, targets)
		}
		for _, p := range asList(dig(services, r, "ports")) {
			if strings.HasSuffix(asString(p), ":"+metricsPort) {
				t.Errorf("service %s publishes the anonymous metrics port: %v", r, p)
			}
		}
	}
	if rf := asList(prom["rule_files"]); len(rf) != 1 || !exists(path.Join("deploy/prometheus", asString(rf[0]))) {
		t.Errorf("prometheus.yml rule_files = %v, want alerts.yml", rf)
	}
	promVols := strings.Join(anyStrings(dig(services, "prometheus", "volumes")), " ")
	for _, want := range []string{"./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml", "./prometheus/alerts.yml:/etc/prometheus/alerts.yml"} {
		if !strings.Contains(promVols, want) {
			t.Errorf("prometheus service does not mount %s", want)
		}
	}
	grafVols := strings.Join(anyStrings(dig(services, "grafana", "volumes")), " ")
	dashPath := asString(dig(yamlDoc(t, "deploy/grafana/provisioning/dashboards/schedule-manager.yaml"), "providers", 0, "options", "path"))
	for _, want := range []string{"./grafana/provisioning:/etc/grafana/provisioning", "./grafana/dashboards:" + dashPath} {
		if !strings.Contains(grafVols, want) {
			t.Errorf("grafana service does not mount %s", want)
		}
	}
	ds := yamlDoc(t, "deploy/grafana/provisioning/datasources/prometheus.yaml")
	if asString(dig(ds, "datasources", 0, "type")) != "prometheus" || asString(dig(ds, "datasources", 0, "url")) != "http://prometheus:9090" {
		t.Errorf("Grafana datasource: %v", ds)
	}
}

func anyStrings(v any) []string {
	var s []string
	for _, x := range asList(v) {
		s = append(s, asString(x))
	}
	return s
}

// dockerfile is the instructions of a Dockerfile: keyword and arguments,
// continuation lines joined.
type instruction struct{ cmd, args string }

func dockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(readFile(t, path), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// TestDockerfile checks deploy/Dockerfile without a Docker engine: a
// multi-stage build of a static binary, a non-root numeric user in the
// final stage, the ports, the data volume, the container defaults and a
// health check on /healthz.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t, "deploy/Dockerfile")
	var froms []int
	for i, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, i)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got %d FROM", len(froms))
	}
	if !strings.Contains(ins[froms[0]].args, "golang:") {
		t.Errorf("build stage is %q, want golang", ins[froms[0]].args)
	}
	build := ins[froms[0]:froms[len(froms)-1]]
	final := ins[froms[len(froms)-1]:]
	var buildCmd string
	for _, in := range build {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			buildCmd = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "./cmd/schedule-manager", "--mount=type=cache,target=/go/pkg/mod"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("go build step %q lacks %q", buildCmd, want)
		}
	}
	get := func(cmd string) []string {
		var v []string
		for _, in := range final {
			if in.cmd == cmd {
				v = append(v, in.args)
			}
		}
		return v
	}
	users := get("USER")
	if len(users) == 0 {
		t.Fatal("final stage has no USER")
	}
	uid, _, _ := strings.Cut(users[len(users)-1], ":")
	if uid == "0" || uid == "root" || !regexp.MustCompile(`^[0-9]+$`).MatchString(uid) {
		t.Errorf("USER %q: want a numeric non-root UID (Kubernetes runAsNonRoot needs a number)", users[len(users)-1])
	}
	// Only the HTTP port, where everything but check-schedule and the
	// probes needs a token: not the embedded NATS server's, not an
	// anonymous metrics port (docker run -P publishes what is exposed).
	if ports := strings.Fields(strings.Join(get("EXPOSE"), " ")); !slices.Equal(ports, []string{"8080"}) {
		t.Errorf("EXPOSE %v, want only 8080", ports)
	}
	if v := strings.Join(get("VOLUME"), " "); !strings.Contains(v, "/data") {
		t.Errorf("VOLUME %q, want /data", v)
	}
	env := strings.Join(get("ENV"), " ")
	for _, want := range []string{"SCHEDMGR_HTTP_ADDR=0.0.0.0:8080", "SCHEDMGR_DATA_DIR=/data"} {
		if !strings.Contains(env, want) {
			t.Errorf("ENV lacks %s", want)
		}
	}
	// The embedded NATS server stays inside the container unless someone
	// sets it otherwise; metrics are not anonymous on the HTTP port.
	if m := regexp.MustCompile(`SCHEDMGR_NATS_LISTEN=(\S+)`).FindStringSubmatch(env); m != nil && m[1] != "off" && !strings.HasPrefix(m[1], "127.0.0.1:") {
		t.Errorf("ENV SCHEDMGR_NATS_LISTEN=%s: the embedded NATS server must listen on loopback (or off) by default", m[1])
	}
	for _, bad := range []string{"SCHEDMGR_METRICS_PUBLIC=true", "SCHEDMGR_METRICS_ADDR="} {
		if strings.Contains(env, bad) {
			t.Errorf("ENV sets %s: the image would serve metrics without a token", bad)
		}
	}
	if hc := strings.Join(get("HEALTHCHECK"), " "); !strings.Contains(hc, "http://127.0.0.1:8080/healthz") {
		t.Errorf("HEALTHCHECK %q does not probe /healthz on 8080", hc)
	}
	if ep := strings.Join(get("ENTRYPOINT"), " "); !strings.Contains(ep, "schedule-manager") {
		t.Errorf("ENTRYPOINT %q", ep)
	}
	if cmd := strings.Join(get("CMD"), " "); !strings.Contains(cmd, "serve") {
		t.Errorf("CMD %q, want serve", cmd)
	}
}

// TestDockerignoreKeepsSources checks that the ignore file used with
// deploy/Dockerfile excludes nothing the build needs.
func TestDockerignoreKeepsSources(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(readFile(t, "deploy/Dockerfile.dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	needed := []string{"go.mod", "go.sum", "cmd/schedule-manager/main.go", "examples/default.json", "web/static/index.html", "app/app.go"}
	for _, f := range needed {
		for _, p := range patterns {
			if ignored(p, f) {
				t.Errorf("Dockerfile.dockerignore: %q excludes %s, which the build needs", p, f)
			}
		}
	}
	for _, f := range []string{".git", "data", "deploy/compose.yaml"} {
		if !slices.ContainsFunc(patterns, func(p string) bool { return ignored(p, f) }) {
			t.Errorf("Dockerfile.dockerignore does not exclude %s", f)
		}
	}
}

// ignored approximates .dockerignore matching: a pattern matches the path
// or one of its parent directories; a leading **/ matches at any depth.
func ignored(pattern, file string) bool {
	parts := strings.Split(file, "/")
	for i := 1; i <= len(parts); i++ {
		prefix := strings.Join(parts[:i], "/")
		if ok, _ := filepath.Match(pattern, prefix); ok {
			return true
		}
		if p, ok := strings.CutPrefix(pattern, "**/"); ok {
			for j := 0; j < i; j++ {
				if ok, _ := filepath.Match(p, strings.Join(parts[j:i], "/")); ok {
					return true
				}
			}
		}
	}
	return false
}

// TestSystemdUnit checks the unit's essentials and lets systemd-analyze
// verify it. Without systemd-analyze the verification is skipped, except
// under CI=true where it fails.
func TestSystemdUnit(t *testing.T) {
	unit := readFile(t, "deploy/systemd/schedule-manager.service")
	settings := map[string][]string{}
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = append(settings[k], v)
		}
	}
	for k, want := range map[string]string{
		"ExecStart": "/usr/local/bin/schedule-manager serve", "DynamicUser": "yes", "StateDirectory": "schedule-manager",
		"EnvironmentFile": "-/etc/schedule-manager/env", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "WantedBy": "multi-user.target",
	} {
		if !slices.Contains(settings[k], want) {
			t.Errorf("%s = %v, want %s", k, settings[k], want)
		}
	}
	if !slices.Contains(settings["Environment"], "SCHEDMGR_DATA_DIR=/var/lib/schedule-manager") {
		t.Error("the data dir is not the StateDirectory")
	}
	// systemd.exec(5): "Except in case of ConfigurationDirectory=, the
	// innermost specified directories will be owned by the user and group
	// specified in User= and Group=". With DynamicUser the service's user
	// is neither root nor in root's group, so it reads /etc/schedule-manager
	// (its settings file) only through the "other" bits; so must the
	// directory the install instructions create.
	if slices.Contains(settings["DynamicUser"], "yes") && len(settings["ConfigurationDirectory"]) > 0 {
		mode := "0755" // systemd's default
		if m := settings["ConfigurationDirectoryMode"]; len(m) > 0 {
			mode = m[len(m)-1]
		}
		if perm, err := strconv.ParseUint(mode, 8, 32); err != nil || perm&0o005 != 0o005 {
			t.Errorf("ConfigurationDirectoryMode=%s: the directory stays owned by root, so the DynamicUser service needs o+rx to read its settings file", mode)
		}
		installRE := regexp.MustCompile(`install -d -m (\d+) /etc/schedule-manager`)
		docs := unit + readFile(t, "deploy/README.md")
		if len(installRE.FindAllString(docs, -1)) == 0 {
			t.Error("neither the unit nor deploy/README.md says how to create /etc/schedule-manager")
		}
		for _, m := range installRE.FindAllStringSubmatch(docs, -1) {
			if perm, err := strconv.ParseUint(m[1], 8, 32); err != nil || perm&0o005 != 0o005 {
				t.Errorf("%q: the service could not read its settings file there", m[0])
			}
		}
	}
	analyze := testenv.Tool(t, "systemd-analyze", "apt-get install systemd")
	// verify wants ExecStart to exist: point it at this test binary.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "schedule-manager.service")
	if err := os.WriteFile(tmp, []byte(strings.Replace(unit, "ExecStart=/usr/local/bin/schedule-manager", "ExecStart="+self, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", tmp).CombinedOutput()
	if err != nil || strings.Contains(string(out), "schedule-manager.service") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
