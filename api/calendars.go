package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/calendar/fetch"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/store"
)

// CalendarRefresher fetches calendars that have a URL. *fetch.Refresher
// implements it.
type CalendarRefresher interface {
	// Refresh fetches calendar id now; a changed text becomes a new
	// config version.
	Refresh(ctx context.Context, id string) (fetch.Result, error)
	// Status is this replica's last fetch of calendar id.
	Status(id string) (fetch.Status, bool)
}

var _ CalendarRefresher = (*fetch.Refresher)(nil)

// calendarView is one calendar of the served config in GET
// /api/v1/calendars: its settings, its content address and size, and the
// last fetch this replica made (fetch is omitted when it made none).
type calendarView struct {
	ID      string        `json:"id"`
	Name    string        `json:"name,omitempty"`
	URL     string        `json:"url,omitempty"`
	Refresh string        `json:"refresh,omitempty"`
	SHA256  string        `json:"sha256"`
	Bytes   int           `json:"bytes"`
	Fetch   *fetch.Status `json:"fetch,omitempty"`
}

type calendarsAnswer struct {
	Version   uint64                   `json:"version"`
	Holidays  []engine.HolidayCalendar `json:"holidays"`
	Calendars []calendarView           `json:"calendars"`
}

// listCalendars answers GET /api/v1/calendars: every holiday calendar code
// (for a searchable picker) and the iCalendar calendars of the served
// config.
func (s *Server) listCalendars(w http.ResponseWriter, _ *http.Request, _ principal) {
	out := calendarsAnswer{Holidays: engine.HolidayCatalog(), Calendars: []calendarView{}}
	cfg, v := s.status.Config()
	out.Version = v
	if cfg != nil {
		for _, c := range cfg.Document().Calendars {
			view := calendarView{ID: c.ID, Name: c.Name, URL: c.URL, Refresh: c.Refresh, SHA256: engine.CalendarHash(c.ICS), Bytes: len(c.ICS)}
			if c.URL != "" && c.Refresh == "" {
				view.Refresh = engine.DefaultCalendarRefresh
			}
			if s.calendars != nil {
				if st, ok := s.calendars.Status(c.ID); ok {
					view.Fetch = &st
				}
			}
			out.Calendars = append(out.Calendars, view)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type holidayDay struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// listHolidays answers GET /api/v1/holidays/{code}?year=2027: the dates a
// rule with that "holidays" code matches in a year (default: this year).
func (s *Server) listHolidays(w http.ResponseWriter, r *http.Request, _ principal) {
	code := r.PathValue("code")
	year := s.now().Year()
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < minSimulateYear || y > maxSimulateYear {
			writeErrorf(w, http.StatusBadRequest, "year: %s is not a year between %d and %d", quote(v), minSimulateYear, maxSimulateYear)
			return
		}
		year = y
	}
	days := []holidayDay{}
	for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
		name, ok := engine.HolidaysOn(code, year, d.Month(), d.Day())
		if !ok {
			writeErrorf(w, http.StatusNotFound, "unknown holiday calendar %s; GET /api/v1/calendars lists the codes", quote(code))
			return
		}
		if name != "" {
			days = append(days, holidayDay{Date: d.Format(time.DateOnly), Name: name})
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Code     string       `json:"code"`
		Year     int          `json:"year"`
		Holidays []holidayDay `json:"holidays"`
	}{strings.ToUpper(code), year, days})
}

// putCalendarRequest is the body of PUT /api/v1/calendars/{id}. With a
// url and no ics, the calendar is fetched right after it is saved.
type putCalendarRequest struct {
	Name    string `json:"name"`
	ICS     string `json:"ics"`
	URL     string `json:"url"`
	Refresh string `json:"refresh"`
	Message string `json:"message"`
}

type putCalendarAnswer struct {
	Version uint64 `json:"version"`
	Changed bool   `json:"changed"`
	SHA256  string `json:"sha256"`
	// Fetch is the outcome of the first fetch of a calendar given by URL
	// only; FetchError says why it failed (the calendar is saved anyway,
	// and fetched again on its refresh spec).
	Fetch      *fetch.Result `json:"fetch,omitempty"`
	FetchError string        `json:"fetchError,omitempty"`
}

// putCalendar adds or replaces one calendar of the config (an upload, or
// a URL to fetch), as a new version written with compare-and-swap on the
// latest one; nothing else in the document changes.
func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request, p principal) {
	id := r.PathValue("id")
	body, err := readBody(w, r, s.maxBody)
	if err != nil {
		s.rejectBody(w, err)
		return
	}
	var req putCalendarRequest
	if err := decodeJSON(body, &req); err != nil {
		s.badRequest(w, err.Error())
		return
	}
	if messageTooLong(req.Message) {
		s.badRequest(w, tooLongMessage())
		return
	}
	c := engine.CalendarDoc{ID: id, Name: req.Name, ICS: req.ICS, URL: req.URL, Refresh: req.Refresh}
	ctx, cancel := s.ctx(r)
	defer cancel()
	// Check the new calendar against the latest version first, so a bad
	// calendar is a 400 naming the field, not a failed edit.
	head, err := s.store.Get(ctx)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no config is stored yet")
		return
	}
	if err != nil {
		s.internal(w, "read the config", err)
		return
	}
	if _, err := engine.Load(head.Data); err != nil {
		s.casFailed(w, errStoredInvalid{version: head.Version, err: err})
		return
	}
	if _, _, err := engine.PutCalendar(head.Data, c); err != nil {
		s.metrics.write(writeInvalid)
		writeInvalidConfig(w, http.StatusBadRequest, "invalid calendar", err)
		return
	}
	if req.Message == "" {
		req.Message = "calendar " + quote(id) + " saved"
	}
	edit := func(data []byte) ([]byte, bool, error) { return engine.PutCalendar(data, c) }
	v, changed, err := s.casEdit(ctx, edit, store.Meta{Author: p.name, Message: req.Message})
	if err != nil {
		s.casFailed(w, err)
		return
	}
	out := putCalendarAnswer{Version: v, Changed: changed, SHA256: engine.CalendarHash(c.ICS)}
	if c.ICS == "" && c.URL != "" && s.calendars != nil {
		res, err := s.calendars.Refresh(ctx, id)
		if err != nil {
			out.FetchError = err.Error()
		} else {
			out.Fetch = &res
			out.SHA256 = res.SHA256
			out.Version = max(out.Version, res.Version)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// refreshCalendar answers POST /api/v1/calendars/{id}/refresh: fetch now.
// A failed fetch is a 502 with the reason; the config keeps the last good
// copy.
func (s *Server) refreshCalendar(w http.ResponseWriter, r *http.Request, _ principal) {
	if s.calendars == nil {
		writeError(w, http.StatusNotFound, "calendar fetching is not enabled on this server")
		return
	}
	id := r.PathValue("id")
	ctx, cancel := s.ctx(r)
	defer cancel()
	res, err := s.calendars.Refresh(ctx, id)
	var fe *fetch.Error
	switch {
	case errors.Is(err, engine.ErrUnknownCalendar):
		writeErrorf(w, http.StatusNotFound, "unknown calendar %s", quote(id))
	case errors.As(err, &fe):
		writeJSON(w, http.StatusBadGateway, struct {
			Error  string       `json:"error"`
			Reason fetch.Reason `json:"reason"`
		}{"fetch failed; the config keeps the last good copy: " + err.Error(), fe.Reason})
	case err != nil:
		writeErrorf(w, http.StatusBadRequest, "%v", err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
