package event

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

func sampleEvent() Data {
	at := time.Date(2026, 11, 26, 0, 0, 0, 0, time.FixedZone("CST", -6*3600))
	return Data{
		Schedule: "Sales EU", TimeZone: "America/Chicago", At: at,
		IsOpen: false, ClosedReason: "holiday", Rule: &Rule{ID: "us", Name: "US holidays"}, Holiday: "Thanksgiving Day",
		Previous:       State{IsOpen: true},
		NextTransition: &Transition{At: at.Add(32 * time.Hour), IsOpen: true},
		ConfigVersion:  7, Cause: "schedule",
	}
}

// rfc3339 is the CloudEvents time format (RFC 3339, any fraction).
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// The JSON form satisfies the CloudEvents 1.0 required attributes and the
// JSON format's rules for the optional ones used.
func TestEventJSONIsCloudEvent(t *testing.T) {
	for _, ev := range []Data{sampleEvent(), {Schedule: "", At: time.Unix(0, 1), IsOpen: true}} {
		b, err := json.Marshal(New("", ev))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, attr := range []string{"specversion", "id", "source", "type"} {
			if s, ok := m[attr].(string); !ok || s == "" {
				t.Errorf("%s: required attribute %q missing or empty in %s", ev.Schedule, attr, b)
			}
		}
		if m["specversion"] != "1.0" {
			t.Errorf("specversion %v", m["specversion"])
		}
		if s, _ := m["time"].(string); !rfc3339.MatchString(s) {
			t.Errorf("time %q is not RFC 3339", s)
		}
		if m["datacontenttype"] != "application/json" {
			t.Errorf("datacontenttype %v", m["datacontenttype"])
		}
		if _, ok := m["data"].(map[string]any); !ok {
			t.Errorf("data is not a JSON object: %s", b)
		}
		if typ := m["type"]; typ != TypeOpened && typ != TypeClosed {
			t.Errorf("type %v", typ)
		}
	}
}

func TestEventFields(t *testing.T) {
	ev := New("urn:test", sampleEvent())
	b, _ := json.Marshal(ev)
	want := `{"specversion":"1.0","id":"` + ev.ID + `","source":"urn:test","type":"io.schedulemanager.schedule.closed",` +
		`"subject":"Sales EU","time":"2026-11-26T06:00:00Z","datacontenttype":"application/json",` +
		`"data":{"schedule":"Sales EU","timeZone":"America/Chicago","isOpen":false,"closedReason":"holiday",` +
		`"at":"2026-11-26T06:00:00Z","previous":{"isOpen":true,"closedReason":""},"rule":{"id":"us","name":"US holidays"},` +
		`"holiday":"Thanksgiving Day","nextTransition":{"at":"2026-11-27T14:00:00Z","isOpen":true,"closedReason":""},` +
		`"configVersion":7,"cause":"schedule"}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	if ev.NATSSubject() != "schedmgr.events.Sales~20EU.closed" {
		t.Errorf("subject %s", ev.NATSSubject())
	}
	// No rule and no next transition are explicit nulls.
	plain := sampleEvent()
	plain.IsOpen, plain.ClosedReason, plain.Rule, plain.Holiday, plain.NextTransition = false, "manual", nil, "", nil
	b, _ = json.Marshal(New("", plain))
	var m struct{ Data map[string]json.RawMessage }
	_ = json.Unmarshal(b, &m)
	if string(m.Data["rule"]) != "null" || string(m.Data["nextTransition"]) != "null" {
		t.Errorf("rule %s nextTransition %s", m.Data["rule"], m.Data["nextTransition"])
	}
}

func TestEventIDDeterministic(t *testing.T) {
	base := sampleEvent()
	id := New("a", base).ID
	if len(id) != 32 {
		t.Errorf("id %q", id)
	}
	same := base
	same.At = base.At.UTC()                          // same instant, other zone
	same.Previous, same.ConfigVersion = State{}, 99  // not part of the id
	same.Rule, same.Holiday = &Rule{ID: "other"}, "" // the deciding rule is not either
	same.Cause = "config"
	if got := New("b", same).ID; got != id {
		t.Errorf("same transition, different id: %s vs %s", got, id)
	}
	tests := []struct {
		name   string
		change func(*Data)
	}{
		{"schedule", func(e *Data) { e.Schedule += "x" }},
		{"instant", func(e *Data) { e.At = e.At.Add(time.Nanosecond) }},
		{"isOpen", func(e *Data) { e.IsOpen = true }},
		{"reason", func(e *Data) { e.ClosedReason = "closed" }},
		{"boundary shift", func(e *Data) { e.Schedule, e.ClosedReason = "Sales", " EUholiday" }},
	}
	for _, tt := range tests {
		ev := base
		tt.change(&ev)
		if New("a", ev).ID == id {
			t.Errorf("%s changed but the id did not", tt.name)
		}
	}
}

// The id layout is fixed: replicas of different versions announce the same
// transition during a rolling upgrade and must compute the same id. The
// golden values were produced by the first released version.
func TestIDStableAcrossVersions(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		schedule string
		at       time.Time
		open     bool
		reason   string
		want     string
	}{
		{"Sales EU", at, false, "holiday", "684b1c55c3386282512d0cc47fcc4d7a"},
		{"Support", at.Add(90 * time.Minute), true, "", "7ab99921cdf44dff31bce5f88e8cf875"},
	}
	for _, tt := range tests {
		if got := ID(tt.schedule, tt.at, tt.open, tt.reason); got != tt.want {
			t.Errorf("ID(%q, %s, %v, %q) = %s, want %s", tt.schedule, tt.at, tt.open, tt.reason, got, tt.want)
		}
	}
}
