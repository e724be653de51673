package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A command line import and export cannot run with is a usage error (exit
// 2), found before anything is opened; a target that cannot be opened is an
// error of the work (exit 1).
func TestTransferCommandLine(t *testing.T) {
	t.Setenv(tokenEnv, "")
	noStore := filepath.Join(t.TempDir(), "typo")
	const nobody = "http://127.0.0.1:1"
	tests := []struct {
		name   string
		args   []string
		env    string // $SCHEDMGR_TOKEN
		code   int
		errHas []string
	}{
		{name: "export --server without a token", args: []string{"export", "--server", nobody}, code: 2,
			errHas: []string{"Error: --server needs --token or $SCHEDMGR_TOKEN: the admin API requires a token", "Run 'schedule-manager export --help' for usage."}},
		{name: "import --server without a token", args: []string{"import", defaultConfig, "--server", nobody}, code: 2,
			errHas: []string{"--server needs --token or $SCHEDMGR_TOKEN", "admin to import"}},
		{name: "export without a target", args: []string{"export"}, code: 2,
			errHas: []string{"at least one of the flags in the group [server nats-url data-dir] is required"}},
		{name: "import with two targets", args: []string{"import", defaultConfig, "--data-dir", noStore, "--nats-url", "nats://127.0.0.1:1"}, code: 2,
			errHas: []string{"if any flags in the group [server nats-url data-dir] are set none of the others can be"}},
		{name: "the token from the environment will do", args: []string{"export", "--server", nobody}, env: "t0ken", code: 1,
			errHas: []string{"connection refused"}},
		{name: "the token from the flag will do", args: []string{"export", "--server", nobody, "--token", "t0ken"}, code: 1,
			errHas: []string{"connection refused"}},
		{name: "no token needed for a data dir", args: []string{"export", "--data-dir", noStore}, code: 1,
			errHas: []string{"data-dir: no store at " + filepath.Join(noStore, "jetstream")}},
		{name: "import reads its file first", args: []string{"import", "nope.json", "--data-dir", noStore}, code: 1,
			errHas: []string{"Error: read config: open nope.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tokenEnv, tt.env)
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code || r.stdout != "" {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not contain %q", r.stderr, s)
				}
			}
		})
	}
}

func TestResolveToken(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == tokenEnv {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name      string
		f         targetFlags
		env       string
		wantToken string
		wantErr   bool
	}{
		{"flag wins over the environment", targetFlags{server: "http://x", token: "flag"}, "env", "flag", false},
		{"environment", targetFlags{server: "http://x"}, "env", "env", false},
		{"none", targetFlags{server: "http://x"}, "", "", true},
		{"no server, no token needed", targetFlags{dataDir: "./data"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.resolveToken(env(tt.env))
			if (err != nil) != tt.wantErr || tt.f.token != tt.wantToken {
				t.Errorf("token %q, err %v; want %q, error %v", tt.f.token, err, tt.wantToken, tt.wantErr)
			}
		})
	}
}
