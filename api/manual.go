package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
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

// manualCloseHandler closes (closed true) or reopens a schedule by editing
// its manualClose flag in the latest stored config, server side, through
// the group commit of manualbatch.go: concurrent closes of different
// schedules all land, never answer 409, and nothing else in the document is
// touched.
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
				s.badRequest(w, err.Error())
				return
			}
		}
		if messageTooLong(mb.Message) {
			s.badRequest(w, tooLongMessage())
			return
		}
		if mb.Message == "" {
			verb := "reopen"
			if closed {
				verb = "manual close of"
			}
			mb.Message = fmt.Sprintf("%s %s", verb, quote(name))
		}
		ctx, cancel := context.WithTimeout(r.Context(), manualTimeout)
		defer cancel()
		res := s.manual.submit(&manualRequest{ctx: ctx, edit: engine.ManualEdit{Schedule: name, Closed: closed},
			author: p.name, message: mb.Message})
		switch err := res.err; {
		case errors.Is(err, engine.ErrUnknownSchedule):
			writeErrorf(w, http.StatusNotFound, "unknown schedule %s", quote(name))
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, "no config is stored yet")
		case errors.Is(err, errGaveUp), errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && r.Context().Err() == nil:
			s.metrics.write(writeFailed)
			w.Header().Set("Retry-After", "1")
			writeErrorf(w, http.StatusServiceUnavailable, "could not write the manual %s of %s within %s: %v; nothing was written; retry", verbOf(closed), quote(name), manualTimeout, errGaveUp)
		case err != nil:
			s.casFailed(w, err)
		default:
			writeJSON(w, http.StatusOK, manualAnswer{Version: res.version, Schedule: name, ManualClose: closed, Changed: res.changed})
		}
	}
}

// manualTimeout bounds a manual close or reopen, waiting for its turn in
// the group commit included. It is longer than one write's timeout: under
// heavy contention an edit may wait for a few batches.
const manualTimeout = 20 * time.Second

func verbOf(closed bool) string {
	if closed {
		return "close"
	}
	return "reopen"
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
			if errors.Is(err, engine.ErrUnknownSchedule) {
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
