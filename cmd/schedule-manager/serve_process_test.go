package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/internal/poll"
)

const processToken = "process-test-token-0123456789"

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "schedule-manager")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serveProcess is a running `schedule-manager serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	done   chan error
}

func startServe(t *testing.T, bin string, env []string, args ...string) *serveProcess {
	t.Helper()
	httpAddr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"serve", "--http-addr", httpAddr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &serveProcess{cmd: cmd, base: "http://" + httpAddr, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(stdout)); p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve %v not ready: %v\n%s", args, err, p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM\n%s", err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("serve did not stop within 20s of SIGTERM")
	}
}

func (p *serveProcess) check(t *testing.T, name string) (reason string, version uint64) {
	t.Helper()
	resp, err := http.Get(p.base + "/check-schedule?name=" + strings.ReplaceAll(name, " ", "%20"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ClosedReason  string `json:"closedReason"`
		ConfigVersion uint64 `json:"configVersion"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.ClosedReason, out.ConfigVersion
}

func TestServeProcesses(t *testing.T) {
	t0 := time.Now()
	bin := buildBinary(t)
	t.Logf("built in %v", time.Since(t0))
	dataDir := t.TempDir()
	natsAddr := freeAddr(t)
	env := []string{"SCHEDMGR_ADMIN_TOKEN=" + processToken, "SCHEDMGR_LOG_LEVEL=warn"}
	// One env file for the service and the CLI: serve ignores the CLI's
	// SCHEDMGR_TOKEN.
	a := startServe(t, bin, append(env, "SCHEDMGR_TOKEN="+processToken), "--data-dir", dataDir, "--nats-listen", natsAddr)
	// B joins A's embedded server as the service, with the user of A's
	// data dir: --nats-user and the password in the environment.
	out, err := exec.Command(bin, "nats-url", "--data-dir", dataDir, "--nats-listen", natsAddr, "--role", "service").Output()
	if err != nil {
		t.Fatalf("nats-url: %v", err)
	}
	svc, err := url.Parse(strings.TrimSpace(string(out)))
	if err != nil || svc.User == nil {
		t.Fatalf("nats-url printed %q: %v", out, err)
	}
	password, _ := svc.User.Password()
	b := startServe(t, bin, append(env, "SCHEDMGR_NATS_PASSWORD="+password),
		"--nats-url", "nats://"+natsAddr, "--nats-user", svc.User.Username(), "--replica-id", "b")

	// A write through A's admin API is served by B (how fast is for
	// BenchmarkConfigPublishToReplica in app to measure; logged here).
	req, _ := http.NewRequest("POST", a.base+"/api/v1/schedules/Support/close", nil)
	req.Header.Set("Authorization", "Bearer "+processToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("close: %v %v", err, resp)
	}
	var closed struct{ Version uint64 }
	_ = json.NewDecoder(resp.Body).Decode(&closed)
	resp.Body.Close()
	written := time.Now()
	poll.Until(t, fmt.Sprintf("replica b to serve version %d with Support closed manually", closed.Version), func() bool {
		reason, v := b.check(t, "Support")
		return reason == "manual" && v == closed.Version
	})
	t.Logf("replica b served version %d %v after the write", closed.Version, time.Since(written))

	// export from the running service, import a change, export again.
	exported := filepath.Join(t.TempDir(), "export.json")
	runCLI := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SCHEDMGR_TOKEN="+processToken)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	runCLI("export", "--server", b.base, "-o", exported)
	data, _ := os.ReadFile(exported)
	changed := bytes.Replace(data, []byte(`"manualClose": true`), []byte(`"manualClose": false`), 1)
	if bytes.Equal(changed, data) {
		t.Fatalf("exported config has no manual close:\n%s", data)
	}
	_ = os.WriteFile(exported, changed, 0o644)
	imported := runCLI("import", exported, "--server", a.base, "-m", "reopen from git")
	if !strings.Contains(imported, fmt.Sprintf("as version %d", closed.Version+1)) {
		t.Errorf("import said %q", imported)
	}

	t0 = time.Now()
	b.stop(t)
	t.Logf("b stopped in %v", time.Since(t0))
	t0 = time.Now()
	a.stop(t)
	t.Logf("a stopped in %v", time.Since(t0))

	// The stopped service's data dir can be exported directly.
	exportedDir := runCLI("export", "--data-dir", dataDir)
	if !json.Valid([]byte(exportedDir)) || !strings.Contains(exportedDir, `"Support"`) {
		t.Errorf("export --data-dir: %s", exportedDir)
	}
	// A restart finds the same config and version.
	a2 := startServe(t, bin, env, "--data-dir", dataDir, "--nats-listen", freeAddr(t))
	if reason, v := a2.check(t, "Support"); v != closed.Version+1 || reason == "manual" {
		t.Errorf("after restart: version %d reason %q, want version %d not manual", v, reason, closed.Version+1)
	}
	a2.stop(t)
}

func TestServeRejectsBadSettings(t *testing.T) {
	bin := buildBinary(t)
	settingsFile := filepath.Join(t.TempDir(), "settings.yaml")
	_ = os.WriteFile(settingsFile, []byte("http-addr: 127.0.0.1:0\nhttp-adr: typo\n"), 0o644)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown key in file", []string{"--settings", settingsFile}, nil, "unknown setting http-adr"},
		{"unknown env", nil, []string{"SCHEDMGR_HTTP_ADR=x"}, "SCHEDMGR_HTTP_ADR"},
		{"misspelt env", nil, []string{"SCHEDMGR_HTTP_ADRR=x"}, "SCHEDMGR_HTTP_ADRR (did you mean SCHEDMGR_HTTP_ADDR?)"},
		{"bad address", []string{"--http-addr", "nowhere"}, nil, "http-addr"},
		{"unreadable seed", []string{"--seed-config", "/nonexistent/seed.json"}, nil, "seed-config"},
		{"missing settings file", []string{"--settings", "/nonexistent.yaml"}, nil, "settings file"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"NATS user without a cluster", []string{"--nats-user", "u"}, []string{"SCHEDMGR_NATS_PASSWORD=p"}, "nats-user, nats-password: only with nats-url"},
		{"NATS user without a password", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-user", "u"}, nil,
			"nats-user: needs a password: SCHEDMGR_NATS_PASSWORD or nats-password-file"},
		{"missing NATS CA", []string{"--nats-url", "nats://127.0.0.1:1", "--nats-tls-ca", "/nonexistent/ca.pem"}, nil, "nats-tls-ca: open /nonexistent/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"serve", "--data-dir", t.TempDir(), "--nats-listen", "off", "--http-addr", "127.0.0.1:0"}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("serve started with a bad setting:\n%s", out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output does not name %q:\n%s", tt.want, out)
			}
		})
	}
}
