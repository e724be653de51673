package main

import (
	"os"
	"path/filepath"
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
	if s.WebhookMaxDeliver != 7 || s.WebhookAttemptTimeout != 10*time.Second || len(s.Tokens) != 1 || s.Tokens[0].Name != "alice" {
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
