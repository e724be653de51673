package client_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/engine"
)

// The client keeps its own copy of the answer types so that importing it
// links no server code. This test holds the copies to the service's: an
// answer with every field set decodes into the client's type with no
// unknown field, and encodes back to the same JSON.
func TestWireTypesMatchTheService(t *testing.T) {
	cfg, err := engine.Load([]byte(`{"rules":[
		{"id":"us","name":"US holidays","isOpen":false,"closedReason":"holiday","holidays":"US"},
		{"id":"day","name":"Day","isOpen":true,"startTime":"08:00","endTime":"17:00","dateRRule":"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}],
		"schedules":[{"name":"Support","timeZone":"America/Chicago","rules":["us","day"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := cfg.Schedule("Support")
	at := time.Date(2027, 11, 25, 16, 0, 0, 0, time.UTC) // Thanksgiving: rule, holiday and a next change
	check := checkresult.Check(sc, at, 7)
	segs := sc.Timeline(at, at.Add(48*time.Hour))
	timeline := struct {
		checkresult.Timeline
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	}{checkresult.NewTimeline(sc, segs), at, at.Add(48 * time.Hour)}

	tests := []struct {
		name   string
		server any
		client any
	}{
		{"check-schedule", check, &client.CheckResult{}},
		{"timeline", timeline, &client.Timeline{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.server)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tt.client); err != nil {
				t.Fatalf("the client's type lacks a field of the service's answer: %v\n%s", err, want)
			}
			got, err := json.Marshal(tt.client)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round trip through the client's type changed the JSON:\n got %s\nwant %s", got, want)
			}
		})
	}
}
