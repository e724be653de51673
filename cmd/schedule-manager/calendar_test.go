package main

import (
	"os"
	"strings"
	"testing"

	arran "github.com/arran4/golang-ical"

	"github.com/schedule-manager/schedule-manager/engine"
)

const calendarICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Training day\r\n" +
	"DTSTART;VALUE=DATE:20270105\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

const calendarConfig = `{
  "rules": [{"id": "o", "isOpen": true, "startTime": "09:00", "endTime": "17:00"}],
  "schedules": [{"name": "S", "timeZone": "Europe/Madrid", "rules": ["o"]}]
}
`

func TestCalendarAdd(t *testing.T) {
	cfgPath := writeFile(t, "config.json", calendarConfig)
	icsPath := writeFile(t, "closures.ics", calendarICS)
	r := runCLI(t, "", "calendar", "add", cfgPath, "closures", icsPath, "--name", "Closures")
	if r.code != exitOK || !strings.Contains(r.stdout, `calendar "closures" saved (1 event, `) {
		t.Fatalf("add: %d %q %q", r.code, r.stdout, r.stderr)
	}
	data, _ := os.ReadFile(cfgPath)
	if !strings.HasPrefix(string(data), calendarConfig[:len(calendarConfig)-3]) {
		t.Errorf("the rest of the file changed:\n%s", data)
	}
	cfg, err := engine.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := engine.CalendarOf(cfg.Document(), "closures"); c.ICS != calendarICS || c.Name != "Closures" {
		t.Errorf("stored calendar %+v", c)
	}
	// Again: unchanged. From stdin, replacing: saved.
	if r := runCLI(t, "", "calendar", "add", cfgPath, "closures", icsPath, "--name", "Closures"); !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("repeat: %q", r.stdout)
	}
	other := strings.Replace(calendarICS, "20270105", "20270106", 1)
	if r := runCLI(t, other, "calendar", "add", cfgPath, "closures", "-"); r.code != exitOK {
		t.Errorf("stdin: %d %q", r.code, r.stderr)
	}
	// validate accepts the result.
	if r := runCLI(t, "", "validate", cfgPath); r.code != exitOK {
		t.Errorf("validate: %d %q", r.code, r.stderr)
	}
	// A bad calendar writes nothing and names the field.
	before, _ := os.ReadFile(cfgPath)
	bad := writeFile(t, "bad.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	r = runCLI(t, "", "calendar", "add", cfgPath, "closures", bad)
	if r.code != exitError || !strings.Contains(r.stderr, `calendars[0].ics: event "x": has no DTSTART`) {
		t.Errorf("bad calendar: %d %q", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
		t.Error("a bad calendar changed the file")
	}
	// By URL only.
	if r := runCLI(t, "", "calendar", "add", cfgPath, "remote", "--url", "https://example.com/c.ics", "--refresh", "@every 1h"); r.code != exitOK || !strings.Contains(r.stdout, "fetched by the service") {
		t.Errorf("url: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "", "calendar", "add", cfgPath, "x"); r.code != exitUsage {
		t.Errorf("no file nor url: %d", r.code)
	}
}

func TestCalendarHolidaysAndFeed(t *testing.T) {
	r := runCLI(t, "", "calendar", "holidays")
	if r.code != exitOK || !strings.Contains(r.stdout, "CH-ZH   Switzerland: Zürich\n") || strings.Count(r.stdout, "\n") != len(engine.HolidayCalendars()) {
		t.Errorf("holidays: %d %.300q", r.code, r.stdout)
	}
	r = runCLI(t, "", "calendar", "holidays", "jp", "--year", "2027")
	if r.code != exitOK || !strings.Contains(r.stdout, "Sun 2027-03-21  Vernal Equinox Day\n") {
		t.Errorf("JP 2027: %d %q", r.code, r.stdout)
	}
	if r := runCLI(t, "", "calendar", "holidays", "XX"); r.code != exitError {
		t.Errorf("unknown code: %d", r.code)
	}
	cfgPath := writeFile(t, "config.json", calendarConfig)
	r = runCLI(t, "", "calendar", "feed", "-c", cfgPath, "S", "--days", "3", "--at", "2027-01-04")
	if r.code != exitOK {
		t.Fatalf("feed: %d %q", r.code, r.stderr)
	}
	c, err := arran.ParseCalendar(strings.NewReader(r.stdout))
	if err != nil || len(c.Events()) != 3 {
		t.Fatalf("feed parses to %v events, %v", len(c.Events()), err)
	}
	start, _ := c.Events()[0].GetStartAt()
	if got := start.UTC().Format("2006-01-02T15:04Z"); got != "2027-01-04T08:00Z" { // 09:00 in Madrid
		t.Errorf("first opening %s", got)
	}
}
