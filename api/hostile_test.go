package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/api"
	"github.com/schedule-manager/schedule-manager/engine"
)

// TestConcurrentPut: 50 editors PUT on the same version at once; exactly
// one wins, the others get 409, and the stored document is the winner's.
func TestConcurrentPut(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 50
	docs := make([]string, n)
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		docs[i] = strings.Replace(baseDoc, `"x-note": "unknown fields must survive"`, fmt.Sprintf(`"x-note": "editor %d"`, i), 1)
		wg.Go(func() { results[i] = e.putConfig(adminToken, docs[i], e.seeded, fmt.Sprintf("editor %d", i)) })
	}
	wg.Wait()
	winner, conflicts := -1, 0
	for i, r := range results {
		switch r.code {
		case 200:
			if winner >= 0 {
				t.Fatalf("editors %d and %d both won", winner, i)
			}
			winner = i
		case 409:
			conflicts++
			if r.num("currentVersion") <= e.seeded {
				t.Errorf("409 currentVersion %d", r.num("currentVersion"))
			}
		default:
			t.Errorf("editor %d: %d %s", i, r.code, r.body)
		}
	}
	if winner < 0 || conflicts != n-1 {
		t.Fatalf("winner %d, %d conflicts; want one winner and %d conflicts", winner, conflicts, n-1)
	}
	latest := e.latest()
	if latest.Version != results[winner].num("version") || string(latest.Data) != docs[winner] || latest.Meta.Message != fmt.Sprintf("editor %d", winner) {
		t.Errorf("stored version %d (%q) is not the winner's (editor %d, version %d)", latest.Version, latest.Meta.Message, winner, results[winner].num("version"))
	}
	if got := counterValue(t, e.reg, "schedmgr_config_writes_total", "outcome", "conflict"); got != n-1 {
		t.Errorf("conflict writes counted %v, want %d", got, n-1)
	}
}

// TestConcurrentManualClose: admins close 200 different schedules at once
// through two replicas sharing one store; the group commit lands every one
// of them, none answers 409, and each answer's version holds its close.
func TestConcurrentManualClose(t *testing.T) {
	const n = 200
	var scheds []string
	for i := range n {
		scheds = append(scheds, fmt.Sprintf(`{"name": "Team %03d", "manualClose": false, "timeZone": "America/Chicago", "rules": ["weekdays"]}`, i))
	}
	doc := `{"rules": [{"id": "weekdays", "name": "Weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"}],
 "schedules": [` + strings.Join(scheds, ",\n  ") + `]}`
	e := newEnv(t, envOptions{seed: doc})
	other := newEnv(t, envOptions{noSeed: true, store: e.store}) // a second replica on the same store
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		replica := e
		if i%2 == 1 {
			replica = other
		}
		wg.Go(func() {
			results[i] = replica.post(fmt.Sprintf("/api/v1/schedules/Team%%20%03d/close", i), adminToken, nil)
		})
	}
	wg.Wait()
	type closedDoc struct {
		Schedules []struct {
			Name        string
			ManualClose bool `json:"manualClose"`
		}
	}
	closedIn := func(v uint64) map[string]bool {
		en, err := e.store.Version(t.Context(), v)
		if err != nil {
			t.Fatal(err)
		}
		var d closedDoc
		if err := json.Unmarshal(en.Data, &d); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range d.Schedules {
			out[s.Name] = s.ManualClose
		}
		return out
	}
	versions := map[uint64]bool{}
	for i, r := range results {
		expect(t, fmt.Sprintf("close Team %03d", i), r, 200)
		v := r.num("version")
		versions[v] = true
		if name := fmt.Sprintf("Team %03d", i); !closedIn(v)[name] || r.json["changed"] != true {
			t.Errorf("%s: answered version %d (changed %v) does not hold the close", name, v, r.json["changed"])
		}
	}
	latest := e.latest()
	final := closedIn(latest.Version)
	for name, closed := range final {
		if !closed {
			t.Errorf("%s is not closed in the final config", name)
		}
	}
	if len(final) != n {
		t.Errorf("%d schedules in the final config", len(final))
	}
	t.Logf("%d closes written as %d versions", n, len(versions))
	if got := counterValue(t, e.reg, "schedmgr_config_writes_total", "outcome", "failed"); got != 0 {
		t.Errorf("failed writes counted %v", got)
	}
}

// TestHostileInput: bad and oversized requests are refused with a short
// message saying what is wrong, and the stored config never changes.
func TestHostileInput(t *testing.T) {
	// Bodies carrying a document may be as large as the document limit
	// (and a little more): 4 MiB here.
	e := newEnv(t, envOptions{opts: api.Options{Limits: engine.Limits{DocumentBytes: 4 << 20}}})
	eBig := newEnv(t, envOptions{opts: api.Options{MaxBodyBytes: 32 << 20}})
	huge := strings.Repeat("n", 10<<20)
	hugeNameDoc := strings.Replace(baseDoc, `"name": "Sales"`, `"name": "`+huge+`"`, 1)
	tests := []struct {
		name     string
		env      *env
		method   string
		path     string
		body     string
		code     int
		contains string
	}{
		{"5 MB body", e, "PUT", "/api/v1/config", `{"data": {"rules": [], "schedules": []}, "message": "` + strings.Repeat("x", 5<<20) + `", "version": 1}`, 413,
			"larger than the limit of 4259840 bytes: a config document may be up to 4194304 bytes; the max-document-bytes setting raises it"},
		{"10 MB schedule name", e, "PUT", "/api/v1/config", `{"data": ` + hugeNameDoc + `, "version": 1}`, 413, "larger than the limit"},
		{"10 MB schedule name, raised limit", eBig, "PUT", "/api/v1/config", `{"data": ` + hugeNameDoc + `, "version": 1}`, 400, "schedules[1].name: name is 10485760 characters long, the limit is 200"},
		{"malformed JSON", e, "PUT", "/api/v1/config", "{\"data\": {\"rules\": [}\n, \"version\": 1}", 400, "invalid JSON at line 1, column 21"},
		{"truncated JSON", e, "PUT", "/api/v1/config", `{"data": {"rules": [`, 400, "the JSON ends too early"},
		{"empty body", e, "PUT", "/api/v1/config", "", 400, "empty request body"},
		{"not an object", e, "PUT", "/api/v1/config", `[1, 2]`, 400, "expected an object"},
		{"version as string", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "version": "1"}`, 400, "version: expected a non-negative integer but found JSON string"},
		{"negative version", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "version": -1}`, 400, "version"},
		{"fractional version", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "version": 1.5}`, 400, "version"},
		{"missing version", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `}`, 400, `"version" is required`},
		{"missing data", e, "PUT", "/api/v1/config", `{"version": 1}`, 400, `"data" is required`},
		{"null data", e, "PUT", "/api/v1/config", `{"data": null, "version": 1}`, 400, `"data" is required`},
		{"unknown field", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "verison": 1}`, 400, `unknown field "verison"`},
		{"trailing data", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "version": 1} {}`, 400, "unexpected data after the JSON object"},
		{"data of wrong type", e, "PUT", "/api/v1/config", `{"data": {"rules": 5, "schedules": []}, "version": 1}`, 400, "invalid config: rules: expected"},
		{"data is a string", e, "PUT", "/api/v1/config", `{"data": "hello", "version": 1}`, 400, "invalid config"},
		{"rule field of wrong type", e, "PUT", "/api/v1/config", `{"data": {"rules": [{"id": "a", "isOpen": "yes"}], "schedules": []}, "version": 1}`, 400, "isOpen"},
		{"invalid zone", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, "Europe/London", "Europe/Lundon", 1) + `, "version": 1}`, 400, `invalid config: schedules[1].timeZone: unknown time zone "Europe/Lundon"`},
		{"unknown rule id", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"rules": ["saturday"]`, `"rules": ["sunday"]`, 1) + `, "version": 1}`, 400, `schedules[3].rules[0]: no rule with id "sunday"`},
		{"control characters in name", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"name": "Sales"`, `"name": "Sa\u0000les"`, 1) + `, "version": 1}`, 400, "control characters"},
		{"Latin-1 byte in a schedule name", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"name": "Sales"`, "\"name\": \"Sal\xe9s\"", 1) + `, "version": 1}`, 400, "invalid config: schedules[1].name: not valid UTF-8 (byte 0xe9 at line 18, column 18)"},
		{"0xff in a rule id", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"id": "lunch"`, "\"id\": \"lunch\xff\"", 1) + `, "version": 1}`, 400, "rules[2].id: not valid UTF-8 (byte 0xff"},
		{"lone surrogate in a rule id", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"id": "lunch"`, `"id": "lunch\ud800"`, 1) + `, "version": 1}`, 400, `rules[2].id: not valid UTF-16: \ud800`},
		{"lone low surrogate in a schedule name", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, `"name": "Sales"`, `"name": "\uDE00Sales"`, 1) + `, "version": 1}`, 400, `schedules[1].name: not valid UTF-16: \uDE00`},
		{"invalid UTF-8 in an extension field", e, "PUT", "/api/v1/config", `{"data": ` + strings.Replace(baseDoc, "unknown fields must survive", "\xfe", 1) + `, "version": 1}`, 400, "x-note: not valid UTF-8 (byte 0xfe"},
		{"message too long", e, "PUT", "/api/v1/config", `{"data": ` + baseDoc + `, "version": 1, "message": "` + strings.Repeat("m", 1001) + `"}`, 400, "longer than 1000"},
		{"10 MB name to check-schedule", e, "POST", "/check-schedule", `{"name": "` + huge + `"}`, 413, "larger than the limit"},
		{"10 MB name to check-schedule, raised limit", eBig, "POST", "/check-schedule", `{"name": "` + huge + `"}`, 404, `unknown schedule "nnnnn`},
		{"long name in the path", e, "POST", "/api/v1/schedules/" + strings.Repeat("%C3%A9", 5000) + "/close", "", 404, `unknown schedule "ééé`},
		{"long simulate", e, "GET", "/check-schedule?name=Support&simulate=" + strings.Repeat("9", 10000), "", 400, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.env.latest()
			r := tc.env.do(request{method: tc.method, path: tc.path, token: adminToken, body: tc.body, contentType: "application/json"})
			expect(t, tc.name, r, tc.code)
			if !strings.Contains(r.str("error"), tc.contains) {
				t.Errorf("error %.300q, want it to contain %q", r.str("error"), tc.contains)
			}
			if len(r.body) > 2048 {
				t.Errorf("answer is %d bytes; user input must not be echoed in full", len(r.body))
			}
			tc.env.unchanged(tc.name, before.Version, before.Data)
		})
	}
}

// TestUnicodeNames: names with non-ASCII letters, emoji, escapes, spaces,
// slashes and characters that need escaping in URLs and HTML round trip
// through every endpoint.
func TestUnicodeNames(t *testing.T) {
	names := []string{
		"Café ☕", "日本語サポート", "emoji 🎉 team", "a/b slash", "100% sure", `quote "d"`, "<script>&", "back\\slash",
		"שלום", "Zero\u200bWidth", "plus+sign", "q?x=1&name=Support", "dot.", "ǅemo", "line\u2028sep",
	}
	var scheds []string
	for i, n := range names {
		js, _ := json.Marshal(n)
		if i%2 == 1 { // and with every non-ASCII character \u-escaped in the source
			js = asciiJSON(js)
		}
		scheds = append(scheds, fmt.Sprintf(`{"name": %s, "manualClose": false, "timeZone": "Asia/Kolkata", "rules": ["always"]}`, js))
	}
	doc := `{"rules": [{"id": "always", "name": "Always", "isOpen": true}], "schedules": [` + strings.Join(scheds, ", ") + `]}`
	e := newEnv(t, envOptions{})
	r := e.putConfig(adminToken, doc, e.seeded, "unicode")
	expect(t, "put unicode", r, 200)
	e.waitApplied(r.num("version"))
	if got := e.latest(); string(got.Data) != doc {
		t.Fatalf("stored document is not verbatim")
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			r := e.get("/check-schedule?name="+url.QueryEscape(n), "")
			expect(t, "GET check", r, 200)
			if r.str("schedule") != n || r.json["isOpen"] != true {
				t.Errorf("GET check: %s", r.body)
			}
			r = e.post("/check-schedule", "", map[string]string{"name": n, "simulate": "2026-03-02T08:00"})
			if r.code != 200 || r.str("schedule") != n || r.str("timeZone") != "Asia/Kolkata" {
				t.Errorf("POST check: %d %s", r.code, r.body)
			}
			r = e.do(request{method: "POST", path: "/check-schedule", contentType: "application/x-www-form-urlencoded", body: url.Values{"name": {n}}.Encode()})
			if r.code != 200 || r.str("schedule") != n {
				t.Errorf("form check: %d %s", r.code, r.body)
			}
			r = e.get("/api/v1/schedules/"+url.PathEscape(n), viewerToken)
			expect(t, "GET schedule", r, 200)
			if r.str("name") != n {
				t.Errorf("GET schedule: %s", r.body)
			}
			r = e.post("/api/v1/schedules/"+url.PathEscape(n)+"/close", adminToken, nil)
			expect(t, "close", r, 200)
			if r.str("schedule") != n || r.json["changed"] != true {
				t.Errorf("close: %s", r.body)
			}
			// Wait for the watch to apply it before the next reads: Apply
			// concurrent with Status is a data race in scheduler (reported).
			e.waitApplied(r.num("version"))
		})
	}
	var final struct {
		Schedules []struct {
			Name        string
			ManualClose bool `json:"manualClose"`
		}
	}
	latest := e.latest()
	if err := json.Unmarshal(latest.Data, &final); err != nil {
		t.Fatal(err)
	}
	for i, s := range final.Schedules {
		if s.Name != names[i] || !s.ManualClose {
			t.Errorf("final schedules[%d] = %+v", i, s)
		}
	}
	// Only the flags changed: each source spelling of a name survives.
	if want := strings.ReplaceAll(doc, `"manualClose": false`, `"manualClose": true`); string(latest.Data) != want {
		t.Errorf("closing changed more than the flags:\n%s", latest.Data)
	}
}

// asciiJSON rewrites every non-ASCII character of a JSON text as a \u
// escape (surrogate pairs beyond the BMP).
func asciiJSON(js []byte) []byte {
	var b strings.Builder
	for _, r := range string(js) {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, "\\u%04x", u)
		}
	}
	return []byte(b.String())
}
