// Command loadtest measures check-schedule throughput over keep-alive HTTP
// on loopback as a ratio against a trivial Go handler, in the same run
// (DESIGN.md §3: the target is ≥ 70%).
//
//	go run ./bench/loadtest -duration 5s -conns 32 -rounds 3
//
// It starts the real service in-process (embedded NATS, seeded example
// config) and a trivial handler on an identical http.Server, then alternates
// rounds against each so both see the same machine noise.
package main

import (
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
	flag.Parse()
	if err := run(os.Stdout, *duration, *conns, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
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

func run(out io.Writer, duration time.Duration, conns, rounds int) error {
	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	a, err := app.Start(ctx, app.Options{
		HTTPAddr: "127.0.0.1:0", DataDir: dir, NATSListen: "off", SeedConfig: examples.Default(),
		AdminToken: "loadtest-admin-token-0123456789", Logger: slog.New(slog.DiscardHandler),
	})
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
	checkURL := "http://" + a.HTTPAddr() + "/check-schedule?name=Support"
	for i := 0; i < rounds; i++ {
		for _, t := range []struct {
			res *Result
			url string
		}{{&trivial, trivialURL + "/check-schedule?name=Support"}, {&check, checkURL}} {
			rps, errs := measure(t.url, duration, conns)
			t.res.Rounds = append(t.res.Rounds, rps)
			t.res.Errors += errs
		}
	}
	for _, r := range []Result{trivial, check} {
		fmt.Fprintf(out, "%-16s median %8.0f req/s  rounds %v  errors %d\n", r.Name, r.Median(), rounded(r.Rounds), r.Errors)
	}
	ratio := check.Median() / trivial.Median()
	fmt.Fprintf(out, "ratio check-schedule / trivial: %.0f%% (target ≥ 70%%)\n", 100*ratio)
	if check.Errors > 0 || trivial.Errors > 0 {
		return fmt.Errorf("%d errors", check.Errors+trivial.Errors)
	}
	return nil
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
