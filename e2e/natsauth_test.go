package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// single is a `schedule-manager serve` process on its embedded NATS
// server.
type single struct {
	bin, dataDir, natsAddr, base string
	stdout, stderr               *syncBuffer
}

// startSingle runs serve on dataDir with the defaults but for loopback
// ports of its own, and waits until it is ready.
func startSingle(t *testing.T, bin, dataDir string, env ...string) *single {
	t.Helper()
	s := &single{bin: bin, dataDir: dataDir, natsAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s.base = "http://" + httpAddr
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--http-addr", httpAddr, "--nats-listen", s.natsAddr)
	cmd.Env = append(os.Environ(), append(env, "SCHEDMGR_LOG_LEVEL=info")...)
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			t.Logf("serve stdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
		}
	})
	poll.Until(t, "serve ready", func() bool {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return s
}

// natsURL runs `schedule-manager nats-url` for s's data dir and listener.
func (s *single) natsURL(t *testing.T, role string) (string, int) {
	t.Helper()
	cmd := exec.Command(s.bin, "nats-url", "--data-dir", s.dataDir, "--nats-listen", s.natsAddr, "--role", role)
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out)), code
}

// api calls s's admin API with token and decodes the answer into out.
func (s *single) api(t *testing.T, method, path, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// checkDataPlane checks serve's embedded NATS server as issue 10's
// attacker would: nothing without credentials; nats-url prints a reader
// URL that subscribes and consumes (client.SubscribeNATS included) and
// refuses an unknown role; the reader can do nothing else; the service
// URL is the whole service.
func checkDataPlane(t *testing.T, s *single, token string) {
	t.Helper()
	natstest.RefusesAnonymous(t, "nats://"+s.natsAddr)
	if _, code := s.natsURL(t, "admin"); code != 2 {
		t.Errorf("nats-url --role admin: exit %d, want 2", code)
	}
	readerURL, code := s.natsURL(t, "reader")
	serviceURL, code2 := s.natsURL(t, "service")
	if code != 0 || code2 != 0 || !strings.Contains(readerURL, "@"+s.natsAddr) {
		t.Fatalf("nats-url: %q (exit %d), %q (exit %d)", readerURL, code, serviceURL, code2)
	}
	fi, err := os.Stat(filepath.Join(s.dataDir, app.NATSCredentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	if strings.Contains(s.stdout.String()+s.stderr.String(), strings.TrimPrefix(readerURL, "nats://schedmgr-reader:")[:20]) {
		t.Error("serve printed the reader's password")
	}

	// The reader's way in: client.SubscribeNATS sees a manual close.
	rc, err := nats.Connect(readerURL)
	if err != nil {
		t.Fatalf("connect with nats-url's reader URL: %v", err)
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// From the stream's last event on (the readers' mirror has the same
	// sequence numbers), so the close below cannot slip past a consumer
	// that is not there yet.
	svc, sjs := natstest.Connect(t, serviceURL)
	st, err := sjs.Stream(ctx, "SCHEDMGR_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	events, errc := client.SubscribeNATS(ctx, rc, client.NATSFilter{Schedules: []string{"Support"}, Kinds: []string{"closed"},
		LastEventID: strconv.FormatUint(st.CachedInfo().State.LastSeq, 10)})
	if code := s.api(t, "POST", "/api/v1/schedules/Support/close", token, "", nil); code != 200 {
		t.Fatalf("close Support: %d", code)
	}
	select {
	case ev := <-events:
		if ev.Data.Schedule != "Support" || ev.Data.ClosedReason != "manual" || ev.Sequence == 0 {
			t.Errorf("event %+v", ev)
		}
	case err := <-errc:
		t.Fatalf("SubscribeNATS as the reader: %v", err)
	case <-ctx.Done():
		t.Fatal("no event through SubscribeNATS within 30 s")
	}
	s.api(t, "POST", "/api/v1/schedules/Support/open", token, "", nil)

	natstest.CheckEventsReader(t, svc, readerURL)
}

// serve on its defaults: the attacks of issue 10, each refused.
func TestServeDataPlaneRequiresCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := buildBinary(t)
	// The receiver URL is on loopback, which serve refuses unless allowed.
	s := startSingle(t, bin, t.TempDir(), "SCHEDMGR_ADMIN_TOKEN="+adminToken, "SCHEDMGR_WEBHOOK_ALLOW_PRIVATE=true")
	if code := s.api(t, "POST", "/api/v1/webhooks", adminToken,
		`{"id":"crm","url":"http://127.0.0.1:9/hook?token=s3cret","schedules":["Support"]}`, nil); code != 201 {
		t.Fatalf("create a webhook endpoint: %d", code)
	}
	checkDataPlane(t, s, adminToken)
	if !strings.Contains(s.stdout.String(), "nats-url --role reader") {
		t.Errorf("serve's output does not say how subscribers connect:\n%s", s.stdout)
	}
}

// Values of testdata/datadir-c188638.tar.gz (see testdata/README.md).
const (
	upgradeToken  = "smt_3xaZzxZ2HPmfHyyKhRSLxbY0yqK6L3A_FzgISJrgmo0"
	upgradeSecret = "whsec_u63xOBoe0GQrNbIOx0xcn/WN56evfRM5hwyTikx0ef8="
)

// untar extracts the gzipped tar archive file into dir.
func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(os.PathSeparator)) {
			t.Fatalf("archive entry %s leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			out.Close()
		}
	}
}

// A data dir written by the version before NATS authentication (commit
// c188638: config version 2, a webhook endpoint, a generated admin token)
// upgrades: the new serve moves its streams into the service's account
// and generates NATS users, and config, history, the admin token and the
// endpoint with its secret survive, while NATS now refuses anonymous
// access. A second start changes nothing more.
func TestUpgradeFromDataDirWithoutNATSAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := buildBinary(t)
	root := t.TempDir()
	untar(t, filepath.Join("testdata", "datadir-c188638.tar.gz"), root)
	dataDir := filepath.Join(root, "data")
	if _, err := os.Stat(filepath.Join(dataDir, app.NATSCredentialsFile)); err == nil {
		t.Fatal("the old data dir already has NATS users")
	}
	for start := 1; start <= 2; start++ {
		t.Run(fmt.Sprintf("start %d", start), func(t *testing.T) {
			s := startSingle(t, bin, dataDir) // no admin token: the generated one must still work
			var cfg struct {
				Version uint64          `json:"version"`
				Data    json.RawMessage `json:"data"`
			}
			if code := s.api(t, "GET", "/api/v1/config", upgradeToken, "", &cfg); code != 200 {
				t.Fatalf("the generated admin token of the old version: %d", code)
			}
			if cfg.Version < 2 || !strings.Contains(string(cfg.Data), "Upgrade Desk") {
				t.Errorf("config version %d, data %.200s", cfg.Version, cfg.Data)
			}
			var hist struct {
				Versions []struct {
					Version uint64 `json:"version"`
					Author  string `json:"author"`
					Message string `json:"message"`
				} `json:"versions"`
			}
			s.api(t, "GET", "/api/v1/history", upgradeToken, "", &hist)
			found := map[uint64]string{}
			for _, v := range hist.Versions {
				found[v.Version] = v.Author + ": " + v.Message
			}
			if found[2] != "admin: before the upgrade" || found[1] != "seed: first start: seeded config" {
				t.Errorf("history %v", found)
			}
			var hooks struct {
				Webhooks []struct {
					ID string `json:"id"`
				} `json:"webhooks"`
			}
			s.api(t, "GET", "/api/v1/webhooks", upgradeToken, "", &hooks)
			if len(hooks.Webhooks) != 1 || hooks.Webhooks[0].ID != "upgrade-hook" {
				t.Errorf("webhook endpoints %+v", hooks)
			}
			// The secret is still the one the old version generated.
			serviceURL, _ := s.natsURL(t, "service")
			_, js := natstest.Connect(t, serviceURL)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			kv, err := js.KeyValue(ctx, "schedmgr_webhooks")
			if err != nil {
				t.Fatal(err)
			}
			found2 := false
			keys, err := kv.ListKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for k := range keys.Keys() {
				if e, err := kv.Get(ctx, k); err == nil && strings.Contains(string(e.Value()), upgradeSecret) {
					found2 = true
				}
			}
			if !found2 {
				t.Error("the webhook secret did not survive the upgrade")
			}
			if _, err := js.Stream(ctx, "SCHEDMGR_EVENTS"); err != nil {
				t.Errorf("events stream: %v", err)
			}
			if start == 1 && !strings.Contains(s.stderr.String(), "moved the JetStream data of a version before NATS authentication") {
				t.Errorf("the first start did not log the migration:\n%s", s.stderr)
			}
			if start == 2 && strings.Contains(s.stderr.String(), "moved the JetStream data") {
				t.Error("the second start migrated again")
			}
			checkDataPlane(t, s, upgradeToken)
		})
	}
}
