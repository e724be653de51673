package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/scalegen"
)

// BenchmarkPublish100k: two replicas serving 100,000 schedules; an
// admin's edit (one pool rule's end time, one schedule renamed) is PUT on
// replica A, from the PUT to both replicas serving it. Target: ≤ 2 s.
//
//	go test -run '^$' -bench Publish100k -benchtime 3x ./app
func BenchmarkPublish100k(b *testing.B) {
	doc := scalegen.Document(scalegen.Options{Schedules: 100_000})
	data, _ := json.Marshal(doc)
	oa := testOptions(b, b.TempDir())
	oa.SeedConfig = data
	t0 := time.Now()
	a := start(b, oa)
	b.Logf("A ready after %s", time.Since(t0))
	ob := testOptions(b, b.TempDir())
	ob.SeedConfig = nil
	ob.NATSURL = serviceURL(b, a)
	ob.ReplicaID = "bench-b"
	t0 = time.Now()
	r := start(b, ob)
	b.Logf("B ready after %s", time.Since(t0))
	var answered, servedA, servedB []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, v := a.Scheduler().Config()
		edited := doc
		edited.Rules = slices.Clone(doc.Rules)
		edited.Schedules = slices.Clone(doc.Schedules)
		k := slices.IndexFunc(edited.Rules, func(x engine.Rule) bool { return x.IsOpen && x.EndTime != "" && x.StartTime < x.EndTime })
		edited.Rules[k].EndTime = fmt.Sprintf("23:%02d", 10*(i%5+1))
		edited.Schedules[0].Name = fmt.Sprintf("%s (renamed %d)", doc.Schedules[0].Name, i)
		body, _ := json.Marshal(map[string]any{"version": v, "data": edited})
		start := time.Now()
		req, _ := http.NewRequest("PUT", "http://"+a.HTTPAddr()+"/api/v1/config", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("PUT: %v %v", err, resp.Status)
		}
		resp.Body.Close()
		answered = append(answered, time.Since(start))
		var doneA, doneB time.Duration
		for doneA == 0 || doneB == 0 {
			if _, va := a.Scheduler().Config(); va > v && doneA == 0 {
				doneA = time.Since(start)
			}
			if _, vb := r.Scheduler().Config(); vb > v && doneB == 0 {
				doneB = time.Since(start)
			}
			if time.Since(start) > time.Minute {
				b.Fatal("not served within a minute")
			}
			time.Sleep(time.Millisecond)
		}
		servedA, servedB = append(servedA, doneA), append(servedB, doneB)
	}
	b.StopTimer()
	b.Logf("answered %v; A serving %v; B serving %v", answered, servedA, servedB)
}
