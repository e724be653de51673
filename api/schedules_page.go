package api

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/scheduler"
)

// Paging of GET /api/v1/schedules.
const (
	maxSchedulePage = 1000
	cursorPrefix    = "n:" // cursor = base64url("n:" + the last name sent)
)

// Status filters of GET /api/v1/schedules?status=.
const (
	filterOpen   = "open"   // open now
	filterClosed = "closed" // closed now, for any reason (manual included)
	filterManual = "manual" // manually closed
	filterError  = "error"  // cannot be evaluated
)

// nameIndex is a config's schedule names sorted case-insensitively (then
// byte-wise), kept per config so a page of a 100,000-schedule config does
// not sort them again.
type nameIndex struct {
	cfg   *engine.Config
	names []string // sorted
	lower []string // strings.ToLower of names, same order
}

// nameIndexCache holds the index of the config served last.
type nameIndexCache struct {
	mu  sync.Mutex
	idx *nameIndex
}

func (c *nameIndexCache) get(cfg *engine.Config) *nameIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx != nil && c.idx.cfg == cfg {
		return c.idx
	}
	scheds := cfg.Schedules()
	type entry struct{ lower, name string }
	es := make([]entry, len(scheds))
	for i, sc := range scheds {
		es[i] = entry{strings.ToLower(sc.Name()), sc.Name()}
	}
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(strings.Compare(a.lower, b.lower), strings.Compare(a.name, b.name))
	})
	idx := &nameIndex{cfg: cfg, names: make([]string, len(es)), lower: make([]string, len(es))}
	for i, e := range es {
		idx.names[i], idx.lower[i] = e.name, e.lower
	}
	c.idx = idx
	return idx
}

// schedulePage is the paged answer of GET /api/v1/schedules.
type schedulePage struct {
	Version   uint64         `json:"version"`
	Schedules []scheduleView `json:"schedules"`
	// Total is how many schedules match q and status in all.
	Total int `json:"total"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// pageQuery is a parsed paged request.
type pageQuery struct {
	limit  int
	after  string // the last name of the previous page ("" = from the start)
	hasCur bool
	q      string // lower-cased
	status string
	desc   bool
}

func parsePageQuery(r *http.Request) (pageQuery, string) {
	v := r.URL.Query()
	var pq pageQuery
	n, err := strconv.Atoi(v.Get("limit"))
	if err != nil || n < 1 || n > maxSchedulePage {
		return pq, "limit: " + quote(v.Get("limit")) + " is not a page size from 1 to " + strconv.Itoa(maxSchedulePage)
	}
	pq.limit = n
	if c := v.Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		name, ok := strings.CutPrefix(string(raw), cursorPrefix)
		if err != nil || !ok {
			return pq, "cursor: " + quote(c) + " is not a cursor of this API; pass the \"next\" of the previous page"
		}
		pq.after, pq.hasCur = name, true
	}
	pq.q = strings.ToLower(v.Get("q"))
	switch pq.status = v.Get("status"); pq.status {
	case "", filterOpen, filterClosed, filterManual, filterError:
	default:
		return pq, "status: " + quote(pq.status) + " is not one of open, closed, manual, error"
	}
	switch s := v.Get("sort"); s {
	case "", "name":
	case "-name":
		pq.desc = true
	default:
		return pq, "sort: " + quote(s) + " is not one of name, -name"
	}
	return pq, ""
}

// listSchedulesRoute serves GET /api/v1/schedules: every schedule in
// document order when no paging parameter is given (the original answer),
// else one page (see listSchedulePage).
func (s *Server) listSchedulesRoute(w http.ResponseWriter, r *http.Request, p principal) {
	q := r.URL.Query()
	if !q.Has("limit") && !q.Has("cursor") && !q.Has("q") && !q.Has("status") && !q.Has("sort") {
		s.listSchedules(w, r, p)
		return
	}
	s.listSchedulePage(w, r)
}

// listSchedulePage answers GET /api/v1/schedules?limit=&cursor=&q=&status=&sort=:
// at most limit schedules sorted by name (case-insensitively; sort=-name
// reverses), those whose name contains q (case-insensitively) and whose
// status matches, after the cursor. The answer's next is the cursor of the
// following page. A cursor names the last schedule sent, so pages stay
// consistent across config versions: a schedule added or removed meanwhile
// shifts nothing.
func (s *Server) listSchedulePage(w http.ResponseWriter, r *http.Request) {
	pq, problem := parsePageQuery(r)
	if problem != "" {
		writeError(w, http.StatusBadRequest, problem)
		return
	}
	if !s.status.Ready() {
		notReady(w)
		return
	}
	cfg, version := s.status.Config()
	out := schedulePage{Version: version, Schedules: []scheduleView{}}
	if cfg == nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	idx := s.names.get(cfg)
	n := len(idx.names)
	// The first position after the cursor, in the order asked for.
	start := 0
	if pq.hasCur {
		key := strings.ToLower(pq.after)
		pos, found := slices.BinarySearchFunc(idx.names, pq.after, func(name, target string) int {
			return cmp.Or(strings.Compare(strings.ToLower(name), key), strings.Compare(name, target))
		})
		if pq.desc {
			start = n - pos // the positions before pos, reversed
		} else if found {
			start = pos + 1
		} else {
			start = pos
		}
	}
	at := func(i int) int {
		if pq.desc {
			return n - 1 - i
		}
		return i
	}
	var last string
	for i := range n {
		j := at(i)
		if pq.q != "" && !strings.Contains(idx.lower[j], pq.q) {
			continue
		}
		var cur scheduler.Current
		if pq.status != "" || i >= start && len(out.Schedules) < pq.limit {
			var ok bool
			if cur, ok = s.status.Status(idx.names[j]); !ok {
				continue // removed by a newer version since Config was read
			}
			if !matchesStatus(cur, pq.status) {
				continue
			}
		}
		out.Total++
		if i < start {
			continue
		}
		if len(out.Schedules) < pq.limit {
			out.Schedules = append(out.Schedules, viewSchedule(cur))
			last = idx.names[j]
		} else if out.Next == "" {
			out.Next = base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + last))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func matchesStatus(cur scheduler.Current, filter string) bool {
	switch filter {
	case filterOpen:
		return cur.Err == nil && cur.Status.IsOpen
	case filterClosed:
		return cur.Err == nil && !cur.Status.IsOpen
	case filterManual:
		return cur.Schedule.ManualClose()
	case filterError:
		return cur.Err != nil
	}
	return true
}
