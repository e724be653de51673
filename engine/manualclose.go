package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// ErrUnknownSchedule is returned, wrapped, by SetManualClose when the
// document has no schedule of the given name. Test for it with errors.Is.
var ErrUnknownSchedule = errors.New("unknown schedule")

// SetManualClose returns data with the manualClose flag of the named
// schedule set to closed.
//
// The edit is surgical: only that value changes (or, when the schedule has
// no manualClose member, one is inserted first in its object with the
// indentation of the next member), so formatting, key order, unknown fields
// and every other schedule stay byte for byte as they were. An admin's
// hand-written file therefore survives an emergency close from the API.
//
// changed is false, and out is data, when the schedule already is in that
// state. data must load (Load); if it does not, the error is Load's. An
// unknown schedule is ErrUnknownSchedule. A document whose top level
// repeats the "schedules" member cannot be edited: encoding/json merges the
// repeated arrays element by element, other JSON readers keep the last one,
// so no single place holds the flag that every reader sees. The result is
// loaded and checked to differ from data in exactly that flag, so a bug in
// the edit is an error rather than a silently different config.
func SetManualClose(data []byte, schedule string, closed bool) (out []byte, changed bool, err error) {
	before, err := Load(data)
	if err != nil {
		return nil, false, err
	}
	sc, ok := before.Schedule(schedule)
	if !ok {
		return nil, false, fmt.Errorf("%w %s", ErrUnknownSchedule, quote(schedule))
	}
	if sc.ManualClose() == closed {
		return data, false, nil
	}
	out, err = setScheduleMember(data, sc.index, "manualClose", []byte(strconv.FormatBool(closed)))
	if err != nil {
		return nil, false, fmt.Errorf("set manualClose of %s: %w", quote(schedule), err)
	}
	after, err := Load(out)
	if err != nil {
		return nil, false, fmt.Errorf("after setting manualClose of %s: %w", quote(schedule), err)
	}
	want := before.Document() // a copy: before stays as it was
	want.Schedules[sc.index].ManualClose = closed
	if !reflect.DeepEqual(want, after.doc) {
		return nil, false, fmt.Errorf("setting manualClose of %s changed more than that flag", quote(schedule))
	}
	return out, true, nil
}

// span is the byte range [start, end) of a JSON value inside a document.
type span struct{ start, end int }

// member is one member of a JSON object.
type member struct {
	key   string
	value span
}

// setScheduleMember sets member key (and any member whose key matches it
// the way encoding/json does, case-insensitively) of element index of the
// top-level "schedules" array to value, or inserts it first in that object.
// The element is found by its index, the one Compile recorded, rather than
// by decoding every element's name again.
func setScheduleMember(data []byte, index int, key string, value []byte) ([]byte, error) {
	return setElementMember(data, "schedules", index, key, value)
}

// topArray finds the one top-level member arrayKey of the document; ok is
// false when there is none.
func topArray(data []byte, arrayKey string) (span, bool, error) {
	top, err := objectMembers(data, span{0, len(data)})
	if err != nil {
		return span{}, false, err
	}
	var found []span
	for _, m := range top {
		if foldEqual(m.key, arrayKey) {
			found = append(found, m.value)
		}
	}
	switch len(found) {
	case 0:
		return span{}, false, nil
	case 1:
		return found[0], true, nil
	}
	return span{}, false, fmt.Errorf(`the document has %d %q members; JSON readers disagree on which one counts, so write it with one`, len(found), arrayKey)
}

// setElementMember is setScheduleMember for element index of any
// top-level array.
func setElementMember(data []byte, arrayKey string, index int, key string, value []byte) ([]byte, error) {
	arr, ok, err := topArray(data, arrayKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the document has no %q member", arrayKey)
	}
	elems, err := arrayElements(data, arr)
	if err != nil {
		return nil, err
	}
	if index >= len(elems) {
		return nil, fmt.Errorf(`%q has %d elements, not %d`, arrayKey, len(elems), index+1)
	}
	el := elems[index]
	members, err := objectMembers(data, el)
	if err != nil {
		return nil, fmt.Errorf("%s[%d]: %w", arrayKey, index, err)
	}
	var out []byte
	last := 0
	replaced := false
	for _, m := range members {
		// Every spelling is set, so the result does not depend on which
		// one a reader lets win.
		if foldEqual(m.key, key) {
			out = append(out, data[last:m.value.start]...)
			out = append(out, value...)
			last = m.value.end
			replaced = true
		}
	}
	if replaced {
		return append(out, data[last:]...), nil
	}
	// Insert after '{', copying the indentation of the first member.
	open := el.start + 1
	ws := open
	for ws < el.end && isSpace(data[ws]) {
		ws++
	}
	ins := make([]byte, 0, len(data)+len(key)+len(value)+8+(ws-open))
	ins = append(ins, data[:ws]...)
	ins = append(ins, '"')
	ins = append(ins, key...)
	ins = append(ins, `": `...)
	ins = append(ins, value...)
	if len(members) > 0 {
		ins = append(ins, ',')
		ins = append(ins, data[open:ws]...)
	}
	return append(ins, data[ws:]...), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// foldEqual matches object keys the way encoding/json matches field names.
func foldEqual(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// objectMembers lists the members of the JSON object at sp in data.
func objectMembers(data []byte, sp span) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data[sp.start:sp.end]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("expected a JSON object")
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := t.(string)
		if !ok {
			return nil, errors.New("expected an object key")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := sp.start + int(dec.InputOffset())
		out = append(out, member{key: key, value: span{end - len(raw), end}})
	}
	return out, nil
}

// arrayElements lists the elements of the JSON array at sp in data.
func arrayElements(data []byte, sp span) ([]span, error) {
	dec := json.NewDecoder(bytes.NewReader(data[sp.start:sp.end]))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, errors.New("expected a JSON array")
	}
	var out []span
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := sp.start + int(dec.InputOffset())
		out = append(out, span{end - len(raw), end})
	}
	return out, nil
}
