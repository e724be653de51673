package stream_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// BenchmarkConfigEvents10k: one config write flips 10,000 schedules (a
// manual close of each, say): 10,000 events caused by the write, each
// compared with the latest stored event of its schedule before it is
// published (every schedule has one). Enqueue to the last PubAck; target
// ≤ 1 s.
//
//	go test -run '^$' -bench ConfigEvents10k -benchtime 3x ./publisher/stream
func BenchmarkConfigEvents10k(b *testing.B) {
	const n = 10000
	srv, _, _, _ := setup(b)
	p, _ := newPublisher(b, srv.ClientURL(), stream.Options{})
	ctx := context.Background()
	base := time.Now().Add(-time.Hour)
	names := make([]string, n)
	for j := range names {
		names[j] = fmt.Sprintf("Desk %05d", j)
		p.Enqueue(newEvent(names[j], base, true))
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		evs := make([]event.Event, n)
		for j := range evs {
			ev := newEvent(names[j], time.Now().Add(time.Duration(i)*time.Millisecond), i%2 == 1)
			ev.Data.Cause = scheduler.CauseConfig
			ev.Data.ClosedReason = "manual"
			if i%2 == 1 {
				ev.Data.ClosedReason = ""
			}
			evs[j] = event.New("test", ev.Data)
		}
		b.StartTimer()
		start := time.Now()
		for _, ev := range evs {
			p.Enqueue(ev)
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	if p.Drops() != 0 {
		b.Fatalf("%d dropped", p.Drops())
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/write")
}
