package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// serviceURL is the URL of a's embedded NATS server with the service's
// user in it, for a second replica or a test's own connection.
func serviceURL(t testing.TB, a *App) string {
	t.Helper()
	u, err := a.NATSURLFor(NATSRoleService)
	if err != nil {
		t.Fatalf("service URL: %v", err)
	}
	return u
}

// The embedded server on its defaults refuses anonymous connections; the
// service's identity is the whole service; the reader's may subscribe and
// consume events and do nothing else (natstest.CheckEventsReader).
func TestEmbeddedNATSRequiresAuthentication(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	natstest.RefusesAnonymous(t, a.NATSURL())
	for _, u := range []string{"nats://schedmgr-reader:wrong-password-0123@" + strings.TrimPrefix(a.NATSURL(), "nats://")} {
		if nc, err := nats.Connect(u, nats.MaxReconnects(0)); err == nil {
			nc.Close()
			t.Errorf("a wrong password was accepted")
		}
	}
	if strings.Contains(a.NATSURL(), "@") {
		t.Errorf("NATSURL() = %q: it is for logs and must hold no credentials", a.NATSURL())
	}
	svc, _ := natstest.Connect(t, serviceURL(t, a))
	reader, err := a.NATSURLFor(NATSRoleReader)
	if err != nil {
		t.Fatal(err)
	}
	natstest.CheckEventsReader(t, svc, reader)
}

func TestNATSCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := OpenStore(ctx, StoreOptions{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	first := *c.Credentials()
	c.Close()
	path := filepath.Join(dir, NATSCredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	var onDisk NATSCredentials
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]NATSUser{"service": onDisk.Service, "reader": onDisk.Reader, "readersAdmin": onDisk.ReadersAdmin} {
		if u.User == "" || len(u.Password) < 32 {
			t.Errorf("%s: user %q, password of %d characters", name, u.User, len(u.Password))
		}
	}
	if onDisk.Service.Password == onDisk.Reader.Password {
		t.Error("service and reader share a password")
	}

	// A second open keeps the users; a file others can read is made
	// private again (and still used).
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = OpenStore(ctx, StoreOptions{DataDir: dir, Logger: quiet, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	if *c.Credentials() != first {
		t.Error("the credentials changed on the second start")
	}
	c.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the second start %v, want 0600", fi.Mode().Perm())
	}
	if got, err := ReadNATSCredentials(dir); err != nil || *got != first {
		t.Errorf("ReadNATSCredentials: %v, %v", got, err)
	}
	if _, err := ReadNATSCredentials(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadNATSCredentials of an empty dir: %v, want not exist", err)
	}
}

func TestNATSCredentialsURL(t *testing.T) {
	c := NATSCredentials{Service: NATSUser{"schedmgr", "svc-password-0123456789"}, Reader: NATSUser{"schedmgr-reader", "rd-password-0123456789"}}
	tests := []struct {
		role      NATSRole
		listen    string
		want, err string
	}{
		{NATSRoleReader, "127.0.0.1:4222", "nats://schedmgr-reader:rd-password-0123456789@127.0.0.1:4222", ""},
		{NATSRoleService, "0.0.0.0:4222", "nats://schedmgr:svc-password-0123456789@127.0.0.1:4222", ""},
		{NATSRoleReader, "[::]:4333", "nats://schedmgr-reader:rd-password-0123456789@127.0.0.1:4333", ""},
		{NATSRoleReader, "[::1]:4222", "nats://schedmgr-reader:rd-password-0123456789@[::1]:4222", ""},
		{NATSRoleReader, "nats.internal:4222", "nats://schedmgr-reader:rd-password-0123456789@nats.internal:4222", ""},
		{"admin", "127.0.0.1:4222", "", `unknown role "admin"`},
		{NATSRoleReader, "4222", "", "is not host:port"},
	}
	for _, tt := range tests {
		got, err := c.URL(tt.role, tt.listen)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("URL(%s, %s) error %v, want %q", tt.role, tt.listen, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("URL(%s, %s) = %q, %v; want %q", tt.role, tt.listen, got, err, tt.want)
		}
	}
	if _, err := ParseNATSRole("viewer"); err == nil {
		t.Error("ParseNATSRole accepted viewer")
	}
}

func TestNATSURLForNeedsAListener(t *testing.T) {
	o := testOptions(t, t.TempDir())
	o.NATSListen = "off"
	a := start(t, o)
	if _, err := a.NATSURLFor(NATSRoleReader); err == nil || !strings.Contains(err.Error(), "nats-listen off") {
		t.Errorf("NATSURLFor with nats-listen off: %v", err)
	}
}

// A data dir of a version before NATS authentication keeps its streams in
// the global account's directory; they move into the service's account.
func TestMigrateGlobalAccount(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	store := t.TempDir()
	old := filepath.Join(store, "jetstream", "$G", "streams", "KV_schedmgr_config")
	if err := os.MkdirAll(old, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := migrateGlobalAccount(store, quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(store, "jetstream", NATSServiceAccount, "streams", "KV_schedmgr_config")); err != nil {
		t.Errorf("the stream did not move: %v", err)
	}
	if err := migrateGlobalAccount(store, quiet); err != nil {
		t.Errorf("a second migration: %v", err)
	}
	if err := os.MkdirAll(old, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := migrateGlobalAccount(store, quiet); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("both directories: %v, want a refusal", err)
	}
}

// NATSAccountsConfig is valid nats-server configuration, whatever the
// passwords look like.
func TestNATSAccountsConfigParses(t *testing.T) {
	c := &NATSCredentials{Service: NATSUser{"s", `pa"ss\word`}, Reader: NATSUser{"r", "x"}, ReadersAdmin: NATSUser{"a", "y"}}
	text := NATSAccountsConfig(*c, quotedPasswords(c))
	o := &server.Options{}
	if err := o.ProcessConfigString(text); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	users := map[string]string{}
	for _, u := range o.Users {
		users[u.Username] = u.Account.Name + " " + u.Password
	}
	want := map[string]string{"s": NATSServiceAccount + ` pa"ss\word`, "r": NATSReadersAccount + " x", "a": NATSReadersAccount + " y"}
	for k, v := range want {
		if users[k] != v {
			t.Errorf("user %s: %q, want %q", k, users[k], v)
		}
	}
}
