package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

// Fault and load figures of the reliability targets (DESIGN.md §3), on a
// cluster of three nats-server processes killed with SIGKILL and two
// in-process replicas. Not part of `go test ./...`; run:
//
//	go test -run '^$' -bench 'Failover|ManualCloses|Outage' -benchtime 1x -timeout 30m ./e2e

// percentiles renders the distribution of d.
func percentiles(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return fmt.Sprintf("n=%d min %s p50 %s p90 %s max %s", len(s), s[0].Round(time.Millisecond),
		at(0.5).Round(time.Millisecond), at(0.9).Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}

// benchReplicas starts two replicas, r1 preferring node 0 and r2 node 1.
func benchReplicas(b *testing.B, c *procCluster, seed string) (r1, r2 *app.App) {
	start := func(id string, first int) *app.App {
		return apptest.Start(b, func(o *app.Options) {
			o.NATSURL = c.URLs(first)
			o.StoreReplicas = 3
			o.ReplicaID = id
			o.SeedConfig = []byte(seed)
			o.AdminToken = adminToken
			o.Webhooks.Disabled = true
		})
	}
	return start("r1", 0), start("r2", 1)
}

// connectedNode is the node a replica's NATS connection is on.
func connectedNode(c *procCluster, a *app.App) int {
	url := a.ConnectedNATSURL()
	for i, n := range c.nodes {
		if strings.HasSuffix(url, fmt.Sprintf(":%d", n.port)) {
			return i
		}
	}
	return -1
}

// BenchmarkFailoverPropagation kills a NATS node (in turn: the node the
// reading replica is connected to, then the config stream's leader), writes
// a version through the other replica, and measures acknowledgement →
// served by the reading replica, and how long writes were refused.
func BenchmarkFailoverPropagation(b *testing.B) {
	const kills = 12
	c := startProcCluster(b, 3)
	r1, r2 := benchReplicas(b, c, seedConfig)
	_, js := natstest.Connect(b, c.URLs(), natstest.Reconnect)
	b1, b2 := "http://"+r1.HTTPAddr(), "http://"+r2.HTTPAddr()
	var propagate, refused []time.Duration
	var lines []string
	for i := 0; i < b.N; i++ {
		for k := range kills {
			waitCurrent(b, js, "KV_schedmgr_config", 3)
			victim := connectedNode(c, r2)
			what := "r2's node"
			if k%2 == 1 {
				s, _ := js.Stream(b.Context(), "KV_schedmgr_config")
				info, _ := s.Info(b.Context())
				victim, what = c.index(info.Cluster.Leader), "the config stream leader"
			}
			if victim == connectedNode(c, r1) {
				// Write through the replica that keeps its connection.
				r1, r2, b1, b2 = r2, r1, b2, b1
			}
			killed := time.Now()
			c.kill(victim)
			name := fmt.Sprintf("Desk %d-%d", i, k)
			var acked time.Time
			for {
				h, ok := getConfig(b, b1)
				if ok {
					doc := strings.Replace(seedConfig, `"Béta *"`, fmt.Sprintf("%q", name), 1)
					code, _ := call(b, http.MethodPut, b1+"/api/v1/config", fmt.Sprintf(`{"version": %d, "data": %s}`, h.Version, doc))
					if code == http.StatusOK {
						acked = time.Now()
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			refused = append(refused, acked.Sub(killed))
			q := "/check-schedule?name=" + strings.ReplaceAll(name, " ", "%20")
			for {
				if code, _ := call(b, http.MethodGet, b2+q, ""); code == http.StatusOK {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			propagate = append(propagate, time.Since(acked))
			lines = append(lines, fmt.Sprintf("kill %2d (%s, %s): write refused for %s, acknowledged → served by the other replica %s", k+1, what,
				c.nodes[victim].name, acked.Sub(killed).Round(time.Millisecond), propagate[len(propagate)-1].Round(time.Millisecond)))
			c.start(victim)
		}
	}
	b.Logf("%s\nack → every replica serving: %s\nkill → write acknowledged:   %s", strings.Join(lines, "\n"),
		percentiles(propagate), percentiles(refused))
	slices.Sort(propagate)
	b.ReportMetric(float64(propagate[len(propagate)/2].Milliseconds()), "p50-propagation-ms")
	b.ReportMetric(float64(propagate[len(propagate)-1].Milliseconds()), "max-propagation-ms")
}

// BenchmarkManualCloses500 closes 500 different schedules at once through
// two replicas: every close must answer 200 and be in the final config.
func BenchmarkManualCloses500(b *testing.B) {
	const n = 500
	var scheds []string
	for i := range n {
		scheds = append(scheds, fmt.Sprintf(`{"name": "Site %03d", "timeZone": "UTC", "rules": ["all"]}`, i))
	}
	seed := `{"rules": [{"id": "all", "name": "All day", "isOpen": true, "dateRRule": "FREQ=DAILY"}], "schedules": [` + strings.Join(scheds, ",") + `]}`
	c := startProcCluster(b, 3)
	r1, r2 := benchReplicas(b, c, seed)
	bases := []string{"http://" + r1.HTTPAddr(), "http://" + r2.HTTPAddr()}
	for it := 0; it < b.N; it++ {
		closed := it%2 == 0
		verb := "close"
		if !closed {
			verb = "open"
		}
		lat := make([]time.Duration, n)
		codes := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				codes[i], _ = call(b, http.MethodPost, fmt.Sprintf("%s/api/v1/schedules/Site%%20%03d/%s", bases[i%2], i, verb), "")
				lat[i] = time.Since(t0)
			})
		}
		close(start)
		wg.Wait()
		bad := 0
		for i, code := range codes {
			if code != http.StatusOK {
				bad++
				b.Errorf("%s Site %03d: %d", verb, i, code)
			}
		}
		b.Logf("%d concurrent %ss: %d not 200; latency %s", n, verb, bad, percentiles(lat))
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
}

// BenchmarkCheckScheduleThroughOutage keeps check-schedule under load on
// both replicas while every NATS node is killed for 10 s and restarted,
// and counts the answers that were not 200.
func BenchmarkCheckScheduleThroughOutage(b *testing.B) {
	c := startProcCluster(b, 3)
	r1, r2 := benchReplicas(b, c, seedConfig)
	bases := []string{"http://" + r1.HTTPAddr(), "http://" + r2.HTTPAddr()}
	for it := 0; it < b.N; it++ {
		var ok, failed atomic.Int64
		var mu sync.Mutex
		var lat []time.Duration
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				client := &http.Client{Timeout: 5 * time.Second}
				for {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					resp, err := client.Get(bases[w%2] + "/check-schedule?name=Alpha%20desk.1")
					d := time.Since(t0)
					if err == nil && resp.StatusCode == http.StatusOK {
						ok.Add(1)
					} else {
						failed.Add(1)
					}
					if err == nil {
						resp.Body.Close()
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
		}
		time.Sleep(2 * time.Second)
		for i := range c.nodes {
			c.kill(i)
		}
		time.Sleep(10 * time.Second)
		for i := range c.nodes {
			c.start(i)
		}
		time.Sleep(5 * time.Second)
		close(stop)
		wg.Wait()
		b.Logf("check-schedule through a 10 s outage of every NATS node: %d ok, %d failed; latency %s", ok.Load(), failed.Load(), percentiles(lat))
		if failed.Load() != 0 {
			b.Errorf("%d check-schedule requests failed during the outage", failed.Load())
		}
		slices.Sort(lat)
		b.ReportMetric(float64(failed.Load()), "failed")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
