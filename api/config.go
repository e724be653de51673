package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/internal/text"
	"github.com/schedule-manager/schedule-manager/store"
)

// metaView is a version's metadata in API answers.
type metaView struct {
	Author     string    `json:"author"`
	Message    string    `json:"message"`
	Time       time.Time `json:"time"`
	RollbackOf uint64    `json:"rollbackOf"`
}

func viewMeta(m store.Meta) metaView {
	return metaView{Author: m.Author, Message: m.Message, Time: m.Time, RollbackOf: m.RollbackOf}
}

type replicaView struct {
	ID      string    `json:"id"`
	Version uint64    `json:"version"`
	Seen    time.Time `json:"seen"`
}

// configHead is GET /api/v1/config without its "data" member, which is
// appended verbatim.
type configHead struct {
	Version uint64 `json:"version"`
	// VersionIsDeployed: every live replica serves Version (or, without
	// presence information, this replica does).
	VersionIsDeployed bool          `json:"versionIsDeployed"`
	ServedVersion     uint64        `json:"servedVersion"` // by this replica
	Replicas          []replicaView `json:"replicas"`
	Meta              metaView      `json:"meta"`
}

// maxMessageRunes bounds a change message.
const maxMessageRunes = 1000

// messageTooLong reports whether a change message is over maxMessageRunes.
func messageTooLong(m string) bool { return utf8.RuneCountInString(m) > maxMessageRunes }

// tooLongMessage is the answer to a message over maxMessageRunes.
func tooLongMessage() string {
	return fmt.Sprintf(`"message" is longer than %d characters`, maxMessageRunes)
}

// badRequest answers a malformed write request (400) and counts it as
// invalid.
func (s *Server) badRequest(w http.ResponseWriter, msg string) {
	s.metrics.write(writeInvalid)
	writeError(w, http.StatusBadRequest, msg)
}

// presenceTimeout bounds the replica listing of GET /api/v1/config: during a
// NATS failover the answer says "not known to be deployed" rather than
// waiting.
const presenceTimeout = 500 * time.Millisecond

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, _ principal) {
	ctx, cancel := s.ctx(r)
	defer cancel()
	e, err := s.store.Get(ctx)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, `no config is stored yet; create one with PUT /api/v1/config and "version": 0`)
		return
	}
	if err != nil {
		s.internal(w, "read the config", err)
		return
	}
	if !json.Valid(e.Data) {
		s.internal(w, "read the config", fmt.Errorf("stored version %d is not valid JSON", e.Version))
		return
	}
	head := configHead{Version: e.Version, Meta: viewMeta(e.Meta), Replicas: []replicaView{}}
	head.VersionIsDeployed, head.ServedVersion, head.Replicas = s.deployed(ctx, e.Version)
	writeWithRawData(w, head, e.Data)
}

// deployed reports whether every live replica serves version latest (or a
// newer one). Without presence information (no Presence, or no replica
// announced) it compares this replica's served version.
func (s *Server) deployed(ctx context.Context, latest uint64) (bool, uint64, []replicaView) {
	_, served := s.status.Config()
	views := []replicaView{}
	if s.presence != nil {
		pctx, cancel := context.WithTimeout(ctx, presenceTimeout)
		reps, err := s.presence.Replicas(pctx)
		cancel()
		if err != nil {
			s.log.Warn("api: list replicas", "err", err)
			return false, served, views
		}
		if len(reps) > 0 {
			all := true
			for _, rp := range reps {
				views = append(views, replicaView{ID: rp.ID, Version: rp.Version, Seen: rp.Seen})
				if rp.Version < latest {
					all = false
				}
			}
			return all, served, views
		}
	}
	return served >= latest && served != 0, served, views
}

// putConfigRequest is the body of PUT /api/v1/config.
type putConfigRequest struct {
	Data    json.RawMessage `json:"data"`
	Version *uint64         `json:"version"`
	Message string          `json:"message"`
}

// versionAnswer is the answer of a successful PUT /api/v1/config: the new
// version and the lint warnings of the document written (never a reason
// to refuse it).
type versionAnswer struct {
	Version           uint64       `json:"version"`
	Warnings          []fieldError `json:"warnings"`
	WarningsTruncated bool         `json:"warningsTruncated,omitempty"`
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, p principal) {
	t0 := time.Now()
	body, doc, err := s.readDocument(w, r, "data")
	if err != nil {
		s.rejectDocument(w, err)
		return
	}
	var req putConfigRequest
	if err := decodeEnvelope(body, doc, &req, &req.Data); err != nil {
		s.badRequest(w, err.Error())
		return
	}
	switch {
	case req.Version == nil:
		s.badRequest(w, `"version" is required: send the version you loaded (GET /api/v1/config), or 0 to create the first config`)
		return
	case len(req.Data) == 0 || string(req.Data) == "null":
		s.badRequest(w, `"data" is required: the config document {"rules": [...], "schedules": [...]}`)
		return
	case messageTooLong(req.Message):
		s.badRequest(w, tooLongMessage())
		return
	}
	now := s.now()
	t1 := time.Now()
	cfg, warnings, err := s.loader.LoadWithFieldWarnings(req.Data)
	t2 := time.Now()
	if err == nil {
		err = s.probe(cfg)
	}
	if err != nil {
		s.invalid(w, err)
		return
	}
	// Warnings never block a write: Lint runs while the document is
	// stored, so the other replicas start reading it sooner.
	lint := make(chan []engine.FieldWarning, 1)
	go func() { lint <- cfg.Lint(now) }()
	if s.prepared != nil {
		s.prepared(req.Data, cfg)
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	t3 := time.Now()
	v, err := s.store.Put(ctx, req.Data, *req.Version, store.Meta{Author: p.name, Message: req.Message, Time: now.UTC()})
	if err != nil {
		s.putFailed(w, err)
		return
	}
	t4 := time.Now()
	s.metrics.write(writeOK)
	ans := versionAnswer{Version: v}
	ans.Warnings, ans.WarningsTruncated = listWarnings(append(warnings, <-lint...))
	// Where a large write's time went (as "config applied" says for a
	// replica applying it).
	s.log.Info("config written", "version", v, "bytes", len(req.Data), "author", p.name,
		"read", t1.Sub(t0).Round(time.Millisecond), "load", t2.Sub(t1).Round(time.Millisecond),
		"probe", t3.Sub(t2).Round(time.Millisecond), "store", t4.Sub(t3).Round(time.Millisecond),
		"lint_wait", time.Since(t4).Round(time.Millisecond))
	writeJSON(w, http.StatusOK, ans)
}

// probeYears is how far around now a config's rules are expanded before it
// is accepted (engine.Config.Probe).
const probeYears = 2

// invalid answers a document that did not load (400, or 413 over a limit)
// and counts it.
func (s *Server) invalid(w http.ResponseWriter, err error) {
	if _, ok := engine.AsLimitError(err); ok {
		s.metrics.write(writeTooLarge)
	} else {
		s.metrics.write(writeInvalid)
	}
	writeInvalidConfig(w, http.StatusBadRequest, "", err)
}

// validate loads a document within the limits and probes it (see probe).
func (s *Server) validate(data []byte) error {
	cfg, err := s.loader.Load(data)
	if err != nil {
		return err
	}
	return s.probe(cfg)
}

// probe expands cfg's rules over the years around now, so that a config
// whose expansion would fail is refused here rather than contained later,
// schedule by schedule, on every replica.
func (s *Server) probe(cfg *engine.Config) error {
	now := s.now()
	return cfg.Probe(now.AddDate(-probeYears, 0, 0), now.AddDate(probeYears, 0, 0))
}

// rejectBody answers a body that could not be read (too large, or a broken
// connection) and counts it as a failed write.
func (s *Server) rejectBody(w http.ResponseWriter, err error) {
	var tl errBodyTooLarge
	if errors.As(err, &tl) {
		s.metrics.write(writeTooLarge)
	} else {
		s.metrics.write(writeInvalid)
	}
	writeBodyError(w, err)
}

// writeInvalidConfig answers a document engine.Load rejected: every problem
// with its path, or the decoding error with its position.
func writeInvalidConfig(w http.ResponseWriter, code int, what string, err error) {
	if le, ok := engine.AsLimitError(err); ok {
		code, body := limitAnswer(le)
		if what != "" {
			body.Error = what + ": " + body.Error
		}
		writeJSON(w, code, body)
		return
	}
	if what == "" {
		what = "invalid config"
	}
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		msg := err.Error()
		if len(msg) > 8 && msg[:8] == "config: " {
			msg = msg[8:]
		}
		writeJSON(w, code, fieldErrors{Error: what + ": " + text.Truncate(msg, 300), Errors: []fieldError{}})
		return
	}
	n := len(ve.Errors)
	out := fieldErrors{Errors: make([]fieldError, 0, min(n, maxListedErrors))}
	if n == 1 {
		out.Error = what + ": " + text.Truncate(ve.Errors[0].Error(), 300)
	} else {
		out.Error = fmt.Sprintf("%s: %d errors", what, n)
	}
	for i, fe := range ve.Errors {
		if i == maxListedErrors {
			out.Truncated = true
			break
		}
		out.Errors = append(out.Errors, fieldError{Path: fe.Path, Message: fe.Msg})
	}
	writeJSON(w, code, out)
}

// conflictAnswer is the body of a 409.
type conflictAnswer struct {
	Error          string `json:"error"`
	CurrentVersion uint64 `json:"currentVersion"`
}

// putFailed answers a failed Store.Put and counts it.
func (s *Server) putFailed(w http.ResponseWriter, err error) {
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ce):
		s.metrics.write(writeConflict)
		writeConflictError(w, ce.Current)
	case errors.Is(err, store.ErrConflict):
		s.metrics.write(writeConflict)
		writeConflictError(w, 0)
	case errors.Is(err, store.ErrTooLarge):
		s.metrics.write(writeTooLarge)
		writeErrorf(w, http.StatusRequestEntityTooLarge, "the config is larger than the store accepts: %v", err)
	default:
		s.metrics.write(writeFailed)
		s.internal(w, "write the config", err)
	}
}

func writeConflictError(w http.ResponseWriter, current uint64) {
	msg := fmt.Sprintf("config was changed by someone else (version %d); reload and merge your edits", current)
	if current == 0 {
		msg = `no config exists yet; send "version": 0 to create the first one`
	}
	writeJSON(w, http.StatusConflict, conflictAnswer{Error: msg, CurrentVersion: current})
}

// internal answers a failed store call: 503 when the store is unreachable
// (nothing was sent, so nothing will take effect later) or did not answer
// in time (the outcome of a write is then unknown, and the answer says so),
// else a logged 500 without details.
func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, store.ErrUnavailable):
		s.log.Warn("api: store unavailable", "op", what, "err", err)
		w.Header().Set("Retry-After", "5")
		writeErrorf(w, http.StatusServiceUnavailable, "could not %s: the config store is unreachable (NATS is down); nothing was written; retry when /healthz no longer reports it", what)
		return
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("api: store timeout", "op", what, "err", err)
		w.Header().Set("Retry-After", "5")
		writeErrorf(w, http.StatusServiceUnavailable, "could not %s: the config store did not answer within %s; a write may or may not have been applied: GET /api/v1/config shows the current version", what, writeTimeout)
		return
	}
	s.log.Error("api: store error", "op", what, "err", err)
	writeErrorf(w, http.StatusInternalServerError, "could not %s: internal error; the server log has the details", what)
}
