package web_test

// Browser tests: a real service (app.Start: embedded NATS, store, scheduler,
// API, this UI) on loopback, driven through Debian's headless Chromium with
// chromedp. Screenshots go to $SCREENSHOT_DIR (or a temporary directory).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/examples"
)

const (
	adminToken  = "admin-token-0123456789abcdef"
	viewerToken = "viewer-token-0123456789abcdef"
	chromePath  = "/usr/bin/chromium"
)

// ---------------------------------------------------------------- browser

var (
	browserOnce   sync.Once
	browserCtx    context.Context
	browserCancel context.CancelFunc
	browserErr    error
	browserDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if browserCancel != nil {
		browserCancel()
	}
	if browserDir != "" {
		os.RemoveAll(browserDir)
	}
	os.Exit(code)
}

// chromium returns a started headless browser shared by the tests, or
// skips (fails on CI) when Chromium is not installed.
func chromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromePath); err != nil {
		msg := fmt.Sprintf("%s not found: install Debian's chromium (apt-get install -y chromium) to run the browser tests", chromePath)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	browserOnce.Do(func() {
		browserDir, browserErr = os.MkdirTemp("", "schedmgr-chromium-")
		if browserErr != nil {
			return
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromePath),
			chromedp.UserDataDir(browserDir),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-default-apps", true),
			chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
			chromedp.Flag("force-color-profile", "srgb"),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.WindowSize(1280, 900),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browserCtx = ctx
		browserCancel = func() { cancel(); cancelAlloc() }
		startCtx, c := context.WithTimeout(ctx, 60*time.Second)
		defer c()
		_ = startCtx
		browserErr = chromedp.Do(ctx) // starts the browser
	})
	if browserErr != nil {
		t.Fatalf("start chromium: %v", browserErr)
	}
	return browserCtx
}

// ---------------------------------------------------------------- service

type service struct {
	t    *testing.T
	base string
}

func startService(t *testing.T) *service {
	t.Helper()
	ctx := context.Background()
	a, err := app.Start(ctx, app.Options{
		HTTPAddr:   "127.0.0.1:0",
		DataDir:    t.TempDir(),
		NATSListen: "off",
		SeedConfig: examples.Default(),
		AdminToken: adminToken,
		Tokens:     []api.Token{{Name: "viewer", Role: "viewer", SHA256: api.HashToken(viewerToken)}},
		Logger:     slog.New(slog.DiscardHandler),
		// No reconcile job: the tests finish well within a minute.
		ReconcileSpec: "off",
		// Webhook receivers of the tests are on loopback; one failed
		// attempt makes a dead letter.
		Webhooks: app.WebhookOptions{AllowPrivate: true, MaxDeliver: 1},
	})
	if err != nil {
		t.Fatalf("start service: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return &service{t: t, base: "http://" + a.HTTPAddr()}
}

// call makes an admin API request and decodes the JSON answer.
func (s *service) call(method, path, token string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// ---------------------------------------------------------------- page

type page struct {
	t       *testing.T
	ctx     context.Context
	svc     *service
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	reqs    []string // "METHOD URL" of every request
	allowed []string // URL parts whose failed loads are expected
	// isDeployed ends configNotDeployed's fake.
	isDeployed bool
}

// newPage opens a tab in a fresh browser context (own storage), at the
// given viewport width, and records its console and requests.
func newPage(t *testing.T, svc *service, width int64) *page {
	t.Helper()
	parent := chromium(t)
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, svc: svc, allowed: []string{"/api/v1/events"}}
	msgs := chromedp.Console(ctx)
	reqs := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.reqs = append(p.reqs, ev.Request.Method+" "+ev.Request.URL)
			p.mu.Unlock()
		}
	}()
	p.do(chromedp.EmulateViewport(width, 900))
	// Tabs of a headless browser are not focused; emulate focus so that
	// keyboard focus (and :focus-visible) behaves as in a window.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("focus emulation: %v", err)
	}
	t.Cleanup(p.checkConsole)
	return p
}

func (p *page) allow(urlPart string) { p.allowed = append(p.allowed, urlPart) }

// checkConsole fails the test on any console error, warning or uncaught
// exception, except failed loads of the allowed URLs (a 404 of the event
// stream when the service has none, the role probe, expected 409s).
func (p *page) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleWarning && !m.IsException() {
			continue
		}
		if m.Source == "network" {
			ok := false
			for _, a := range p.allowed {
				if strings.Contains(m.URL, a) {
					ok = true
				}
			}
			if ok {
				continue
			}
		}
		p.t.Errorf("browser console %s (source %q, %s:%d): %s", m.Type, m.Source, m.URL, m.Line+1, m.Text)
	}
}

func (p *page) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reqs...)
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.shot("failure-" + sanitize(p.t.Name()))
		p.t.Fatalf("browser: %v", err)
	}
}

// js evaluates an expression (awaiting a promise) and decodes the result.
func js[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// wait polls a JavaScript predicate until it is truthy.
func (p *page) wait(what, expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		p.shot("failure-" + sanitize(p.t.Name()))
		body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector('main')?.innerText ?? ''`))
		p.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, body)
	}
}

func (p *page) waitVisible(sel string) {
	p.t.Helper()
	p.wait(sel+" visible", fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e && e.offsetParent !== null; })()`, sel), 10*time.Second)
}

func (p *page) goTo(hash string) {
	p.t.Helper()
	js[chromedp.Void](p, fmt.Sprintf(`location.hash = %q`, hash))
}

// click clicks an element with the mouse. A live update can replace the
// element between finding and clicking it; then it is found again.
func (p *page) click(sel string) {
	p.t.Helper()
	var err error
	for range 5 {
		p.waitVisible(sel)
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "node") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		p.shot("failure-" + sanitize(p.t.Name()))
		p.t.Fatalf("click %s: %v", sel, err)
	}
}

// typeInto replaces the text of a field with real key presses.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	p.waitVisible(sel)
	js[chromedp.Void](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.value = '';
		e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel))
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// setValue sets a select or date field the way a user's choice does.
func (p *page) setValue(sel, value string) {
	p.t.Helper()
	p.waitVisible(sel)
	js[chromedp.Void](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value))
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return js[string](p, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

var shotDir struct {
	once sync.Once
	dir  string
}

func (p *page) shot(name string) {
	shotDir.once.Do(func() {
		shotDir.dir = os.Getenv("SCREENSHOT_DIR")
		if shotDir.dir == "" {
			shotDir.dir, _ = os.MkdirTemp("", "schedmgr-screenshots-")
		}
		_ = os.MkdirAll(shotDir.dir, 0o755)
	})
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(shotDir.dir, name+".png")
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p.t.Logf("screenshot: %s", file)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// withoutEventStream makes GET /api/v1/events answer 404 in this tab, as
// on a service without the stream, so the UI falls back to polling.
func (p *page) withoutEventStream() {
	p.t.Helper()
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/events*"}},
	}); err != nil {
		p.t.Fatalf("intercept the event stream: %v", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(p.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID:       ev.RequestID,
				ResponseCode:    404,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}},
				Body:            []byte(`{"error":"no endpoint"}`),
			})
		}
	}()
}

// configNotDeployed makes GET /api/v1/config in this tab answer as the
// service does while a second replica ("replica-b") still serves an older
// version (versionIsDeployed false), which one in-process replica cannot
// show, until deployed is called.
func (p *page) configNotDeployed() {
	p.t.Helper()
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*/api/v1/config"}},
	}); err != nil {
		p.t.Fatalf("intercept the config: %v", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if ev.Request.Method != "GET" {
				_, _ = chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			req, _ := http.NewRequest(ev.Request.Method, ev.Request.URL, nil)
			for k, v := range ev.Request.Headers {
				if s, ok := v.(string); ok {
					req.Header.Set(k, s)
				}
			}
			var body map[string]any
			code := 502
			if res, err := http.DefaultClient.Do(req); err == nil {
				code = res.StatusCode
				_ = json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
			}
			p.mu.Lock()
			fake := !p.isDeployed
			p.mu.Unlock()
			if body != nil && fake {
				body["versionIsDeployed"] = false
				reps, _ := body["replicas"].([]any)
				body["replicas"] = append(reps, map[string]any{"id": "replica-b", "version": body["version"].(float64) - 1, "seen": time.Now()})
			}
			b, _ := json.Marshal(body)
			_, _ = chromedp.Call(p.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: int64(code), Body: b,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}},
			})
		}
	}()
}

// deployed ends configNotDeployed's fake: replica-b has caught up.
func (p *page) deployed() {
	p.mu.Lock()
	p.isDeployed = true
	p.mu.Unlock()
}

// freezeLive stops the page's live updates (event stream and polling), so
// it learns of others' publishes only when it writes.
func (p *page) freezeLive() {
	p.t.Helper()
	js[chromedp.Void](p, `import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'live.js')).then(m => m.stopLive())`)
}

// checkLabels fails the test for any visible form control without an
// accessible name (a <label>, aria-label or aria-labelledby).
func (p *page) checkLabels(where string) {
	p.t.Helper()
	bad := js[[]string](p, `[...document.querySelectorAll('input, select, textarea')]
		.filter(e => e.type !== 'hidden' && e.offsetParent !== null)
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
		.map(e => e.outerHTML.slice(0, 100))`)
	for _, b := range bad {
		p.t.Errorf("%s: unlabelled control %s", where, b)
	}
}

// signIn loads the UI and signs in with token.
func (p *page) signIn(token string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.svc.base + "/#/schedules"))
	p.waitVisible("#token")
	p.typeInto("#token", token)
	p.click("#sign-in")
	p.wait("the schedules table", `document.querySelectorAll('#schedules-table tbody tr').length >= 4`, 10*time.Second)
}
