package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// checkParams are the parameters of a check-schedule request.
type checkParams struct {
	name     string
	simulate string
	hasName  bool
	hasSim   bool
}

// Simulated instants are limited to years the JSON answer can express, with
// room for the next-transition search (and away from year 1, where the
// engine's year tables index out of range).
const (
	minSimulateYear = 1000
	maxSimulateYear = 9997
)

// checkFailure is the body of a 404 (unknown schedule) or 503 (no config
// yet): Twilio's shape, so a Studio flow that branches on isOpen still has
// an answer.
type checkFailure struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
	Error        string `json:"error"`
}

// serveCheck answers Twilio's check-schedule contract:
// GET /check-schedule?name=&simulate= and POST with a JSON, form or
// multipart body.
func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if outcome := s.check(w, r); outcome != "" {
		s.metrics.check(outcome, time.Since(start))
	}
}

// check handles the request and returns its outcome for the metrics ("" for
// a CORS preflight, which is not a check).
func (s *Server) check(w http.ResponseWriter, r *http.Request) string {
	h := w.Header()
	s.cors.apply(h, r)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	case http.MethodOptions:
		s.cors.preflight(w, hdrCheckAllow)
		return ""
	default:
		h["Allow"] = hdrCheckAllow
		writeErrorf(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s; use GET or POST", quote(r.Method), checkPath)
		return outcomeBadRequest
	}
	if !s.publicCheck {
		who, ok := s.auth.authenticate(r)
		if !ok {
			writeUnauthorized(w)
			return outcomeBadRequest
		}
		if !who.canRead() {
			writeMetricsOnly(w, who)
			return outcomeBadRequest
		}
	}
	var p checkParams
	var err error
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p, err = queryParams(r.URL.RawQuery, p)
	case http.MethodPost:
		p, err = s.bodyParams(w, r)
		if err == nil {
			// Parameters missing from the body may be in the query string,
			// as Twilio Functions merge both.
			p, err = queryParams(r.URL.RawQuery, p)
		}
	}
	if err != nil {
		writeBodyError(w, err)
		return outcomeBadRequest
	}
	if p.name == "" {
		writeError(w, http.StatusBadRequest, `missing schedule name: pass ?name=<schedule> or "name" in a JSON or form body`)
		return outcomeBadRequest
	}
	if !s.status.Ready() {
		h.Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, checkFailure{
			IsOpen: !s.failClosed, ClosedReason: "error",
			Error: "no configuration loaded yet; retry shortly",
		})
		return outcomeError
	}
	var cur scheduler.Current
	ok := false
	if p.simulate == "" {
		// The scheduler reads its clock once and says which instant it
		// answered for (cur.At): no second reading here.
		cur, ok = s.status.Status(p.name)
	} else {
		cfg, _ := s.status.Config()
		var sc *engine.Schedule
		if cfg != nil {
			sc, ok = cfg.Schedule(p.name)
		}
		if ok {
			var at time.Time
			at, err = engine.ParseTime(p.simulate, sc.Location())
			if y := at.In(sc.Location()).Year(); err == nil && (y < minSimulateYear || y > maxSimulateYear) {
				err = fmt.Errorf("%s is out of range; simulate a year between %d and %d", quote(p.simulate), minSimulateYear, maxSimulateYear)
			}
			if err != nil {
				writeErrorf(w, http.StatusBadRequest, "simulate: %v", err)
				return outcomeBadRequest
			}
			cur, ok = s.status.Evaluate(p.name, at)
		}
	}
	// Counted for previews (callers of a removed name get 404), at the
	// answer's own clock reading when it has one.
	if ok && p.simulate == "" {
		s.requests.add(p.name, cur.At)
	} else {
		s.requests.add(p.name, s.now())
	}
	if !ok {
		writeJSON(w, http.StatusNotFound, checkFailure{
			IsOpen: !s.failClosed, ClosedReason: "error",
			Error: "unknown schedule " + quote(p.name),
		})
		return outcomeUnknown
	}
	if cur.Err != nil {
		// Contained by the scheduler (a rule's expansion panicked): answer
		// like an unknown schedule, so a flow still branches on isOpen.
		writeJSON(w, http.StatusInternalServerError, checkFailure{
			IsOpen: !s.failClosed, ClosedReason: "error",
			Error: cur.Err.Error() + "; fix the rule (see the server log) and publish again",
		})
		return outcomeError
	}
	resp := checkresult.New(cur.Schedule, answerOf(cur))
	bp := bufPool.Get().(*[]byte)
	b, encoded := appendResponse((*bp)[:0], &resp)
	if !encoded {
		bufPool.Put(bp)
		writeError(w, http.StatusInternalServerError, "internal error: the answer could not be encoded")
		return outcomeError
	}
	b = append(b, '\n')
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		bufPool.Put(bp)
	}
	if resp.IsOpen {
		return outcomeOpen
	}
	return outcomeClosed
}

// answerOf is what check-schedule and the schedules API report of a cached
// or evaluated answer.
func answerOf(cur scheduler.Current) checkresult.Answer {
	return checkresult.Answer{
		At: cur.At, Status: cur.Status, Next: cur.Next, HasNext: cur.HasNext,
		Opening: cur.Opening, HasOpening: cur.HasOpening, ConfigVersion: cur.ConfigVersion,
	}
}

// queryParams fills the parameters p does not have yet from a raw query
// string, without building a url.Values map.
func queryParams(raw string, p checkParams) (checkParams, error) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		key, err := unescape(k)
		if err != nil {
			return p, err
		}
		switch key {
		case "name":
			if !p.hasName {
				if p.name, err = unescape(v); err != nil {
					return p, err
				}
				p.hasName = true
			}
		case "simulate":
			if !p.hasSim {
				if p.simulate, err = unescape(v); err != nil {
					return p, err
				}
				p.hasSim = true
			}
		}
	}
	return p, nil
}

// unescape decodes a query component, allocating only when it is escaped.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("malformed query or form encoding near %s: %v", quote(s), errors.Unwrap(err))
	}
	return u, nil
}

// checkBody is the JSON body of a POST; other fields Twilio sends are
// ignored.
type checkBody struct {
	Name     *string `json:"name"`
	Simulate *string `json:"simulate"`
}

// bodyParams reads the parameters of a POST body: JSON (by content type, or
// a body starting with '{'), multipart form, or URL-encoded form.
func (s *Server) bodyParams(w http.ResponseWriter, r *http.Request) (checkParams, error) {
	var p checkParams
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	mt = strings.TrimSpace(mt)
	if strings.EqualFold(mt, "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				return p, errBodyTooLarge{limit: mbe.Limit}
			}
			return p, fmt.Errorf("malformed multipart body: %v", err)
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		if v := r.MultipartForm.Value["name"]; len(v) > 0 {
			p.name, p.hasName = v[0], true
		}
		if v := r.MultipartForm.Value["simulate"]; len(v) > 0 {
			p.simulate, p.hasSim = v[0], true
		}
		return p, nil
	}
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		return p, err
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	isJSON := strings.EqualFold(mt, "application/json") || hasSuffixFold(mt, "+json") ||
		!strings.EqualFold(mt, "application/x-www-form-urlencoded") && len(trimmed) > 0 && trimmed[0] == '{'
	if !isJSON {
		return queryParams(string(body), p)
	}
	if len(trimmed) == 0 {
		return p, nil
	}
	var cb checkBody
	if err := json.Unmarshal(body, &cb); err != nil {
		return p, engine.JSONError(body, err)
	}
	if cb.Name != nil {
		p.name, p.hasName = *cb.Name, true
	}
	if cb.Simulate != nil {
		p.simulate, p.hasSim = *cb.Simulate, true
	}
	return p, nil
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
