package app

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkConfigPublishToReplica measures DESIGN.md §3 "config publish →
// every replica serving it" (target ≤ 1 s): a manual close written through
// replica A's admin API, until replica B (joined over NATS) serves it.
func BenchmarkConfigPublishToReplica(b *testing.B) {
	a := start(b, testOptions(b, b.TempDir()))
	ob := testOptions(b, b.TempDir())
	ob.NATSURL = serviceURL(b, a)
	ob.ReplicaID = "bench-b"
	r := start(b, ob)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		path := "/close"
		if i%2 == 1 {
			path = "/open"
		}
		start := time.Now()
		var out struct{ Version uint64 }
		if code := call(b, "POST", "http://"+a.HTTPAddr()+"/api/v1/schedules/Support"+path, adminToken, nil, &out); code != 200 {
			b.Fatalf("%s: %d", path, code)
		}
		for {
			if _, v := r.Scheduler().Config(); v >= out.Version {
				break
			}
			if time.Since(start) > 5*time.Second {
				b.Fatalf("replica b did not serve version %d within 5s", out.Version)
			}
			time.Sleep(200 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
