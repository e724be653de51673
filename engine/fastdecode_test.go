package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"unsafe"
)

// stdDecode decodes data as parseDocument's fallback does.
func stdDecode(data []byte) (Document, error) {
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return Document{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Document{}, errors.New("trailing data")
	}
	return doc, nil
}

// fastDecodeSeeds are documents in and out of the fast decoder's subset.
var fastDecodeSeeds = []string{
	`{"rules":[{"id":"a","name":"A","isOpen":true,"startTime":"08:00","endTime":"17:00","dateRRule":"RRULE:FREQ=WEEKLY;BYDAY=MO"}],
	  "schedules":[{"name":"S","manualClose":false,"timeZone":"UTC","rules":["a"]}]}`,
	`{"rules":[],"schedules":[]}`,
	`{"rules":null,"schedules":null,"calendars":null}`,
	`{}`,
	` {"schedules":[{"name":"S","rules":[],"timeZone":null,"manualClose":null}]} ` + "\n",
	`{"rules":[{"id":"a","name":"caf\u00e9 \"x\" \\ \/ \b\f\n\r\t \ud83d\ude00 é"}]}`,
	`{"rules":[{"id":"a","x-note":{"k":[1,-2.5e3,true,false,null,"s",{}]}}],"$schema":"x"}`,
	`{"calendars":[{"id":"c","ics":"BEGIN:VCALENDAR\r\nEND:VCALENDAR","url":"https://x","refresh":"@every 6h","name":"C"}]}`,
	// Outside the subset: encoding/json decides.
	`{"Rules":[]}`,
	`{"rules":[{"ID":"a"}]}`,
	`{"rules":[],"rules":[]}`,
	`{"schedules":[{"name":"a","name":"b"}]}`,
	`{"schedules":[null]}`,
	`{"schedules":[{"rules":[null]}]}`,
	`{"rules":[{"id":"\ud800"}]}`,
	"{\"rules\":[{\"id\":\"\xff\"}]}",
	`{"rules":[]} x`,
	`null`,
	`[]`,
	`{"rules":[{"isOpen":"yes"}]}`,
	`{"rules":[{"id":1}]}`,
	`{"x":01}`,
	`{"x":truex}`,
	`{"sch\u0065dules":[]}`,
	`{"ſchedules":[]}`,
	`{"rules":[{"id":"a"}`,
}

// FuzzFastDecode: whenever the fast decoder decodes a document,
// encoding/json decodes the same Document, and UnknownFields finds nothing
// when the fast decoder saw no unknown member.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastDecodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, unknown, ok := decodeFast(data, sizeHints{})
		if !ok {
			return
		}
		std, err := stdDecode(data)
		if err != nil {
			t.Fatalf("fast decoded %q, encoding/json fails: %v", data, err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("%q:\nfast %#v\nstd  %#v", data, fast, std)
		}
		if !unknown {
			if w := UnknownFields(data); len(w) > 0 {
				t.Fatalf("%q: no unknown member seen, UnknownFields says %v", data, w)
			}
		}
	})
}

// TestFastDecodeSubset: the documents the fast decoder takes and those it
// leaves to encoding/json (seeds above), and size hints change nothing.
func TestFastDecodeSubset(t *testing.T) {
	takes := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true}
	for i, s := range fastDecodeSeeds {
		fast, _, ok := decodeFast([]byte(s), sizeHints{})
		if ok != takes[i] {
			t.Errorf("seed %d %q: fast decoder took it: %v, want %v", i, s, ok, takes[i])
			continue
		}
		if !ok {
			continue
		}
		std, err := stdDecode([]byte(s))
		if err != nil || !reflect.DeepEqual(fast, std) {
			t.Errorf("seed %d: fast %#v, std %#v (%v)", i, fast, std, err)
		}
		hinted, _, _ := decodeFast([]byte(s), sizeHints{rules: 3, schedules: 5})
		if !reflect.DeepEqual(hinted, std) {
			t.Errorf("seed %d with hints: %#v, std %#v", i, hinted, std)
		}
	}
}

// TestFastDecodeInterns: the schedules' rule lists share the rules' id
// strings, and each list has its own capacity (appending copies).
func TestFastDecodeInterns(t *testing.T) {
	doc, _, ok := decodeFast([]byte(`{"rules":[{"id":"rule-1"}],"schedules":[{"name":"a","rules":["rule-1"]},{"name":"b","rules":["rule-1"]}]}`), sizeHints{})
	if !ok {
		t.Fatal("not decoded")
	}
	a, b := doc.Schedules[0].Rules, doc.Schedules[1].Rules
	if unsafeStringData(a[0]) != unsafeStringData(doc.Rules[0].ID) || unsafeStringData(b[0]) != unsafeStringData(a[0]) {
		t.Error("rule ids are not interned")
	}
	if cap(a) != 1 {
		t.Errorf("cap %d, want 1", cap(a))
	}
	if grown := append(a, "x"); len(grown) != 2 || b[0] != "rule-1" {
		t.Errorf("appending to one list changed another: %q", b)
	}
}

func unsafeStringData(s string) *byte { return unsafe.StringData(s) }

// FuzzSpansFast: whenever the fast scanner lists the members of an object
// or the elements of an array, encoding/json lists the same ones at the
// same places (the manual-close editor splices there).
func FuzzSpansFast(f *testing.F) {
	for _, s := range fastDecodeSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[ {"a" : 1 , "b":[1, {"c":"\u00e9"}]} , "x\"y", -1.5e3, true, null ]`))
	f.Add([]byte(` { "schedules" : [ { "name" : "S", "manualClose" : false } ] , "rules" : [] } `))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := span{0, len(data)}
		for len(data) > 0 && isSpace(data[whole.start]) && whole.start < whole.end-1 {
			whole.start++
		}
		if fast, ok := membersFast(data, whole); ok {
			std, err := objectMembersJSON(data, whole)
			if err != nil {
				t.Fatalf("%q: fast scanner read %d members, encoding/json fails: %v", data, len(fast), err)
			}
			if len(fast) != len(std) || (len(fast) > 0 && !reflect.DeepEqual(fast, std)) {
				t.Fatalf("%q:\nfast %v\nstd  %v", data, fast, std)
			}
		}
		if fast, ok := elementsFast(data, whole); ok {
			std, err := arrayElementsJSON(data, whole)
			if err != nil {
				t.Fatalf("%q: fast scanner read %d elements, encoding/json fails: %v", data, len(fast), err)
			}
			if len(fast) != len(std) || (len(fast) > 0 && !reflect.DeepEqual(fast, std)) {
				t.Fatalf("%q:\nfast %v\nstd  %v", data, fast, std)
			}
		}
	})
}
