package scheduler

import (
	"strings"
	"testing"
	"time"
)

// Event instants are part of the event id, so replicas must agree on them
// whatever their clocks and window starts.
func TestEventInstantsAreReplicaIndependent(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	// Closed since the end of Sunday's lunch rule, before any window start.
	sunday := time.Date(2026, 11, 22, 13, 0, 0, 0, loc)
	closed := strings.Replace(weekdayDoc, `"name": "Support", "timeZone"`, `"name": "Support", "manualClose": true, "timeZone"`, 1)
	tests := []struct {
		name string
		run  func(t *testing.T, skew time.Duration) []Event
		want time.Time
	}{
		{
			name: "config write time from a clock ahead of the replica",
			run: func(t *testing.T, skew time.Duration) []Event {
				s, _, rec := newTestScheduler(t, mon.Add(2*time.Hour+skew))
				rec.take()
				s.Apply(load(t, closed), 2, mon.Add(2*time.Hour+time.Second)) // written "in the future"
				return rec.take()
			},
			want: mon.Add(2*time.Hour + time.Second),
		},
		{
			name: "reconcile after a clock jump back",
			run: func(t *testing.T, skew time.Duration) []Event {
				s, c, rec := newTestScheduler(t, mon)
				c.Set(mon.Add(2 * time.Hour))
				s.Advance(c.Now())
				rec.take()
				c.Set(mon.Add(30*time.Minute + skew))
				s.Reconcile()
				return rec.take()
			},
			want: sunday,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, skew := range []time.Duration{0, 7 * time.Second, 3 * time.Minute} {
				evs := tt.run(t, skew)
				if len(evs) != 1 || !evs[0].At.Equal(tt.want) {
					t.Fatalf("skew %s: events %s, want one at %s", skew, describe(evs), tt.want.UTC())
				}
			}
		})
	}
}

func TestAdvanceFiresDueTransitions(t *testing.T) {
	loc := chicago(t)
	mon := time.Date(2026, 11, 23, 7, 0, 0, 0, loc)
	s, _, rec := newTestScheduler(t, mon)
	if wait := s.Advance(mon); wait <= 0 || len(rec.take()) != 0 {
		t.Fatalf("nothing due at 07:00: wait %s", wait)
	}
	s.Advance(mon.Add(time.Hour))
	evs := rec.take()
	if len(evs) != 1 || !evs[0].Status.IsOpen || !evs[0].At.Equal(mon.Add(time.Hour)) || evs[0].Cause != CauseSchedule {
		t.Fatalf("events at 08:00: %s", describe(evs))
	}
}
