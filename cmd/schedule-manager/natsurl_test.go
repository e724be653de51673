package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
)

// dataDirWithUsers is a data dir whose embedded server has started once
// (and so has generated its users).
func dataDirWithUsers(t *testing.T) (string, *app.NATSCredentials) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := app.OpenStore(ctx, app.StoreOptions{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	creds := *c.Credentials()
	c.Close()
	return dir, &creds
}

func TestNATSURLCommand(t *testing.T) {
	dir, creds := dataDirWithUsers(t)
	settingsFile := writeFile(t, "settings.yaml", "data-dir: "+dir+"\nnats-listen: 0.0.0.0:4333\nhttp-addr: 127.0.0.1:9999\n")
	reader := "nats://" + creds.Reader.User + ":" + creds.Reader.Password + "@"
	service := "nats://" + creds.Service.User + ":" + creds.Service.Password + "@"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // the whole of it, when the command succeeds
		stderr string // contained in stderr
	}{
		{"reader", []string{"--data-dir", dir, "--role", "reader"}, 0, reader + "127.0.0.1:4222\n", ""},
		{"service", []string{"--data-dir", dir, "--role", "service", "--nats-listen", "127.0.0.2:4999"}, 0, service + "127.0.0.2:4999\n", ""},
		{"serve's settings file", []string{"--settings", settingsFile, "--role", "reader"}, 0, reader + "127.0.0.1:4333\n", ""},
		{"unknown role", []string{"--data-dir", dir, "--role", "admin"}, exitUsage, "", `unknown role "admin" (want reader or service)`},
		{"no role", []string{"--data-dir", dir}, exitUsage, "", `required flag "role" not set: reader or service`},
		{"data dir of no server yet", []string{"--data-dir", t.TempDir(), "--role", "reader"}, exitError, "", "has no NATS users yet"},
		{"nats-listen off", []string{"--data-dir", dir, "--role", "reader", "--nats-listen", "off"}, exitError, "", "nats-listen is off"},
		{"any port", []string{"--data-dir", dir, "--role", "reader", "--nats-listen", "127.0.0.1:0"}, exitError, "", "port 0"},
		{"a joined cluster", []string{"--data-dir", dir, "--role", "reader", "--nats-url", "nats://nats-1:4222"}, exitError, "", "nats-url is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"nats-url"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.code == 0 && r.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.stderr)
			}
			if tt.code != 0 && strings.Contains(r.stdout+r.stderr, creds.Reader.Password) {
				t.Error("a failure printed a password")
			}
		})
	}
	// Its help names the role and the settings it reads, not serve's others.
	help := runCLI(t, "", "nats-url", "--help").stdout
	for _, want := range []string{"--role", "--data-dir", "--nats-listen", "--settings", "nats sub --server"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %s", want)
		}
	}
	if strings.Contains(help, "--http-addr") {
		t.Error("help lists serve's --http-addr")
	}
	if _, err := os.Stat(filepath.Join(dir, app.NATSCredentialsFile)); err != nil {
		t.Fatal(err)
	}
}

// The NATS password is a variable or a file, never a flag (ps shows
// flags).
func TestNATSPasswordSetting(t *testing.T) {
	s, err := loadFor(t, "", []string{"SCHEDMGR_NATS_PASSWORD=from-env-0123456789"}, "--nats-user", "svc", "--nats-url", "nats://127.0.0.1:4222")
	if err != nil {
		t.Fatal(err)
	}
	o := s.natsClient()
	if o.User != "svc" || o.Password != "from-env-0123456789" {
		t.Errorf("client options %+v", o)
	}
	if r := runCLI(t, "", "serve", "--nats-password", "x"); r.code != exitUsage || !strings.Contains(r.stderr, "unknown flag: --nats-password") {
		t.Errorf("serve --nats-password: exit %d, %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "export", "--nats-url", "nats://127.0.0.1:4222", "--nats-password", "x"); r.code != exitUsage {
		t.Errorf("export --nats-password: exit %d, %s", r.code, r.stderr)
	}
}
