// Command loadtest measures check-schedule throughput over keep-alive HTTP
// on loopback as a ratio against a trivial Go handler, in the same run
// (DESIGN.md §3: the target is ≥ 70%).
//
//	go run ./bench/loadtest -duration 5s -conns 32 -rounds 3
//
// It starts the real service in-process (embedded NATS, seeded example
// config) and a trivial handler on an identical http.Server, then alternates
// rounds against each so both see the same machine noise.
//
// With -scrapers N it adds a third kind of round: check-schedule again,
// while N clients fetch /metrics from the public listener in a loop
// without a token (an anonymous scraper flood), and reports check-schedule's
// throughput under that flood as a ratio of its throughput without it,
// and what the scrapers were answered. -metrics says how the service
// serves /metrics: "token" (the default: an anonymous scrape is refused),
// "public" (anyone may scrape, as before tokens were required) or
// "listener" (on a listener of its own; the public one answers 404):
//
//	go run ./bench/loadtest -duration 3s -rounds 3 -scrapers 8 -metrics public
//	go run ./bench/loadtest -duration 3s -rounds 3 -scrapers 8
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/examples"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "length of one round")
	conns := flag.Int("conns", 32, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "rounds per target (alternating)")
	scrapers := flag.Int("scrapers", 0, "also measure check-schedule while this many anonymous clients fetch /metrics in a loop")
	metrics := flag.String("metrics", "token", "how the service serves /metrics: token, public or listener")
	flag.Parse()
	if err := run(os.Stdout, config{duration: *duration, conns: *conns, rounds: *rounds, scrapers: *scrapers, metrics: *metrics}); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// config is one load test.
type config struct {
	duration time.Duration
	conns    int
	rounds   int
	scrapers int    // anonymous /metrics clients during the extra rounds; 0: no such rounds
	metrics  string // token (default), public or listener
}

// Result is one target's measured throughput.
type Result struct {
	Name   string
	Rounds []float64 // requests per second
	Errors int64
}

// Median returns the median round.
func (r Result) Median() float64 {
	s := append([]float64(nil), r.Rounds...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func run(out io.Writer, c config) error {
	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	o := app.Options{
		HTTPAddr: "127.0.0.1:0", DataDir: dir, NATSListen: "off", SeedConfig: examples.Default(),
		AdminToken: "loadtest-admin-token-0123456789", Logger: slog.New(slog.DiscardHandler),
	}
	switch c.metrics {
	case "", "token":
	case "public":
		o.MetricsPublic = true
	case "listener":
		o.MetricsAddr = "127.0.0.1:0"
	default:
		return fmt.Errorf("-metrics %q: want token, public or listener", c.metrics)
	}
	a, err := app.Start(ctx, o)
	if err != nil {
		return err
	}
	defer a.Shutdown(ctx)

	trivialURL, stop, err := startTrivial()
	if err != nil {
		return err
	}
	defer stop()
	check := Result{Name: "check-schedule"}
	trivial := Result{Name: "trivial handler"}
	flooded := Result{Name: fmt.Sprintf("check + %d scrapers", c.scrapers)}
	checkURL := "http://" + a.HTTPAddr() + "/check-schedule?name=Support"
	metricsURL := "http://" + a.HTTPAddr() + "/metrics"
	scrapes := map[int]int64{} // status code → answers, over every flooded round
	var scrapeTime time.Duration
	for i := 0; i < c.rounds; i++ {
		for _, t := range []struct {
			res *Result
			url string
		}{{&trivial, trivialURL + "/check-schedule?name=Support"}, {&check, checkURL}} {
			rps, errs := measure(t.url, c.duration, c.conns)
			t.res.Rounds = append(t.res.Rounds, rps)
			t.res.Errors += errs
		}
		if c.scrapers > 0 {
			stopFlood := flood(metricsURL, c.scrapers, scrapes)
			rps, errs := measure(checkURL, c.duration, c.conns)
			stopFlood()
			scrapeTime += c.duration
			flooded.Rounds = append(flooded.Rounds, rps)
			flooded.Errors += errs
		}
	}
	results := []Result{trivial, check}
	if c.scrapers > 0 {
		results = append(results, flooded)
	}
	for _, r := range results {
		fmt.Fprintf(out, "%-22s median %8.0f req/s  rounds %v  errors %d\n", r.Name, r.Median(), rounded(r.Rounds), r.Errors)
	}
	ratio := check.Median() / trivial.Median()
	fmt.Fprintf(out, "ratio check-schedule / trivial: %.0f%% (target ≥ 70%%)\n", 100*ratio)
	if c.scrapers > 0 {
		fmt.Fprintf(out, "ratio check-schedule under %d anonymous /metrics scrapers (-metrics %s) / without: %.0f%%\n",
			c.scrapers, cmp.Or(c.metrics, "token"), 100*flooded.Median()/check.Median())
		codes := make([]int, 0, len(scrapes))
		for code := range scrapes {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		for _, code := range codes {
			label := http.StatusText(code)
			if code == 0 {
				label = "transport error"
			}
			fmt.Fprintf(out, "  scrapers answered %d %s: %d (%.0f/s)\n", code, label, scrapes[code], float64(scrapes[code])/scrapeTime.Seconds())
		}
	}
	if check.Errors > 0 || trivial.Errors > 0 || flooded.Errors > 0 {
		return fmt.Errorf("%d errors", check.Errors+trivial.Errors+flooded.Errors)
	}
	return nil
}

// flood starts n clients that GET url in a loop without credentials, each
// on its own keep-alive connection, until the returned function is called;
// it then adds the answers, by status code (0: transport error), to codes.
func flood(url string, n int, codes map[int]int64) (stop func()) {
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	done := make(chan struct{})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			local := map[int]int64{}
			defer func() {
				mu.Lock()
				for k, v := range local {
					codes[k] += v
				}
				mu.Unlock()
			}()
			for {
				select {
				case <-done:
					return
				default:
				}
				resp, err := client.Get(url)
				if err != nil {
					local[0]++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local[resp.StatusCode]++
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
		tr.CloseIdleConnections()
	}
}

func rounded(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// startTrivial serves a fixed JSON answer with the same server settings as
// the service, so the comparison is about the handler only.
func startTrivial() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"isOpen":true,"closedReason":""}` + "\n"))
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}

// measure runs conns workers, each on its own keep-alive connection, for d.
func measure(url string, d time.Duration, conns int) (float64, int64) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var ok, errs atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				resp, err := client.Get(url)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), errs.Load()
}
