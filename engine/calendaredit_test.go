package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
)

func TestPutCalendar(t *testing.T) {
	orig := `{
  "rules": [{"id": "r", "isOpen": false, "closedReason": "closure", "calendar": "closures", "x-extra": 1}],
  "schedules": [{"name": "S", "timeZone": "UTC", "rules": ["r"]}]
}`
	text := ics("UID:a\nSUMMARY:A\nDTSTART;VALUE=DATE:20270101")
	// The rule names a calendar the document lacks: not loadable yet, so
	// the first put must start from a loadable document.
	if _, _, err := engine.PutCalendar([]byte(orig), engine.CalendarDoc{ID: "closures", ICS: text}); err == nil {
		t.Fatal("PutCalendar on an invalid document succeeded")
	}
	orig = strings.Replace(orig, `"calendar": "closures", `, "", 1)
	out, changed, err := engine.PutCalendar([]byte(orig), engine.CalendarDoc{ID: "closures", Name: "Closures", ICS: text})
	if err != nil || !changed {
		t.Fatalf("add: %v %v", changed, err)
	}
	if !strings.HasPrefix(string(out), orig[:len(orig)-2]) || !strings.Contains(string(out), `"x-extra": 1`) {
		t.Errorf("the rest of the document changed:\n%s", out)
	}
	cfg, err := engine.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := engine.CalendarOf(cfg.Document(), "closures"); err != nil || c.ICS != text || c.Name != "Closures" {
		t.Fatalf("CalendarOf = %+v, %v", c, err)
	}
	// Same again: unchanged.
	if again, changed, err := engine.PutCalendar(out, engine.CalendarDoc{ID: "closures", Name: "Closures", ICS: text}); err != nil || changed || string(again) != string(out) {
		t.Errorf("same calendar: changed=%v err=%v", changed, err)
	}
	// A second one is appended; the first replaced.
	out2, _, err := engine.PutCalendar(out, engine.CalendarDoc{ID: "other", URL: "https://example.com/o.ics"})
	if err != nil {
		t.Fatal(err)
	}
	text2 := ics("UID:b\nSUMMARY:B\nDTSTART;VALUE=DATE:20270102")
	out3, changed, err := engine.PutCalendar(out2, engine.CalendarDoc{ID: "closures", ICS: text2})
	if err != nil || !changed {
		t.Fatalf("replace: %v %v", changed, err)
	}
	cfg, _ = engine.Load(out3)
	doc := cfg.Document()
	if len(doc.Calendars) != 2 || doc.Calendars[0].ICS != text2 || doc.Calendars[0].Name != "" || doc.Calendars[1].ID != "other" {
		t.Errorf("calendars after replace: %+v", doc.Calendars)
	}
	// A bad text is Load's validation error, and nothing is returned.
	_, _, err = engine.PutCalendar(out3, engine.CalendarDoc{ID: "closures", ICS: "BEGIN:VCALENDAR"})
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "calendars[0].ics") {
		t.Errorf("bad text: %v", err)
	}
	if _, err := engine.CalendarOf(doc, "nope"); !errors.Is(err, engine.ErrUnknownCalendar) {
		t.Errorf("CalendarOf unknown: %v", err)
	}
}
