package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/engine"
)

// draftRequest is the body of POST /api/v1/preview/timeline and
// /api/v1/preview/check: a draft document, one of its schedules, and the
// range (timeline) or the instant (check) to evaluate it at, written as
// for GET .../timeline and check-schedule's simulate.
type draftRequest struct {
	Data     json.RawMessage `json:"data"`
	Schedule string          `json:"schedule"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Simulate string          `json:"simulate"`
}

// draftSchedule reads a draft request and compiles the draft, answering
// a bad one itself: 400 with every problem of an invalid draft, 404 when
// the draft has no such schedule.
func (s *Server) draftSchedule(w http.ResponseWriter, r *http.Request) (draftRequest, *engine.Schedule, bool) {
	var req draftRequest
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		writeBodyError(w, err)
		return req, nil, false
	}
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return req, nil, false
	}
	switch {
	case len(req.Data) == 0 || string(req.Data) == "null":
		writeError(w, http.StatusBadRequest, `"data" is required: the draft config document {"rules": [...], "schedules": [...]}`)
		return req, nil, false
	case req.Schedule == "":
		writeError(w, http.StatusBadRequest, `"schedule" is required: the name of a schedule of the draft`)
		return req, nil, false
	}
	cfg, err := engine.Load(req.Data)
	if err != nil {
		writeInvalidConfig(w, http.StatusBadRequest, "invalid draft", err)
		return req, nil, false
	}
	sc, ok := cfg.Schedule(req.Schedule)
	if !ok {
		writeErrorf(w, http.StatusNotFound, "the draft has no schedule %s", quote(req.Schedule))
		return req, nil, false
	}
	return req, sc, true
}

// previewTimeline answers POST /api/v1/preview/timeline: a draft
// schedule's timeline over [from, to), as GET
// /api/v1/schedules/{name}/timeline answers for the published one (same
// defaults and limits). Nothing is stored.
func (s *Server) previewTimeline(w http.ResponseWriter, r *http.Request, _ principal) {
	req, sc, ok := s.draftSchedule(w, r)
	if !ok {
		return
	}
	loc := sc.Location()
	from, to := s.now(), time.Time{}
	var err error
	if req.From != "" {
		if from, err = engine.ParseTime(req.From, loc); err != nil {
			writeErrorf(w, http.StatusBadRequest, "from: %v", err)
			return
		}
	}
	if req.To != "" {
		if to, err = engine.ParseTime(req.To, loc); err != nil {
			writeErrorf(w, http.StatusBadRequest, "to: %v", err)
			return
		}
	} else {
		to = from.Add(defaultTimelineRange)
	}
	switch {
	case !to.After(from):
		writeErrorf(w, http.StatusBadRequest, "to (%s) must be after from (%s)", to.In(loc).Format(time.RFC3339), from.In(loc).Format(time.RFC3339))
		return
	case to.Sub(from) > maxTimelineRange:
		writeErrorf(w, http.StatusBadRequest, "the range is longer than %d days; ask for less", int(maxTimelineRange/(24*time.Hour)))
		return
	case from.In(loc).Year() < minSimulateYear || to.In(loc).Year() > maxSimulateYear:
		writeErrorf(w, http.StatusBadRequest, "from and to must be between the years %d and %d", minSimulateYear, maxSimulateYear)
		return
	}
	tl := checkresult.NewTimeline(sc, sc.Timeline(from, to))
	writeJSON(w, http.StatusOK, timelineAnswer{Timeline: tl, From: from.In(loc), To: to.In(loc)})
}

// previewCheck answers POST /api/v1/preview/check: what check-schedule
// would answer for a draft schedule at simulate (default now). Nothing is
// stored, and the answer has no configVersion.
func (s *Server) previewCheck(w http.ResponseWriter, r *http.Request, _ principal) {
	req, sc, ok := s.draftSchedule(w, r)
	if !ok {
		return
	}
	at := s.now()
	if req.Simulate != "" {
		var err error
		at, err = engine.ParseTime(req.Simulate, sc.Location())
		if y := at.In(sc.Location()).Year(); err == nil && (y < minSimulateYear || y > maxSimulateYear) {
			writeErrorf(w, http.StatusBadRequest, "simulate: %s is out of range; simulate a year between %d and %d", quote(req.Simulate), minSimulateYear, maxSimulateYear)
			return
		}
		if err != nil {
			writeErrorf(w, http.StatusBadRequest, "simulate: %v", err)
			return
		}
	}
	writeJSON(w, http.StatusOK, checkresult.Check(sc, at, 0))
}
