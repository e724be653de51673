package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
	"github.com/schedule-manager/schedule-manager/store"
)

// Tokens used by every test environment.
const (
	adminToken  = "admin-secret-token"
	viewerToken = "viewer-secret-token"
	adminName   = "alice"
	viewerName  = "victor"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// chicago is the zone of most test schedules.
var chicago = mustZone("America/Chicago")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// testNow is the fixed clock of every environment: Monday 2 March 2026,
// 10:00 in Chicago.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, chicago)

// baseDoc is the seed config: pretty-printed, with unknown fields that
// must survive server-side edits.
const baseDoc = `{
  "x-note": "unknown fields must survive",
  "rules": [
    {"id": "xmas", "name": "Christmas", "isOpen": false, "closedReason": "holiday", "dateRRule": "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"},
    {"id": "us", "name": "US holidays", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
    {"id": "lunch", "name": "Lunch", "isOpen": false, "closedReason": "lunch", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "13:00"},
    {"id": "weekdays", "name": "Weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"},
    {"id": "saturday", "name": "Saturday", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=SA", "startTime": "10:00", "endTime": "14:00"}
  ],
  "schedules": [
    {
      "name": "Support",
      "manualClose": false,
      "timeZone": "America/Chicago",
      "rules": ["xmas", "us", "lunch", "weekdays"],
      "x-color": "blue"
    },
    {"name": "Sales", "manualClose": false, "timeZone": "Europe/London", "rules": ["weekdays"]},
    {"name": "Closed Desk", "manualClose": true, "timeZone": "America/Chicago", "rules": ["weekdays"]},
    {"name": "Weekend", "timeZone": "America/Chicago", "rules": ["saturday"]}
  ]
}`

// envOptions vary a test environment.
type envOptions struct {
	opts    api.Options
	seed    string        // the first config version; "" seeds baseDoc
	noSeed  bool          // start with an empty store
	noWatch bool          // do not apply stored versions to the scheduler
	store   *store.Memory // share this store (another replica's) instead of a new one
	deps    func(*api.Deps)
}

// env is one service instance: the in-memory store (the JetStream store
// passes the same contract suite; app and e2e tests run the API on it), a
// scheduler on a fixed clock fed by a watch on the store (as the
// application does), and the handler behind a loopback HTTP server.
type env struct {
	t        testing.TB
	url      string
	handler  *api.Server
	store    *store.Memory
	presence *store.MemoryPresence
	sched    *scheduler.Scheduler
	reg      *prometheus.Registry
	client   *http.Client
	seeded   uint64
}

func newEnv(tb testing.TB, eo envOptions) *env {
	tb.Helper()
	ctx := tb.Context()
	st := eo.store
	if st == nil {
		st = store.NewMemory(64 << 20)
	}
	clock := func() time.Time { return testNow }
	pr := store.NewMemoryPresence(0, clock)
	sched := scheduler.New(scheduler.Options{Now: clock, Logger: quietLog})
	e := &env{t: tb, store: st, presence: pr, sched: sched, reg: prometheus.NewRegistry()}
	if !eo.noWatch {
		ch, err := st.Watch(ctx)
		if err != nil {
			tb.Fatalf("watch: %v", err)
		}
		go func() {
			for en := range ch {
				cfg, err := engine.Load(en.Data)
				if err != nil {
					continue // an invalid version written behind the API's back
				}
				sched.Apply(cfg, en.Version, en.Meta.Time)
			}
		}()
	}
	if eo.opts.Tokens == nil {
		eo.opts.Tokens = []api.Token{
			{Name: adminName, Role: api.RoleAdmin, SHA256: api.HashToken(adminToken)},
			{Name: viewerName, Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)},
		}
	}
	deps := api.Deps{Status: sched, Store: st, Presence: pr, Registerer: e.reg, Logger: quietLog, Now: clock}
	if eo.deps != nil {
		eo.deps(&deps)
	}
	h, err := api.New(deps, eo.opts)
	if err != nil {
		tb.Fatalf("api.New: %v", err)
	}
	e.handler = h
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	e.client = srv.Client()
	e.client.Timeout = 60 * time.Second
	if !eo.noSeed {
		seed := eo.seed
		if seed == "" {
			seed = baseDoc
		}
		v, err := st.Put(ctx, []byte(seed), 0, store.Meta{Author: "seed", Time: testNow})
		if err != nil {
			tb.Fatalf("seed: %v", err)
		}
		e.seeded = v
		if eo.noWatch {
			e.apply(v)
		} else {
			e.waitApplied(v)
		}
	}
	return e
}

// apply loads version v from the store and applies it to the scheduler
// (for environments without the watch).
func (e *env) apply(v uint64) {
	e.t.Helper()
	en, err := e.store.Version(e.t.Context(), v)
	if err != nil {
		e.t.Fatalf("version %d: %v", v, err)
	}
	cfg, err := engine.Load(en.Data)
	if err != nil {
		e.t.Fatalf("load version %d: %v", v, err)
	}
	e.sched.Apply(cfg, v, en.Meta.Time)
}

// waitApplied waits until the scheduler serves version v or later.
func (e *env) waitApplied(v uint64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, got := e.sched.Config(); got >= v {
			return
		}
		if time.Now().After(deadline) {
			_, got := e.sched.Config()
			e.t.Fatalf("scheduler serves version %d, want %d", got, v)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// latest returns the stored head.
func (e *env) latest() store.Entry {
	e.t.Helper()
	en, err := e.store.Get(e.t.Context())
	if err != nil {
		e.t.Fatalf("store get: %v", err)
	}
	return en
}

// result is one HTTP exchange.
type result struct {
	code   int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r result) str(key string) string {
	s, _ := r.json[key].(string)
	return s
}

func (r result) num(key string) uint64 {
	f, _ := r.json[key].(float64)
	return uint64(f)
}

// request describes one HTTP call.
type request struct {
	method, path, token, contentType string
	body                             any // string, []byte or a value to encode as JSON
	header                           map[string]string
}

func (e *env) do(rq request) result {
	e.t.Helper()
	var body io.Reader
	switch b := rq.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("encode body: %v", err)
		}
		body = bytes.NewReader(enc)
		if rq.contentType == "" {
			rq.contentType = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(e.t.Context(), rq.method, e.url+rq.path, body)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", rq.method, truncateForLog(rq.path), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", rq.method, truncateForLog(rq.path), err)
	}
	r := result{code: resp.StatusCode, header: resp.Header, body: data}
	if len(data) > 0 && rq.method != http.MethodHead {
		if err := json.Unmarshal(data, &r.json); err != nil {
			e.t.Fatalf("%s %s: %d answer is not a JSON object: %v: %.300s", rq.method, truncateForLog(rq.path), resp.StatusCode, err, data)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/json", rq.method, truncateForLog(rq.path), ct)
		}
	}
	return r
}

func truncateForLog(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// get, put and post are shorthands.
func (e *env) get(path, token string) result {
	e.t.Helper()
	return e.do(request{method: http.MethodGet, path: path, token: token})
}

func (e *env) post(path, token string, body any) result {
	e.t.Helper()
	return e.do(request{method: http.MethodPost, path: path, token: token, body: body, contentType: "application/json"})
}

// putConfig PUTs data (raw JSON) with the given version.
func (e *env) putConfig(token, data string, version uint64, message string) result {
	e.t.Helper()
	body := fmt.Sprintf(`{"data": %s, "version": %d, "message": %q}`, data, version, message)
	return e.do(request{method: http.MethodPut, path: "/api/v1/config", token: token, body: body, contentType: "application/json"})
}

// expect fails the test if r's status is not code, showing the body.
func expect(tb testing.TB, what string, r result, code int) {
	tb.Helper()
	if r.code != code {
		tb.Fatalf("%s: status %d, want %d; body %.500s", what, r.code, code, r.body)
	}
}

// unchanged asserts the stored config is still version v with data.
func (e *env) unchanged(what string, v uint64, data []byte) {
	e.t.Helper()
	got := e.latest()
	if got.Version != v || !bytes.Equal(got.Data, data) {
		e.t.Errorf("%s: stored config changed: version %d (want %d)", what, got.Version, v)
	}
}
