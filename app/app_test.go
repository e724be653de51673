package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/schedule-manager/schedule-manager/examples"
	"github.com/schedule-manager/schedule-manager/internal/poll"
)

const adminToken = "test-admin-token-0123456789"

// syncBuffer is a goroutine-safe buffer for captured output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func testOptions(t testing.TB, dir string) Options {
	return Options{
		HTTPAddr:      "127.0.0.1:0",
		DataDir:       dir,
		NATSListen:    "127.0.0.1:0",
		SeedConfig:    examples.Default(),
		AdminToken:    adminToken,
		ReconcileSpec: "@every 1s",
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func start(t testing.TB, o Options) *App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return a
}

func call(t testing.TB, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

type configResp struct {
	Data              json.RawMessage `json:"data"`
	Version           uint64          `json:"version"`
	VersionIsDeployed bool            `json:"versionIsDeployed"`
}

func putManualClose(t *testing.T, a *App, name string) uint64 {
	t.Helper()
	var out struct {
		Version uint64 `json:"version"`
	}
	if code := call(t, "POST", "http://"+a.HTTPAddr()+"/api/v1/schedules/"+strings.ReplaceAll(name, " ", "%20")+"/close", adminToken, nil, &out); code != 200 {
		t.Fatalf("close %s: %d", name, code)
	}
	return out.Version
}

func checkSchedule(t *testing.T, a *App, name string) (open bool, reason string, version uint64) {
	t.Helper()
	var out struct {
		IsOpen        bool   `json:"isOpen"`
		ClosedReason  string `json:"closedReason"`
		ConfigVersion uint64 `json:"configVersion"`
	}
	if code := call(t, "GET", "http://"+a.HTTPAddr()+"/check-schedule?name="+strings.ReplaceAll(name, " ", "%20"), "", nil, &out); code != 200 {
		t.Fatalf("check %s: %d", name, code)
	}
	return out.IsOpen, out.ClosedReason, out.ConfigVersion
}

func TestRestartKeepsConfigAndVersion(t *testing.T) {
	dir := t.TempDir()
	a := start(t, testOptions(t, dir))
	v := putManualClose(t, a, "Support")
	var before configResp
	call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/config", adminToken, nil, &before)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	b := start(t, testOptions(t, dir))
	var after configResp
	if code := call(t, "GET", "http://"+b.HTTPAddr()+"/api/v1/config", adminToken, nil, &after); code != 200 {
		t.Fatalf("config after restart: %d", code)
	}
	if after.Version != v || before.Version != v || !bytes.Equal(after.Data, before.Data) {
		t.Errorf("after restart version %d (want %d), same data %v", after.Version, v, bytes.Equal(after.Data, before.Data))
	}
	if _, reason, _ := checkSchedule(t, b, "Support"); reason != "manual" {
		t.Errorf("manual close lost on restart: reason %q", reason)
	}
}

// TestSecondReplicaServesWrites: a write through replica A is served by
// replica B, joined over NATS, which then announces it as deployed. How
// fast (DESIGN.md §3: ≤ 1 s) is BenchmarkConfigPublishToReplica's to
// measure; this test only logs it.
func TestSecondReplicaServesWrites(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	ob := testOptions(t, t.TempDir())
	ob.NATSURL = serviceURL(t, a)
	ob.ReplicaID = "replica-b"
	b := start(t, ob)

	var cfg configResp
	call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/config", adminToken, nil, &cfg)
	v := putManualClose(t, a, "Ops 24x7")
	written := time.Now()
	poll.Until(t, fmt.Sprintf("replica b to serve version %d with Ops 24x7 closed manually", v), func() bool {
		_, reason, served := checkSchedule(t, b, "Ops 24x7")
		return served == v && reason == "manual"
	})
	t.Logf("replica b served version %d after %v", v, time.Since(written))
	// Both replicas announce the version they serve.
	poll.Until(t, fmt.Sprintf("replica b to report version %d as deployed", v), func() bool {
		var got configResp
		call(t, "GET", "http://"+b.HTTPAddr()+"/api/v1/config", adminToken, nil, &got)
		return got.VersionIsDeployed && got.Version == v
	})
}

func TestGeneratedTokenPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	o.AdminToken = ""
	out := &syncBuffer{}
	o.Stdout = out
	a := start(t, o)
	i := strings.Index(out.String(), "smt_")
	if i < 0 {
		t.Fatalf("no token printed: %q", out.String())
	}
	token := strings.Fields(out.String()[i:])[0]
	if code := call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/config", token, nil, nil); code != 200 {
		t.Errorf("generated token refused: %d", code)
	}
	if code := call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/config", "wrong", nil, nil); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	_ = a.Shutdown(context.Background())

	out2 := &syncBuffer{}
	o.Stdout = out2
	b := start(t, o)
	if strings.Contains(out2.String(), "smt_") {
		t.Errorf("token printed again on restart")
	}
	if code := call(t, "GET", "http://"+b.HTTPAddr()+"/api/v1/config", token, nil, nil); code != 200 {
		t.Errorf("generated token refused after restart: %d", code)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	base := "http://" + a.HTTPAddr()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code := call(t, "GET", base+path, "", nil, nil); code != 200 {
			t.Errorf("%s: %d", path, code)
		}
	}
	body := scrapeMetrics(t, base+"/metrics", adminToken)
	for _, name := range []string{"schedmgr_schedule_open{", "schedmgr_schedule_next_transition_timestamp_seconds{",
		"schedmgr_config_version_served 1", "schedmgr_config_version_lag", "schedmgr_reconcile_repairs_total",
		"schedmgr_check_requests_total", "schedmgr_check_duration_seconds", "schedmgr_config_writes_total"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestInvalidOptionsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"http addr", func(o *Options) { o.HTTPAddr = "localhost" }, "http-addr"},
		{"nats listen", func(o *Options) { o.NATSListen = "nope:99999" }, "nats-listen"},
		{"nats url", func(o *Options) { o.NATSURL = "http://x" }, "nats-url"},
		{"cron", func(o *Options) { o.ReconcileSpec = "every minute" }, "reconcile-spec"},
		{"store compression", func(o *Options) { o.StoreCompression = "zstd" }, "store-compression"},
		{"short token", func(o *Options) { o.AdminToken = "abc" }, "admin token"},
		{"bad seed", func(o *Options) { o.SeedConfig = []byte(`{"rules":[],"schedules":[{"name":"x"}]}`) }, "seed-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, t.TempDir())
			tt.mod(&o)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			a, err := Start(ctx, o)
			if err == nil {
				_ = a.Shutdown(context.Background())
				t.Fatal("started with an invalid setting")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
		})
	}
}

func TestHTTPPortInUse(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	o := testOptions(t, t.TempDir())
	o.HTTPAddr = a.HTTPAddr()
	_, err := Start(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "http-addr") {
		t.Fatalf("want an http-addr error, got %v", err)
	}
}

// The writing replica serves its own versions with the config it compiled
// while validating them (never reading its document back); the other
// replica reads and compiles each version once.
func TestWriterServesItsOwnVersionsWithoutReadingThem(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	ob := testOptions(t, t.TempDir())
	ob.NATSURL = serviceURL(t, a)
	ob.ReplicaID = "replica-b"
	b := start(t, ob)
	count := func(r *App, how string) float64 {
		return testutil.ToFloat64(r.metrics.applied.WithLabelValues(how))
	}
	aRead, aWriter := count(a, compiledOnRead), count(a, compiledByWriter)
	bRead, bWriter := count(b, compiledOnRead), count(b, compiledByWriter)

	// A manual close, then a whole document written by PUT.
	putManualClose(t, a, "Ops 24x7")
	var cfg struct {
		Version uint64          `json:"version"`
		Data    json.RawMessage `json:"data"`
	}
	call(t, "GET", "http://"+a.HTTPAddr()+"/api/v1/config", adminToken, nil, &cfg)
	var put struct {
		Version uint64 `json:"version"`
	}
	body := map[string]any{"version": cfg.Version, "data": cfg.Data, "message": "same document, new version"}
	if code := call(t, "PUT", "http://"+a.HTTPAddr()+"/api/v1/config", adminToken, body, &put); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	poll.Until(t, fmt.Sprintf("both replicas serving version %d", put.Version), func() bool {
		_, va := a.Scheduler().Config()
		_, vb := b.Scheduler().Config()
		return va == put.Version && vb == put.Version
	})
	if got := count(a, compiledByWriter) - aWriter; got != 2 {
		t.Errorf("replica a applied %v of its 2 versions with the config it compiled, want 2", got)
	}
	if got := count(a, compiledOnRead) - aRead; got != 0 {
		t.Errorf("replica a read %v of its own versions back", got)
	}
	if got := count(b, compiledOnRead) - bRead; got != 2 {
		t.Errorf("replica b read and compiled %v versions, want 2 (once each)", got)
	}
	if got := count(b, compiledByWriter) - bWriter; got != 0 {
		t.Errorf("replica b claims to have written %v versions", got)
	}
}

// A replica told of a version that its read cannot find yet (the store
// replica answering the read has not applied it) looks again, rather than
// skip the version as a gap in the numbering and serve the one before
// until the next write.
func TestVersionNotFoundYetIsReadAgain(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	ctx := t.Context()
	current, err := a.store.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := current + 1
	a.catchUp(ctx, next) // as if the poll had seen next before this read can
	if got := a.seenVersion(); got >= next {
		t.Fatalf("version %d taken as a gap after one read found it missing (seen %d)", next, got)
	}
	v := putManualClose(t, a, "Ops 24x7")
	if v != next {
		t.Fatalf("wrote version %d, want %d", v, next)
	}
	poll.Until(t, fmt.Sprintf("version %d served", v), func() bool {
		_, reason, served := checkSchedule(t, a, "Ops 24x7")
		return served == v && reason == "manual"
	})
	// A version that stays missing is a gap after gapConfirmations reads.
	for range gapConfirmations {
		a.catchUp(ctx, v+1)
	}
	if got := a.seenVersion(); got != v+1 {
		t.Errorf("after %d reads found version %d missing, seen %d, want it skipped", gapConfirmations, v+1, got)
	}
}
