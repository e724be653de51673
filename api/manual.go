package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// maxCASAttempts bounds the read-modify-write loop of server-side edits.
// Each lost compare-and-swap means another write landed in between, so with
// n concurrent editors n attempts suffice; the margin covers stale reads.
const maxCASAttempts = 32

// messageBody is the optional body of close, open.
type messageBody struct {
	Message string `json:"message"`
}

type manualAnswer struct {
	Version     uint64 `json:"version"`
	Schedule    string `json:"schedule"`
	ManualClose bool   `json:"manualClose"`
	// Changed is false when the schedule already was in that state and
	// nothing was written.
	Changed bool `json:"changed"`
}

// errUnknownSchedule is returned by the edit when the latest stored config
// has no schedule of that name.
var errUnknownSchedule = errors.New("unknown schedule")

// manualCloseHandler closes (closed true) or reopens a schedule by editing
// its manualClose flag in the latest stored config, server side: the edit
// is retried on the newest version when another write wins the race, so
// concurrent closes of different schedules all land, and nothing else in
// the document is touched.
func (s *Server) manualCloseHandler(closed bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) {
		name := r.PathValue("name")
		body, err := readBody(w, r, s.maxBody)
		if err != nil {
			s.rejectBody(w, err)
			return
		}
		var mb messageBody
		if len(bytes.TrimSpace(body)) > 0 {
			if err := decodeJSON(body, &mb); err != nil {
				s.metrics.write(writeInvalid)
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
		}
		if len([]rune(mb.Message)) > maxMessageRunes {
			s.metrics.write(writeInvalid)
			writeErrorf(w, http.StatusBadRequest, `"message" is longer than %d characters`, maxMessageRunes)
			return
		}
		if mb.Message == "" {
			verb := "reopen"
			if closed {
				verb = "manual close of"
			}
			mb.Message = fmt.Sprintf("%s %s", verb, quote(name))
		}
		ctx, cancel := s.ctx(r)
		defer cancel()
		edit := func(data []byte) ([]byte, bool, error) { return editManualClose(data, name, closed) }
		meta := store.Meta{Author: p.name, Message: mb.Message}
		v, changed, err := s.casEdit(ctx, edit, meta)
		switch {
		case errors.Is(err, errUnknownSchedule):
			writeErrorf(w, http.StatusNotFound, "unknown schedule %s", quote(name))
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, "no config is stored yet")
		case err != nil:
			s.casFailed(w, err)
		default:
			writeJSON(w, http.StatusOK, manualAnswer{Version: v, Schedule: name, ManualClose: closed, Changed: changed})
		}
	}
}

// errStoredInvalid wraps a validation failure of the stored document.
type errStoredInvalid struct {
	version uint64
	err     error
}

func (e errStoredInvalid) Error() string {
	return fmt.Sprintf("stored version %d: %v", e.version, e.err)
}

// casFailed answers a failed casEdit and counts it.
func (s *Server) casFailed(w http.ResponseWriter, err error) {
	var inv errStoredInvalid
	if errors.As(err, &inv) {
		s.metrics.write(writeInvalid)
		writeInvalidConfig(w, http.StatusConflict, fmt.Sprintf("the stored config (version %d) does not validate; fix it with PUT /api/v1/config", inv.version), inv.err)
		return
	}
	s.putFailed(w, err)
}

// casEdit applies edit to the latest stored version and writes the result
// with compare-and-swap, retrying on a newer version when another write
// wins. edit returns changed false to write nothing. The result is
// validated before it is written.
func (s *Server) casEdit(ctx context.Context, edit func([]byte) ([]byte, bool, error), meta store.Meta) (uint64, bool, error) {
	var lastErr error
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return 0, false, err
			}
		}
		e, err := s.store.Get(ctx)
		if err != nil {
			return 0, false, err
		}
		out, changed, err := edit(e.Data)
		if err != nil {
			if errors.Is(err, errUnknownSchedule) {
				return 0, false, err
			}
			return 0, false, errStoredInvalid{version: e.Version, err: err}
		}
		if !changed {
			return e.Version, false, nil
		}
		meta.Time = s.now().UTC()
		v, err := s.store.Put(ctx, out, e.Version, meta)
		if err == nil {
			s.metrics.write(writeOK)
			return v, true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, false, err
		}
		lastErr = err
	}
	return 0, false, fmt.Errorf("gave up after %d concurrent changes: %w", maxCASAttempts, lastErr)
}

// backoff sleeps a short random time that grows with the attempt, so that
// competing editors spread out.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(min(attempt, 8)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// editManualClose returns data with the manualClose flag of schedule name
// set to closed. The edit is surgical: only that value changes (or the
// member is inserted), so formatting, key order, unknown fields and every
// other schedule stay byte for byte as they were. changed is false when the
// schedule already is in that state. The result is checked with engine.Load
// to differ from the original in exactly that flag.
func editManualClose(data []byte, name string, closed bool) ([]byte, bool, error) {
	before, err := engine.Load(data)
	if err != nil {
		return nil, false, err
	}
	sc, ok := before.Schedule(name)
	if !ok {
		return nil, false, errUnknownSchedule
	}
	if sc.ManualClose() == closed {
		return data, false, nil
	}
	out, err := setMember(data, name, "manualClose", []byte(fmt.Sprint(closed)))
	if err != nil {
		return nil, false, err
	}
	after, err := engine.Load(out)
	if err != nil {
		return nil, false, fmt.Errorf("after setting manualClose: %w", err)
	}
	want := before.Document()
	for i := range want.Schedules {
		if want.Schedules[i].Name == name {
			want.Schedules[i].ManualClose = closed
		}
	}
	if !reflect.DeepEqual(want, after.Document()) {
		return nil, false, fmt.Errorf("editing manualClose of %s changed more than that flag", quote(name))
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

// setMember sets member key (and any member whose key matches it the way
// encoding/json does, case-insensitively) of the schedule called name in
// the top-level "schedules" array to value, or inserts it first in that
// object.
func setMember(data []byte, name, key string, value []byte) ([]byte, error) {
	top, err := objectMembers(data, span{0, len(data)})
	if err != nil {
		return nil, err
	}
	// encoding/json lets the last of several matching keys win.
	sched, found := span{}, false
	for _, m := range top {
		if foldEqual(m.key, "schedules") {
			sched, found = m.value, true
		}
	}
	if !found {
		return nil, errUnknownSchedule
	}
	elems, err := arrayElements(data, sched)
	if err != nil {
		return nil, err
	}
	for _, el := range elems {
		var probe struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(data[el.start:el.end], &probe) != nil || probe.Name != name {
			continue
		}
		members, err := objectMembers(data, el)
		if err != nil {
			return nil, err
		}
		var out []byte
		last := 0
		replaced := false
		for _, m := range members {
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
		ins := make([]byte, 0, len(data)+len(key)+16)
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
	return nil, errUnknownSchedule
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
