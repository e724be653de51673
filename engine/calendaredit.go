package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// ErrUnknownCalendar is returned, wrapped, when a document has no calendar
// of the given id. Test for it with errors.Is.
var ErrUnknownCalendar = errors.New("unknown calendar")

// PutCalendar returns data with calendar c added to its "calendars" (or,
// when a calendar with c.ID exists, with that calendar replaced by c).
//
// Like SetManualClose the edit is surgical: the rest of the document stays
// byte for byte as it was (the calendar itself is written compactly), and
// the result is loaded and checked to differ from data in exactly that
// calendar. changed is false, and out is data, when the document already
// holds c. The result must load: a calendar that does not validate (bad
// text, over a limit) is the *ValidationError of Load.
func PutCalendar(data []byte, c CalendarDoc) (out []byte, changed bool, err error) {
	before, err := Load(data)
	if err != nil {
		return nil, false, err
	}
	want := before.Document()
	index := -1
	for i, old := range want.Calendars {
		if old.ID == c.ID {
			index = i
		}
	}
	if index >= 0 && want.Calendars[index] == c {
		return data, false, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, false, fmt.Errorf("encode calendar: %w", err)
	}
	value := bytes.TrimSpace(buf.Bytes())
	if index >= 0 {
		want.Calendars[index] = c
		out, err = replaceElement(data, "calendars", index, value)
	} else {
		want.Calendars = append(want.Calendars, c)
		out, err = appendElement(data, "calendars", value)
	}
	if err != nil {
		return nil, false, fmt.Errorf("put calendar %s: %w", quote(c.ID), err)
	}
	after, err := Load(out)
	if err != nil {
		return nil, false, err
	}
	if !reflect.DeepEqual(want, after.doc) {
		return nil, false, fmt.Errorf("putting calendar %s changed more than that calendar", quote(c.ID))
	}
	return out, true, nil
}

// CalendarOf returns the calendar with the given id from a document.
func CalendarOf(doc Document, id string) (CalendarDoc, error) {
	for _, c := range doc.Calendars {
		if c.ID == id {
			return c, nil
		}
	}
	return CalendarDoc{}, fmt.Errorf("%w %s", ErrUnknownCalendar, quote(id))
}

// replaceElement replaces element index of the top-level array arrayKey.
func replaceElement(data []byte, arrayKey string, index int, value []byte) ([]byte, error) {
	elems, err := topElements(data, arrayKey)
	if err != nil {
		return nil, err
	}
	if index >= len(elems) {
		return nil, fmt.Errorf(`%q has %d elements, not %d`, arrayKey, len(elems), index+1)
	}
	el := elems[index]
	out := make([]byte, 0, len(data)-(el.end-el.start)+len(value))
	out = append(out, data[:el.start]...)
	out = append(out, value...)
	return append(out, data[el.end:]...), nil
}

// appendElement appends value to the top-level array arrayKey, creating
// the member (last in the object) when the document has none.
func appendElement(data []byte, arrayKey string, value []byte) ([]byte, error) {
	arr, ok, err := topArray(data, arrayKey)
	if err != nil {
		return nil, err
	}
	var at int
	var ins []byte
	if ok {
		elems, err := arrayElements(data, arr)
		if err != nil {
			return nil, err
		}
		if len(elems) > 0 {
			at = elems[len(elems)-1].end
			ins = append([]byte(", "), value...)
		} else {
			at = arr.start + 1
			ins = value
		}
	} else {
		top, err := objectMembers(data, span{0, len(data)})
		if err != nil {
			return nil, err
		}
		member := append([]byte(`"`+arrayKey+`": [`), value...)
		member = append(member, ']')
		if len(top) > 0 {
			at = top[len(top)-1].value.end
			ins = append([]byte(",\n  "), member...)
		} else {
			at = bytes.IndexByte(data, '{') + 1
			ins = member
		}
	}
	out := make([]byte, 0, len(data)+len(ins))
	out = append(out, data[:at]...)
	out = append(out, ins...)
	return append(out, data[at:]...), nil
}
