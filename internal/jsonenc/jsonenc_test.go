package jsonenc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// seeds are strings every JSON encoder gets wrong once: quotes, controls,
// HTML characters, line separators, invalid UTF-8 and every byte.
func seeds() []string {
	s := []string{"", "plain", `quote " and \ backslash`, "<script>alert(1)</script> & co", "line\nbreak\r\ttab\b\f",
		"\x00\x01\x1f\x7f", "café ☕ 🎉", "\u2028\u2029", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate", "\ufffd literal"}
	var all strings.Builder
	for b := range 256 {
		all.WriteByte(byte(b))
	}
	return append(s, all.String())
}

// String encodes as encoding/json does, whatever the bytes.
func FuzzString(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestTime(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	for _, tm := range []time.Time{
		time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 10, 0, 0, 123456789, kolkata),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -3600)),
	} {
		want, _ := json.Marshal(tm)
		if got, ok := Time(nil, tm); !ok || string(got) != string(want) {
			t.Errorf("Time(%v) = %s %v, want %s", tm, got, ok, want)
		}
	}
	for _, y := range []int{-1, 10000} {
		if _, ok := Time(nil, time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
			t.Errorf("year %d encoded; encoding/json refuses it", y)
		}
	}
}
