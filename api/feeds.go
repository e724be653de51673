package api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/calendar/feed"
)

// FeedLinks stores the secret links of schedule feeds. *feed.KVLinks and
// *feed.MemoryLinks implement it.
type FeedLinks = feed.Links

// feedPathPrefix is where secret feed links are served, without a token:
// calendar clients (Outlook, Google Calendar) cannot send one. The path
// holds a secret, so it is never logged.
const feedPathPrefix = "/feeds/"

const maxLabelRunes = 200

// scheduleCalendar answers GET /api/v1/schedules/{name}/calendar.ics (bearer
// token): the schedule's feed, ?days= (default 60, at most 366) and
// ?closed=true to include the plain closed periods.
func (s *Server) scheduleCalendar(w http.ResponseWriter, r *http.Request, _ principal) {
	cur, ok := s.lookup(w, r)
	if !ok {
		return
	}
	opts, err := feedOptions(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.writeFeed(w, r, cur.Schedule.Name(), opts)
}

func feedOptions(r *http.Request) (feed.Options, error) {
	var o feed.Options
	q := r.URL.Query()
	if v := q.Get("days"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > feed.MaxDays {
			return o, errors.New("days: " + quote(v) + " is not a number of days from 1 to " + strconv.Itoa(feed.MaxDays))
		}
		o.Days = d
	}
	switch q.Get("closed") {
	case "", "false":
	case "true":
		o.Closed = true
	default:
		return o, errors.New(`closed: use "true" or "false"`)
	}
	return o, nil
}

// writeFeed answers the feed of schedule name from the served config.
func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, name string, o feed.Options) {
	cfg, _ := s.status.Config()
	if cfg == nil {
		notReady(w)
		return
	}
	sc, ok := cfg.Schedule(name)
	if !ok {
		writeErrorf(w, http.StatusNotFound, "unknown schedule %s", quote(name))
		return
	}
	var buf bytes.Buffer
	if err := feed.Write(&buf, sc, s.now(), o); err != nil {
		s.log.Error("api: write feed", "schedule", name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error: the feed could not be written")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `inline; filename="schedule.ics"`)
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// publicFeed answers GET /feeds/{secret}.ics. Unknown and revoked secrets
// get the same 404, and the secret is echoed nowhere.
func (s *Server) publicFeed(w http.ResponseWriter, r *http.Request) {
	if s.feeds == nil {
		writeError(w, http.StatusNotFound, "schedule feeds are not enabled on this server")
		return
	}
	secret, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok || !feed.ValidSecretForm(secret) {
		writeError(w, http.StatusNotFound, "no such feed; ask an admin for a new link")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	link, err := s.feeds.Resolve(ctx, secret)
	switch {
	case errors.Is(err, feed.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such feed; ask an admin for a new link")
		return
	case err != nil:
		s.internal(w, "read the feed link", err)
		return
	}
	s.writeFeed(w, r, link.Schedule, feed.Options{Days: link.Days})
}

type createFeedRequest struct {
	Schedule string `json:"schedule"`
	Label    string `json:"label"`
	Days     int    `json:"days"`
}

// feedLinkView is a link in the API. Path and Secret are only in the
// answer that creates it: only the secret's hash is kept.
type feedLinkView struct {
	feed.Link
	Secret string `json:"secret,omitempty"`
	Path   string `json:"path,omitempty"`
}

// createFeed answers POST /api/v1/feeds (admin): a new secret link to a
// schedule's feed, shown once.
func (s *Server) createFeed(w http.ResponseWriter, r *http.Request, p principal) {
	if s.feeds == nil {
		writeError(w, http.StatusNotFound, "schedule feeds are not enabled on this server")
		return
	}
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	var req createFeedRequest
	if err := decodeJSON(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case req.Schedule == "":
		writeError(w, http.StatusBadRequest, `"schedule" is required: the name of the schedule to publish`)
		return
	case !utf8.ValidString(req.Label) || utf8.RuneCountInString(req.Label) > maxLabelRunes:
		writeErrorf(w, http.StatusBadRequest, `"label" must be valid text of at most %d characters`, maxLabelRunes)
		return
	case req.Days < 0 || req.Days > feed.MaxDays:
		writeErrorf(w, http.StatusBadRequest, `"days" must be from 1 to %d (0 for the default, %d)`, feed.MaxDays, feed.DefaultDays)
		return
	}
	cfg, _ := s.status.Config()
	if cfg == nil {
		notReady(w)
		return
	}
	if _, ok := cfg.Schedule(req.Schedule); !ok {
		writeErrorf(w, http.StatusNotFound, "unknown schedule %s", quote(req.Schedule))
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	link, secret, err := s.feeds.Create(ctx, feed.Link{Schedule: req.Schedule, Label: req.Label, Days: req.Days, CreatedBy: p.name, Created: s.now().UTC()})
	if err != nil {
		s.internal(w, "create the feed link", err)
		return
	}
	writeJSON(w, http.StatusCreated, feedLinkView{Link: link, Secret: secret, Path: feedPathPrefix + secret + ".ics"})
}

// listFeeds answers GET /api/v1/feeds: every link, without secrets.
func (s *Server) listFeeds(w http.ResponseWriter, r *http.Request, _ principal) {
	if s.feeds == nil {
		writeError(w, http.StatusNotFound, "schedule feeds are not enabled on this server")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	links, err := s.feeds.List(ctx)
	if err != nil {
		s.internal(w, "list feed links", err)
		return
	}
	if links == nil {
		links = []feed.Link{}
	}
	writeJSON(w, http.StatusOK, struct {
		Feeds []feed.Link `json:"feeds"`
	}{links})
}

// revokeFeed answers DELETE /api/v1/feeds/{id} (admin): the link stops
// working at once on every replica.
func (s *Server) revokeFeed(w http.ResponseWriter, r *http.Request, _ principal) {
	if s.feeds == nil {
		writeError(w, http.StatusNotFound, "schedule feeds are not enabled on this server")
		return
	}
	ctx, cancel := s.ctx(r)
	defer cancel()
	id := r.PathValue("id")
	switch err := s.feeds.Revoke(ctx, id); {
	case errors.Is(err, feed.ErrNotFound):
		writeErrorf(w, http.StatusNotFound, "no feed link %s", quote(id))
	case err != nil:
		s.internal(w, "revoke the feed link", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// logPath is a request path fit for logs: a feed secret is cut off.
func logPath(p string) string {
	if strings.HasPrefix(p, feedPathPrefix) {
		return feedPathPrefix + "…"
	}
	return p
}
