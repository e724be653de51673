package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// utf8Doc is a valid document with two rules and two schedules; the tests
// put bad text in place of its markers.
const utf8Doc = `{
  "x-note": "NOTE",
  "rules": [
    {"id": "ID0", "name": "Weekdays", "isOpen": true, "dateRRule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"},
    {"id": "lunch", "name": "Lunch", "isOpen": false, "closedReason": "REASON", "startTime": "12:00", "endTime": "13:00", "KEY": 1}
  ],
  "schedules": [
    {"name": "Support", "timeZone": "America/Chicago", "rules": ["ID0", "lunch"]},
    {"name": "NAME", "timeZone": "Europe/Paris", "rules": ["ID0"], "x-tags": ["a", "TAG"]}
  ]
}`

func TestCheckText(t *testing.T) {
	tests := []struct {
		name    string
		marker  string // replaced in utf8Doc
		bad     string
		path    string // "" when valid
		message string
	}{
		{"Latin-1 byte in a schedule name", "NAME", "Caf\xe9", "schedules[1].name", "not valid UTF-8 (byte 0xe9 at line 9, column 18)"},
		{"0xff in a rule id", `"ID0", "name"`, "\"\xffID0\", \"name\"", "rules[0].id", "byte 0xff at line 4, column 13"},
		{"lone high surrogate in a schedule name", "NAME", `Desk \ud800`, "schedules[1].name", `\ud800 at line 9, column 20 is half of a surrogate pair`},
		{"lone low surrogate, upper case", "NAME", `\uDC00x`, "schedules[1].name", `\uDC00 at line 9, column 15`},
		{"high surrogate then a non-surrogate escape", "NAME", `\ud83d\u0041`, "schedules[1].name", `\ud83d at line 9`},
		{"two high surrogates", "NAME", `\ud83d\ud83d\ude00`, "schedules[1].name", `\ud83d at line 9, column 15`},
		{"surrogate at the very end of a string", "NAME", `ab\udbff`, "schedules[1].name", `\udbff`},
		{"UTF-8 encoded surrogate (CESU)", "NAME", "\xed\xa0\x80", "schedules[1].name", "byte 0xed"},
		{"overlong encoding", "NAME", "\xc0\xaf", "schedules[1].name", "byte 0xc0"},
		{"truncated sequence", "NAME", "caf\xc3", "schedules[1].name", "byte 0xc3"},
		{"free text too: closed reason", "REASON", "d\xe9jeuner", "rules[1].closedReason", "byte 0xe9"},
		{"free text too: an extension field", "NOTE", "\xfe", "x-note", "byte 0xfe at line 2, column 14"},
		{"inside an array of an extension", "TAG", "\x80", `schedules[1].x-tags[1]`, "byte 0x80"},
		{"a member name", "KEY", "k\xff", "rules[1]", "a member name is not valid UTF-8 (byte 0xff"},
		{"a member name with a lone surrogate", "KEY", `\ud800`, "rules[1]", `a member name is not valid UTF-16: \ud800`},
		{"a rule reference", `"rules": ["ID0"]`, "\"rules\": [\"ID0\", \"\xa0\"]", "schedules[1].rules[1]", "byte 0xa0"},
		{"valid: a surrogate pair", "NAME", `Team \ud83d\ude00`, "", ""},
		{"valid: upper-case pair", "NAME", `\uD83D\uDE00`, "", ""},
		{"valid: raw emoji and accents", "NAME", "Café 🎉 日本", "", ""},
		{"valid: U+FFFD itself", "NAME", "\ufffd", "", ""},
		{"valid: escaped backslash before ud800", "NAME", `\\ud800`, "", ""},
		{"valid: other escapes", "NAME", `\"q\" \/ \u00e9`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(utf8Doc, tc.marker) {
				t.Fatalf("marker %q not in the document", tc.marker)
			}
			data := []byte(strings.Replace(utf8Doc, tc.marker, tc.bad, 1))
			if !json.Valid(data) {
				t.Fatalf("test document is not JSON:\n%s", data)
			}
			doc, err := ParseDocument(data)
			if tc.path == "" {
				if err != nil {
					t.Fatalf("ParseDocument: %v", err)
				}
				if _, err := Compile(doc); err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 {
				t.Fatalf("want one field error at %s, got %v", tc.path, err)
			}
			if fe := ve.Errors[0]; fe.Path != tc.path || !strings.Contains(fe.Msg, tc.message) {
				t.Errorf("got %s: %s\nwant %s: ...%s...", fe.Path, fe.Msg, tc.path, tc.message)
			}
			if _, err := Load(data); !errors.As(err, &ve) {
				t.Errorf("Load accepted it: %v", err)
			}
			// A version stored before this check still loads.
			if _, err := LoadStored(data); err != nil && !strings.Contains(tc.name, "rule id") && !strings.Contains(tc.name, "rule reference") {
				t.Errorf("LoadStored: %v", err)
			}
		})
	}
}

// TestCheckTextLists: every bad string is listed, in document order, up
// to maxTextErrors, with a last line saying more were left out.
func TestCheckTextLists(t *testing.T) {
	data := []byte(strings.NewReplacer("NAME", "\xff", "REASON", "\xfe", "NOTE", `\udfff`).Replace(utf8Doc))
	var paths []string
	for _, fe := range checkText(data) {
		paths = append(paths, fe.Path)
	}
	if want := []string{"x-note", "rules[1].closedReason", "schedules[1].name"}; strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths %v, want %v", paths, want)
	}

	var b strings.Builder
	b.WriteString(`{"rules": [`)
	for i := range 250 {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"id": "r` + "\xe9" + `"}`)
	}
	b.WriteString(`], "schedules": []}`)
	errs := checkText([]byte(b.String()))
	if len(errs) != maxTextErrors+1 {
		t.Fatalf("%d errors, want %d and a summary", len(errs), maxTextErrors+1)
	}
	if errs[99].Path != "rules[99].id" || !strings.Contains(errs[99].Msg, "line 100, column 10") {
		t.Errorf("100th error: %v", errs[99])
	}
	if last := errs[maxTextErrors]; last.Path != "(document)" || !strings.Contains(last.Msg, "only the first 100 are listed") {
		t.Errorf("summary: %v", last)
	}
}

// TestCheckTextPaths: member names that cannot follow a dot are quoted,
// long ones truncated, escaped ones decoded.
func TestCheckTextPaths(t *testing.T) {
	long := strings.Repeat("k", 200)
	for _, tc := range []struct{ doc, path string }{
		{"{\"a b\": \"\xff\"}", `["a b"]`},
		{"{\"x-\\u00e9\": [\"\xff\"]}", `["x-é"][0]`},
		{"{\"" + long + "\": \"\xff\"}", `["` + strings.Repeat("k", 80) + `…"]`},
		{"\"\xff\"", "(document)"},
		{"{\"\xff\": 1}", "(document)"},
		{"[[1, \"\xff\"]]", "[0][1]"},
		{"{\"a\": {\"b\": [{}, {\"c\": \"\xff\"}]}}", "a.b[1].c"},
	} {
		errs := checkText([]byte(tc.doc))
		if len(errs) != 1 || errs[0].Path != tc.path {
			t.Errorf("%q: got %v, want one error at %s", tc.doc, errs, tc.path)
		}
	}
}

// FuzzCheckText: checkText never panics, and on any JSON text it agrees
// with utf8.Valid on the raw bytes (it reports invalid UTF-8 exactly when
// there is some) and with encoding/json on surrogates (a document without
// U+FFFD of its own has problems exactly when decoding it produces U+FFFD).
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{
		utf8Doc, `{"a": "\xff"}`, `{"\ud800": 1}`, `["\ud83d\ude00", "\udc00"]`, `"\\ud800"`, `{"a": "\ud800\u0041"}`,
		`{"a": ["\ud800\ud800\udc00"]}`, "\"\xed\xa0\x80\"", `{"a": "\uD83D\uDE00"}`, `{"a": "x\u"`, `[`, `"\`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		errs := checkText(data) // must not panic, whatever data is
		for _, fe := range errs {
			if fe.Path == "" || len(fe.Error()) > 1000 {
				t.Fatalf("bad field error %.200q", fe.Error())
			}
		}
		if len(errs) > maxTextErrors+1 {
			t.Fatalf("%d errors", len(errs))
		}
		if !json.Valid(data) {
			return
		}
		utf8Problem := false
		for _, fe := range errs {
			utf8Problem = utf8Problem || strings.Contains(fe.Msg, "not valid UTF-8")
		}
		if utf8Problem == utf8.Valid(data) {
			t.Fatalf("utf8.Valid = %v but checkText says %v", utf8.Valid(data), errs)
		}
		if bytes.Contains(data, []byte("\ufffd")) || bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
			return // U+FFFD of its own: decoding cannot tell
		}
		if replaced := decodesToReplacement(t, data); replaced != (len(errs) > 0) {
			t.Fatalf("decoding replaced characters: %v; checkText: %v", replaced, errs)
		}
	})
}

// decodesToReplacement reports whether encoding/json decodes any string
// or member name of the JSON text data (duplicate names included) to
// something holding U+FFFD.
func decodesToReplacement(t *testing.T, data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // 1E1000 is valid JSON but no float64
	replaced := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return replaced
		}
		if err != nil {
			t.Fatalf("json.Valid but Token: %v", err)
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, utf8.RuneError) {
			replaced = true
		}
	}
}

// BenchmarkCheckText measures the encoding check of a 1,000-schedule
// document: valid (one utf8.Valid pass, the common case), valid with
// escaped surrogate pairs (these need the walk) and with one bad byte in
// its last string (the walk that finds its path).
//
//	go test -run '^$' -bench CheckText -benchmem ./engine
func BenchmarkCheckText(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"rules": [{"id": "r", "name": "Café hours", "isOpen": true}], "schedules": [`)
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(`{"name": "Équipe ` + strings.Repeat("x", i%50) + `", "timeZone": "Europe/Paris", "rules": ["r"], "x-note": "\ud83d\ude00"}`)
	}
	withPairs := sb.String() + `]}`
	valid := strings.ReplaceAll(withPairs, `\ud83d\ude00`, "🎉")
	bad := valid[:len(valid)-4] + "\xff\"}]}"
	for _, bc := range []struct {
		name string
		data []byte
		errs int
	}{{"valid", []byte(valid), 0}, {"valid-with-escaped-pairs", []byte(withPairs), 0}, {"one-bad-byte", []byte(bad), 1}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				if n := len(checkText(bc.data)); n != bc.errs {
					b.Fatalf("%d errors, want %d", n, bc.errs)
				}
			}
		})
	}
}
