package engine

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scanChunks writes data to s in pieces of size n (all of it when n <= 0).
func scanChunks(s *LimitScanner, data []byte, n int) error {
	if n <= 0 {
		n = len(data)
	}
	for len(data) > 0 {
		k := min(n, len(data))
		if _, err := s.Write(data[:k]); err != nil {
			return err
		}
		data = data[k:]
	}
	return nil
}

// FuzzLimitScanner: on every document the fast decoder reads (exact,
// unrepeated member names), the scanner counts what the decoder decodes,
// however the text is split: limits equal to the counts pass, one less
// fails, naming the array.
func FuzzLimitScanner(f *testing.F) {
	for _, s := range fastDecodeSeeds {
		f.Add([]byte(s), 3)
	}
	f.Add([]byte(`{"rules":[{"id":"a"},{"id":"b"}],"schedules":[{"name":"x","rules":["a","b"]},{"name":"y"}],"x":["schedules",[1,2]]}`), 1)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		doc, _, ok := decodeFast(data, sizeHints{})
		if !ok || len(doc.Rules) > 1000 || len(doc.Schedules) > 1000 || len(doc.Calendars) > MaxCalendars {
			return
		}
		for _, sc := range doc.Schedules {
			if len(sc.Rules) > maxRulesPerSchedule {
				return
			}
		}
		exact := Limits{Schedules: max(len(doc.Schedules), 1), Rules: max(len(doc.Rules), 1), DocumentBytes: len(data)}
		s := NewLimitScanner(exact, "")
		if err := scanChunks(s, data, chunk%17); err != nil {
			t.Fatalf("%q within %+v: %v", data, exact, err)
		}
		if s.hint.rules != len(doc.Rules) || s.hint.schedules != len(doc.Schedules) {
			t.Fatalf("%q: counted %+v, decoded %d rules, %d schedules", data, s.hint, len(doc.Rules), len(doc.Schedules))
		}
		if n := len(doc.Schedules); n > 1 {
			lim := exact
			lim.Schedules = n - 1
			err := scanChunks(NewLimitScanner(lim, ""), data, chunk%17)
			if le, ok := AsLimitError(err); !ok || le.Limit != LimitSchedules || le.Path != "schedules" {
				t.Fatalf("%q with %d schedules over a limit of %d: %v", data, n, n-1, err)
			}
		}
		if n := len(doc.Rules); n > 1 {
			lim := exact
			lim.Rules = n - 1
			err := scanChunks(NewLimitScanner(lim, ""), data, chunk%17)
			if le, ok := AsLimitError(err); !ok || le.Limit != LimitRules {
				t.Fatalf("%q with %d rules over a limit of %d: %v", data, n, n-1, err)
			}
		}
	})
}

// TestLimitScannerEnvelope: inside a request body the document is the
// "data" member (matched like encoding/json: case-insensitively, escaped),
// and only it is counted and sized.
func TestLimitScannerEnvelope(t *testing.T) {
	lim := Limits{Schedules: 2, Rules: 5, DocumentBytes: 200}
	for _, tc := range []struct {
		name, body string
		want       Limit // "" passes
		path       string
	}{
		{"within", `{"version":1,"message":"schedules","data":{"schedules":[{"name":"a"},{"name":"b"}]}}`, "", ""},
		{"over", `{"version":1,"data":{"schedules":[{"name":"a"},{"name":"b"},{"name":"c"}]}}`, LimitSchedules, "schedules"},
		{"folded key", `{"DATA":{"Schedules":[1,2,3]}}`, LimitSchedules, "schedules"},
		{"escaped key", `{"d\u0061ta":{"sch\u0065dules":[1,2,3]}}`, LimitSchedules, "schedules"},
		{"long s", `{"data":{"ſchedules":[1,2,3]}}`, LimitSchedules, "schedules"},
		{"not the document", `{"version":1,"schedules":[1,2,3],"data":{}}`, "", ""},
		{"a string that looks like structure", `{"data":{"schedules":["[\"],[1,2,3,4]\\"]}}`, "", ""},
		{"per schedule", `{"data":{"schedules":[{"name":"a"},{"rules":[` + strings.Repeat(`"r",`, 1000) + `"r"]}]}}`, LimitScheduleRules, "schedules[1].rules"},
		{"bytes", `{"data":{"x":"` + strings.Repeat("y", 200) + `"}}`, LimitDocumentBytes, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := lim
			if tc.want == LimitScheduleRules {
				lim.DocumentBytes = 1 << 20
			}
			for _, chunk := range []int{0, 1, 7} {
				err := scanChunks(NewLimitScanner(lim, "data"), []byte(tc.body), chunk)
				le, ok := AsLimitError(err)
				switch {
				case tc.want == "" && err != nil:
					t.Fatalf("chunks of %d: %v", chunk, err)
				case tc.want != "" && (!ok || le.Limit != tc.want || le.Path != tc.path):
					t.Fatalf("chunks of %d: got %v, want %s at %q", chunk, err, tc.want, tc.path)
				}
				var ve *ValidationError
				if tc.want != "" && !errors.As(err, &ve) {
					t.Fatalf("%T is not a *ValidationError", err)
				}
			}
		})
	}
}

// TestLoaderLimits: each limit refuses a document one over it, with a
// message naming it, before decoding; negative means none; LoadStored
// serves a stored document over any limit.
func TestLoaderLimits(t *testing.T) {
	doc := `{"rules":[{"id":"a","isOpen":true},{"id":"b","isOpen":true}],` +
		`"schedules":[{"name":"x","timeZone":"UTC","rules":["a"]},{"name":"y","timeZone":"UTC","rules":["b"]}]}`
	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{Schedules: 1}, "schedules: more than the limit of 1 schedules"},
		{Limits{Rules: 1}, "rules: more than the limit of 1 rules"},
		{Limits{DocumentBytes: 10}, "the document is " + strconv.Itoa(len(doc)) + " bytes, more than the limit of 10"},
		{Limits{Schedules: 2, Rules: 2, DocumentBytes: len(doc)}, ""},
		{Limits{Schedules: -1, Rules: -1, DocumentBytes: -1}, ""},
	} {
		_, err := Loader{Limits: tc.lim}.Load([]byte(doc))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.lim, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.lim, err, tc.want)
		}
		if _, ok := AsLimitError(err); !ok {
			t.Errorf("%+v: %v is no LimitError", tc.lim, err)
		}
		if _, _, err2 := (Loader{Limits: tc.lim}).LoadWithWarnings([]byte(doc), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("%+v: LoadWithWarnings: %v, Load: %v", tc.lim, err2, err)
		}
	}
	// Compile of a document over the default limit.
	big := Document{Schedules: make([]ScheduleDoc, DefaultMaxSchedules+1)}
	if _, err := Compile(big); err == nil || !strings.Contains(err.Error(), "100001 schedules is more than the limit of 100000") {
		t.Errorf("Compile: %v", err)
	}
}
