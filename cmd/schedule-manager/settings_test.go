package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func loadFor(t *testing.T, yaml string, env []string, args ...string) (settings, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	addServeFlags(fs)
	if yaml != "" {
		p := filepath.Join(t.TempDir(), "settings.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--settings", p)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return loadSettings(fs, func() []string { return env })
}

func TestSettingsPrecedence(t *testing.T) {
	yaml := `http-addr: 127.0.0.1:9001
data-dir: /from/file
snapshot-spec: "@every 5m"
webhook-max-deliver: 7
webhook-allow-private: true
tokens:
  - {name: alice, role: admin, sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8}
webhooks:
  - id: crm
    url: https://crm.example.com/hooks
    secret: env:CRM_SECRET
    schedules: [Support]
    types: [closed]
`
	s, err := loadFor(t, yaml, []string{"SCHEDMGR_DATA_DIR=/from/env", "SCHEDMGR_HTTP_ADDR=127.0.0.1:9002"}, "--http-addr", "127.0.0.1:9003")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"flag beats env and file", s.HTTPAddr, "127.0.0.1:9003"},
		{"env beats file", s.DataDir, "/from/env"},
		{"file beats default", s.SnapshotSpec, "@every 5m"},
		{"default", s.NATSListen, "127.0.0.1:4222"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if s.WebhookMaxDeliver != 7 || !s.WebhookAllowPrivate || s.WebhookAttemptTimeout != 15*time.Second || s.WebhookRetryFor != 24*time.Hour ||
		s.WebhookConcurrency != 64 || len(s.Tokens) != 1 || s.Tokens[0].Name != "alice" {
		t.Errorf("settings %+v", s)
	}
	if len(s.Webhooks) != 1 || s.Webhooks[0].ID != "crm" || s.Webhooks[0].Types[0] != "closed" {
		t.Fatalf("webhooks %+v", s.Webhooks)
	}
	t.Setenv("CRM_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	o, err := s.options()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Webhooks.Endpoints) != 1 || o.Webhooks.Endpoints[0].Secret != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" || o.Events.SnapshotSpec != "@every 5m" {
		t.Errorf("options %+v", o.Webhooks)
	}
	t.Setenv("CRM_SECRET", "")
	if _, err := s.options(); err == nil || !strings.Contains(err.Error(), "webhooks[0].secret") {
		t.Errorf("unset secret env: %v", err)
	}
}

func TestSettingsErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"unknown file key", "http-adr: x\n", nil, "unknown setting http-adr"},
		{"unknown env", "", []string{"SCHEDMGR_NATS_LISTN=x"}, "SCHEDMGR_NATS_LISTN"},
		{"webhooks via env", "", []string{"SCHEDMGR_WEBHOOKS=x"}, "SCHEDMGR_WEBHOOKS"},
		{"bad duration", "horizon: soon\n", nil, "horizon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadFor(t, tt.yaml, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to name %q", err, tt.want)
			}
		})
	}
}

// The keys of the file and the environment derive from the flag set: the
// SCHEDMGR_* variables of the CLI's client commands are ignored, misspelt
// ones are refused with the closest setting.
func TestSettingsKeysFromFlags(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		want    string // a substring of the error; "" for success
		notWant string // not in the error
		check   func(t *testing.T, s settings)
	}{
		{name: "the CLI's SCHEDMGR_TOKEN is ignored", env: []string{"SCHEDMGR_TOKEN=client-token-0123456789", "SCHEDMGR_HTTP_ADDR=127.0.0.1:9009"},
			check: func(t *testing.T, s settings) {
				if s.AdminToken != "" || s.HTTPAddr != "127.0.0.1:9009" {
					t.Errorf("admin token %q, http-addr %q", s.AdminToken, s.HTTPAddr)
				}
			}},
		{name: "admin token from the environment", env: []string{"SCHEDMGR_ADMIN_TOKEN=server-token-0123456789"},
			check: func(t *testing.T, s settings) {
				if s.AdminToken != "server-token-0123456789" {
					t.Errorf("admin token %q", s.AdminToken)
				}
			}},
		{name: "a list flag splits its variable on commas", env: []string{"SCHEDMGR_CORS_ORIGINS=https://a.example,https://b.example"},
			check: func(t *testing.T, s settings) {
				if !slices.Equal(s.CORSOrigins, []string{"https://a.example", "https://b.example"}) {
					t.Errorf("cors-origins %q", s.CORSOrigins)
				}
			}},
		{name: "any flag is a variable", env: []string{"SCHEDMGR_WEBHOOK_BACKOFF_MAX=1m", "SCHEDMGR_EVENTS_DISABLED=true"},
			check: func(t *testing.T, s settings) {
				if s.WebhookBackoffMax != time.Minute || !s.EventsDisabled {
					t.Errorf("webhook-backoff-max %v, events-disabled %v", s.WebhookBackoffMax, s.EventsDisabled)
				}
			}},
		{name: "misspelt variable", env: []string{"SCHEDMGR_HTTP_ADRR=x"},
			want: "unknown environment variable SCHEDMGR_HTTP_ADRR (did you mean SCHEDMGR_HTTP_ADDR?): serve reads SCHEDMGR_ + a flag name"},
		{name: "misspelt variable of the CLI", env: []string{"SCHEDMGR_TOKN=x"}, want: "SCHEDMGR_TOKN (did you mean SCHEDMGR_TOKEN?)"},
		{name: "error text says what serve ignores", env: []string{"SCHEDMGR_BOGUS=x"},
			want: "SCHEDMGR_ADMIN_TOKEN, SCHEDMGR_NATS_PASSWORD and SCHEDMGR_SETTINGS, and ignores SCHEDMGR_TOKEN of the CLI's --server commands"},
		{name: "unknown variable, nothing close", env: []string{"SCHEDMGR_COMPLETELY_DIFFERENT=x"},
			want: "unknown environment variable SCHEDMGR_COMPLETELY_DIFFERENT:", notWant: "did you mean"},
		{name: "several unknown variables", env: []string{"SCHEDMGR_ZZZ=1", "SCHEDMGR_HORIZN=1h"},
			want: "unknown environment variables SCHEDMGR_HORIZN (did you mean SCHEDMGR_HORIZON?), SCHEDMGR_ZZZ:"},
		{name: "file-only setting from a variable", env: []string{"SCHEDMGR_TOKENS=x"},
			want: "SCHEDMGR_TOKENS: tokens can only be set in a settings file (--settings)"},
		{name: "misspelt file key", yaml: "webhook-max-delivr: 3\n", want: "unknown setting webhook-max-delivr (did you mean webhook-max-deliver?)"},
		{name: "several unknown file keys", yaml: "http-adr: x\nzzz: 1\n", want: "unknown settings http-adr (did you mean http-addr?), zzz; the keys are the flag names"},
		{name: "the settings file is not a setting of the file", yaml: "settings: other.yaml\n", want: "unknown setting settings"},
		{name: "file-only settings in the file", yaml: "admin-token: server-token-0123456789\ntokens: []\nwebhooks: []\n",
			check: func(t *testing.T, s settings) {
				if s.AdminToken != "server-token-0123456789" {
					t.Errorf("admin token %q", s.AdminToken)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadFor(t, tt.yaml, tt.env)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, s)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error %v contains %q", err, tt.notWant)
			}
		})
	}
}

// Every setting has a field in settings (koanf tag), and every field is a
// setting: a flag added without its field, or the other way round, fails
// here rather than being silently ignored.
func TestSettingsStructCoversFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	addServeFlags(fs)
	tags := map[string]bool{}
	st := reflect.TypeFor[settings]()
	for i := range st.NumField() {
		tags[st.Field(i).Tag.Get("koanf")] = true
	}
	for key := range knownSettings(fs) {
		if !tags[key] {
			t.Errorf("setting %q has no field in settings", key)
		}
		delete(tags, key)
	}
	for tag := range tags {
		t.Errorf("settings field with koanf tag %q is no flag and not in nonFlagSettings", tag)
	}
}

func TestDidYouMean(t *testing.T) {
	candidates := []string{"http-addr", "horizon", "log-level", "log-format", "token", "tokens"}
	tests := []struct{ in, want string }{
		{"http-adrr", "http-addr"},
		{"htp-addr", "http-addr"},
		{"HTTP-ADDR", "http-addr"},
		{"horizn", "horizon"},
		{"log-levl", "log-level"},
		{"tokn", "token"},
		{"log", ""},
		{"completely-different", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.in, candidates); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
