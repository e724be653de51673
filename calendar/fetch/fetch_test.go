package fetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/schedule-manager/schedule-manager/calendar/fetch"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/store"
)

func calendarText(summary string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:" + summary +
		"\r\nDTSTART;VALUE=DATE:20270105\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// origin is a loopback calendar server whose answer a test changes.
type origin struct {
	srv      *httptest.Server
	mu       sync.Mutex
	handler  http.HandlerFunc
	requests atomic.Int64
}

func newOrigin(t *testing.T) *origin {
	o := &origin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		o.mu.Lock()
		h := o.handler
		o.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) serve(h http.HandlerFunc) {
	o.mu.Lock()
	o.handler = h
	o.mu.Unlock()
}

func (o *origin) text(s string) {
	o.serve(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		_, _ = w.Write([]byte(s))
	})
}

func configWith(url string) []byte {
	return []byte(`{
  "calendars": [{"id": "closures", "name": "Office closures", "url": "` + url + `", "refresh": "@every 6h"}],
  "rules": [{"id": "c", "isOpen": false, "closedReason": "closure", "calendar": "closures"}, {"id": "o", "isOpen": true}],
  "schedules": [{"name": "S", "timeZone": "UTC", "rules": ["c", "o"]}]
}`)
}

func seeded(t *testing.T, st fetch.Store, url string) uint64 {
	v, err := st.Put(t.Context(), configWith(url), 0, store.Meta{Author: "seed", Time: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func storedICS(t *testing.T, st fetch.Store) (string, uint64) {
	t.Helper()
	e, err := st.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := engine.Load(e.Data)
	if err != nil {
		t.Fatalf("stored version %d does not load: %v", e.Version, err)
	}
	c, err := engine.CalendarOf(cfg.Document(), "closures")
	if err != nil {
		t.Fatal(err)
	}
	return c.ICS, e.Version
}

func TestRefreshKeepsLastGoodCopy(t *testing.T) {
	o := newOrigin(t)
	st := store.NewMemory(0)
	seeded(t, st, o.srv.URL+"/basic.ics")
	reg := prometheus.NewRegistry()
	r, err := fetch.New(fetch.Options{Store: st, AllowPrivate: true, Timeout: 300 * time.Millisecond, Registerer: reg, MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	good := calendarText("Office move")
	o.text(good)
	res, err := r.Refresh(ctx, "closures")
	if err != nil || !res.Changed || res.SHA256 != engine.CalendarHash(good) {
		t.Fatalf("first fetch: %+v, %v", res, err)
	}
	text, v := storedICS(t, st)
	if text != good || v != res.Version {
		t.Fatalf("stored v%d %q, want v%d with the fetched text", v, text, res.Version)
	}
	// Same text again: no new version.
	if res, err := r.Refresh(ctx, "closures"); err != nil || res.Changed {
		t.Fatalf("unchanged fetch: %+v, %v", res, err)
	}
	if _, v2 := storedICS(t, st); v2 != v {
		t.Fatalf("an unchanged calendar wrote version %d", v2)
	}

	failures := []struct {
		name   string
		serve  http.HandlerFunc
		reason fetch.Reason
		msg    string
	}{
		{"404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, fetch.ReasonStatus, "HTTP 404"},
		{"timeout", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, fetch.ReasonTimeout, "no answer in time"},
		{"oversized", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(strings.Repeat("X", 65<<10)))
		}, fetch.ReasonTooLarge, "limit"},
		{"oversized, chunked", func(w http.ResponseWriter, _ *http.Request) {
			for range 70 {
				_, _ = w.Write([]byte(strings.Repeat("X", 1<<10)))
				w.(http.Flusher).Flush()
			}
		}, fetch.ReasonTooLarge, "larger than the limit"},
		{"malformed", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>not a calendar</html>")) }, fetch.ReasonMalformed, "is not a valid iCalendar calendar"},
		{"bad event", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(strings.Replace(calendarText("x"), "DTSTART;VALUE=DATE:20270105", "DTSTART:tomorrow", 1)))
		}, fetch.ReasonMalformed, `DTSTART: "tomorrow"`},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			o.serve(f.serve)
			_, err := r.Refresh(ctx, "closures")
			var fe *fetch.Error
			if !errors.As(err, &fe) || fe.Reason != f.reason || !strings.Contains(err.Error(), f.msg) {
				t.Fatalf("Refresh = %v, want reason %s with %q", err, f.reason, f.msg)
			}
			if strings.Contains(err.Error(), o.srv.URL) {
				t.Errorf("the error shows the URL: %v", err)
			}
			if text, v2 := storedICS(t, st); text != good || v2 != v {
				t.Fatalf("after a failed fetch the config is v%d with %q; want the last good copy v%d", v2, text, v)
			}
			st, _ := r.Status("closures")
			if st.Reason != f.reason || st.LastError == "" {
				t.Errorf("status %+v", st)
			}
		})
	}
	if got := testutil.ToFloat64(mustVec(t, reg, "schedmgr_calendar_fetches_total", "failed")); got != float64(len(failures)) {
		t.Errorf("failed fetches counted %v, want %d", got, len(failures))
	}
	// And a later good fetch recovers.
	o.text(calendarText("Training day"))
	if res, err := r.Refresh(ctx, "closures"); err != nil || !res.Changed {
		t.Fatalf("recovery: %+v %v", res, err)
	}
	if st, _ := r.Status("closures"); st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("status after recovery %+v", st)
	}
}

// mustVec reads one counter of a registry by metric name and outcome label.
func mustVec(t *testing.T, reg *prometheus.Registry, name, outcome string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
	g.Set(sum)
	return g
}

func TestRefreshRefusesPrivateAddresses(t *testing.T) {
	o := newOrigin(t)
	o.text(calendarText("x"))
	st := store.NewMemory(0)
	v := seeded(t, st, o.srv.URL+"/basic.ics") // a loopback address
	r, err := fetch.New(fetch.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Refresh(t.Context(), "closures")
	var fe *fetch.Error
	if !errors.As(err, &fe) || fe.Reason != fetch.ReasonRefused || !errors.Is(err, fetch.ErrPrivateAddress) {
		t.Fatalf("Refresh = %v, want refused", err)
	}
	if n := o.requests.Load(); n != 0 {
		t.Errorf("the server got %d requests; the dial must be refused before connecting", n)
	}
	if _, v2 := storedICS(t, st); v2 != v {
		t.Errorf("a refused fetch wrote version %d", v2)
	}
	if _, err := r.Refresh(t.Context(), "nope"); !errors.Is(err, engine.ErrUnknownCalendar) {
		t.Errorf("unknown calendar: %v", err)
	}
}

// Two replicas fetch the same change at once, on a real JetStream store:
// the compare-and-swap makes one version.
func TestTwoReplicasFetchingMakeOneVersion(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx := t.Context()
	st, err := store.NewJetStream(ctx, js, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := newOrigin(t)
	seeded(t, st, o.srv.URL+"/basic.ics")
	for round, summary := range []string{"Office move", "Training", "Stocktake"} {
		o.text(calendarText(summary))
		_, before := storedICS(t, st)
		var wg sync.WaitGroup
		results := make([]fetch.Result, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range 2 {
			r, err := fetch.New(fetch.Options{Store: st, AllowPrivate: true})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				<-start
				results[i], errs[i] = r.Refresh(ctx, "closures")
			})
		}
		close(start)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", round, errs[0], errs[1])
		}
		text, after := storedICS(t, st)
		if after != before+1 || text != calendarText(summary) {
			t.Fatalf("round %d: versions %d → %d, want exactly one new version", round, before, after)
		}
		changed := 0
		for _, res := range results {
			if res.Changed {
				changed++
			}
		}
		if changed != 1 {
			t.Errorf("round %d: %d replicas report a change, want 1: %+v", round, changed, results)
		}
		hist, err := st.History(ctx, 1)
		if err != nil || len(hist) == 0 || hist[0].Meta.Author != fetch.Author || !strings.Contains(hist[0].Meta.Message, `calendar "closures" fetched`) {
			t.Errorf("round %d: history %+v %v", round, hist, err)
		}
	}
}

func TestKVClaimerOneWinner(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	a, err := fetch.NewKVClaimer(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fetch.NewKVClaimer(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for _, c := range []*fetch.KVClaimer{a, b, a, b} {
		wg.Go(func() {
			won, err := c.Claim(ctx, "abc.1767225600")
			if err != nil {
				t.Error(err)
			}
			if won {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d winners, want 1", wins.Load())
	}
	if won, _ := a.Claim(ctx, "abc.1767247200"); !won {
		t.Error("the next slot was not claimable")
	}
}
