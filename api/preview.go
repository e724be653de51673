package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/text"
)

// Preview range, in days from now.
const (
	defaultPreviewDays = 14
	maxPreviewDays     = 366
)

// previewRequest is the body of POST /api/v1/preview.
type previewRequest struct {
	Data json.RawMessage `json:"data"`
	Days *int            `json:"days"`
}

// previewAnswer says what publishing a draft would do. An invalid draft is
// still answered 200, with valid false and its errors, so that a UI shows
// them like the warnings.
type previewAnswer struct {
	Valid             bool         `json:"valid"`
	Errors            []fieldError `json:"errors"`
	ErrorsTruncated   bool         `json:"errorsTruncated,omitempty"`
	Warnings          []fieldError `json:"warnings"`
	WarningsTruncated bool         `json:"warningsTruncated,omitempty"`
	// PublishedVersion is the version the draft is compared with: the one
	// this replica serves (0: none yet, every schedule is added).
	PublishedVersion uint64    `json:"publishedVersion"`
	From             time.Time `json:"from"`
	To               time.Time `json:"to"`
	// Schedules: the draft's in its order, then the removed ones.
	Schedules []schedulePreview `json:"schedules"`
}

// schedulePreview is one schedule's change, with the check-schedule
// requests its name had in the last 24 hours on this replica: a removed
// name with requests is one whose callers will get 404 and fail open.
type schedulePreview struct {
	engine.ScheduleDiff
	RecentRequests uint64 `json:"recentRequests"`
}

// preview answers POST /api/v1/preview: the draft's validation errors and
// lint warnings, and per schedule what it would change over the next days
// compared with the served config. Nothing is stored.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, _ principal) {
	body, doc, err := s.readDocument(w, r, "data")
	if err != nil {
		if _, ok := engine.AsLimitError(err); ok {
			writeInvalidConfig(w, http.StatusBadRequest, "", err)
		} else {
			writeBodyError(w, err)
		}
		return
	}
	var req previewRequest
	if err := decodeEnvelope(body, doc, &req, &req.Data); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	days := defaultPreviewDays
	switch {
	case len(req.Data) == 0 || string(req.Data) == "null":
		writeError(w, http.StatusBadRequest, `"data" is required: the draft config document {"rules": [...], "schedules": [...]}`)
		return
	case req.Days != nil && (*req.Days < 1 || *req.Days > maxPreviewDays):
		writeErrorf(w, http.StatusBadRequest, `"days" must be 1 to %d (default %d), not %d`, maxPreviewDays, defaultPreviewDays, *req.Days)
		return
	case req.Days != nil:
		days = *req.Days
	}
	now := s.now().Truncate(time.Second)
	to := now.Add(time.Duration(days) * 24 * time.Hour)
	published, version := s.status.Config()
	draft, warnings, err := s.loader.LoadWithWarnings(req.Data, now)
	ans := previewAnswer{
		Valid: err == nil, PublishedVersion: version,
		From: now.UTC(), To: to.UTC(), Schedules: []schedulePreview{},
	}
	ans.Errors, ans.ErrorsTruncated = listErrors(err)
	if err == nil {
		diffs := engine.Diff(published, draft, now, to)
		names := make([]string, len(diffs))
		for i, d := range diffs {
			names[i] = d.Name
		}
		counts := s.requests.recent(now, names)
		for i, d := range diffs {
			ans.Schedules = append(ans.Schedules, schedulePreview{ScheduleDiff: d, RecentRequests: counts[i]})
			if d.Change == engine.ChangeRemoved && counts[i] > 0 {
				warnings = append(warnings, s.removedWarning(d.Name, counts[i]))
			}
		}
	}
	ans.Warnings, ans.WarningsTruncated = listWarnings(warnings)
	writeJSON(w, http.StatusOK, ans)
}

// removedWarning is the warning of a preview that removes (or renames) a
// schedule still being asked for: its callers would get 404 and the
// fail-open (or fail-closed) answer from then on.
func (s *Server) removedWarning(name string, requests uint64) engine.FieldWarning {
	fallback := "open"
	if s.failClosed {
		fallback = "closed"
	}
	noun := "requests"
	if requests == 1 {
		noun = "request"
	}
	return engine.FieldWarning{Path: "schedules", Message: fmt.Sprintf(
		"schedule %s is removed (or renamed), but it had %d check-schedule %s in the last 24 hours: its callers would get 404 and fail %s",
		quote(name), requests, noun, fallback)}
}

// listErrors lists the problems of a document Load rejected (at most
// maxListedErrors): each field error with its path, or a decoding error
// with an empty path.
func listErrors(err error) ([]fieldError, bool) {
	var ve *engine.ValidationError
	switch {
	case err == nil:
		return []fieldError{}, false
	case errors.As(err, &ve):
		out := make([]fieldError, 0, min(len(ve.Errors), maxListedErrors))
		for i, fe := range ve.Errors {
			if i == maxListedErrors {
				return out, true
			}
			out = append(out, fieldError{Path: fe.Path, Message: fe.Msg})
		}
		return out, false
	default:
		return []fieldError{{Message: text.Truncate(strings.TrimPrefix(err.Error(), "config: "), 300)}}, false
	}
}

// listWarnings lists lint warnings (at most maxListedErrors).
func listWarnings(ws []engine.FieldWarning) ([]fieldError, bool) {
	out := make([]fieldError, 0, min(len(ws), maxListedErrors))
	for i, w := range ws {
		if i == maxListedErrors {
			return out, true
		}
		out = append(out, fieldError{Path: w.Path, Message: w.Message})
	}
	return out, false
}
