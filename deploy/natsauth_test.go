package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/conf"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// natsPasswordVars are the environment variables of the NATS users'
// passwords in compose/nats.conf and the Helm values, by role of
// app.NATSAccountsConfig.
var natsPasswordVars = map[string]string{
	"service":      "NATS_SERVICE_PASSWORD",
	"reader":       "NATS_READER_PASSWORD",
	"readersAdmin": "NATS_READERS_ADMIN_PASSWORD",
}

// deployUsers are the NATS users of the deployment files.
var deployUsers = app.NATSCredentials{
	Service:      app.NATSUser{User: "schedmgr"},
	Reader:       app.NATSUser{User: "schedmgr-reader"},
	ReadersAdmin: app.NATSUser{User: "schedmgr-readers-admin"},
}

// deployAccounts is the accounts block the deployment files must hold:
// the embedded server's, with passwords from the environment.
func deployAccounts() string {
	return app.NATSAccountsConfig(deployUsers, func(role string) string { return "$" + natsPasswordVars[role] })
}

// TestComposeNATSAccounts: compose/nats.conf has the embedded server's
// accounts, users and permissions, word for word; every password it
// references is passed to every NATS node and required by compose; the
// replicas join as the service's user, with the password from the
// environment only.
func TestComposeNATSAccounts(t *testing.T) {
	natsConf := readFile(t, "deploy/compose/nats.conf")
	if !strings.Contains(natsConf, deployAccounts()) {
		t.Errorf("compose/nats.conf does not hold app.NATSAccountsConfig's accounts; they are:\n%s", deployAccounts())
	}
	for _, w := range []string{"authorization", "no_auth_user", "No authentication"} {
		if strings.Contains(uncommented(natsConf), w) {
			t.Errorf("compose/nats.conf has %q", w)
		}
	}
	compose := yamlDoc(t, "deploy/compose.yaml")
	raw := readFile(t, "deploy/compose.yaml")
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		env := asMap(dig(compose, "services", n, "environment"))
		for _, v := range natsPasswordVars {
			if asString(env[v]) != "${"+v+":?set the NATS passwords in deploy/.env (see the top of compose.yaml)}" {
				t.Errorf("service %s: %s = %q, want it required from the environment", n, v, env[v])
			}
		}
	}
	settings := yamlDoc(t, "deploy/compose/settings.yaml")
	if settings["nats-user"] != deployUsers.Service.User {
		t.Errorf("compose settings: nats-user = %v, want %s", settings["nats-user"], deployUsers.Service.User)
	}
	for _, r := range []string{"schedmgr-1", "schedmgr-2"} {
		env := asMap(dig(compose, "services", r, "environment"))
		if !strings.HasPrefix(asString(env["SCHEDMGR_NATS_PASSWORD"]), "${NATS_SERVICE_PASSWORD:?") {
			t.Errorf("service %s: SCHEDMGR_NATS_PASSWORD = %q", r, env["SCHEDMGR_NATS_PASSWORD"])
		}
	}
	setup := asMap(dig(compose, "services", "nats-setup"))
	if asString(dig(setup, "environment", "NATS_USER")) != deployUsers.ReadersAdmin.User ||
		!strings.Contains(strings.Join(anyStrings(setup["volumes"]), " "), "./compose/readers-mirror.json:") {
		t.Errorf("nats-setup does not create the mirror as %s: %v", deployUsers.ReadersAdmin.User, setup)
	}
	// No password in clear: every one is a ${VAR:?...} reference.
	if m := regexp.MustCompile(`(?i)password[^:\n]*:\s*["']?[A-Za-z0-9+/_-]{16,}`).FindString(uncommented(raw)); m != "" {
		t.Errorf("compose.yaml seems to hold a password: %s", m)
	}
}

// TestReadersMirrorJSON: compose/readers-mirror.json is the mirror the
// embedded server creates, for the events stream's defaults on 3 nodes.
func TestReadersMirrorJSON(t *testing.T) {
	var got jetstream.StreamConfig
	if err := json.Unmarshal([]byte(readFile(t, "deploy/compose/readers-mirror.json")), &got); err != nil {
		t.Fatal(err)
	}
	want := app.ReaderMirrorConfig(jetstream.StreamConfig{Name: event.StreamName, MaxAge: 7 * 24 * time.Hour, MaxBytes: -1, MaxMsgs: -1, Replicas: 3})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readers-mirror.json:\n%+v\nwant\n%+v", got, want)
	}
}

// natsConfigFromFile reads a NATS configuration file with the given
// environment, as nats-server would.
func natsConfig(t *testing.T, text string, env map[string]string) *server.Options {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	o := &server.Options{}
	if err := o.ProcessConfigString(text); err != nil {
		t.Fatalf("nats configuration: %v", err)
	}
	return o
}

// The compose NATS configuration, run: the service (the whole of it,
// app.Start, with compose's settings) works as schedmgr; the mirror of
// readers-mirror.json is created as schedmgr-readers-admin; the reader
// may subscribe and consume and nothing else; anonymous clients are
// refused.
func TestComposeNATSConfigRuns(t *testing.T) {
	passwords := map[string]string{"SERVER_NAME": "nats-test"}
	for role, v := range natsPasswordVars {
		passwords[v] = role + "-password-0123456789"
	}
	parsed := natsConfig(t, readFile(t, "deploy/compose/nats.conf"), passwords)
	srv := natstest.Server(t, func(o *server.Options) {
		store := o.StoreDir
		*o = *parsed
		// One node on loopback: no cluster, no monitoring port.
		o.Host, o.Port, o.HTTPHost, o.HTTPPort = "127.0.0.1", -1, "", 0
		o.Cluster, o.Routes, o.RoutesStr = server.ClusterOpts{}, nil, ""
		o.StoreDir, o.NoLog, o.NoSigs = store, true, true
	})
	url := srv.ClientURL()
	natstest.RefusesAnonymous(t, url)

	settings := yamlDoc(t, "deploy/compose/settings.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Options{
		HTTPAddr: "127.0.0.1:0", NATSURL: url, NATSListen: "off",
		NATSClient: app.NATSClientOptions{User: asString(settings["nats-user"]), Password: passwords["NATS_SERVICE_PASSWORD"]},
		AdminToken: "deploy-test-admin-token", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("the service with compose's settings: %v", err)
	}
	defer func() { _ = a.Shutdown(context.Background()) }()

	var mirror jetstream.StreamConfig
	if err := json.Unmarshal([]byte(readFile(t, "deploy/compose/readers-mirror.json")), &mirror); err != nil {
		t.Fatal(err)
	}
	mirror.Replicas = 1 // one node here
	_, adminJS := natstest.Connect(t, url, nats.UserInfo(deployUsers.ReadersAdmin.User, passwords["NATS_READERS_ADMIN_PASSWORD"]))
	if _, err := adminJS.CreateStream(ctx, mirror); err != nil {
		t.Fatalf("create the readers' mirror as %s: %v", deployUsers.ReadersAdmin.User, err)
	}
	svc, _ := natstest.Connect(t, url, nats.UserInfo(deployUsers.Service.User, passwords["NATS_SERVICE_PASSWORD"]))
	natstest.CheckEventsReader(t, svc, fmt.Sprintf("nats://%s:%s@%s", deployUsers.Reader.User,
		passwords["NATS_READER_PASSWORD"], strings.TrimPrefix(url, "nats://")))
}

// TestHelmValuesNATSAccounts: nats-values.yaml gives the chart the
// embedded server's accounts (as YAML under config.merge, passwords as
// << $VAR >> from a Secret), so the Kubernetes cluster requires the same
// users as the others.
func TestHelmValuesNATSAccounts(t *testing.T) {
	v := yamlDoc(t, "deploy/k8s/nats-values.yaml")
	got := dig(v, "config", "merge", "accounts")
	if got == nil {
		t.Fatal("nats-values.yaml: no config.merge.accounts")
	}
	// The chart writes << $VAR >> unquoted: the variable.
	env := map[string]string{}
	for _, v := range natsPasswordVars {
		env[v] = "value-of-" + v
	}
	for k, val := range env {
		t.Setenv(k, val)
	}
	want, err := conf.Parse(deployAccounts())
	if err != nil {
		t.Fatal(err)
	}
	if g, w := normalize(got, env), normalize(want["accounts"], env); !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", " ")
		wj, _ := json.MarshalIndent(w, "", " ")
		t.Errorf("config.merge.accounts:\n%s\nwant (app.NATSAccountsConfig):\n%s", gj, wj)
	}
	for role, name := range natsPasswordVars {
		ref := dig(v, "container", "env", name, "valueFrom", "secretKeyRef")
		if asString(dig(ref, "name")) != "schedule-manager" || asString(dig(ref, "key")) == "" {
			t.Errorf("container.env.%s (%s): %v, want a key of the Secret schedule-manager", name, role, ref)
		}
	}
}

// normalize turns a parsed configuration (YAML or NATS) into comparable
// values: << $VAR >> and $VAR strings become env[VAR].
func normalize(v any, env map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e, env)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, env)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, env)
		}
		return out
	case string:
		s := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(x, "<<"), ">>"))
		if name, ok := strings.CutPrefix(s, "$"); ok && env[name] != "" {
			return env[name]
		}
		return x
	case bool:
		if x {
			return "enabled"
		}
		return "disabled"
	}
	return v
}
