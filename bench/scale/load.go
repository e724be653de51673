package main

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// sample is one request: when it ended, relative to the round's start,
// and how long it took.
type sample struct {
	end, took time.Duration
}

// round is one measured load round.
type round struct {
	start   time.Time
	rps     float64
	errors  int64
	samples []sample
}

// checkURLs are check-schedule URLs of base, one per name.
func checkURLs(base string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = base + "/check-schedule?name=" + url.QueryEscape(n)
	}
	return out
}

// measure runs conns workers for d, each on its own keep-alive connection
// asking for a random URL of urls, and records every request: as fast as
// the service answers, or, when rate is positive, rate requests a second
// in all (each worker sends on its own fixed schedule, the latency counted
// from the instant a request was due, so a stall is not hidden by the
// requests it kept from being sent).
func measure(urls []string, d time.Duration, conns int, rate float64) round {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var ok, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	per := make([][]sample, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			local := make([]sample, 0, 1<<14)
			var every time.Duration
			if rate > 0 {
				every = time.Duration(float64(conns) / rate * float64(time.Second))
			}
			due := start.Add(time.Duration(w) * every / time.Duration(conns))
			for {
				t0 := time.Now()
				if every > 0 {
					time.Sleep(time.Until(due))
					t0, due = due, due.Add(every)
				}
				if !t0.Before(deadline) {
					break
				}
				resp, err := c.Get(urls[r.IntN(len(urls))])
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t1 := time.Now()
				if resp.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				ok.Add(1)
				local = append(local, sample{end: t1.Sub(start), took: t1.Sub(t0)})
			}
			per[w] = local
		})
	}
	wg.Wait()
	out := round{start: start, rps: float64(ok.Load()) / time.Since(start).Seconds(), errors: errs.Load()}
	for _, l := range per {
		out.samples = append(out.samples, l...)
	}
	return out
}

// p99 of the samples that ended in [from, to) after the round's start.
func quantile(s []sample, from, to time.Duration, q float64) (time.Duration, int) {
	var d []time.Duration
	for _, x := range s {
		if x.end >= from && x.end < to {
			d = append(d, x.took)
		}
	}
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))], len(d)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// trivialAnswer is what the trivial handler writes: the size of a typical
// check-schedule answer would favour the trivial handler less; Twilio's
// two fields are the ratio's historical baseline.
const trivialAnswer = `{"isOpen":true,"closedReason":""}` + "\n"

// serveTrivial runs the trivial handler on addr (the -trivial mode of this
// command, in a process of its own like the service).
func serveTrivial(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(trivialAnswer))
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
	}
	return srv.Serve(l)
}

// startTrivial starts this command in -trivial mode and returns its base
// URL and a function that stops it.
func startTrivial() (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", itoa(port))
	cmd := exec.Command(os.Args[0], "-trivial", addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	base := "http://" + addr
	for range 500 {
		if resp, err := http.Get(base + "/"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return base, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
}
