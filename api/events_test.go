package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
	"github.com/schedule-manager/schedule-manager/publisher/stream"
	"github.com/schedule-manager/schedule-manager/scheduler"
	"github.com/schedule-manager/schedule-manager/store"
)

// sseMessage is one dispatched SSE event, or a comment (ping).
type sseMessage struct {
	ID, Event, Data string
	Comment         string
}

// sseClient is an open event stream.
type sseClient struct {
	resp *http.Response
	msgs chan sseMessage
}

func openSSE(t *testing.T, base, query, lastID string) (*sseClient, int) {
	t.Helper()
	c, refused := openSSEAs(t, base, query, lastID, viewerToken)
	return c, refused.code
}

// sseRefusal is the answer to a stream request that was not 200.
type sseRefusal struct {
	code       int
	retryAfter string
	body       string
}

// openSSEAs opens an event stream with token; a refused stream returns a
// nil client and the refusal (code 200 when the stream is open).
func openSSEAs(t *testing.T, base, query, lastID, token string) (*sseClient, sseRefusal) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return nil, sseRefusal{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(body)}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	c := &sseClient{resp: resp, msgs: make(chan sseMessage, 1024)}
	go func() {
		defer close(c.msgs)
		rd := bufio.NewReader(resp.Body)
		var m sseMessage
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if m != (sseMessage{}) {
					c.msgs <- m
				}
				m = sseMessage{}
			case strings.HasPrefix(line, ":"):
				m.Comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.Data = line[6:]
			}
		}
	}()
	t.Cleanup(c.close)
	return c, sseRefusal{code: resp.StatusCode}
}

func (c *sseClient) close() { c.resp.Body.Close() }

// next returns the next event, skipping comments.
func (c *sseClient) next(t *testing.T) sseMessage {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				t.Fatal("stream ended")
			}
			if m.Event != "" {
				return m
			}
		case <-timeout:
			t.Fatal("no event within 10s")
		}
	}
}

// decode checks an SSE message against the CloudEvent it carries.
func decode(t *testing.T, m sseMessage) event.Event {
	t.Helper()
	var ev event.Event
	if err := json.Unmarshal([]byte(m.Data), &ev); err != nil {
		t.Fatalf("data %q: %v", m.Data, err)
	}
	if ev.Type != m.Event {
		t.Errorf("event: %s, but data type %s", m.Event, ev.Type)
	}
	if _, err := strconv.ParseUint(m.ID, 10, 64); err != nil {
		t.Errorf("id %q is not a sequence", m.ID)
	}
	return ev
}

// sseEnv is a real NATS server with the events stream, a publisher into
// it, and an API whose event feed reads it back, behind a loopback server
// with the given write timeout.
type sseEnv struct {
	url string
	srv *api.Server
	pub *stream.Publisher
}

// eventStream starts a NATS server with the events stream and returns it
// and a publisher into it.
func eventStream(t *testing.T) (jetstream.JetStream, *stream.Publisher) {
	t.Helper()
	nc, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	if _, err := stream.EnsureStream(t.Context(), js, stream.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	pub, err := stream.New(nc, stream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close(context.Background()) })
	return js, pub
}

func newSSEEnv(t *testing.T, opts api.Options, writeTimeout time.Duration) sseEnv {
	t.Helper()
	js, pub := eventStream(t)
	if opts.Tokens == nil {
		opts.Tokens = []api.Token{{Name: viewerName, Role: api.RoleViewer, SHA256: api.HashToken(viewerToken)}}
	}
	h, err := api.New(api.Deps{Status: scheduler.New(scheduler.Options{}), Store: store.NewMemory(0), Events: stream.NewReader(js, "")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Config.WriteTimeout = writeTimeout
	ts.Config.RegisterOnShutdown(h.Close)
	ts.Start()
	t.Cleanup(func() { h.Close(); ts.Close() })
	return sseEnv{url: ts.URL, srv: h, pub: pub}
}

// sseEvent returns a transition event of schedule at instant at.
func sseEvent(schedule string, at time.Time, open bool) event.Event {
	d := event.Data{Schedule: schedule, TimeZone: "UTC", At: at, IsOpen: open, Previous: event.State{IsOpen: !open}, Cause: "schedule"}
	if !open {
		d.ClosedReason = "closed"
	}
	return event.New("test", d)
}

func describeIDs(evs []event.Event) string {
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.Data.Schedule + "@" + ev.Time.Format("15:04:05")
	}
	return strings.Join(ids, " ")
}

func TestSSEResumeWithoutGapsOrDuplicates(t *testing.T) {
	e := newSSEEnv(t, api.Options{}, 0)
	p, ts, ctx := e.pub, e, t.Context()
	base := time.Now()
	publish := func(from, to int) []event.Event {
		var out []event.Event
		for i := from; i < to; i++ {
			ev := sseEvent(fmt.Sprintf("S %d", i%3), base.Add(time.Duration(i)*time.Second), i%2 == 0)
			if err := p.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
		return out
	}
	want := publish(0, 5)

	// From the start of the stream, then a disconnect after three.
	c, _ := openSSE(t, ts.url, "?since=0", "")
	var got []event.Event
	lastID := ""
	for i := 0; i < 3; i++ {
		m := c.next(t)
		got, lastID = append(got, decode(t, m)), m.ID
	}
	c.close()
	want = append(want, publish(5, 8)...) // published while disconnected

	// Reconnect with Last-Event-ID: the rest, then live events.
	c2, _ := openSSE(t, ts.url, "", lastID)
	for len(got) < 8 {
		got = append(got, decode(t, c2.next(t)))
	}
	want = append(want, publish(8, 10)...)
	for len(got) < 10 {
		got = append(got, decode(t, c2.next(t)))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("event %d: got %s want %s\n got %s\nwant %s", i, got[i].ID, want[i].ID, describeIDs(got), describeIDs(want))
		}
	}
}

func TestSSEFilterAndNewOnly(t *testing.T) {
	e := newSSEEnv(t, api.Options{}, 0)
	p, ts, ctx := e.pub, e, t.Context()
	now := time.Now()
	if err := p.Publish(ctx, sseEvent("Sales EU", now, true)); err != nil { // before the client: not sent
		t.Fatal(err)
	}
	all, _ := openSSE(t, ts.url, "", "")
	one, _ := openSSE(t, ts.url, "?schedule="+url.QueryEscape("Sales EU"), "")
	// Wait for both streams to be live (their first comment) before publishing.
	for _, c := range []*sseClient{all, one} {
		if m := <-c.msgs; m.Comment != "connected" {
			t.Fatalf("first message %+v", m)
		}
	}
	evs := []event.Event{sseEvent("Support", now.Add(time.Second), false), sseEvent("Sales EU", now.Add(2*time.Second), false)}
	for _, ev := range evs {
		if err := p.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := decode(t, all.next(t)), decode(t, all.next(t)); a.ID != evs[0].ID || b.ID != evs[1].ID {
		t.Errorf("unfiltered stream: %s", describeIDs([]event.Event{a, b}))
	}
	if m := decode(t, one.next(t)); m.ID != evs[1].ID || m.Type != event.TypeClosed {
		t.Errorf("filtered stream: %+v", m)
	}
}

func TestSSEBadRequestsAndLimits(t *testing.T) {
	ts := newSSEEnv(t, api.Options{SSEMaxClients: 1}, 0)
	h := ts.srv
	for _, tt := range []struct{ query, lastID string }{{"?since=abc", ""}, {"", "-1"}, {"?since=1.5", ""}} {
		if _, code := openSSE(t, ts.url, tt.query, tt.lastID); code != http.StatusBadRequest {
			t.Errorf("%q %q: status %d", tt.query, tt.lastID, code)
		}
	}
	c, _ := openSSE(t, ts.url, "", "")
	<-c.msgs
	if _, code := openSSE(t, ts.url, "", ""); code != http.StatusServiceUnavailable {
		t.Errorf("second client over the limit: status %d", code)
	}
	// Close (server shutdown) ends open streams.
	h.Close()
	for range c.msgs {
	}
}

// The stream outlives the server's WriteTimeout and sends heartbeats.
func TestSSEOutlivesWriteTimeout(t *testing.T) {
	ts := newSSEEnv(t, api.Options{SSEHeartbeat: 50 * time.Millisecond}, 200*time.Millisecond)
	p := ts.pub
	c, _ := openSSE(t, ts.url, "", "")
	pings := 0
	for pings < 8 { // 400 ms: twice the write timeout
		m, ok := <-c.msgs
		if !ok {
			t.Fatalf("stream cut after %d pings", pings)
		}
		if m.Comment == "ping" {
			pings++
		}
	}
	ev := sseEvent("Support", time.Now(), true)
	if err := p.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, c.next(t)); got.ID != ev.ID {
		t.Errorf("got %s", got.ID)
	}
}
