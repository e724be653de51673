package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/internal/poll"
)

// The service fetches a calendar given by URL on its own (the first fetch
// of a calendar with no text yet), and serves a schedule's feed by a
// secret link.
func TestCalendarFetchAndFeedWiring(t *testing.T) {
	const text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Office move\r\n" +
		"DTSTART;VALUE=DATE:20300304\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, text)
	}))
	defer origin.Close()
	o := testOptions(t, t.TempDir())
	o.SeedConfig = []byte(`{
  "calendars": [{"id": "closures", "url": "` + origin.URL + `/c.ics"}],
  "rules": [{"id": "c", "isOpen": false, "closedReason": "closure", "calendar": "closures"}, {"id": "o", "isOpen": true}],
  "schedules": [{"name": "Desk", "timeZone": "UTC", "rules": ["c", "o"]}]
}`)
	o.Calendars.AllowPrivate = true // the origin is on loopback
	a := start(t, o)
	base := "http://" + a.HTTPAddr()
	poll.Until(t, "the calendar is fetched into a new version", func() bool {
		cfg, v := a.Scheduler().Config()
		return v >= 2 && len(cfg.Document().Calendars) == 1 && cfg.Document().Calendars[0].ICS == text
	})
	var created struct {
		Path string `json:"path"`
	}
	if code := call(t, "POST", base+"/api/v1/feeds", adminToken, map[string]string{"schedule": "Desk"}, &created); code != http.StatusCreated {
		t.Fatalf("create feed link: %d", code)
	}
	resp, err := http.Get(base + created.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "BEGIN:VCALENDAR") {
		t.Errorf("feed: %d %.200s", resp.StatusCode, body)
	}
	metrics := scrapeMetrics(t, base+"/metrics", adminToken)
	if !strings.Contains(metrics, `schedmgr_calendar_fetches_total{calendar="closures",outcome="changed"} 1`) {
		t.Errorf("metrics lack the fetch:\n%s", grepLines(metrics, "calendar"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
