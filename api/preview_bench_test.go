package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// previewBenchDoc is a config of n schedules with ten rules each (weekday
// hours ending at end, lunch, Saturday, a holiday calendar, yearly and
// one-off closures, a maintenance night, an overnight line, a monthly
// early close, a closure range), in eight zones.
func previewBenchDoc(n int, end func(i int) string) string {
	zones := []string{"America/Chicago", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", "Australia/Lord_Howe", "UTC"}
	cals := []string{"US", "GB", "DE", "AU-NSW", "CA", "FR"}
	var rules, scheds []string
	for i := range n {
		p := fmt.Sprintf("s%04d-", i)
		rs := []string{
			fmt.Sprintf(`{"id": "%shol", "isOpen": false, "closedReason": "holiday", "holidays": %q}`, p, cals[i%len(cals)]),
			fmt.Sprintf(`{"id": "%scompany", "isOpen": false, "closedReason": "holiday", "dateRRule": "FREQ=YEARLY;BYMONTH=%d;BYMONTHDAY=%d"}`, p, 1+i%12, 1+i%28),
			fmt.Sprintf(`{"id": "%smove", "isOpen": false, "closedReason": "closed", "startDate": "2026-03-%02d", "endDate": "2026-03-%02d"}`, p, 10+i%10, 12+i%10),
			fmt.Sprintf(`{"id": "%smaint", "isOpen": false, "closedReason": "maintenance", "startDate": "2026-03-08", "endDate": "2026-03-08", "startTime": "01:%02d", "endTime": "03:30"}`, p, i%60),
			fmt.Sprintf(`{"id": "%slunch", "isOpen": false, "closedReason": "lunch", "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "12:00", "endTime": "12:%02d"}`, p, 30+i%30),
			fmt.Sprintf(`{"id": "%searly", "isOpen": false, "closedReason": "early close", "dateRRule": "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "startTime": "15:%02d"}`, p, i%60),
			fmt.Sprintf(`{"id": "%shours", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": %q}`, p, end(i)),
			fmt.Sprintf(`{"id": "%ssat", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=SA", "startTime": "10:00", "endTime": "1%d:00"}`, p, 2+i%6),
			fmt.Sprintf(`{"id": "%snight", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=FR", "startTime": "22:00", "endTime": "0%d:00"}`, p, 1+i%6),
			fmt.Sprintf(`{"id": "%srota", "isOpen": true, "dateRRule": "DTSTART:20260104\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "startTime": "10:00", "endTime": "14:00"}`, p),
		}
		ids := make([]string, len(rs))
		for j, r := range rs {
			ids[j] = `"` + r[len(`{"id": "`):strings.Index(r, `", `)] + `"`
		}
		rules = append(rules, rs...)
		scheds = append(scheds, fmt.Sprintf(`{"name": "Line %04d", "manualClose": false, "timeZone": %q, "rules": [%s]}`, i, zones[i%len(zones)], strings.Join(ids, ", ")))
	}
	return `{"rules": [` + strings.Join(rules, ",\n") + `], "schedules": [` + strings.Join(scheds, ",\n") + `]}`
}

// BenchmarkPreview1000Schedules is POST /api/v1/preview of a 1,000-schedule
// draft (10,000 rules) over 14 days against the served version: decode,
// load and lint the draft, compare every schedule, count, encode. Target
// (DESIGN.md §3): ≤ 1 s. edit-all changes every schedule's weekday hours,
// edit-one one schedule's.
func BenchmarkPreview1000Schedules(b *testing.B) {
	published := previewBenchDoc(1000, func(int) string { return "17:00" })
	e := newEnv(b, envOptions{seed: published})
	for _, bc := range []struct {
		name  string
		draft string
	}{
		{"edit-all", previewBenchDoc(1000, func(int) string { return "18:00" })},
		{"edit-one", previewBenchDoc(1000, func(i int) string {
			if i == 0 {
				return "18:00"
			}
			return "17:00"
		})},
	} {
		body := []byte(`{"data": ` + bc.draft + `, "days": 14}`)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var rec *httptest.ResponseRecorder
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/preview", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+viewerToken)
				rec = httptest.NewRecorder()
				e.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			if !bytes.Contains(rec.Body.Bytes(), []byte(`"valid":true`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"change":"changed"`)) {
				b.Fatalf("answer %.500s", rec.Body)
			}
			b.ReportMetric(float64(rec.Body.Len())/1024, "KB-answer")
		})
	}
}
