package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
)

// An event stream opens with the served version and then announces every
// version the replica applies, with who published it and why; these
// events carry no id, so a client's resume point stays in the events
// stream.
func TestEventStreamAnnouncesVersions(t *testing.T) {
	js, _ := eventStream(t)
	e := newEnv(t, envOptions{deps: func(d *api.Deps) { d.Events = stream.NewReader(js, "") }})
	c, code := openSSE(t, e.url, "?versions=true", "")
	if code != http.StatusOK {
		t.Fatalf("open stream: %d", code)
	}
	type versionData struct {
		Version uint64 `json:"version"`
		Author  string `json:"author"`
		Message string `json:"message"`
		Time    string `json:"time"`
	}
	read := func() versionData {
		t.Helper()
		m := c.next(t)
		if m.Event != api.VersionEventType || m.ID != "" {
			t.Fatalf("event %q id %q, want %s without id", m.Event, m.ID, api.VersionEventType)
		}
		var v versionData
		if err := json.Unmarshal([]byte(m.Data), &v); err != nil {
			t.Fatalf("data %s: %v", m.Data, err)
		}
		return v
	}
	if v := read(); v.Version != e.seeded || v.Author != "seed" {
		t.Errorf("first event: %+v, want version %d by seed", v, e.seeded)
	}
	draft := strings.Replace(baseDoc, `"endTime": "17:00"`, `"endTime": "18:00"`, 1)
	r := e.putConfig(adminToken, draft, e.seeded, "longer hours")
	expect(t, "put", r, http.StatusOK)
	v := read()
	if v.Version != r.num("version") || v.Author != adminName || v.Message != "longer hours" || !strings.HasPrefix(v.Time, "2026-03-02") {
		t.Errorf("after the publish: %+v", v)
	}
	// A manual close is a version too.
	expect(t, "close", e.post("/api/v1/schedules/Sales/close", adminToken, nil), http.StatusOK)
	if v := read(); v.Version != r.num("version")+1 || v.Author != adminName {
		t.Errorf("after the manual close: %+v", v)
	}
}

// Version events are opt-in: a stream opened without ?versions=true
// carries schedule events only, so a subscriber that reads every event as
// a CloudEvent is never handed one; a value that is not a boolean is
// refused.
func TestEventStreamVersionsOptIn(t *testing.T) {
	js, pub := eventStream(t)
	e := newEnv(t, envOptions{deps: func(d *api.Deps) { d.Events = stream.NewReader(js, "") }})
	if _, refused := openSSEAs(t, e.url, "?versions=sometimes", "", viewerToken); refused.code != http.StatusBadRequest || !strings.Contains(refused.body, "versions") {
		t.Errorf("?versions=sometimes: %d %s, want 400 naming versions", refused.code, refused.body)
	}
	c, code := openSSE(t, e.url, "?versions=false", "")
	if code != http.StatusOK {
		t.Fatalf("open stream: %d", code)
	}
	if m := <-c.msgs; m.Comment != "connected" {
		t.Fatalf("first message %+v", m)
	}
	// A publish moves the served version; the stream still carries only
	// the schedule event published after it.
	draft := strings.Replace(baseDoc, `"endTime": "17:00"`, `"endTime": "18:00"`, 1)
	expect(t, "put", e.putConfig(adminToken, draft, e.seeded, "longer hours"), http.StatusOK)
	time.Sleep(3 * versionPollForTest)
	want := sseEvent("Sales", time.Now(), false)
	if err := pub.Publish(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if m := c.next(t); m.Event == api.VersionEventType {
		t.Fatalf("a version event on a stream that did not ask for them: %s", m.Data)
	} else if ev := decode(t, m); ev.ID != want.ID {
		t.Errorf("first event %s, want %s", ev.ID, want.ID)
	}
}

// versionPollForTest is a little more than the service's poll of the
// served version.
const versionPollForTest = 300 * time.Millisecond
