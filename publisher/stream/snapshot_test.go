package stream_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
)

// fakeStatus is a StatusSource over a compiled config, at version 42.
type fakeStatus struct {
	cfg *engine.Config
	at  time.Time
}

func (f fakeStatus) Statuses() ([]event.ScheduleStatus, uint64) {
	var out []event.ScheduleStatus
	for _, s := range f.cfg.Schedules() {
		st := s.At(f.at)
		ss := event.ScheduleStatus{Schedule: s.Name(), TimeZone: s.Location().String(), IsOpen: st.IsOpen, ClosedReason: st.ClosedReason}
		if st.RuleID != "" {
			ss.Rule = &event.Rule{ID: st.RuleID, Name: st.RuleName}
		}
		if next, ok := s.NextTransition(f.at); ok {
			ss.NextTransition = &event.Transition{At: next.At.UTC(), IsOpen: next.Status.IsOpen, ClosedReason: next.Status.ClosedReason}
		}
		out = append(out, ss)
	}
	return out, 42
}

// manySchedules compiles a config of n schedules open 08:00–17:00 daily in zone.
func manySchedules(t testing.TB, n int, zone string) *engine.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"rules":[{"id":"day","name":"Day","isOpen":true,"startTime":"08:00","endTime":"17:00","dateRRule":"FREQ=DAILY"}],"schedules":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"Desk %05d","timeZone":%q,"rules":["day"]}`, i, zone)
	}
	b.WriteString("]}")
	cfg, err := engine.Load([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSnapshotSplitsIntoParts(t *testing.T) {
	srv := natstest.Server(t, func(o *server.Options) { o.MaxPayload = 8 << 10 })
	nc, _ := natstest.Connect(t, srv.ClientURL(), natstest.Reconnect)
	sub, err := nc.SubscribeSync(event.SnapshotSubject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	src := fakeStatus{cfg: manySchedules(t, 300, "UTC"), at: at}
	s := stream.NewSnapshotter(nc, src, stream.SnapshotOptions{Replica: "r1", Now: func() time.Time { return at }})
	parts, err := s.Publish(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("300 schedules in %d part(s) with an 8 KiB max payload", parts)
	}
	seen := map[string]bool{}
	for i := 1; i <= parts; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Data) > 8<<10 {
			t.Errorf("part %d is %d bytes", i, len(m.Data))
		}
		var snap event.Snapshot
		if err := json.Unmarshal(m.Data, &snap); err != nil {
			t.Fatal(err)
		}
		d := snap.Data
		if snap.Type != event.TypeSnapshot || snap.SpecVersion != "1.0" || snap.ID == "" || d.Part != i || d.Parts != parts ||
			d.ConfigVersion != 42 || d.Replica != "r1" || !d.Time.Equal(at) {
			t.Fatalf("part %d: %+v", i, snap)
		}
		for _, st := range d.Schedules {
			if !st.IsOpen || st.Rule == nil || st.Rule.ID != "day" || st.NextTransition == nil || st.NextTransition.IsOpen {
				t.Fatalf("status %+v", st)
			}
			seen[st.Schedule] = true
		}
	}
	if len(seen) != 300 {
		t.Errorf("%d distinct schedules in the snapshot", len(seen))
	}
}
