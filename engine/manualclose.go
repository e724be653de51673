package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
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
	out, results, err := SetManualCloses(data, []ManualEdit{{Schedule: schedule, Closed: closed}})
	if err != nil {
		return nil, false, err
	}
	if results[0].Err != nil {
		return nil, false, results[0].Err
	}
	return out, results[0].Changed, nil
}

// ManualEdit asks for the manualClose flag of one schedule.
type ManualEdit struct {
	Schedule string
	Closed   bool
}

// ManualResult is the outcome of one ManualEdit: Changed is false when the
// schedule already was in that state (as left by the edits before it); Err
// is ErrUnknownSchedule, wrapped, for a name the document lacks.
type ManualResult struct {
	Changed bool
	Err     error
}

// SetManualCloses applies several ManualEdits at once, in order, with the
// guarantees of SetManualClose: one decode before, one edit pass, one Load
// after, so a batch of many emergency closes costs about as much as one.
// results has one entry per edit. err (data does not load, the edit would
// change more than the flags) fails the whole batch; out is data when
// nothing changed.
func SetManualCloses(data []byte, edits []ManualEdit) (out []byte, results []ManualResult, err error) {
	out, _, results, err = SetManualClosesConfig(data, edits)
	return out, results, err
}

// SetManualClosesConfig is SetManualCloses that also returns the config
// of out, compiled by the check of the result (nil when nothing changed):
// a writer can serve it without compiling the document again, which at
// 100,000 schedules takes a few hundred milliseconds.
func SetManualClosesConfig(data []byte, edits []ManualEdit) (out []byte, cfg *Config, results []ManualResult, err error) {
	// Decoded, not compiled: the result is compiled (Load) below, and it
	// differs from data only in the flags, so data's own errors show there.
	want, err := ParseDocument(data)
	if err != nil {
		return nil, nil, nil, err
	}
	index := make(map[string]int, len(edits))
	for _, e := range edits {
		index[e.Schedule] = -1
	}
	for i, sc := range want.Schedules {
		if k, ok := index[sc.Name]; ok && k < 0 {
			index[sc.Name] = i
		}
	}
	results = make([]ManualResult, len(edits))
	state := map[int]bool{} // schedule index → flag after the edits so far
	for i, e := range edits {
		idx := index[e.Schedule]
		if idx < 0 {
			results[i].Err = fmt.Errorf("%w %s", ErrUnknownSchedule, quote(e.Schedule))
			continue
		}
		cur, seen := state[idx]
		if !seen {
			cur = want.Schedules[idx].ManualClose
		}
		results[i].Changed = cur != e.Closed
		state[idx] = e.Closed
	}
	values := map[int][]byte{}
	for idx, closed := range state {
		if want.Schedules[idx].ManualClose != closed {
			values[idx] = []byte(strconv.FormatBool(closed))
			want.Schedules[idx].ManualClose = closed
		}
	}
	if len(values) == 0 {
		// Nothing to write; data must still load, as promised.
		if _, err := Load(data); err != nil {
			return nil, nil, nil, err
		}
		return data, nil, results, nil
	}
	out, err = setScheduleMembers(data, values, "manualClose")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("set manualClose: %w", err)
	}
	after, err := Load(out)
	if err != nil {
		return nil, nil, nil, err
	}
	if !reflect.DeepEqual(want, after.doc) {
		return nil, nil, nil, errors.New("setting manualClose changed more than that flag")
	}
	return out, after, results, nil
}

// span is the byte range [start, end) of a JSON value inside a document.
type span struct{ start, end int }

// member is one member of a JSON object.
type member struct {
	key   string
	value span
}

// setScheduleMembers sets member key (and any member whose key matches it
// the way encoding/json does, case-insensitively) of each element index of
// the top-level "schedules" array to values[index], or inserts it first in
// that object. Elements are found by the indexes Compile recorded rather
// than by decoding every element's name again; all edits are spliced in
// one pass over data.
func setScheduleMembers(data []byte, values map[int][]byte, key string) ([]byte, error) {
	return setElementMembers(data, "schedules", values, key)
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

// topElements lists the elements of the one top-level array arrayKey,
// which must exist.
func topElements(data []byte, arrayKey string) ([]span, error) {
	arr, ok, err := topArray(data, arrayKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the document has no %q member", arrayKey)
	}
	return arrayElements(data, arr)
}

// setElementMembers is setScheduleMembers for any top-level array.
func setElementMembers(data []byte, arrayKey string, values map[int][]byte, key string) ([]byte, error) {
	elems, err := topElements(data, arrayKey)
	if err != nil {
		return nil, err
	}
	// splice replaces data[at:end] with text; collected in document order.
	type splice struct {
		at, end int
		text    []byte
	}
	var splices []splice
	indexes := make([]int, 0, len(values))
	for index := range values {
		indexes = append(indexes, index)
	}
	slices.Sort(indexes)
	for _, index := range indexes {
		value := values[index]
		if index >= len(elems) {
			return nil, fmt.Errorf(`%q has %d elements, not %d`, arrayKey, len(elems), index+1)
		}
		el := elems[index]
		members, err := objectMembers(data, el)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", arrayKey, index, err)
		}
		replaced := false
		for _, m := range members {
			// Every spelling is set, so the result does not depend on
			// which one a reader lets win.
			if foldEqual(m.key, key) {
				splices = append(splices, splice{m.value.start, m.value.end, value})
				replaced = true
			}
		}
		if replaced {
			continue
		}
		// Insert after '{', copying the indentation of the first member.
		open := el.start + 1
		ws := open
		for ws < el.end && isSpace(data[ws]) {
			ws++
		}
		ins := make([]byte, 0, len(key)+len(value)+8+(ws-open))
		ins = append(ins, '"')
		ins = append(ins, key...)
		ins = append(ins, `": `...)
		ins = append(ins, value...)
		if len(members) > 0 {
			ins = append(ins, ',')
			ins = append(ins, data[open:ws]...)
		}
		splices = append(splices, splice{ws, ws, ins})
	}
	out := make([]byte, 0, len(data)+16*len(splices))
	last := 0
	for _, sp := range splices {
		out = append(out, data[last:sp.at]...)
		out = append(out, sp.text...)
		last = sp.end
	}
	return append(out, data[last:]...), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// foldEqual matches object keys the way encoding/json matches field names.
func foldEqual(a, b string) bool { return bytes.EqualFold([]byte(a), []byte(b)) }

// objectMembers lists the members of the JSON object at sp in data.
func objectMembers(data []byte, sp span) ([]member, error) {
	if out, ok := membersFast(data, sp); ok {
		return out, nil
	}
	return objectMembersJSON(data, sp)
}

// objectMembersJSON is objectMembers with encoding/json.
func objectMembersJSON(data []byte, sp span) ([]member, error) {
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
	if out, ok := elementsFast(data, sp); ok {
		return out, nil
	}
	return arrayElementsJSON(data, sp)
}

// arrayElementsJSON is arrayElements with encoding/json.
func arrayElementsJSON(data []byte, sp span) ([]span, error) {
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
