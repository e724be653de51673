package engine

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultCalendarRefresh is the refresh spec of a calendar with a URL and
// no "refresh" of its own.
const DefaultCalendarRefresh = "@every 6h"

// MinCalendarRefresh is the shortest interval a refresh spec may give
// between two fetches, so that a config cannot make the service hammer a
// calendar server.
const MinCalendarRefresh = 5 * time.Minute

// CalendarRefreshSchedule parses a calendar's refresh spec: a standard
// five-field cron spec or a descriptor ("@hourly", "@every 6h"), in UTC.
// An empty spec is DefaultCalendarRefresh.
func CalendarRefreshSchedule(spec string) (cron.Schedule, error) {
	if strings.TrimSpace(spec) == "" {
		spec = DefaultCalendarRefresh
	}
	if strings.HasPrefix(strings.TrimSpace(spec), "TZ=") || strings.HasPrefix(strings.TrimSpace(spec), "CRON_TZ=") {
		return nil, fmt.Errorf("%s: a time zone prefix is not supported (specs are in UTC)", quote(spec))
	}
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s, err := p.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%s is not a cron spec (e.g. \"@every 6h\" or \"0 5 * * *\"): %s", quote(spec), truncate(err.Error(), 120))
	}
	// A pure check on a fixed stretch of time: the first activations after
	// 2026-01-01 must be MinCalendarRefresh apart.
	t := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for range 48 {
		n := s.Next(t)
		if n.IsZero() {
			break
		}
		if n.Sub(t) < MinCalendarRefresh {
			return nil, fmt.Errorf("%s fetches more often than every %s", quote(spec), MinCalendarRefresh)
		}
		t = n
	}
	return s, nil
}

// compileCalendars validates the document's calendars and parses their
// text. Calendars with errors are left out of the result (and reported).
func compileCalendars(docs []CalendarDoc, errs *errorList) map[string]*compiledCalendar {
	out := make(map[string]*compiledCalendar, len(docs))
	if len(docs) > MaxCalendars {
		errs.add("calendars", "%d calendars is more than the limit of %d", len(docs), MaxCalendars)
		return out
	}
	seen := make(map[string]int, len(docs))
	for i, c := range docs {
		path := "calendars[" + strconv.Itoa(i) + "]"
		checkName(path+".id", "id", c.ID, MaxNameLength, true, errs)
		checkName(path+".name", "name", c.Name, MaxNameLength, false, errs)
		if j, ok := seen[c.ID]; ok && c.ID != "" {
			errs.add(path+".id", "duplicate calendar id %s (also calendars[%d])", quote(c.ID), j)
			continue
		}
		seen[c.ID] = i
		if c.URL != "" {
			if err := checkCalendarURL(c.URL); err != nil {
				errs.add(path+".url", "%s", err.Error())
			}
		}
		if c.Refresh != "" {
			if c.URL == "" {
				errs.add(path+".refresh", "a refresh spec needs a url to fetch")
			} else if _, err := CalendarRefreshSchedule(c.Refresh); err != nil {
				errs.add(path+".refresh", "%s", err.Error())
			}
		}
		if c.ICS == "" && c.URL == "" {
			errs.add(path+".ics", "a calendar needs its iCalendar text (ics) or a url to fetch it from")
			continue
		}
		cc := &compiledCalendar{id: c.ID, name: c.Name, hash: CalendarHash(c.ICS), path: path + ".ics"}
		if cc.name == "" {
			cc.name = c.ID
		}
		if c.ICS != "" {
			events, err := parseCalendar(c.ICS)
			if err != nil {
				errs.add(path+".ics", "%s", err.Error())
				continue
			}
			cc.events = events
		}
		out[c.ID] = cc
	}
	return out
}

// ParseCalendar checks that text is an iCalendar calendar the engine can
// evaluate, within the limits (size, events, occurrences a year). The
// fetcher uses it to refuse a bad download before it becomes a version.
func ParseCalendar(text string) error {
	_, err := parseCalendar(text)
	return err
}

// checkCalendarURL accepts absolute http and https URLs without user
// information. Whether the host may be reached (private addresses) is the
// fetcher's decision, made when it connects.
func checkCalendarURL(s string) error {
	if len(s) > maxURLLength {
		return fmt.Errorf("is %d characters long, the limit is %d", len(s), maxURLLength)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%s is not a URL", quote(s))
	case u.Scheme == "webcal" || u.Scheme == "webcals":
		return fmt.Errorf("%s: write webcal:// links as https://", quote(s))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s: only http and https URLs can be fetched", quote(s))
	case u.Host == "":
		return fmt.Errorf("%s has no host", quote(s))
	case u.User != nil:
		return fmt.Errorf("%s: credentials in the URL are not allowed", quote(s))
	}
	return nil
}
