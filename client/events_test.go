package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/schedule-manager/schedule-manager/app"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/event"
)

// next returns the next event, failing the test on an error, a closed
// subscription or a timeout.
func next(t *testing.T, events <-chan client.Event, errc <-chan error, what string) client.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			err := <-errc
			if errors.Is(err, client.ErrNotFound) {
				t.Fatalf("%s: the service has no events endpoint (GET /api/v1/events answers 404): %v", what, err)
			}
			t.Fatalf("%s: the subscription ended: %v", what, err)
		}
		return ev
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: no event within 15 s", what)
	}
	return client.Event{}
}

// checkManualClose checks the event of a manual close of schedule.
func checkManualClose(t *testing.T, ev client.Event, schedule string) {
	t.Helper()
	if ev.Type != event.TypeClosed || ev.Data.Schedule != schedule || ev.Data.IsOpen || ev.Data.ClosedReason != "manual" ||
		ev.Data.Cause != "config" || ev.Sequence == 0 || ev.NATSSubject() != event.EventSubject(schedule, false) || ev.SpecVersion != "1.0" || ev.ID == "" {
		t.Errorf("event %+v", ev)
	}
}

func TestSubscribeSSE(t *testing.T) {
	svc := startService(t)
	ctx := testContext(t)
	admin := svc.client(t, adminToken)
	viewer := svc.client(t, viewerToken)

	// From the start of the stream ("0"), so nothing is missed however
	// long the connection takes; only "Ops 24x7".
	events, errc := viewer.SubscribeSSE(ctx, client.SSEOptions{Schedule: "Ops 24x7", LastEventID: "0"})
	if _, err := admin.CloseSchedule(ctx, "Night Desk", "first, filtered out"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CloseSchedule(ctx, "Ops 24x7", "storm"); err != nil {
		t.Fatal(err)
	}
	closed := next(t, events, errc, "the close of Ops 24x7")
	checkManualClose(t, closed, "Ops 24x7")
	if closed.Data.ConfigVersion != 3 {
		t.Errorf("configVersion %d, want 3", closed.Data.ConfigVersion)
	}

	// Resume after the event before: the same event again.
	sub, cancel := context.WithCancel(ctx)
	again, againErr := viewer.SubscribeSSE(sub, client.SSEOptions{LastEventID: fmt.Sprint(closed.Sequence - 1)})
	if ev := next(t, again, againErr, "resumed"); ev.ID != closed.ID || ev.Sequence != closed.Sequence {
		t.Errorf("resumed at %d %s, want %d %s", ev.Sequence, ev.ID, closed.Sequence, closed.ID)
	}
	cancel()
	for range again { // closed once ctx ends
	}
	if err, ok := <-againErr; ok || err != nil {
		t.Errorf("a cancelled subscription reported %v", err)
	}

	// Resume after it, every schedule: the reopening.
	after, afterErr := viewer.SubscribeSSE(ctx, client.SSEOptions{LastEventID: closed.LastEventID()})
	if _, err := admin.OpenSchedule(ctx, "Ops 24x7", ""); err != nil {
		t.Fatal(err)
	}
	opened := next(t, after, afterErr, "the reopening")
	if opened.Type != event.TypeOpened || opened.Data.Schedule != "Ops 24x7" || !opened.Data.IsOpen ||
		opened.Sequence <= closed.Sequence || opened.Data.Previous.ClosedReason != "manual" {
		t.Errorf("event %+v", opened)
	}
	// The first subscription got it too.
	if ev := next(t, events, errc, "the reopening, first subscription"); ev.ID != opened.ID {
		t.Errorf("event %+v", ev)
	}

	t.Run("no token", func(t *testing.T) {
		events, errc := svc.client(t, "").SubscribeSSE(ctx, client.SSEOptions{})
		if _, ok := <-events; ok {
			t.Fatal("an event without a token")
		}
		if err := <-errc; !errors.Is(err, client.ErrUnauthorized) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("bad LastEventID", func(t *testing.T) {
		events, errc := viewer.SubscribeSSE(ctx, client.SSEOptions{LastEventID: "yesterday"})
		for range events {
		}
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "not a stream sequence") {
			t.Errorf("error %v", err)
		}
	})
}

func TestSubscribeNATS(t *testing.T) {
	svc := startService(t)
	ctx := testContext(t)
	admin := svc.client(t, adminToken)
	// As an events reader: the user SubscribeNATS is documented with.
	readerURL, err := svc.app.NATSURLFor(app.NATSRoleReader)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(readerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	closes, errc := client.SubscribeNATS(ctx, nc, client.NATSFilter{Schedules: []string{"Ops 24x7"}, Kinds: []string{event.KindClosed}, LastEventID: "0"})
	for _, step := range []func() (client.ManualResult, error){
		func() (client.ManualResult, error) { return admin.CloseSchedule(ctx, "Night Desk", "") },
		func() (client.ManualResult, error) { return admin.CloseSchedule(ctx, "Ops 24x7", "") },
		func() (client.ManualResult, error) { return admin.OpenSchedule(ctx, "Ops 24x7", "") },
		func() (client.ManualResult, error) { return admin.CloseSchedule(ctx, "Ops 24x7", "again") },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	first := next(t, closes, errc, "the close of Ops 24x7")
	checkManualClose(t, first, "Ops 24x7")
	second := next(t, closes, errc, "the second close of Ops 24x7")
	checkManualClose(t, second, "Ops 24x7")
	if second.Sequence <= first.Sequence+1 {
		t.Errorf("sequences %d then %d: the opening between them is missing from the stream", first.Sequence, second.Sequence)
	}

	// Every event, resuming after the first close: the opening and the
	// second close; Night Desk's close came before.
	all, allErr := client.SubscribeNATS(ctx, nc, client.NATSFilter{LastEventID: first.LastEventID()})
	var got []string
	for len(got) < 2 {
		ev := next(t, all, allErr, "every event")
		if ev.Data.Schedule == "Ops 24x7" || ev.Data.Schedule == "Night Desk" {
			got = append(got, ev.Data.Schedule+" "+event.KindOf(ev.NATSSubject()))
		}
	}
	if want := []string{"Ops 24x7 opened", "Ops 24x7 closed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}

	t.Run("unknown stream", func(t *testing.T) {
		// As the service: a reader may not even ask about another stream
		// (a permissions violation, reported to nc's error handler).
		serviceURL, err := svc.app.NATSURLFor(app.NATSRoleService)
		if err != nil {
			t.Fatal(err)
		}
		snc, err := nats.Connect(serviceURL)
		if err != nil {
			t.Fatal(err)
		}
		defer snc.Close()
		events, errc := client.SubscribeNATS(ctx, snc, client.NATSFilter{Stream: "NOPE"})
		for range events {
		}
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "stream not found") {
			t.Errorf("error %v", err)
		}
	})
}

func TestNATSFilterSubjects(t *testing.T) {
	for _, tt := range []struct {
		name   string
		filter client.NATSFilter
		want   []string
		errHas string
	}{
		{"everything", client.NATSFilter{}, []string{"schedmgr.events.>"}, ""},
		{"both kinds is everything", client.NATSFilter{Kinds: []string{"closed", "opened"}}, []string{"schedmgr.events.>"}, ""},
		{"one kind", client.NATSFilter{Kinds: []string{"closed", "closed"}}, []string{"schedmgr.events.*.closed"}, ""},
		{"schedules", client.NATSFilter{Schedules: []string{"Support", "Sales EU", "Support"}},
			[]string{"schedmgr.events.Support.*", "schedmgr.events.Sales~20EU.*"}, ""},
		{"schedule and kind", client.NATSFilter{Schedules: []string{"a.b"}, Kinds: []string{"opened"}},
			[]string{"schedmgr.events.a~2Eb.opened"}, ""},
		{"bad kind", client.NATSFilter{Kinds: []string{"open"}}, nil, `kind "open"`},
	} {
		got, err := tt.filter.Subjects()
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("%s: error %v", tt.name, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// sseServer is a scripted event stream: each connection runs the next
// script, which receives the request and writes raw SSE.
type sseServer struct {
	mu      sync.Mutex
	lastIDs []string // the Last-Event-ID of each connection
	scripts []func(w http.ResponseWriter, r *http.Request, send func(string))
	srv     *httptest.Server
}

func newSSEServer(t *testing.T, scripts ...func(w http.ResponseWriter, r *http.Request, send func(string))) *sseServer {
	s := &sseServer{scripts: scripts}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.lastIDs)
		s.lastIDs = append(s.lastIDs, r.Header.Get("Last-Event-ID"))
		script := s.scripts[min(n, len(s.scripts)-1)]
		s.mu.Unlock()
		send := func(raw string) {
			_, _ = w.Write([]byte(raw))
			_ = http.NewResponseController(w).Flush()
		}
		script(w, r, send)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sseServer) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lastIDs...)
}

func streamHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
}

// sseEvent renders one event as the service does.
func sseEvent(seq int, schedule string, open bool) string {
	typ := event.TypeClosed
	if open {
		typ = event.TypeOpened
	}
	b, _ := json.Marshal(event.Event{SpecVersion: "1.0", ID: fmt.Sprint("id-", seq), Type: typ, Subject: schedule,
		Data: event.Data{Schedule: schedule, IsOpen: open}})
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", seq, typ, b)
}

func waitDone(w http.ResponseWriter, r *http.Request, _ func(string)) { <-r.Context().Done() }

// A stream that ends, goes silent or answers 503 is reopened after the last
// event received; comments, retry and multi-line data are understood.
func TestSSEReconnect(t *testing.T) {
	s := newSSEServer(t,
		// 1: two events, then the service closes the stream.
		func(w http.ResponseWriter, r *http.Request, send func(string)) {
			streamHeaders(w)
			send("retry: 10\n: connected\n\n")
			send(sseEvent(5, "A", false))
			send(": ping\n\n" + sseEvent(6, "A", true))
		},
		// 2: busy.
		func(w http.ResponseWriter, r *http.Request, send func(string)) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		// 3: one event with its data split over lines, then silence.
		func(w http.ResponseWriter, r *http.Request, send func(string)) {
			streamHeaders(w)
			send("id: 7\nevent: " + event.TypeClosed + "\ndata: {\"specversion\":\"1.0\",\"id\":\"id-7\",\ndata: \"data\":{\"schedule\":\"B\"}}\n\n")
			<-r.Context().Done()
		},
		// 4: the last event, then wait.
		func(w http.ResponseWriter, r *http.Request, send func(string)) {
			streamHeaders(w)
			send(sseEvent(8, "C", true))
			waitDone(w, r, send)
		},
	)
	c, _ := client.New(s.srv.URL, client.WithToken("t"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var transient []string
	events, errc := c.SubscribeSSE(ctx, client.SSEOptions{LastEventID: "4", IdleTimeout: time.Second, OnError: func(err error) {
		mu.Lock()
		transient = append(transient, err.Error())
		mu.Unlock()
	}})
	var got []string
	for len(got) < 4 {
		ev := next(t, events, errc, fmt.Sprintf("event %d", len(got)+1))
		got = append(got, fmt.Sprintf("%d %s %s", ev.Sequence, ev.ID, ev.Data.Schedule))
	}
	if want := []string{"5 id-5 A", "6 id-6 A", "7 id-7 B", "8 id-8 C"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	// (A heavily loaded machine may add a reconnection at the end.)
	if ids, want := s.ids(), []string{"4", "6", "6", "7"}; len(ids) < 4 || !reflect.DeepEqual(ids[:4], want) {
		t.Errorf("Last-Event-ID of each connection %q, want %q", ids, want)
	}
	cancel()
	for range events {
	}
	mu.Lock()
	defer mu.Unlock()
	if len(transient) < 3 || !strings.Contains(transient[0], "ended") || !strings.Contains(transient[1], "503") || !strings.Contains(transient[2], "no data for 1s") {
		t.Errorf("transient errors %q", transient)
	}
}

// A 403 or an answer that is not an event stream ends the subscription.
func TestSSEFatal(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script func(w http.ResponseWriter, r *http.Request, send func(string))
		errHas string
	}{
		{"forbidden", func(w http.ResponseWriter, r *http.Request, _ func(string)) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"no"}`))
		}, "403 Forbidden: no"},
		{"not an event stream", func(w http.ResponseWriter, r *http.Request, _ func(string)) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html>`))
		}, `"text/html", not an event stream`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSSEServer(t, tt.script)
			c, _ := client.New(s.srv.URL)
			events, errc := c.SubscribeSSE(context.Background(), client.SSEOptions{})
			for range events {
			}
			if err := <-errc; err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %v, want %q", err, tt.errHas)
			}
			if n := len(s.ids()); n != 1 {
				t.Errorf("%d connections", n)
			}
		})
	}
}
