package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
)

// TestAppendResponseFields fails when checkresult's shape changes, so that
// appendResponse is updated with it.
func TestAppendResponseFields(t *testing.T) {
	tags := func(v any) string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Type.String()+" "+rt.Field(i).Tag.Get("json"))
		}
		return strings.Join(out, "; ")
	}
	checks := []struct {
		v    any
		want string
	}{
		{checkresult.Response{}, "bool isOpen; string closedReason; string schedule; string timeZone; time.Time at; *checkresult.Rule rule,omitempty; " +
			"string holiday,omitempty; *checkresult.Next nextTransition; time.Time nextOpening,omitzero; uint64 configVersion,omitempty"},
		{checkresult.Rule{}, "string id; string name"},
		{checkresult.Next{}, "time.Time at; bool isOpen; string closedReason"},
	}
	for _, c := range checks {
		if got := tags(c.v); got != c.want {
			t.Errorf("%T changed:\n got %s\nwant %s\nupdate appendResponse and this test", c.v, got, c.want)
		}
	}
}

// hostileStrings exercise every escaping rule of encoding/json.
func hostileStrings() []string {
	s := []string{"", "plain", `quote " and \ backslash`, "<script>alert(1)</script> & co", "line\nbreak\r\ttab\b\f",
		"\x00\x01\x1f\x7f", "café ☕ 🎉", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate", "\ufffd literal"}
	var all strings.Builder
	for b := range 256 {
		all.WriteByte(byte(b))
	}
	return append(s, all.String())
}

func TestAppendResponseMatchesMarshal(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	lordHowe, _ := time.LoadLocation("Australia/Lord_Howe")
	times := []time.Time{
		time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 10, 0, 0, 123456789, kolkata),
		time.Date(2026, 10, 4, 1, 59, 59, 0, lordHowe),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -3600)),
	}
	var cases []checkresult.Response
	for i, s := range hostileStrings() {
		r := checkresult.Response{
			IsOpen: i%2 == 0, ClosedReason: s, Schedule: s, TimeZone: s, At: times[i%len(times)],
			Holiday: s, ConfigVersion: uint64(i) * 1e17,
		}
		if i%3 != 0 {
			r.Rule = &checkresult.Rule{ID: s, Name: s + "x"}
		}
		if i%4 != 0 {
			r.NextTransition = &checkresult.Next{At: times[(i+1)%len(times)], IsOpen: i%3 == 0, ClosedReason: s}
		}
		if i%5 != 0 {
			r.NextOpening = times[(i+2)%len(times)]
		}
		cases = append(cases, r, checkresult.Response{At: times[i%len(times)]})
	}
	for i, r := range cases {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendResponse(nil, &r)
		if !ok || string(got) != string(want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
	for _, bad := range []checkresult.Response{
		{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{NextOpening: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, ok := appendResponse(nil, &bad); ok {
			t.Errorf("year 10000 encoded: %+v", bad)
		}
	}
}

func TestAppendResponseAllocs(t *testing.T) {
	r := checkresult.Response{IsOpen: true, Schedule: "Support", TimeZone: "America/Chicago", At: time.Now(),
		Rule: &checkresult.Rule{ID: "a", Name: "b"}, NextTransition: &checkresult.Next{At: time.Now()}, NextOpening: time.Now(), ConfigVersion: 7}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf, _ = appendResponse(buf[:0], &r) }); n != 0 {
		t.Errorf("appendResponse allocates %v times", n)
	}
}

func TestQueryParams(t *testing.T) {
	tests := []struct {
		raw, name, sim string
		err            bool
	}{
		{"name=Support", "Support", "", false},
		{"simulate=2026-03-02T08%3A00&name=A+B", "A B", "2026-03-02T08:00", false},
		{"name=first&name=second", "first", "", false},
		{"n%61me=escaped+key", "escaped key", "", false},
		{"other=1&&=&name", "", "", false},
		{"name=%E2%98%95", "☕", "", false},
		{"name=%zz", "", "", true},
	}
	for _, tc := range tests {
		p, err := queryParams(tc.raw, checkParams{})
		if (err != nil) != tc.err || p.name != tc.name || p.simulate != tc.sim {
			t.Errorf("queryParams(%q) = %+v, %v", tc.raw, p, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = queryParams("name=Support&simulate=", checkParams{}) }); n != 0 {
		t.Errorf("queryParams of an unescaped query allocates %v times", n)
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 200)
	if q := quote(long); q != `"`+strings.Repeat("é", 80)+`"…` {
		t.Errorf("quote(long) = %s", q)
	}
	if q := quote("a\"b\n"); q != `"a\"b\n"` {
		t.Errorf("quote = %s", q)
	}
}
