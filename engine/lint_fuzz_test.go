package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// maxWarningLen bounds one warning: user text is quoted and truncated and
// lists are cut, so no document can make a warning large.
const maxWarningLen = 2000

// FuzzLint: UnknownFields never panics on any input, and Lint never panics
// on a document Load accepts; both are deterministic and their warnings
// short. Run with: go test -run='^$' -fuzz='^FuzzLint$' -fuzztime=60s ./engine
func FuzzLint(f *testing.F) {
	for _, file := range testenv.TwilioExampleFiles(f) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		diffDoc("17:00"),
		lintDoc(openWeekdays+`, {"id": "a", "isOpen": false, "closedReason": "closed", "startDate": "2027-01-01", "endDate": "2027-01-31"},
			{"id": "b", "isOpen": false, "closedReason": "night", "startDate": "2027-01-30", "endDate": "2027-01-30", "startTime": "22:00", "endTime": "06:00"},
			{"id": "c", "isOpen": false, "closedReason": "holiday", "startDate": "2023-11-23", "endDate": "2023-11-23"},
			{"id": "d", "isOpen": false, "closedReason": "holiday", "startDate": "2027-09-06", "endDate": "2027-09-06", "holiday": "US"}`,
			sched("S", "open", "a", "b", "c", "d")+","+sched("T", "d")),
		lintDoc(`{"id": "x", "isOpen": false, "closedReason": "x", "dateRRule": "DTSTART:00010101\nRRULE:FREQ=DAILY;COUNT=3"},
			{"id": "y", "isOpen": false, "closedReason": "x", "dateRRule": "DTSTART:99991231\nRRULE:FREQ=DAILY"},
			{"id": "z", "isOpen": true, "dateRRule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20300101"}`,
			sched("S", "x", "y", "z")),
		`{"rules":[{"id":"h","isOpen":false,"closedReason":"holiday","holidays":"AU-NSW","startTime":"12:00"},{"id":"n","isOpen":true,"startTime":"22:00","endTime":"06:00"}],"schedules":[{"name":"Night","timeZone":"Australia/Lord_Howe","rules":["h","n"]}]}`,
		`{"rules":[{"id":"a","IsOpen":true,"isopen":false,"x-y":1,"":{"rules":[1]}}],"schedules":[{"name":"M","manualClose":true,"timeZone":"UTC","rules":[]}],"calendars":[]}`,
		`{"rules": [,]}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		unknown := engine.UnknownFields(data)
		if again := engine.UnknownFields(data); !reflect.DeepEqual(unknown, again) {
			t.Fatalf("UnknownFields is not deterministic:\n%v\n%v", unknown, again)
		}
		checkWarningShape(t, unknown)
		checkUnknownAgainstMaps(t, data, unknown)
		cfg, err := engine.Load(data)
		if err != nil {
			return
		}
		ws := cfg.Lint(now)
		if again := cfg.Lint(now); !reflect.DeepEqual(ws, again) {
			t.Fatalf("Lint is not deterministic:\n%v\n%v", ws, again)
		}
		checkWarningShape(t, ws)
		for _, w := range ws {
			if w.Path == "" {
				t.Fatalf("lint warning without a path: %q", w.Message)
			}
		}
	})
}

func checkWarningShape(t *testing.T, ws []engine.FieldWarning) {
	t.Helper()
	for _, w := range ws {
		if w.Message == "" || len(w.String()) > maxWarningLen {
			t.Fatalf("bad warning %.300q (%d bytes)", w.String(), len(w.String()))
		}
	}
}

// checkUnknownAgainstMaps compares UnknownFields, which scans the bytes
// itself, with what encoding/json decodes: the keys of the document, its
// rules and its schedules that match no field (case-insensitively) and are
// no annotation. Maps keep one of duplicate keys, so sets are compared.
func checkUnknownAgainstMaps(t *testing.T, data []byte, got []engine.FieldWarning) {
	t.Helper()
	var doc struct {
		Rules     []map[string]json.RawMessage `json:"rules"`
		Schedules []map[string]json.RawMessage `json:"schedules"`
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || json.Unmarshal(data, &doc) != nil || len(got) > 100 {
		return // not this shape (Load reports it), or the list was cut
	}
	want := map[string]bool{}
	known := func(v any, key string) bool {
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if strings.EqualFold(name, key) {
				return true
			}
		}
		return strings.HasPrefix(key, "$") || strings.HasPrefix(strings.ToLower(key), "x-")
	}
	add := func(prefix string, m map[string]json.RawMessage, v any) {
		for k := range m {
			if !known(v, k) {
				want[prefix+"\x00"+k] = true
			}
		}
	}
	add("", top, engine.Document{})
	for i, r := range doc.Rules {
		add(fmt.Sprintf("rules[%d]", i), r, engine.Rule{})
	}
	for i, s := range doc.Schedules {
		add(fmt.Sprintf("schedules[%d]", i), s, engine.ScheduleDoc{})
	}
	have := map[string]bool{}
	for _, w := range got {
		if strings.HasPrefix(w.Message, "unknown field") {
			have[w.Path] = true
		}
	}
	if len(have) != len(want) {
		t.Fatalf("UnknownFields found %d unknown keys, encoding/json %d: %v vs %v", len(have), len(want), have, want)
	}
}
