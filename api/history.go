package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/schedule-manager/schedule-manager/store"
)

// History listing limits.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 1000
)

type versionView struct {
	Version    uint64    `json:"version"`
	Author     string    `json:"author"`
	Message    string    `json:"message"`
	Time       time.Time `json:"time"`
	RollbackOf uint64    `json:"rollbackOf"`
}

type historyAnswer struct {
	Versions []versionView `json:"versions"`
}

func (s *Server) listHistory(w http.ResponseWriter, r *http.Request, _ principal) {
	limit := defaultHistoryLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistoryLimit {
			writeErrorf(w, http.StatusBadRequest, "limit must be a whole number from 1 to %d, not %s", maxHistoryLimit, quote(v))
			return
		}
		limit = n
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	entries, err := s.store.History(ctx, limit)
	if err != nil {
		s.internal(w, "list the history", err)
		return
	}
	out := historyAnswer{Versions: make([]versionView, 0, len(entries))}
	for _, e := range entries {
		m := viewMeta(e.Meta)
		out.Versions = append(out.Versions, versionView{
			Version: e.Version, Author: m.Author, Message: m.Message,
			Time: m.Time, RollbackOf: m.RollbackOf,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// parseVersion parses a version number from the URL.
func parseVersion(w http.ResponseWriter, s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		writeErrorf(w, http.StatusBadRequest, "version must be a positive whole number, not %s", quote(s))
		return 0, false
	}
	return v, true
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, _ principal) {
	v, ok := parseVersion(w, r.PathValue("version"))
	if !ok {
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	e, err := s.store.Version(ctx, v)
	if errors.Is(err, store.ErrNotFound) {
		writeErrorf(w, http.StatusNotFound, "no version %d in the history", v)
		return
	}
	if err != nil {
		s.internal(w, "read the version", err)
		return
	}
	if !json.Valid(e.Data) {
		s.internal(w, "read the version", fmt.Errorf("stored version %d is not valid JSON", v))
		return
	}
	writeWithRawData(w, struct {
		Version uint64   `json:"version"`
		Meta    metaView `json:"meta"`
	}{e.Version, viewMeta(e.Meta)}, e.Data)
}

// rollbackRequest is the body of POST /api/v1/rollback.
type rollbackRequest struct {
	Version uint64 `json:"version"`
	// ExpectedVersion, when set, makes the write a compare-and-swap
	// against it (409 when stale); without it the rollback applies on top
	// of whatever the latest version is.
	ExpectedVersion *uint64 `json:"expectedVersion"`
	Message         string  `json:"message"`
}

type rollbackAnswer struct {
	Version    uint64 `json:"version"`
	RollbackOf uint64 `json:"rollbackOf"`
}

// rollback writes the document of an old version as a new version.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request, p principal) {
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		s.rejectBody(w, err)
		return
	}
	var req rollbackRequest
	if err := decodeJSON(body, &req); err != nil {
		s.badRequest(w, err.Error())
		return
	}
	switch {
	case req.Version == 0:
		s.badRequest(w, `"version" is required: the version to restore (see GET /api/v1/history)`)
		return
	case messageTooLong(req.Message):
		s.badRequest(w, tooLongMessage())
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	old, err := s.store.Version(ctx, req.Version)
	if errors.Is(err, store.ErrNotFound) {
		writeErrorf(w, http.StatusNotFound, "no version %d in the history", req.Version)
		return
	}
	if err != nil {
		s.internal(w, "read the version", err)
		return
	}
	// Rules may have tightened since: never restore what would not load.
	if err := s.validate(old.Data); err != nil {
		s.metrics.write(writeInvalid)
		writeInvalidConfig(w, http.StatusBadRequest, fmt.Sprintf("version %d is not valid under the current rules", req.Version), err)
		return
	}
	if req.Message == "" {
		req.Message = fmt.Sprintf("rollback to version %d", req.Version)
	}
	meta := store.Meta{Author: p.name, Message: req.Message, RollbackOf: req.Version}
	var v uint64
	if req.ExpectedVersion != nil {
		meta.Time = s.now().UTC()
		v, err = s.store.Put(ctx, old.Data, *req.ExpectedVersion, meta)
		if err == nil {
			s.metrics.write(writeOK)
		}
	} else {
		v, _, err = s.casEdit(ctx, func([]byte) ([]byte, bool, error) { return old.Data, true, nil }, meta)
	}
	if err != nil {
		s.putFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rollbackAnswer{Version: v, RollbackOf: req.Version})
}
