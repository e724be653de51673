package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a reusable ResponseWriter, to measure the handler's own
// allocations without a recorder's.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func (d *discardWriter) reset() { clear(d.h) }

// BenchmarkCheckScheduleCached is GET /check-schedule?name=Support without
// simulate: the cached status, encoded.
func BenchmarkCheckScheduleCached(b *testing.B) {
	e := newEnv(b, envOptions{})
	req := httptest.NewRequest(http.MethodGet, "/check-schedule?name=Support", nil)
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	b.Run("discard", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			e.handler.ServeHTTP(w, req)
		}
	})
	// A closed schedule answers with more (when it next opens).
	closed := httptest.NewRequest(http.MethodGet, "/check-schedule?name=Weekend", nil)
	b.Run("discard-closed", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			w.reset()
			e.handler.ServeHTTP(w, closed)
		}
	})
}

// BenchmarkStatusRead is the scheduler's cached read alone. Target: 0
// allocs, ≤ 100 ns (DESIGN.md §3).
func BenchmarkStatusRead(b *testing.B) {
	e := newEnv(b, envOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := e.sched.Status("Support"); !ok {
			b.Fatal("unknown")
		}
	}
}

// TestCachedPathAllocs pins the allocation counts the benchmarks report, so
// a regression fails a normal test run.
func TestCachedPathAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	e := newEnv(t, envOptions{})
	if n := testing.AllocsPerRun(200, func() { e.sched.Status("Support") }); n != 0 {
		t.Errorf("scheduler Status allocates %v times, want 0", n)
	}
	req := httptest.NewRequest(http.MethodGet, "/check-schedule?name=Support", nil)
	w := &discardWriter{h: http.Header{}}
	// checkresult.New allocates the rule and next-transition structs; the
	// rest of the path (query parsing, lookup, encoding, headers, metrics)
	// must not allocate.
	if n := testing.AllocsPerRun(200, func() { w.reset(); e.handler.ServeHTTP(w, req) }); n > 2 {
		t.Errorf("cached check-schedule allocates %v times, want ≤ 2", n)
	}
	// A closed answer also says when it next opens, from the precomputed
	// timeline: no more allocations (Weekend has no deciding rule: 1).
	closed := httptest.NewRequest(http.MethodGet, "/check-schedule?name=Weekend", nil)
	if n := testing.AllocsPerRun(200, func() { w.reset(); e.handler.ServeHTTP(w, closed) }); n > 1 {
		t.Errorf("cached closed check-schedule allocates %v times, want ≤ 1", n)
	}
}

// BenchmarkLoopback compares check-schedule with a trivial handler over
// real keep-alive HTTP on loopback, in the same run (DESIGN.md §3: the
// endpoint must reach ≥ 70% of the trivial handler's requests per second).
func BenchmarkLoopback(b *testing.B) {
	e := newEnv(b, envOptions{})
	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"isOpen":true,"closedReason":""}` + "\n"))
	}))
	b.Cleanup(trivial.Close)
	for _, c := range []struct{ name, url string }{
		{"trivial", trivial.URL + "/check-schedule?name=Support"},
		{"check-schedule", e.url + "/check-schedule?name=Support"},
	} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(c.url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
