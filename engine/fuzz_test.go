package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// Fuzz targets. Run one with, e.g.:
//
//	go test -run='^$' -fuzz='^FuzzLoad$' -fuzztime=30s ./engine
//
// Without -fuzz they run their seed corpus as ordinary tests.

// maxFieldErrorLen bounds one validation message: user text is quoted and
// truncated, so no input can make a message large.
const maxFieldErrorLen = 1000

// checkTimelineInvariants asserts the Timeline contract on [from, to) and
// agreement with At at every segment's first and last instant.
func checkTimelineInvariants(t *testing.T, s *engine.Schedule, from, to time.Time) {
	t.Helper()
	segs := s.Timeline(from, to)
	if len(segs) == 0 || !segs[0].Start.Equal(from) || !segs[len(segs)-1].End.Equal(to) {
		t.Fatalf("Timeline does not cover [%v, %v): %v", from, to, segs)
	}
	for i, seg := range segs {
		if !seg.Start.Before(seg.End) || (i > 0 && (!segs[i-1].End.Equal(seg.Start) || segs[i-1].Status == seg.Status)) {
			t.Fatalf("bad segment %d: %+v (previous %+v)", i, seg, segs[max(i-1, 0)])
		}
		if got := s.At(seg.Start); got != seg.Status {
			t.Fatalf("At(%v) = %+v, Timeline says %+v", seg.Start, got, seg.Status)
		}
		if got := s.At(seg.End.Add(-time.Nanosecond)); got != seg.Status {
			t.Fatalf("At(%v - 1ns) = %+v, Timeline says %+v", seg.End, got, seg.Status)
		}
	}
}

// checkFieldErrors asserts that err is a validation error whose every
// problem is at one of paths, with a short message.
func checkFieldErrors(t *testing.T, err error, paths ...string) {
	t.Helper()
	for _, fe := range validationErrors(t, err) {
		ok := false
		for _, p := range paths {
			ok = ok || fe.Path == p
		}
		if !ok {
			t.Fatalf("error at unexpected path %q: %v", fe.Path, fe)
		}
		if len(fe.Error()) > maxFieldErrorLen {
			t.Fatalf("message is %d bytes long: %.200q", len(fe.Error()), fe.Error())
		}
	}
}

func FuzzLoad(f *testing.F) {
	// The Twilio examples, read where they are (never copied here).
	for _, file := range testenv.TwilioExampleFiles(f) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	seeds := []string{
		`{"rules":[{"id":"a","name":"Open hours","isOpen":true,"startTime":"08:00","endTime":"17:00","dateRRule":"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}],"schedules":[{"name":"S","manualClose":false,"timeZone":"America/Chicago","rules":["a"]}]}`,
		`{"rules":[{"id":"h","isOpen":false,"closedReason":"holiday","holidays":"AU-NSW","startTime":"12:00"},{"id":"n","isOpen":true,"startTime":"22:00","endTime":"06:00"}],"schedules":[{"name":"Night","timeZone":"Australia/Lord_Howe","rules":["h","n"]}]}`,
		`{"rules":[{"id":"b","isOpen":true,"dateRRule":"DTSTART;VALUE=DATE:20260103\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA","endTime":"24:00"}],"schedules":[{"name":"B","timeZone":"Pacific/Chatham","rules":["b"]},{"name":"M","manualClose":true,"timeZone":"UTC","rules":[]}]}`,
		`{"rules":[{"id":"c","isOpen":false,"closedReason":"x","startDate":"2026-03-08","endDate":"2026-03-08","startTime":"02:30","endTime":"04:00"}],"schedules":[{"name":"C","timeZone":"America/St_Johns","rules":["c","c"]}]}`,
		`{"rules":[{"id":"d","isOpen":true,"dateRRule":"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"}],"schedules":[{"name":"D","timeZone":"Asia/Kolkata","rules":["d","nope"]}]}`,
		`{"rules":[{"id":"e","isOpen":"yes"}]}`,
		`{"rules": [,]}`,
		`{}`,
		``,
		`[]`,
		`{"rules":[{"id":"\u0007","name":"\ud800","isOpen":true}],"schedules":[{"name":" x","timeZone":"Local"}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	at := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := engine.Load(data)
		if err != nil {
			if cfg != nil {
				t.Fatal("Load returned both a config and an error")
			}
			var ve *engine.ValidationError
			if !errors.As(err, &ve) {
				return // a JSON error
			}
			if len(ve.Errors) == 0 {
				t.Fatal("ValidationError without errors")
			}
			for _, fe := range ve.Errors {
				if fe.Path == "" || len(fe.Error()) > maxFieldErrorLen {
					t.Fatalf("bad field error %.200q", fe.Error())
				}
			}
			return
		}
		for _, s := range cfg.Schedules() {
			st := s.At(at)
			if st.IsOpen && st.ClosedReason != "" {
				t.Fatalf("open with a closed reason: %+v", st)
			}
			if !st.IsOpen && st.ClosedReason == "" {
				t.Fatalf("closed without a reason: %+v", st)
			}
			checkTimelineInvariants(t, s, at, at.Add(24*time.Hour))
		}
		// A valid config written back out is still valid.
		out, err := json.Marshal(cfg.Document())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Load(out); err != nil {
			t.Fatalf("re-encoded document does not load: %v\n%s", err, out)
		}
	})
}

func FuzzRRule(f *testing.F) {
	for _, s := range []string{
		"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
		"RRULE:FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=4",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
		"DTSTART:20260103\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
		"DTSTART;VALUE=DATE:20260103\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
		"DTSTART:20260103T000000Z\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
		"FREQ=WEEKLY;BYDAY=MO;COUNT=3",
		"FREQ=DAILY;UNTIL=20260110",
		"FREQ=MONTHLY;BYDAY=+4TH",
		"FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
		"FREQ=MONTHLY;BYDAY=-1MO",
		"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		"FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
		"FREQ=YEARLY;BYYEARDAY=1,-1",
		"FREQ=YEARLY;BYEASTER=0",
		"FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
		"FREQ=WEEKLY",
		"FREQ=HOURLY",
		"FREQ=DAILY;BYHOUR=9",
		"DTSTART:00010101\nRRULE:FREQ=YEARLY",
		"DTSTART:99991231\nRRULE:FREQ=DAILY",
		"every monday",
		"",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, rr string, withStart bool) {
		rule := engine.Rule{ID: "r", IsOpen: true, DateRRule: rr}
		if withStart {
			rule.StartDate = "2026-01-03"
		}
		cfg, err := engine.Compile(engine.Document{
			Rules:     []engine.Rule{rule},
			Schedules: []engine.ScheduleDoc{{Name: "S", TimeZone: "America/Chicago", Rules: []string{"r"}}},
		})
		if err != nil {
			checkFieldErrors(t, err, "rules[0].dateRRule")
			return
		}
		s := cfg.Schedules()[0]
		// Across a year end, where per-year expansions meet.
		checkTimelineInvariants(t, s, time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC))
		// The rule matches whole dates only: never part of a day.
		loc := s.Location()
		for d := 0; d < 7; d++ {
			day := time.Date(2026, 3, 2+d, 0, 0, 0, 0, loc) // includes the DST change
			if s.At(day).IsOpen != s.At(day.AddDate(0, 0, 1).Add(-time.Nanosecond)).IsOpen {
				t.Fatalf("%v: the status changes within the day", day)
			}
		}
	})
}

var (
	timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// refClock and refDate are an independent reading of DESIGN.md §1.
func refClock(s string, end bool) (int, bool) {
	if end && s == "24:00" {
		return 1440, true
	}
	if !timeRE.MatchString(s) {
		return 0, false
	}
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0'), true
}

func refDate(s string) (time.Time, bool) {
	if !dateRE.MatchString(s) {
		return time.Time{}, false
	}
	d, err := time.Parse("2006-01-02", s)
	return d, err == nil
}

func FuzzTimes(f *testing.F) {
	for _, s := range [][4]string{
		{"08:00", "17:00", "", ""},
		{"22:00", "06:00", "2026-01-05", "2026-01-07"},
		{"18:00", "24:00", "2026-07-03", "2026-07-03"},
		{"", "06:00", "", "2026-03-08"},
		{"20:00", "", "2026-03-08", ""},
		{"00:00", "24:00", "2028-02-29", "2028-03-01"},
		{"24:00", "08:00", "", ""},
		{"17:00", "17:00", "", ""},
		{"25:00", "8:00", "2026-02-30", "2026-13-01"},
		{"12:60", "1:00PM", "2026/01/01", "26-01-01"},
		{"", "", "2026-03-02", "2026-03-01"},
		{"23:59", "00:00", "0000-01-01", "9999-12-31"},
		{"\x00\x00:00", "ab:cd", "2026-0１-01", "+026-01-01"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, startTime, endTime, startDate, endDate string) {
		rule := engine.Rule{ID: "r", IsOpen: true, StartTime: startTime, EndTime: endTime, StartDate: startDate, EndDate: endDate}
		cfg, err := engine.Compile(engine.Document{
			Rules:     []engine.Rule{rule},
			Schedules: []engine.ScheduleDoc{{Name: "S", TimeZone: "Europe/London", Rules: []string{"r"}}},
		})

		// The reference decides validity independently.
		start, end := 0, 1440
		valid := true
		if startTime != "" {
			start, valid = refClock(startTime, false)
		}
		if endTime != "" {
			var ok bool
			end, ok = refClock(endTime, true)
			valid = valid && ok
		}
		if valid && startTime != "" && endTime != "" && start == end {
			valid = false
		}
		sd, sdOK := refDate(startDate)
		ed, edOK := refDate(endDate)
		valid = valid && (startDate == "" || sdOK) && (endDate == "" || edOK)
		if valid && startDate != "" && endDate != "" && ed.Before(sd) {
			valid = false
		}
		if err != nil {
			checkFieldErrors(t, err, "rules[0].startTime", "rules[0].endTime", "rules[0].startDate", "rules[0].endDate")
			if valid {
				t.Fatalf("rejected a valid rule: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("accepted an invalid rule %+v", rule)
		}

		// Compare with the reference at minutes around every boundary, on
		// days around the date bounds.
		overnight := startTime != "" && endTime != "" && start > end
		dateOK := func(d time.Time) bool {
			return (startDate == "" || !d.Before(sd)) && (endDate == "" || !d.After(ed))
		}
		want := func(d time.Time, m int) bool {
			if !overnight {
				return m >= start && m < end && dateOK(d)
			}
			return (m >= start && dateOK(d)) || (m < end && dateOK(d.AddDate(0, 0, -1)))
		}
		days := []time.Time{time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)}
		for _, d := range []time.Time{sd, ed} {
			if !d.IsZero() {
				days = append(days, d.AddDate(0, 0, -1), d, d.AddDate(0, 0, 1))
			}
		}
		minutes := []int{0, 1, 359, 360, 719, 720, 1438, 1439}
		for _, m := range []int{start, end} {
			minutes = append(minutes, (m+1439)%1440, m%1440, (m+1)%1440)
		}
		s := cfg.Schedules()[0]
		for _, d := range days {
			for _, m := range minutes {
				got := s.AtLocal(d.Year(), d.Month(), d.Day(), m/60, m%60)
				if got.IsOpen != want(d, m) {
					t.Fatalf("%s %02d:%02d: open=%v, reference says %v (rule %+v)", d.Format("2006-01-02"), m/60, m%60, got.IsOpen, want(d, m), rule)
				}
			}
		}
		if d := days[len(days)-1]; d.Year() > 1 && d.Year() < 9999 {
			from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.Location()).Add(-24 * time.Hour)
			checkTimelineInvariants(t, s, from, from.Add(72*time.Hour))
		}
	})
}

var fuzzZones = []string{"UTC", "America/Chicago", "Australia/Lord_Howe", "Asia/Kolkata", "Europe/London", "Pacific/Chatham", "America/St_Johns", "America/Santiago"}

func FuzzParseTime(f *testing.F) {
	for i, s := range []string{
		"2026-01-05T10:00", "2026-01-05 10:00", "2026-01-05T10:00:30", "2026-01-05T10:00:30.25",
		"2026-01-05T10:00:00Z", "2026-01-05T10:00:00+05:30", "2026-01-05T10:00-05:00", "2026-01-05T10:00:00-0500",
		"2026-01-05", "2026-03-08T02:30", "2026-11-01T01:30", "2026-10-04T02:15", "2026-04-05T01:45", "2026-09-06",
		"2022-08-08T07:59", "0001-01-05T10:00", "0001-12-31 23:00", "", "now", "2026-02-30", "2026-01-05T25:00", "0000-01-01T00:00", "9999-12-31T23:59:59.999999999",
	} {
		f.Add(s, uint8(i))
	}
	// A schedule per zone with every kind of date condition, evaluated at
	// each parsed instant as check-schedule's simulate does.
	rules := []engine.Rule{
		{ClosedReason: "holiday", Holidays: "US"},
		{ClosedReason: "holiday", DateRRule: "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"},
		{ClosedReason: "lunch", StartTime: "12:00", EndTime: "13:00", StartDate: "2026-01-01", EndDate: "2026-12-31"},
		// (No anchored RRULE: expanding year Y costs O(Y - anchor), ~0.1 s
		// for year 9999, which would starve the fuzzer.)
		{IsOpen: true, DateRRule: "FREQ=MONTHLY;BYDAY=-1SA", StartTime: "10:00", EndTime: "14:00"},
		{IsOpen: true, DateRRule: "FREQ=WEEKLY;BYDAY=FR", StartTime: "22:00", EndTime: "06:00"},
		weekdayHours,
	}
	schedules := make([]*engine.Schedule, len(fuzzZones))
	for i, z := range fuzzZones {
		schedules[i] = schedule(f, z, false, rules...)
	}
	f.Fuzz(func(t *testing.T, s string, zone uint8) {
		sc := schedules[int(zone)%len(schedules)]
		loc := sc.Location()
		got, err := engine.ParseTime(s, loc)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
			return
		}
		checkTimelineInvariants(t, sc, got.Add(-36*time.Hour), got.Add(36*time.Hour))
		if st, seg := sc.At(got), sc.Timeline(got, got.Add(time.Minute)); seg[0].Status != st {
			t.Fatalf("At(%v) = %+v, Timeline starts with %+v", got, st, seg[0].Status)
		}
		// The result round-trips through RFC 3339 (in UTC: offsets before 1900 have seconds).
		if y := got.UTC().Year(); y >= 1 && y <= 9999 {
			again, err := engine.ParseTime(got.UTC().Format(time.RFC3339Nano), loc)
			if err != nil || !again.Equal(got) {
				t.Fatalf("round trip of %v: %v, %v", got, again, err)
			}
		}
		v := strings.TrimSpace(s)
		lt := got.In(loc)
		wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
		switch {
		case len(v) == 10: // a date: the first instant of that local day
			if lt.Format("2006-01-02") != v || got.Add(-time.Nanosecond).In(loc).Format("2006-01-02") == v {
				t.Fatalf("%q = %v: not the first instant of the day", v, lt)
			}
		case len(v) == 16 && v[10] == 'T':
			w, err := time.Parse("2006-01-02T15:04", v)
			if err != nil {
				return // some other layout matched
			}
			// The wall clock is kept, or moved forward out of a DST gap;
			// a repeated wall clock means its first occurrence.
			if wall.Before(w) {
				t.Fatalf("%q = %v: moved backwards", v, lt)
			}
			if wall.Equal(w) {
				for _, back := range []time.Duration{30 * time.Minute, time.Hour} {
					e := got.Add(-back).In(loc)
					if time.Date(e.Year(), e.Month(), e.Day(), e.Hour(), e.Minute(), 0, 0, time.UTC).Equal(w) && e.Second() == 0 {
						t.Fatalf("%q = %v, but %v has the same wall clock and is earlier", v, lt, e)
					}
				}
			}
		}
	})
}
