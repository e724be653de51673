package stream

import (
	"math/rand/v2"
	"testing"

	"github.com/schedule-manager/schedule-manager/event"
)

// TestItemQueueIsFIFO: random pushes and takes across chunk boundaries
// keep the order, the length and what at sees.
func TestItemQueueIsFIFO(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var q itemQueue
	next, want := 0, 0
	for range 2000 {
		for range r.IntN(3 * queueChunk / 2) {
			q.push(item{ev: event.Event{ID: itoa(next)}})
			next++
		}
		if q.len() != next-want {
			t.Fatalf("len %d, want %d", q.len(), next-want)
		}
		if q.len() > 0 {
			if k := r.IntN(q.len()); q.at(k).ev.ID != itoa(want+k) {
				t.Fatalf("at(%d) = %s, want %d", k, q.at(k).ev.ID, want+k)
			}
		}
		for _, it := range q.take(r.IntN(q.len() + 1)) {
			if it.ev.ID != itoa(want) {
				t.Fatalf("took %s, want %d", it.ev.ID, want)
			}
			want++
		}
	}
	for _, it := range q.drain() {
		if it.ev.ID != itoa(want) {
			t.Fatalf("drained %s, want %d", it.ev.ID, want)
		}
		want++
	}
	if want != next || q.len() != 0 || q.chunks != nil {
		t.Fatalf("after drain: %d of %d taken, len %d", want, next, q.len())
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
