package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/event"
)

// openEvents opens GET /api/v1/events and returns a channel of data lines.
func openEvents(t *testing.T, a *App, query string) (<-chan string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+a.HTTPAddr()+"/api/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("events: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				lines <- d
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return lines, resp
}

func TestManualCloseIsPublishedAndStreamed(t *testing.T) {
	a := start(t, testOptions(t, t.TempDir()))
	lines, _ := openEvents(t, a, "?since=0")
	v := putManualClose(t, a, "Support")

	var ev event.Event
	select {
	case d := <-lines:
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event on /api/v1/events within 10s")
	}
	if ev.Type != event.TypeClosed || ev.Subject != "Support" || ev.Data.ClosedReason != "manual" ||
		ev.Data.Cause != "config" || ev.Data.ConfigVersion != v || ev.Source != event.DefaultSource {
		t.Errorf("event %+v", ev)
	}

	nc, err := nats.Connect(serviceURL(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, event.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetLastMsgForSubject(ctx, event.EventSubject("Support", false))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get(jetstream.MsgIDHeader) != ev.ID {
		t.Errorf("stored msg id %q, streamed id %q", msg.Header.Get(jetstream.MsgIDHeader), ev.ID)
	}
	body := scrapeMetrics(t, "http://"+a.HTTPAddr()+"/metrics", adminToken)
	for _, want := range []string{`schedmgr_events_published_total{outcome="stored"} 1`, "schedmgr_event_publish_lag_seconds_count 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// An open event stream does not hold up shutdown: were it to, the HTTP
// server's graceful shutdown would wait for it until ShutdownTimeout and
// Shutdown would return that error.
func TestShutdownEndsEventStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := Start(ctx, testOptions(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := openEvents(t, a, "")
	t0 := time.Now()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("shutdown took %s with an event stream open", time.Since(t0).Round(time.Millisecond))
	for range lines {
	}
}

func TestSnapshotPublished(t *testing.T) {
	o := testOptions(t, t.TempDir())
	o.Events.SnapshotSpec = "@every 1s"
	a := start(t, o)
	nc, err := nats.Connect(serviceURL(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync(event.SnapshotSubject)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var snap event.Snapshot
	if err := json.Unmarshal(m.Data, &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Type != event.TypeSnapshot || len(snap.Data.Schedules) != 4 || snap.Data.Parts != 1 || snap.Data.ConfigVersion != 1 {
		t.Errorf("snapshot %+v", snap)
	}
}

func TestEventOptionsValidated(t *testing.T) {
	tests := []struct {
		name string
		ev   EventOptions
		want string
	}{
		{"snapshot spec", EventOptions{SnapshotSpec: "every five minutes"}, "snapshot-spec"},
		{"window longer than retention", EventOptions{MaxAge: time.Minute, Duplicates: time.Hour}, "duplicates"},
		{"replicas", EventOptions{Replicas: 7}, "replicas"},
		{"negative", EventOptions{QueueSize: -1}, "queue size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, t.TempDir())
			o.Events = tt.ev
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
	o := testOptions(t, t.TempDir())
	o.Events = EventOptions{SnapshotSpec: "off", MaxAge: time.Hour}
	if err := o.Validate(); err != nil {
		t.Errorf("valid options refused: %v", err)
	}
}
