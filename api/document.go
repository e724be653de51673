package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/text"
)

// Bodies that carry a config document (PUT /api/v1/config, POST
// /api/v1/preview) may be as large as the document limit plus room for
// the rest of the request; they are counted while they are read, so a
// document over a limit is refused before it is held whole, and never
// decoded.

// envelopeBytes is the room a document body has besides the document.
const envelopeBytes = 64 << 10

// The settings that raise each limit, named in the refusals.
const (
	settingMaxBodyBytes     = "max-body-bytes"
	settingMaxDocumentBytes = "max-document-bytes"
	settingMaxSchedules     = "max-schedules"
	settingMaxRules         = "max-rules"
)

// limitSetting is the setting that raises limit l ("" for a fixed one).
func limitSetting(l engine.Limit) string {
	switch l {
	case engine.LimitSchedules:
		return settingMaxSchedules
	case engine.LimitRules:
		return settingMaxRules
	case engine.LimitDocumentBytes:
		return settingMaxDocumentBytes
	}
	return ""
}

// documentBodyLimit is the body limit of the routes that carry a
// document: the larger of max-body-bytes and the document limit plus
// envelopeBytes.
func documentBodyLimit(maxBody int64, lim engine.Limits) int64 {
	return max(maxBody, int64(lim.WithDefaults().DocumentBytes)+envelopeBytes)
}

// readChunk is how much of a body is read, and counted, at a time.
const readChunk = 256 << 10

// readDocument reads a request body that holds a document as its member
// docKey, counting the document's schedules, rules and bytes as the body
// streams in (engine.LimitScanner). Over a limit it stops keeping the
// body, reads the rest of it away (so the client gets the answer rather
// than a reset connection; at most the body limit) and returns the
// *engine.LimitError, wrapped. It also returns where the document lies in
// the body (ok false when it is not one object there, once).
func (s *Server) readDocument(w http.ResponseWriter, r *http.Request, docKey string) (body []byte, doc span, err error) {
	limit := s.docBody
	body = make([]byte, 0, min(max(r.ContentLength, 0)+1, limit+1, readChunk))
	if r.ContentLength > 0 && r.ContentLength <= limit {
		// The declared size, reserved but untouched: its pages are only
		// backed as the body arrives, and not at all past a refusal.
		body = make([]byte, 0, r.ContentLength+1)
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	sc := engine.NewLimitScanner(s.limits, docKey)
	for {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)]
		}
		n, rerr := rd.Read(body[len(body):min(cap(body), len(body)+readChunk)])
		if n > 0 {
			if _, serr := sc.Write(body[len(body) : len(body)+n]); serr != nil {
				body = nil
				_, _ = io.Copy(io.Discard, rd)
				return nil, span{}, serr
			}
			body = body[:len(body)+n]
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(rerr, &mbe) {
				return nil, span{}, errBodyTooLarge{limit: mbe.Limit, setting: settingMaxDocumentBytes, document: int64(s.limits.DocumentBytes)}
			}
			return nil, span{}, fmt.Errorf("reading the request body: %w", rerr)
		}
	}
	start, end, ok := sc.DocumentSpan()
	return body, span{start, end, ok}, nil
}

// span is where a document lies in a request body.
type span struct {
	start, end int
	ok         bool
}

// decodeEnvelope decodes a document body into v, whose docKey member is
// a json.RawMessage pointed at by raw: the envelope is decoded with the
// document left out (its bytes are taken as they are, and decoded by the
// engine), so that a 40 MB document is not scanned and copied once more.
// Anything unusual (the member repeated, say) decodes the whole body.
func decodeEnvelope(body []byte, doc span, v any, raw *json.RawMessage) error {
	if !doc.ok || doc.end > len(body) || doc.start >= doc.end {
		return decodeJSON(body, v)
	}
	env := make([]byte, 0, len(body)-(doc.end-doc.start)+4)
	env = append(env, body[:doc.start]...)
	env = append(env, "null"...)
	env = append(env, body[doc.end:]...)
	if err := decodeJSON(env, v); err != nil || (len(*raw) > 0 && string(*raw) != "null") {
		// An error (whose position would be off), or a repeated member:
		// the whole body decides.
		return decodeJSON(body, v)
	}
	*raw = body[doc.start:doc.end]
	return nil
}

// rejectDocument answers a document body readDocument refused.
func (s *Server) rejectDocument(w http.ResponseWriter, err error) {
	if _, ok := engine.AsLimitError(err); ok {
		s.metrics.write(writeTooLarge)
		writeInvalidConfig(w, http.StatusBadRequest, "", err)
		return
	}
	s.rejectBody(w, err)
}

// limitAnswer words a document over a limit: 413, the limit, and the
// setting that raises it.
func limitAnswer(le *engine.LimitError) (int, fieldErrors) {
	msg := le.Error()
	if set := limitSetting(le.Limit); set != "" {
		msg += fmt.Sprintf("; the %s setting raises it", set)
	} else {
		msg += " (a fixed limit)"
	}
	path, pathMsg := le.Path, msg
	if path != "" {
		pathMsg = msg[len(path)+2:]
	}
	return http.StatusRequestEntityTooLarge, fieldErrors{Error: "config too large: " + text.Truncate(msg, 300),
		Errors: []fieldError{{Path: path, Message: pathMsg}}}
}
