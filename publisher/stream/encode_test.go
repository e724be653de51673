package stream

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
)

// randomEvent draws an event with texts that need escaping and optional
// members present or not.
func randomEvent(r *rand.Rand) event.Event {
	texts := []string{"", "Support", "Sales <EU> & \"Co\"", "caf\u00e9 \u2028 \u2029", "tab\tnew\nline\x01", "bad \xff utf8", "日本語", `back\slash`}
	pick := func() string { return texts[r.IntN(len(texts))] }
	at := time.Unix(r.Int64N(4e9), r.Int64N(2)*r.Int64N(1e9)).UTC()
	d := event.Data{Schedule: pick(), TimeZone: pick(), IsOpen: r.IntN(2) == 0, ClosedReason: pick(), At: at,
		Previous: event.State{IsOpen: r.IntN(2) == 0, ClosedReason: pick()}, Holiday: pick(),
		ConfigVersion: r.Uint64(), Cause: pick()}
	if r.IntN(2) == 0 {
		d.Rule = &event.Rule{ID: pick(), Name: pick()}
	}
	if r.IntN(2) == 0 {
		d.NextTransition = &event.Transition{At: at.Add(time.Duration(r.Int64N(1e15))), IsOpen: r.IntN(2) == 0, ClosedReason: pick()}
	}
	ev := event.New(pick(), d)
	ev.Subject = pick()
	return ev
}

// TestAppendEventMatchesMarshal: the hand-written encoding is json.Marshal
// byte for byte.
func TestAppendEventMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		ev := randomEvent(r)
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendEvent(nil, &ev)
		if !ok || string(got) != string(want) {
			t.Fatalf("appendEvent\n%s\njson.Marshal\n%s", got, want)
		}
	}
	ev := randomEvent(r)
	ev.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := appendEvent(nil, &ev); ok {
		t.Error("a year past 9999 encoded")
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	ev := randomEvent(rand.New(rand.NewPCG(3, 4)))
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf, _ = appendEvent(buf[:0], &ev)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(ev)
		}
	})
}
