package checkresult

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

const doc = `{
  "rules": [
    {"id": "hol", "name": "US holidays", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
    {"id": "hours", "name": "Hours", "isOpen": true, "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"},
    {"id": "all", "name": "All day", "isOpen": true}
  ],
  "schedules": [
    {"name": "Support", "timeZone": "America/Chicago", "rules": ["hol", "hours"]},
    {"name": "Always", "timeZone": "Asia/Kolkata", "rules": ["all"]},
    {"name": "Shut", "manualClose": true, "timeZone": "UTC", "rules": ["hours"]}
  ]
}`

func schedule(t *testing.T, name string) *engine.Schedule {
	t.Helper()
	cfg, err := engine.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cfg.Schedule(name)
	if !ok {
		t.Fatalf("no schedule %q", name)
	}
	return s
}

// encode returns resp as a generic JSON object, to check which keys exist.
func encode(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckJSON(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	tests := []struct {
		name     string
		schedule string
		at       time.Time
		version  uint64
		want     map[string]any
	}{
		{
			name:     "holiday, closed until the next morning",
			schedule: "Support",
			at:       time.Date(2027, 11, 25, 16, 0, 0, 123, time.UTC), // 10:00 CST, with nanoseconds
			version:  7,
			want: map[string]any{
				"isOpen": false, "closedReason": "holiday", "schedule": "Support", "timeZone": "America/Chicago",
				"at":      "2027-11-25T10:00:00-06:00",
				"rule":    map[string]any{"id": "hol", "name": "US holidays"},
				"holiday": "Thanksgiving Day",
				"nextTransition": map[string]any{
					"at": "2027-11-26T00:00:00-06:00", "isOpen": false, "closedReason": "closed",
				},
				"nextOpening":   "2027-11-26T08:00:00-06:00", // past the change of closed reason
				"configVersion": float64(7),
			},
		},
		{
			name:     "open: closedReason present and empty, holiday, nextOpening and version omitted",
			schedule: "Support",
			at:       time.Date(2026, 7, 2, 10, 0, 0, 0, chicago),
			want: map[string]any{
				"isOpen": true, "closedReason": "", "schedule": "Support", "timeZone": "America/Chicago",
				"at":   "2026-07-02T10:00:00-05:00",
				"rule": map[string]any{"id": "hours", "name": "Hours"},
				"nextTransition": map[string]any{
					"at": "2026-07-02T17:00:00-05:00", "isOpen": false, "closedReason": "closed",
				},
			},
		},
		{
			name:     "no rule matched: rule omitted",
			schedule: "Support",
			at:       time.Date(2026, 7, 7, 20, 0, 0, 0, chicago),
			want: map[string]any{
				"isOpen": false, "closedReason": "closed", "schedule": "Support", "timeZone": "America/Chicago",
				"at": "2026-07-07T20:00:00-05:00",
				"nextTransition": map[string]any{
					"at": "2026-07-08T08:00:00-05:00", "isOpen": true, "closedReason": "",
				},
				"nextOpening": "2026-07-08T08:00:00-05:00",
			},
		},
		{
			name:     "always open: nextTransition null",
			schedule: "Always",
			at:       time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC),
			want: map[string]any{
				"isOpen": true, "closedReason": "", "schedule": "Always", "timeZone": "Asia/Kolkata",
				"at":             "2026-07-02T05:30:00+05:30",
				"rule":           map[string]any{"id": "all", "name": "All day"},
				"nextTransition": nil,
			},
		},
		{
			name:     "manual close: never opens, nextOpening omitted",
			schedule: "Shut",
			at:       time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC),
			want: map[string]any{
				"isOpen": false, "closedReason": "manual", "schedule": "Shut", "timeZone": "UTC",
				"at": "2026-07-02T10:00:00Z", "nextTransition": nil,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, Check(schedule(t, tt.schedule), tt.at, tt.version))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// New renders the next opening only for a closed status, in the schedule's
// zone, truncated to the second like every other time.
func TestNewNextOpening(t *testing.T) {
	s := schedule(t, "Support")
	at := time.Date(2026, 7, 7, 20, 0, 0, 0, time.UTC)
	opening := time.Date(2026, 7, 8, 13, 0, 0, 999, time.UTC)
	tests := []struct {
		name string
		a    Answer
		want any // the JSON value; nil: omitted
	}{
		{"closed", Answer{At: at, Status: engine.Status{ClosedReason: "closed"}, Opening: opening, HasOpening: true},
			"2026-07-08T08:00:00-05:00"},
		{"closed, none within 366 days", Answer{At: at, Status: engine.Status{ClosedReason: "closed"}}, nil},
		{"open: omitted", Answer{At: at, Status: engine.Status{IsOpen: true}, Opening: opening, HasOpening: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encode(t, New(s, tt.a))["nextOpening"]; got != tt.want {
				t.Errorf("nextOpening = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewTimeline(t *testing.T) {
	s := schedule(t, "Support")
	from := time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC) // 07:00 CDT
	tl := NewTimeline(s, s.Timeline(from, from.Add(12*time.Hour)))
	got := encode(t, tl)
	want := map[string]any{
		"schedule": "Support", "timeZone": "America/Chicago",
		"segments": []any{
			map[string]any{"start": "2026-07-02T07:00:00-05:00", "end": "2026-07-02T08:00:00-05:00", "isOpen": false, "closedReason": "closed"},
			map[string]any{"start": "2026-07-02T08:00:00-05:00", "end": "2026-07-02T17:00:00-05:00", "isOpen": true, "closedReason": "",
				"rule": map[string]any{"id": "hours", "name": "Hours"}},
			map[string]any{"start": "2026-07-02T17:00:00-05:00", "end": "2026-07-02T19:00:00-05:00", "isOpen": false, "closedReason": "closed"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if empty := encode(t, NewTimeline(s, nil)); !reflect.DeepEqual(empty["segments"], []any{}) {
		t.Errorf("no segments encodes as %v, want []", empty["segments"])
	}
}
