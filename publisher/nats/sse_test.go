package nats_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/schedule-manager/schedule-manager/publisher"
	natspub "github.com/schedule-manager/schedule-manager/publisher/nats"
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
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/events"+query, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp.StatusCode
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
	return c, resp.StatusCode
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
func decode(t *testing.T, m sseMessage) publisher.Event {
	t.Helper()
	var ev publisher.Event
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

func sseServer(t *testing.T, js jetstream.JetStream, opts natspub.SSEOptions, writeTimeout time.Duration) (*httptest.Server, *natspub.SSEHandler) {
	h := natspub.NewSSEHandler(js, opts)
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/events", h)
	ts := httptest.NewUnstartedServer(mux)
	ts.Config.WriteTimeout = writeTimeout
	ts.Config.RegisterOnShutdown(h.Close)
	ts.Start()
	t.Cleanup(func() { h.Close(); ts.Close() })
	return ts, h
}

func TestSSEResumeWithoutGapsOrDuplicates(t *testing.T) {
	srv, _, js, _ := setup(t)
	p, _ := newPublisher(t, srv.ClientURL(), natspub.Options{})
	ts, _ := sseServer(t, js, natspub.SSEOptions{}, 0)
	ctx := ctxT(t)
	base := time.Now()
	publish := func(from, to int) []publisher.Event {
		var out []publisher.Event
		for i := from; i < to; i++ {
			ev := event(fmt.Sprintf("S %d", i%3), base.Add(time.Duration(i)*time.Second), i%2 == 0)
			if err := p.Publish(ctx, ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
		return out
	}
	want := publish(0, 5)

	// From the start of the stream, then a disconnect after three.
	c, _ := openSSE(t, ts.URL, "?since=0", "")
	var got []publisher.Event
	lastID := ""
	for i := 0; i < 3; i++ {
		m := c.next(t)
		got, lastID = append(got, decode(t, m)), m.ID
	}
	c.close()
	want = append(want, publish(5, 8)...) // published while disconnected

	// Reconnect with Last-Event-ID: the rest, then live events.
	c2, _ := openSSE(t, ts.URL, "", lastID)
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
	srv, _, js, _ := setup(t)
	p, _ := newPublisher(t, srv.ClientURL(), natspub.Options{})
	ts, _ := sseServer(t, js, natspub.SSEOptions{}, 0)
	ctx := ctxT(t)
	now := time.Now()
	if err := p.Publish(ctx, event("Sales EU", now, true)); err != nil { // before the client: not sent
		t.Fatal(err)
	}
	all, _ := openSSE(t, ts.URL, "", "")
	one, _ := openSSE(t, ts.URL, "?schedule="+url.QueryEscape("Sales EU"), "")
	// Wait for both streams to be live (their first comment) before publishing.
	for _, c := range []*sseClient{all, one} {
		if m := <-c.msgs; m.Comment != "connected" {
			t.Fatalf("first message %+v", m)
		}
	}
	evs := []publisher.Event{event("Support", now.Add(time.Second), false), event("Sales EU", now.Add(2*time.Second), false)}
	for _, ev := range evs {
		if err := p.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := decode(t, all.next(t)), decode(t, all.next(t)); a.ID != evs[0].ID || b.ID != evs[1].ID {
		t.Errorf("unfiltered stream: %s", describeIDs([]publisher.Event{a, b}))
	}
	if m := decode(t, one.next(t)); m.ID != evs[1].ID || m.Type != publisher.TypeClosed {
		t.Errorf("filtered stream: %+v", m)
	}
}

func TestSSEBadRequestsAndLimits(t *testing.T) {
	_, _, js, _ := setup(t)
	ts, h := sseServer(t, js, natspub.SSEOptions{MaxClients: 1}, 0)
	for _, tt := range []struct{ query, lastID string }{{"?since=abc", ""}, {"", "-1"}, {"?since=1.5", ""}} {
		if _, code := openSSE(t, ts.URL, tt.query, tt.lastID); code != http.StatusBadRequest {
			t.Errorf("%q %q: status %d", tt.query, tt.lastID, code)
		}
	}
	c, _ := openSSE(t, ts.URL, "", "")
	<-c.msgs
	if _, code := openSSE(t, ts.URL, "", ""); code != http.StatusServiceUnavailable {
		t.Errorf("second client over the limit: status %d", code)
	}
	// Close (server shutdown) ends open streams.
	h.Close()
	for range c.msgs {
	}
}

// The stream outlives the server's WriteTimeout and sends heartbeats.
func TestSSEOutlivesWriteTimeout(t *testing.T) {
	srv, _, js, _ := setup(t)
	p, _ := newPublisher(t, srv.ClientURL(), natspub.Options{})
	ts, _ := sseServer(t, js, natspub.SSEOptions{Heartbeat: 50 * time.Millisecond}, 200*time.Millisecond)
	c, _ := openSSE(t, ts.URL, "", "")
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
	ev := event("Support", time.Now(), true)
	if err := p.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, c.next(t)); got.ID != ev.ID {
		t.Errorf("got %s", got.ID)
	}
}
