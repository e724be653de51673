package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

func TestSetManualClose(t *testing.T) {
	const rules = `"rules": [{"id": "r", "isOpen": true}]`
	tests := []struct {
		name, doc, schedule string
		closed              bool
		want                string // "" with changed false: unchanged
		err                 error
	}{
		{
			name: "compact", schedule: "A", closed: true,
			doc:  `{` + rules + `,"schedules":[{"name":"A","manualClose":false,"timeZone":"UTC","rules":["r"]}]}`,
			want: `{` + rules + `,"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC","rules":["r"]}]}`,
		},
		{
			name: "pretty, second schedule, unknown fields", schedule: "B", closed: true,
			doc:  "{\n  \"x\": {\"y\": [1, 2]},\n  " + rules + ",\n  \"schedules\": [\n    {\"name\": \"A\", \"manualClose\": false, \"timeZone\": \"UTC\", \"rules\": []},\n    {\"ext\": null, \"name\": \"B\", \"manualClose\" :  false , \"timeZone\": \"UTC\", \"rules\": []}\n  ]\n}\n",
			want: "{\n  \"x\": {\"y\": [1, 2]},\n  " + rules + ",\n  \"schedules\": [\n    {\"name\": \"A\", \"manualClose\": false, \"timeZone\": \"UTC\", \"rules\": []},\n    {\"ext\": null, \"name\": \"B\", \"manualClose\" :  true , \"timeZone\": \"UTC\", \"rules\": []}\n  ]\n}\n",
		},
		{
			name: "missing member is inserted with the indentation", schedule: "A", closed: true,
			doc:  "{" + rules + ", \"schedules\": [{\n      \"name\": \"A\",\n      \"timeZone\": \"UTC\"\n    }]}",
			want: "{" + rules + ", \"schedules\": [{\n      \"manualClose\": true,\n      \"name\": \"A\",\n      \"timeZone\": \"UTC\"\n    }]}",
		},
		{
			name: "reopen", schedule: "A", closed: false,
			doc:  `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":false,"timeZone":"UTC"}]}`,
		},
		{
			name: "null flag", schedule: "A", closed: true,
			doc:  `{"schedules":[{"name":"A","manualClose":null,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			// encoding/json matches keys case-insensitively and lets the last
			// win; every spelling is set so the result is unambiguous.
			name: "case variants of the key", schedule: "A", closed: true,
			doc:  `{"schedules":[{"name":"A","manualClose":false,"ManualClose":false,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":true,"ManualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			name: "escaped name in the source", schedule: "Café", closed: true,
			doc:  `{"schedules":[{"name":"Caf\u00e9","timeZone":"UTC"}]}`,
			want: `{"schedules":[{"manualClose": true,"name":"Caf\u00e9","timeZone":"UTC"}]}`,
		},
		{
			name: "Schedules key spelled differently", schedule: "A", closed: true,
			doc:  `{"Schedules":[{"name":"A","timeZone":"UTC"}]}`,
			want: `{"Schedules":[{"manualClose": true,"name":"A","timeZone":"UTC"}]}`,
		},
		{
			name: "already closed", schedule: "A", closed: true,
			doc: `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			name: "unknown schedule", schedule: "Z", closed: true,
			doc: `{"schedules":[{"name":"A","timeZone":"UTC"}]}`, err: engine.ErrUnknownSchedule,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := engine.SetManualClose([]byte(tc.doc), tc.schedule, tc.closed)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if tc.want == "" {
				if changed || string(out) != tc.doc {
					t.Fatalf("changed %v:\n%s", changed, out)
				}
				return
			}
			if !changed || string(out) != tc.want {
				t.Errorf("changed %v\n got %s\nwant %s", changed, out, tc.want)
			}
		})
	}
	_, _, err := engine.SetManualClose([]byte(`{"schedules":[{"name":"A","timeZone":"Nowhere/Land"}]}`), "A", true)
	if err == nil {
		t.Error("an invalid stored document was edited")
	}
	// The caller tells "fix the document" from "no such schedule".
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || errors.Is(err, engine.ErrUnknownSchedule) {
		t.Errorf("invalid document: err = %v, want the *ValidationError of Load", err)
	}
	if _, _, err := engine.SetManualClose([]byte(`{"schedules":[{"name":"A","timeZone":"UTC"}]}`), "Z", true); err == nil || err.Error() != `unknown schedule "Z"` {
		t.Errorf("unknown schedule: err = %v", err)
	}
	// encoding/json merges repeated arrays element by element: "A" gets its
	// name from the first array and would get its flag from the second, which
	// a reader keeping the last array sees without a name. Refused, and not
	// as an unknown schedule (the service serves "A").
	_, _, err = engine.SetManualClose([]byte(`{"schedules":[{"name":"A","timeZone":"UTC"}],"Schedules":[{"timeZone":"UTC"}]}`), "A", true)
	if err == nil || errors.Is(err, engine.ErrUnknownSchedule) || !strings.Contains(err.Error(), `2 "schedules" members`) {
		t.Errorf("repeated schedules: err = %v", err)
	}
}

// FuzzSetManualClose checks the edit on arbitrary documents and names: it
// never panics, never writes into its input, and when it succeeds the
// output loads, parses to the input's document with only that schedule's
// flag changed, and is the input's bytes with only the flag's value
// replaced (or one member inserted). The byte check finds the flag with a
// token walk of its own (flagSites), not with the editor's code. Run with:
//
//	go test -run='^$' -fuzz='^FuzzSetManualClose$' -fuzztime=2m ./engine
func FuzzSetManualClose(f *testing.F) {
	var docs [][]byte
	if files, err := filepath.Glob(filepath.Join("..", "examples", "*.json")); err == nil {
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				docs = append(docs, data)
			}
		}
	}
	for _, file := range testenv.TwilioExampleFiles(f) {
		if data, err := os.ReadFile(file); err == nil {
			docs = append(docs, data)
		}
	}
	const rules = `"rules": [{"id": "r", "isOpen": true}]`
	for _, s := range []string{
		// Shaped like Twilio's files: UUID ids, two-space indentation.
		"{\n  \"rules\": [\n    {\n      \"id\": \"5c0c7b9c-787f-4245-bb5b-b31160cb3ec5\",\n      \"name\": \"Open hours\",\n      \"isOpen\": true,\n      \"closedReason\": \"\",\n      \"dateRRule\": \"RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\",\n      \"startTime\": \"08:00\",\n      \"endTime\": \"17:00\"\n    }\n  ],\n  \"schedules\": [\n    {\n      \"name\": \"Example\",\n      \"manualClose\": false,\n      \"timeZone\": \"America/Chicago\",\n      \"rules\": [\"5c0c7b9c-787f-4245-bb5b-b31160cb3ec5\"]\n    }\n  ]\n}\n",
		`{` + rules + `,"schedules":[{"name":"A","manualClose":false,"timeZone":"UTC","rules":["r"]},{"name":"B","timeZone":"UTC"}]}`,
		"{\"x\": {\"y\": [1, 2]},\r\n\t" + rules + ",\"schedules\": [{\"ext\": null, \"name\": \"B\", \"manualClose\" :  true , \"timeZone\": \"UTC\"}]}",
		`{"schedules":[{"name":"A","manualClose":false,"ManualClose":null,"timeZone":"UTC"}]}`,
		`{"Schedules":[{"name":"Caf\u00e9","timeZone":"UTC","ext":{"manualClose":true}}]}`,
		`{"schedules":[{"name":"A","timeZone":"UTC"}],"x":{"schedules":[{"name":"A","manualClose":true}]}}`,
		`{"schedules":[{"name":"A","timeZone":"Nowhere/Land"}]}`,
		`{"schedules":[`,
		`[]`,
		``,
	} {
		docs = append(docs, []byte(s))
	}
	for _, d := range docs {
		for which := range uint8(3) {
			f.Add(d, "", which, true)
			f.Add(d, "", which, false)
		}
		f.Add(d, "Example", uint8(0), true)
		f.Add(d, "Nope", uint8(0), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string, which uint8, closed bool) {
		before, loadErr := engine.Load(data)
		// which > 0 picks an existing schedule, so that the fuzzer does not
		// have to guess names to reach the edit.
		index := -1
		if loadErr == nil {
			for i, s := range before.Schedules() {
				if which > 0 && i == int(which-1)%len(before.Schedules()) {
					name = s.Name()
				}
				if s.Name() == name {
					index = i
				}
			}
		}
		orig := bytes.Clone(data)
		out, changed, err := engine.SetManualClose(data, name, closed)
		if !bytes.Equal(data, orig) {
			t.Fatal("SetManualClose wrote into its input")
		}
		switch {
		case loadErr != nil:
			if err == nil || errors.Is(err, engine.ErrUnknownSchedule) {
				t.Fatalf("a document that does not load (%v): err = %v", loadErr, err)
			}
			return
		case index < 0:
			if !errors.Is(err, engine.ErrUnknownSchedule) {
				t.Fatalf("unknown schedule %q: err = %v", name, err)
			}
			return
		}
		sites, walkErr := findFlagSites(data, index)
		if walkErr != nil || (sites.repeats == 1 && !sites.found) {
			t.Fatalf("token walk of a loadable document: found %v, %v", sites.found, walkErr)
		}
		alreadySet := before.Schedules()[index].ManualClose() == closed
		switch {
		case sites.repeats > 1 && !alreadySet:
			if err == nil || errors.Is(err, engine.ErrUnknownSchedule) || changed || out != nil {
				t.Fatalf(`%d "schedules" members: err = %v, want a refusal`, sites.repeats, err)
			}
			return
		case err != nil:
			// The document loads and has the schedule: the edit must work.
			t.Fatalf("SetManualClose(%q, %v): %v", name, closed, err)
		}
		if !changed {
			if !alreadySet || !bytes.Equal(out, data) {
				t.Fatalf("unchanged, but manualClose was %v and the output differs", before.Schedules()[index].ManualClose())
			}
			return
		}

		// The parsed output is the parsed input with that one flag set.
		after, err := engine.Load(out)
		if err != nil {
			t.Fatalf("the output does not load: %v\n%s", err, out)
		}
		want := before.Document()
		want.Schedules[index].ManualClose = closed
		if got := after.Document(); !reflect.DeepEqual(want, got) {
			t.Fatalf("parsed output differs beyond the flag:\n got %+v\nwant %+v", got, want)
		}

		// The output minus the edit is the input.
		lit := []byte(strconv.FormatBool(closed))
		var expect []byte
		if len(sites.values) > 0 {
			last := 0
			for _, v := range sites.values {
				expect = append(expect, data[last:v.start]...)
				expect = append(expect, lit...)
				last = v.end
			}
			expect = append(expect, data[last:]...)
		} else {
			ws := sites.open
			for ws < len(data) && strings.IndexByte(" \t\r\n", data[ws]) >= 0 {
				ws++
			}
			expect = append(expect, data[:ws]...)
			expect = append(expect, `"manualClose": `...)
			expect = append(expect, lit...)
			if sites.members > 0 {
				expect = append(expect, ',')
				expect = append(expect, data[sites.open:ws]...)
			}
			expect = append(expect, data[ws:]...)
		}
		if !bytes.Equal(out, expect) {
			t.Fatalf("bytes beyond the flag changed:\n got %q\nwant %q", out, expect)
		}

		// Setting it again changes nothing.
		again, changed, err := engine.SetManualClose(out, name, closed)
		if err != nil || changed || !bytes.Equal(again, out) {
			t.Fatalf("second edit: changed %v, err %v", changed, err)
		}
	})
}

// valueSpan is the byte range [start, end) of a JSON value.
type valueSpan struct{ start, end int }

// flagSites is where one schedule's manualClose members are in a document.
type flagSites struct {
	repeats int         // how many top-level members are "schedules"
	found   bool        // the last one has an object at the index
	open    int         // offset just after the schedule object's '{'
	members int         // how many members the object has
	values  []valueSpan // each manualClose value, in document order
}

// findFlagSites walks the tokens of a loadable document to element index of
// its top-level "schedules" array (found is false when that is no object). Keys match as encoding/json matches
// them (case-insensitively; of repeated keys the last wins), so with
// several "schedules" members the last is the one that counts.
func findFlagSites(data []byte, index int) (flagSites, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return flagSites{}, fmt.Errorf("not an object: %v %v", tok, err)
	}
	var sites flagSites
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return flagSites{}, err
		}
		if k, _ := key.(string); !strings.EqualFold(k, "schedules") {
			if err := skipValue(dec, 0); err != nil {
				return flagSites{}, err
			}
			continue
		}
		sites = flagSites{repeats: sites.repeats + 1}
		tok, err := dec.Token()
		if err != nil {
			return flagSites{}, err
		}
		if tok != json.Delim('[') {
			continue // null: no schedules (Load would have failed)
		}
		for i := 0; dec.More(); i++ {
			tok, err := dec.Token()
			if err != nil {
				return flagSites{}, err
			}
			if i != index || tok != json.Delim('{') {
				if err := skipValue(dec, depthOf(tok)); err != nil {
					return flagSites{}, err
				}
				continue
			}
			sites.found = true
			sites.open = int(dec.InputOffset())
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return flagSites{}, err
				}
				sites.members++
				if k, _ := key.(string); !strings.EqualFold(k, "manualClose") {
					if err := skipValue(dec, 0); err != nil {
						return flagSites{}, err
					}
					continue
				}
				v, err := dec.Token()
				if err != nil {
					return flagSites{}, err
				}
				n := map[any]int{true: 4, false: 5, nil: 4}[v]
				if n == 0 {
					return flagSites{}, fmt.Errorf("manualClose is %v", v)
				}
				end := int(dec.InputOffset())
				sites.values = append(sites.values, valueSpan{end - n, end})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return flagSites{}, err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return flagSites{}, err
		}
	}
	return sites, nil
}

// depthOf is 1 for a token that opens an object or array, else 0.
func depthOf(tok json.Token) int {
	if tok == json.Delim('{') || tok == json.Delim('[') {
		return 1
	}
	return 0
}

// skipValue reads the rest of a value whose first depth levels are already
// open (0: the whole next value).
func skipValue(dec *json.Decoder, depth int) error {
	if depth == 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		depth = depthOf(tok)
	}
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func TestSetManualClosesBatch(t *testing.T) {
	doc := []byte(`{
  "rules": [{"id": "r", "isOpen": true}],
  "schedules": [
    {"name": "A", "timeZone": "UTC", "rules": ["r"]},
    {"name": "B", "manualClose": true, "timeZone": "UTC", "rules": ["r"], "x-note": "kept"},
    {"name": "C", "manualClose": false, "timeZone": "UTC", "rules": ["r"]}
  ]
}`)
	edits := []engine.ManualEdit{
		{Schedule: "A", Closed: true},  // inserted
		{Schedule: "B", Closed: true},  // already closed
		{Schedule: "Z", Closed: true},  // unknown
		{Schedule: "C", Closed: true},  // replaced
		{Schedule: "C", Closed: false}, // back again: changed relative to the edit before
	}
	out, results, err := engine.SetManualCloses(doc, edits)
	if err != nil {
		t.Fatal(err)
	}
	wantChanged := []bool{true, false, false, true, true}
	for i, r := range results {
		if r.Changed != wantChanged[i] {
			t.Errorf("edit %d (%+v): changed %v, want %v", i, edits[i], r.Changed, wantChanged[i])
		}
		if (i == 2) != (r.Err != nil) || (r.Err != nil && !errors.Is(r.Err, engine.ErrUnknownSchedule)) {
			t.Errorf("edit %d: err %v", i, r.Err)
		}
	}
	want := strings.Replace(string(doc), `{"name": "A", "timeZone"`, `{"manualClose": true,"name": "A", "timeZone"`, 1) // the indentation of the first member: none here
	if string(out) != want {
		t.Errorf("batch result:\n%s\nwant:\n%s", out, want)
	}
	// Nothing to change: the same bytes back.
	if out, _, err := engine.SetManualCloses(doc, []engine.ManualEdit{{Schedule: "B", Closed: true}}); err != nil || !bytes.Equal(out, doc) {
		t.Errorf("no-op batch: %v, changed bytes %v", err, !bytes.Equal(out, doc))
	}
}
