// Command scale measures the service at 1,000, 10,000 and 100,000
// schedules (the targets of issue 13, listed in BENCHMARKS.md) on real
// `schedule-manager serve` processes on this machine:
//
//	go build -o /tmp/schedule-manager ./cmd/schedule-manager
//	go run ./bench/scale -bin /tmp/schedule-manager -n 1000,10000,100000
//
// For each size it generates a realistic document (internal/scalegen:
// UUID rule ids, 3–12 rules per schedule from a pool of 180, 15 zones)
// and measures:
//
//   - validate: what PUT /api/v1/config does before writing, in this
//     process (engine.LoadWithWarnings and Config.Probe ±2 years);
//   - first start (the document as seed config) and restart → /readyz;
//   - publish → serving: PUT of an edited document on replica A until A
//     and B (joined to A's NATS) both serve it;
//   - RSS of replica A when serving, and its peak;
//   - check-schedule req/s with random names against a trivial Go handler
//     in a process of its own, alternating rounds;
//   - 500 concurrent manual closes (on A and B);
//   - a config write that flips min(10,000, n/2) schedules: write → every
//     event stored;
//   - every schedule flipping at one instant (a document whose schedules
//     all open then, one replica): instant → every event stored, and
//     check-schedule p99 before and during the flip;
//   - refusal: a 100,000-schedule document PUT to a service whose limit is
//     lower (-refuse-args), its answer time and the memory it cost.
//
// Timing figures are for a quiet machine; repeat and report ranges. With
// SCALE_LOG_DIR set, each process's log is kept there (with
// SCHEDMGR_LOG_LEVEL=info, each "config applied" line has its timings).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

func main() {
	trivial := flag.String("trivial", "", "serve the trivial handler on this address (used by the benchmark itself)")
	bin := flag.String("bin", "", "the schedule-manager binary to measure (required)")
	sizes := flag.String("n", "1000,10000,100000", "schedule counts, comma-separated")
	only := flag.String("only", "validate,serve,load,manual,configflip,restart,flip,refuse", "scenarios to run")
	duration := flag.Duration("duration", 3*time.Second, "length of one load round")
	rounds := flag.Int("rounds", 3, "load rounds per target")
	conns := flag.Int("conns", 32, "concurrent keep-alive connections of the load rounds")
	serveArgs := flag.String("serve-args", "", "extra arguments of every serve (space-separated)")
	refuseArgs := flag.String("refuse-args", "", "extra arguments of the service the refusal is measured on (e.g. --max-schedules 20000)")
	keep := flag.Bool("keep", false, "keep the data directories")
	flipRate := flag.Float64("flip-rate", 0, "check-schedule requests a second during the flip (0: as fast as the service answers)")
	flipConns := flag.Int("flip-conns", -1, "connections of the load during the flip (-1: -conns; 0: no load, to measure the flip alone)")
	flag.Parse()
	if *trivial != "" {
		if err := serveTrivial(*trivial); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "scale: -bin is required (go build -o /tmp/schedule-manager ./cmd/schedule-manager)")
		os.Exit(2)
	}
	r := &runner{bin: *bin, only: strings.Split(*only, ","), duration: *duration, rounds: *rounds, conns: *conns,
		extra: strings.Fields(*serveArgs), refuse: strings.Fields(*refuseArgs), keep: *keep, flipRate: *flipRate, flipConns: *flipConns}
	var err error
	if r.dir, err = os.MkdirTemp("", "scale"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !r.keep {
		defer os.RemoveAll(r.dir)
	}
	var results []*result
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale: -n:", err)
			os.Exit(2)
		}
		res := r.size(n)
		results = append(results, res)
	}
	fmt.Println()
	printTable(os.Stdout, results)
}

type runner struct {
	bin       string
	dir       string
	only      []string
	duration  time.Duration
	rounds    int
	conns     int
	extra     []string
	refuse    []string
	keep      bool
	flipRate  float64
	flipConns int // -1: conns
}

func (r *runner) do(s string) bool { return slices.Contains(r.only, s) }

// result holds the figures of one size; a missing figure is "".
type result struct {
	n    int
	vals map[string]string
}

func (res *result) set(k, format string, args ...any) {
	res.vals[k] = fmt.Sprintf(format, args...)
	fmt.Printf("  %-28s %s\n", k, res.vals[k])
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mb(b int64) string { return fmt.Sprintf("%d MB", b/1e6) }

func itoa(i int) string { return strconv.Itoa(i) }

// size runs every scenario at n schedules.
func (r *runner) size(n int) *result {
	res := &result{n: n, vals: map[string]string{}}
	fmt.Printf("== %d schedules\n", n)
	doc := scalegen.Document(scalegen.Options{Schedules: n})
	data, _ := json.Marshal(doc)
	res.set("document", "%.1f MB, %d rules", float64(len(data))/1e6, len(doc.Rules))
	if r.do("validate") {
		r.validate(res, data)
	}
	if r.do("serve") || r.do("load") || r.do("manual") || r.do("configflip") || r.do("restart") {
		r.replicas(res, doc, data)
	}
	if r.do("flip") {
		r.flip(res, n)
	}
	if r.do("refuse") && n == 100000 {
		r.refusal(res, data)
	}
	runtime.GC()
	return res
}

// validate measures the validation of a PUT in this process.
func (r *runner) validate(res *result, data []byte) {
	var took []time.Duration
	var heap uint64
	for range 3 {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		now := time.Now()
		start := time.Now()
		cfg, _, err := engine.LoadWithWarnings(data, now)
		if err == nil {
			err = cfg.Probe(now.AddDate(-2, 0, 0), now.AddDate(2, 0, 0))
		}
		d := time.Since(start)
		if err != nil {
			res.set("validate", "refused after %s: %s", ms(d), short(err.Error()))
			return
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap = max(heap, after.TotalAlloc-before.TotalAlloc)
		took = append(took, d)
		runtime.KeepAlive(cfg)
	}
	slices.Sort(took)
	res.set("validate", "%s (min %s, max %s; %s allocated)", ms(took[1]), ms(took[0]), ms(took[2]), mb(int64(heap)))
}

func short(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// replicas runs the two-replica scenarios: start, publish, load, manual
// closes, a config write that flips schedules, restart.
func (r *runner) replicas(res *result, doc engine.Document, data []byte) {
	n := len(doc.Schedules)
	dirA, dirB := filepath.Join(r.dir, fmt.Sprintf("a-%d", n)), filepath.Join(r.dir, fmt.Sprintf("b-%d", n))
	seed := filepath.Join(r.dir, fmt.Sprintf("seed-%d.json", n))
	if err := os.WriteFile(seed, data, 0o600); err != nil {
		res.set("start", "error: %v", err)
		return
	}
	a, ready, err := startServe(r.bin, "a", dirA, true, r.extra, "--seed-config", seed)
	if err != nil {
		res.set("first start → ready", "failed: %s", short(err.Error()))
		return
	}
	defer func() { a.stop() }()
	res.set("first start → ready", "%s", ms(ready))
	creds, err := app.ReadNATSCredentials(dirA)
	if err != nil {
		res.set("replica b", "error: %v", err)
		return
	}
	natsURL, _ := creds.URL(app.NATSRoleService, a.natsURL)
	b, readyB, err := startServe(r.bin, "b", dirB, false, r.extra, "--nats-url", natsURL)
	if err != nil {
		res.set("replica b", "failed: %s", short(err.Error()))
		return
	}
	defer func() { b.stop() }()
	res.set("replica b start → ready", "%s", ms(readyB))
	nc, err := nats.Connect(natsURL)
	if err != nil {
		res.set("nats", "error: %v", err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	time.Sleep(2 * time.Second)
	rss, _ := a.memory()
	res.set("RSS serving", "%s (%.0f KB/schedule)", mb(rss), float64(rss)/1024/float64(n))

	if r.do("serve") {
		doc = r.publish(res, a, b, doc)
	}
	if r.do("load") {
		r.load(res, a, doc)
	}
	if r.do("manual") {
		r.manualCloses(res, a, b, doc)
	}
	if r.do("configflip") {
		r.configFlip(res, a, b, js, doc)
	}
	_, peak := a.memory()
	res.set("RSS peak", "%s", mb(peak))
	if r.do("restart") {
		b.stop()
		a.stop()
		a2, ready, err := startServe(r.bin, "a", dirA, true, r.extra)
		if err != nil {
			res.set("restart → ready", "failed: %s", short(err.Error()))
			return
		}
		res.set("restart → ready", "%s", ms(ready))
		time.Sleep(2 * time.Second)
		rss, _ := a2.memory()
		res.set("RSS after restart", "%s", mb(rss))
		a = a2
	}
}

// publish writes edited documents on a and waits until a and b serve
// them. It returns the document last written.
func (r *runner) publish(res *result, a, b *proc, doc engine.Document) engine.Document {
	var total, acks []time.Duration
	current := doc
	for i := range 3 {
		v, err := a.configVersion()
		if err != nil {
			res.set("publish → serving", "error: %v", err)
			return current
		}
		// An admin's edit: one rule of the pool changes its end time (the
		// schedules listing it are rebuilt), one schedule is renamed.
		edited := doc
		edited.Rules = slices.Clone(doc.Rules)
		edited.Schedules = slices.Clone(doc.Schedules)
		k := slices.IndexFunc(edited.Rules, func(x engine.Rule) bool { return x.IsOpen && x.EndTime != "" && x.StartTime < x.EndTime })
		edited.Rules[k].EndTime = fmt.Sprintf("23:%02d", 10*(i+1))
		edited.Schedules[0].Name = doc.Schedules[0].Name + fmt.Sprintf(" (renamed %d)", i)
		data, _ := json.Marshal(edited)
		start := time.Now()
		nv, err := a.putConfig(data, v, "bench edit")
		if err != nil {
			res.set("publish → serving", "error: %s", short(err.Error()))
			return current
		}
		current = edited
		acked := time.Since(start)
		done, err := waitServing([]*proc{a, b}, nv, 2*time.Minute)
		if err != nil {
			res.set("publish → serving", "error: %v", err)
			return current
		}
		total = append(total, done.Sub(start))
		acks = append(acks, acked)
	}
	res.set("publish → serving", "%s (runs %s; PUT answered after %s)", ms(slices.Max(total)), durations(total), durations(acks))
	return current
}

func durations(d []time.Duration) string {
	s := make([]string, len(d))
	for i, x := range d {
		s[i] = ms(x)
	}
	return strings.Join(s, ", ")
}

// load compares check-schedule with random names to the trivial handler.
func (r *runner) load(res *result, a *proc, doc engine.Document) {
	trivialBase, stop, err := startTrivial()
	if err != nil {
		res.set("check-schedule", "error: %v", err)
		return
	}
	defer stop()
	names := make([]string, len(doc.Schedules))
	for i, s := range doc.Schedules {
		names[i] = s.Name
	}
	check := checkURLs(a.base, names)
	trivial := checkURLs(trivialBase, names)
	var c, t []float64
	var p99c, p99t time.Duration
	var errs int64
	for range r.rounds {
		rt := measure(trivial, r.duration, r.conns, 0)
		rc := measure(check, r.duration, r.conns, 0)
		t, c = append(t, rt.rps), append(c, rc.rps)
		q, _ := quantile(rc.samples, 0, r.duration, .99)
		p99c = max(p99c, q)
		q, _ = quantile(rt.samples, 0, r.duration, .99)
		p99t = max(p99t, q)
		errs += rc.errors + rt.errors
	}
	res.set("check-schedule req/s", "%.0f vs trivial %.0f: %.0f%% (rounds %v vs %v; p99 %s vs %s; errors %d)",
		median(c), median(t), 100*median(c)/median(t), ints(c), ints(t), p99c.Round(100*time.Microsecond), p99t.Round(100*time.Microsecond), errs)
}

func ints(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// manualCloses sends 500 concurrent closes of distinct schedules, half to
// each replica.
func (r *runner) manualCloses(res *result, a, b *proc, doc engine.Document) {
	n := len(doc.Schedules)
	const count = 500
	start := time.Now()
	var wg sync.WaitGroup
	lat := make([]time.Duration, count)
	codes := make([]int, count)
	var firstBad sync.Once
	var badBody string
	for i := range count {
		p := a
		if i%2 == 1 {
			p = b
		}
		name := doc.Schedules[n/2+i].Name
		wg.Go(func() {
			t0 := time.Now()
			code, body, err := request(http.MethodPost, p.base+"/api/v1/schedules/"+pathEscape(name)+"/close", []byte(`{"message":"bench"}`))
			if err != nil {
				code, body = -1, []byte(err.Error())
			}
			codes[i], lat[i] = code, time.Since(t0)
			if code != http.StatusOK {
				firstBad.Do(func() { badBody = fmt.Sprintf("%d %s", code, short(string(body))) })
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	bad := 0
	for _, c := range codes {
		if c != http.StatusOK {
			bad++
		}
	}
	slices.Sort(lat)
	if bad > 0 {
		for _, p := range []*proc{a, b} {
			fmt.Printf("  (%s's log: %s)\n", p.name, lastLines(p.stderr.String(), 8))
		}
	}
	res.set("500 manual closes", "all answered in %s (p50 %s, max %s; %d not 200%s)", ms(wall), ms(lat[count/2]), ms(lat[count-1]), bad,
		map[bool]string{true: ", first: " + badBody}[bad > 0])
}

func pathEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, "%", "%25"), "/", "%2F"), " ", "%20")
}

// streamState is the event stream's message count and last time.
func streamState(js jetstream.JetStream) (uint64, time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "SCHEDMGR_EVENTS")
	if err != nil {
		return 0, time.Time{}
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, time.Time{}
	}
	return info.State.Msgs, info.State.LastTime
}

// configFlip writes a document that manually closes k schedules and
// measures until k events are stored.
func (r *runner) configFlip(res *result, a, b *proc, js jetstream.JetStream, doc engine.Document) {
	n := len(doc.Schedules)
	k := min(10000, n/2)
	edited := doc
	edited.Schedules = slices.Clone(doc.Schedules)
	for i := range edited.Schedules {
		// The first k, and the ones the manual closes closed.
		edited.Schedules[i].ManualClose = i < k || (r.do("manual") && i >= n/2 && i < n/2+500)
	}
	data, _ := json.Marshal(edited)
	before, _ := streamState(js)
	v, err := a.configVersion()
	if err != nil {
		res.set("config write → events", "error: %v", err)
		return
	}
	start := time.Now()
	if _, err := a.putConfig(data, v, "close many"); err != nil {
		res.set("config write → events", "error: %s", short(err.Error()))
		return
	}
	acked := time.Since(start)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		msgs, last := streamState(js)
		if msgs >= before+uint64(k) {
			res.set("config write → events", "%d events stored %s after the write (answered after %s; last stored at +%s)",
				msgs-before, ms(time.Since(start)), ms(acked), ms(last.Sub(start)))
			return
		}
		if time.Now().After(deadline) {
			res.set("config write → events", "only %d of %d events stored after 2 minutes", msgs-before, k)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flip starts one replica on a document whose n schedules all open at one
// instant and measures the events and check-schedule around it.
func (r *runner) flip(res *result, n int) {
	margin := 25*time.Second + time.Duration(n)*300*time.Microsecond
	at := time.Now().Add(margin).Truncate(time.Minute).Add(time.Minute)
	doc := scalegen.Document(scalegen.Options{Schedules: n, FlipAt: at})
	data, _ := json.Marshal(doc)
	seed := filepath.Join(r.dir, fmt.Sprintf("flip-%d.json", n))
	if err := os.WriteFile(seed, data, 0o600); err != nil {
		res.set("flip", "error: %v", err)
		return
	}
	dir := filepath.Join(r.dir, fmt.Sprintf("flip-%d", n))
	p, _, err := startServe(r.bin, "flip", dir, true, r.extra, "--seed-config", seed)
	if err != nil {
		res.set("flip → stored", "failed: %s", short(err.Error()))
		return
	}
	defer p.stop()
	creds, _ := app.ReadNATSCredentials(dir)
	natsURL, _ := creds.URL(app.NATSRoleService, p.natsURL)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		res.set("flip", "error: %v", err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	lead := 4 * time.Second
	fmt.Fprintf(os.Stderr, "flip at %s\n", at.Format(time.RFC3339))
	if time.Until(at) < lead+time.Second {
		res.set("flip → stored", "missed: the service was ready %s after the flip instant's lead time", ms(-time.Until(at.Add(-lead))))
		return
	}
	before, _ := streamState(js)
	names := make([]string, n)
	for i, s := range doc.Schedules {
		names[i] = s.Name
	}
	time.Sleep(time.Until(at.Add(-lead)))
	var rd round
	done := make(chan struct{})
	conns := r.conns
	if r.flipConns >= 0 {
		conns = r.flipConns
	}
	if conns > 0 {
		go func() { rd = measure(checkURLs(p.base, names), 2*lead, conns, r.flipRate); close(done) }()
	} else {
		close(done)
	}
	time.Sleep(time.Until(at))
	u0, s0 := p.cpuTimes()
	var storedAt time.Time
	var stored uint64
	deadline := at.Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		msgs, last := streamState(js)
		if msgs >= before+uint64(n) {
			stored, storedAt = msgs-before, last
			break
		}
		stored = msgs - before
		time.Sleep(10 * time.Millisecond)
	}
	u1, s1 := p.cpuTimes()
	<-done
	if storedAt.IsZero() {
		res.set("flip → stored", "only %d of %d events stored 2 minutes after the instant", stored, n)
		return
	}
	flipTook := storedAt.Sub(at)
	res.set("flip CPU", "%s of the service's CPU from the instant to the last event stored (%s user, %s system)", ms(u1-u0+s1-s0), ms(u1-u0), ms(s1-s0))
	if conns == 0 {
		res.set("flip → stored", "%s for %d events (no load)", ms(flipTook), stored)
		return
	}
	atRel := at.Sub(rd.start)
	pBefore, nb := quantile(rd.samples, 0, atRel, .99)
	pDuring, nd := quantile(rd.samples, atRel, atRel+max(flipTook, 100*time.Millisecond), .99)
	res.set("flip → stored", "%s for %d events", ms(flipTook), stored)
	load := "as fast as answered"
	if r.flipRate > 0 {
		load = fmt.Sprintf("at %.0f req/s", r.flipRate)
	}
	res.set("check p99 before/during flip", "%s / %s (%d / %d requests, %s)", pBefore.Round(100*time.Microsecond), pDuring.Round(100*time.Microsecond), nb, nd, load)
	if v, ok := metric(p.base, "schedmgr_scheduler_lock_hold_max_seconds"); ok {
		res.set("longest lock hold", "%s", ms(time.Duration(v*float64(time.Second))))
	}
}

// metric reads one unlabelled sample from /metrics.
func metric(base, name string) (float64, bool) {
	code, body, err := request(http.MethodGet, base+"/metrics", nil)
	if err != nil || code != http.StatusOK {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// refusal PUTs data to a small service whose schedule limit is below it.
func (r *runner) refusal(res *result, data []byte) {
	dir := filepath.Join(r.dir, "refuse")
	small := filepath.Join(r.dir, "small.json")
	_ = os.WriteFile(small, scalegen.JSON(scalegen.Options{Schedules: 1000}), 0o600)
	p, _, err := startServe(r.bin, "refuse", dir, true, append(slices.Clone(r.extra), r.refuse...), "--seed-config", small)
	if err != nil {
		res.set("refusal", "failed: %s", short(err.Error()))
		return
	}
	defer p.stop()
	time.Sleep(time.Second)
	rss0, peak0 := p.memory()
	v, _ := p.configVersion()
	body := fmt.Appendf(nil, `{"version": %d, "data": `, v)
	body = append(append(body, data...), '}')
	start := time.Now()
	code, out, err := request(http.MethodPut, p.base+"/api/v1/config", body)
	took := time.Since(start)
	if err != nil {
		res.set("refusal", "error: %v", err)
		return
	}
	_, peak1 := p.memory()
	var e struct{ Error string }
	_ = json.Unmarshal(out, &e)
	res.set("refusal of 100k", "%d after %s, peak RSS +%s (from %s): %s", code, ms(took), mb(max(peak1-max(peak0, rss0), 0)), mb(rss0), short(e.Error))
}

// printTable prints the scaling table (markdown).
func printTable(w *os.File, results []*result) {
	cols := []string{"validate", "first start → ready", "publish → serving", "restart → ready", "RSS serving", "RSS peak",
		"check-schedule req/s", "flip → stored", "flip CPU", "check p99 before/during flip", "config write → events", "500 manual closes", "longest lock hold", "refusal of 100k"}
	for _, c := range cols {
		fmt.Fprintf(w, "| %s |", c)
		for _, r := range results {
			v := r.vals[c]
			if v == "" {
				v = "–"
			}
			fmt.Fprintf(w, " %d: %s |", r.n, v)
		}
		fmt.Fprintln(w)
	}
}
