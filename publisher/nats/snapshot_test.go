package nats_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher"
	natspub "github.com/schedule-manager/schedule-manager/publisher/nats"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// fakeStatus is a StatusSource over a compiled config.
type fakeStatus struct {
	cfg *engine.Config
	at  time.Time
}

func (f fakeStatus) Config() (*engine.Config, uint64) { return f.cfg, 42 }
func (f fakeStatus) All() []scheduler.Current {
	var out []scheduler.Current
	for _, s := range f.cfg.Schedules() {
		next, ok := s.NextTransition(f.at)
		out = append(out, scheduler.Current{Schedule: s, Status: s.At(f.at), Next: next, HasNext: ok, ConfigVersion: 42})
	}
	return out
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
	sub, err := nc.SubscribeSync(publisher.SnapshotSubject)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	src := fakeStatus{cfg: manySchedules(t, 300, "UTC"), at: at}
	s := natspub.NewSnapshotter(nc, src, natspub.SnapshotOptions{Replica: "r1", Now: func() time.Time { return at }})
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
		var snap publisher.Snapshot
		if err := json.Unmarshal(m.Data, &snap); err != nil {
			t.Fatal(err)
		}
		d := snap.Data
		if snap.Type != publisher.TypeSnapshot || snap.SpecVersion != "1.0" || snap.ID == "" || d.Part != i || d.Parts != parts ||
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

func TestSnapshotterStartRejectsBadSpec(t *testing.T) {
	s := natspub.NewSnapshotter(&natsgo.Conn{}, fakeStatus{}, natspub.SnapshotOptions{})
	if err := s.Start("every five minutes"); err == nil {
		t.Error("bad spec accepted")
	}
	s.Stop()
}
