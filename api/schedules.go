package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// scheduleView is one schedule with its current status.
type scheduleView struct {
	Name        string               `json:"name"`
	TimeZone    string               `json:"timeZone"`
	ManualClose bool                 `json:"manualClose"`
	Rules       []string             `json:"rules"`
	Status      checkresult.Response `json:"status"`
	// Error says why the schedule cannot be evaluated (Status is then the
	// fail-open error answer of check-schedule).
	Error string `json:"error,omitempty"`
}

// viewSchedule renders cur at the instant its status is for (cur.At).
func viewSchedule(cur scheduler.Current) scheduleView {
	sc := cur.Schedule
	rules := sc.RuleIDs()
	if rules == nil {
		rules = []string{}
	}
	v := scheduleView{
		Name:        sc.Name(),
		TimeZone:    sc.Location().String(),
		ManualClose: sc.ManualClose(),
		Rules:       rules,
	}
	if cur.Err != nil {
		v.Error = cur.Err.Error()
		v.Status = checkresult.Response{IsOpen: true, ClosedReason: "error", Schedule: sc.Name(), TimeZone: v.TimeZone, At: cur.At.In(sc.Location())}
		return v
	}
	v.Status = checkresult.New(sc, answerOf(cur))
	return v
}

type scheduleList struct {
	Version   uint64         `json:"version"`
	Schedules []scheduleView `json:"schedules"`
}

// notReady answers 503 while no config is served.
func notReady(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "no configuration loaded yet; retry shortly")
}

func (s *Server) listSchedules(w http.ResponseWriter, _ *http.Request, _ principal) {
	if !s.status.Ready() {
		notReady(w)
		return
	}
	all := s.status.All()
	out := scheduleList{Schedules: make([]scheduleView, 0, len(all))}
	if len(all) > 0 {
		out.Version = all[0].ConfigVersion // the snapshot All read
	} else {
		_, out.Version = s.status.Config()
	}
	for _, cur := range all {
		out.Schedules = append(out.Schedules, viewSchedule(cur))
	}
	writeJSON(w, http.StatusOK, out)
}

// lookup finds the schedule named by the {name} path segment, answering
// 503 or 404 itself when it cannot.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (scheduler.Current, bool) {
	if !s.status.Ready() {
		notReady(w)
		return scheduler.Current{}, false
	}
	name := r.PathValue("name")
	cur, ok := s.status.Status(name)
	if !ok {
		writeErrorf(w, http.StatusNotFound, "unknown schedule %s", quote(name))
	}
	return cur, ok
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request, _ principal) {
	cur, ok := s.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Version uint64 `json:"version"`
		scheduleView
	}{cur.ConfigVersion, viewSchedule(cur)})
}

// Timeline ranges: the default, and the longest a request may ask for.
const (
	defaultTimelineRange = 7 * 24 * time.Hour
	maxTimelineRange     = 366 * 24 * time.Hour
)

type timelineAnswer struct {
	checkresult.Timeline
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request, _ principal) {
	cur, ok := s.lookup(w, r)
	if !ok {
		return
	}
	sc := cur.Schedule
	q := r.URL.Query()
	from, to := s.now(), time.Time{}
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = engine.ParseTime(v, sc.Location()); err != nil {
			writeErrorf(w, http.StatusBadRequest, "from: %v", err)
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = engine.ParseTime(v, sc.Location()); err != nil {
			writeErrorf(w, http.StatusBadRequest, "to: %v", err)
			return
		}
	} else {
		to = from.Add(defaultTimelineRange)
	}
	loc := sc.Location()
	switch {
	case !to.After(from):
		writeErrorf(w, http.StatusBadRequest, "to (%s) must be after from (%s)", to.In(loc).Format(time.RFC3339), from.In(loc).Format(time.RFC3339))
		return
	case to.Sub(from) > maxTimelineRange:
		writeErrorf(w, http.StatusBadRequest, "the range from %s to %s is longer than %d days; ask for less", from.In(loc).Format(time.RFC3339), to.In(loc).Format(time.RFC3339), int(maxTimelineRange/(24*time.Hour)))
		return
	case from.In(loc).Year() < minSimulateYear || to.In(loc).Year() > maxSimulateYear:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("from and to must be between the years %d and %d", minSimulateYear, maxSimulateYear))
		return
	}
	tl := checkresult.NewTimeline(sc, sc.Timeline(from, to))
	writeJSON(w, http.StatusOK, timelineAnswer{Timeline: tl, From: from.In(loc), To: to.In(loc)})
}
