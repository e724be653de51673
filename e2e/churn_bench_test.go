package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/internal/apptest"
)

// BenchmarkMetricsAfterScheduleChurn writes configs that add and remove
// 20,000 schedule names in turn, then reports the size of /metrics and its
// series count, and the process's RSS: removed schedules must leave no
// series behind (with series per schedule on up to n schedules).
//
//	go test -run '^$' -bench MetricsAfterScheduleChurn -benchtime 1x ./e2e
func BenchmarkMetricsAfterScheduleChurn(b *testing.B) {
	const n, rounds = 20000, 4
	a := apptest.Start(b, func(o *app.Options) {
		o.AdminToken, o.MaxBodyBytes = adminToken, 64<<20
		o.MetricsMaxSchedules = n // series of each schedule, whose deletion this measures
	})
	base := "http://" + a.HTTPAddr()
	doc := func(round int) string {
		var sb strings.Builder
		sb.WriteString(`{"rules":[{"id":"day","name":"Day","isOpen":true,"startTime":"00:00","endTime":"24:00"}],"schedules":[`)
		for i := range n {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"name":"R%d-%05d","timeZone":"UTC","rules":["day"]}`, round, i)
		}
		sb.WriteString("]}")
		return sb.String()
	}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	for it := 0; it < b.N; it++ {
		for r := range rounds {
			_, body := do("GET", "/api/v1/config", "")
			var v uint64
			fmt.Sscanf(body[strings.Index(body, `"version":`)+len(`"version":`):], "%d", &v)
			if code, body := do("PUT", "/api/v1/config", fmt.Sprintf(`{"version":%d,"data":%s}`, v, doc(r))); code != 200 {
				b.Fatalf("PUT round %d: %d %.300s", r, code, body)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if c, _ := do("GET", fmt.Sprintf("/check-schedule?name=R%d-00000", r), ""); c == 200 || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		time.Sleep(time.Second)
		runtime.GC()
		_, metrics := do("GET", "/metrics", "")
		series := 0
		for _, l := range strings.Split(metrics, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				series++
			}
		}
		status, _ := os.ReadFile("/proc/self/status")
		rss := ""
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				rss = strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
			}
		}
		b.Logf("after %d rounds of %d schedules: /metrics %d bytes, %d series; RSS %s", rounds, n, len(metrics), series, rss)
		b.ReportMetric(float64(len(metrics))/1e6, "metrics-MB")
		b.ReportMetric(float64(series), "series")
	}
}
