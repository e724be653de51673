package feed_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	arran "github.com/arran4/golang-ical"
	ical "github.com/emersion/go-ical"

	"github.com/schedule-manager/schedule-manager/calendar/feed"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/natstest"
)

const feedDoc = `{
  "calendars": [{"id": "closures", "ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Office move\\; \"north\" wing\\, floor 2\r\nDTSTART;VALUE=DATE:20261105\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}],
  "rules": [
    {"id": "us", "name": "US holidays", "isOpen": false, "closedReason": "holiday", "holidays": "US"},
    {"id": "move", "name": "Closures", "isOpen": false, "closedReason": "closure", "calendar": "closures"},
    {"id": "lunch", "name": "Lunch", "isOpen": false, "closedReason": "lunch", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "13:00"},
    {"id": "hours", "name": "Weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"}
  ],
  "schedules": [{"name": "Support", "timeZone": "America/Chicago", "rules": ["us", "move", "lunch", "hours"]}]
}`

func TestFeedParsesBackWithTwoParsers(t *testing.T) {
	cfg, err := engine.Load([]byte(feedDoc))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cfg.Schedule("Support")
	// 1 November 2026: the DST change in Chicago; Veterans Day and the
	// office move fall in the range.
	now := time.Date(2026, 10, 30, 15, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	if err := feed.Write(&buf, s, now, feed.Options{Days: 20}); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets (RFC 5545 §3.1 folds at 75): %q", i, len(line), line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare line break", i)
		}
	}

	// Parser 1: the library the feed is written with.
	c, err := ical.NewDecoder(strings.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("go-ical: %v\n%s", err, raw)
	}
	if v, _ := c.Props.Text(ical.PropVersion); v != "2.0" {
		t.Errorf("VERSION %q", v)
	}
	// Parser 2: an independent implementation.
	c2, err := arran.ParseCalendar(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("golang-ical: %v", err)
	}
	events, events2 := c.Events(), c2.Events()
	if len(events) == 0 || len(events) != len(events2) {
		t.Fatalf("go-ical reads %d events, golang-ical %d", len(events), len(events2))
	}

	// Every event is a period of the timeline, named as the feed names it.
	from := time.Date(2026, 10, 30, 0, 0, 0, 0, s.Location())
	segs := s.Timeline(from, from.AddDate(0, 0, 20))
	uids := map[string]bool{}
	var summaries []string
	for i, ev := range events {
		uid, _ := ev.Props.Text(ical.PropUID)
		if uid == "" || uids[uid] {
			t.Errorf("event %d: UID %q missing or repeated", i, uid)
		}
		uids[uid] = true
		if ev.Props.Get(ical.PropDateTimeStamp) == nil {
			t.Errorf("event %d has no DTSTAMP", i)
		}
		start, err1 := ev.DateTimeStart(nil)
		end, err2 := ev.DateTimeEnd(nil)
		start2, err3 := events2[i].GetStartAt()
		end2, err4 := events2[i].GetEndAt()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatalf("event %d times: %v", i, err)
		}
		if !start.Equal(start2) || !end.Equal(end2) {
			t.Errorf("event %d: parsers disagree: %v–%v vs %v–%v", i, start, end, start2, end2)
		}
		sum, _ := ev.Props.Text(ical.PropSummary)
		if p := events2[i].GetProperty(arran.ComponentPropertySummary); p == nil || p.Value != strings.NewReplacer(`;`, `\;`, `,`, `\,`).Replace(sum) && p.Value != sum {
			t.Errorf("event %d: golang-ical summary %v, go-ical %q", i, p, sum)
		}
		summaries = append(summaries, sum)
		st := s.At(start)
		if !strings.HasPrefix(sum, map[bool]string{true: "Open", false: "Closed ("}[st.IsOpen]) {
			t.Errorf("event %d %q at %v, but the schedule is %+v", i, sum, start, st)
		}
		if got := s.At(end.Add(-time.Second)); got.SameState(st) == false && !strings.HasPrefix(sum, "Open") {
			t.Errorf("event %d %q changes state inside: %+v", i, sum, got)
		}
	}
	joined := strings.Join(summaries, "|")
	for _, want := range []string{"Open", "Closed (lunch)", "Closed (holiday): Veterans Day", `Closed (closure): Office move; "north" wing, floor 2`} {
		if !strings.Contains(joined, want) {
			t.Errorf("no event %q in %s", want, joined)
		}
	}
	if strings.Contains(joined, "Closed (closed)") {
		t.Error("plain closed periods are not events by default")
	}
	open := 0
	for _, seg := range segs {
		if seg.IsOpen {
			open++
		}
	}
	if n := strings.Count(joined, "Open"); n != open {
		t.Errorf("%d open events, the timeline has %d open segments", n, open)
	}
	// Stable UIDs: the same feed an hour later has the same events.
	var again bytes.Buffer
	_ = feed.Write(&again, s, now.Add(time.Hour), feed.Options{Days: 20})
	c3, _ := ical.NewDecoder(&again).Decode()
	for _, ev := range c3.Events() {
		if uid, _ := ev.Props.Text(ical.PropUID); !uids[uid] {
			t.Errorf("UID %s is new an hour later", uid)
		}
	}
}

func TestLinksContract(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t).ClientURL())
	kv, err := feed.NewKVLinks(t.Context(), js, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, links := range map[string]feed.Links{"memory": feed.NewMemoryLinks(), "kv": kv} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			a, secretA, err := links.Create(ctx, feed.Link{Schedule: "Support", Label: "Outlook", CreatedBy: "alice", Created: time.Unix(100, 0).UTC()})
			if err != nil {
				t.Fatal(err)
			}
			b, secretB, err := links.Create(ctx, feed.Link{Schedule: "Sales", CreatedBy: "bob", Created: time.Unix(200, 0).UTC()})
			if err != nil {
				t.Fatal(err)
			}
			if !feed.ValidSecretForm(secretA) || secretA == secretB || a.ID == b.ID || strings.Contains(secretA, a.ID) {
				t.Fatalf("secrets %q %q ids %q %q", secretA, secretB, a.ID, b.ID)
			}
			got, err := links.Resolve(ctx, secretA)
			if err != nil || got.ID != a.ID || got.Schedule != "Support" || got.Label != "Outlook" {
				t.Fatalf("Resolve = %+v, %v", got, err)
			}
			for _, bad := range []string{"", "smf_", a.ID, feed.HashSecret(secretA), secretA + "x", strings.ToUpper(secretA)} {
				if _, err := links.Resolve(ctx, bad); !errors.Is(err, feed.ErrNotFound) {
					t.Errorf("Resolve(%q) = %v, want ErrNotFound", bad, err)
				}
			}
			list, err := links.List(ctx)
			if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
				t.Fatalf("List = %+v, %v", list, err)
			}
			if err := links.Revoke(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := links.Resolve(ctx, secretA); !errors.Is(err, feed.ErrNotFound) {
				t.Errorf("revoked link resolves: %v", err)
			}
			if err := links.Revoke(ctx, a.ID); !errors.Is(err, feed.ErrNotFound) {
				t.Errorf("second revoke: %v", err)
			}
			if _, err := links.Resolve(ctx, secretB); err != nil {
				t.Errorf("the other link stopped working: %v", err)
			}
		})
	}
}
