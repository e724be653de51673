package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Feed ranges: the default number of days a feed covers, and the most a
// request may ask for.
const (
	DefaultDays = 60
	MaxDays     = 366
)

// ProdID identifies this program in the feeds it writes.
const ProdID = "-//Schedule Manager//Schedule feed//EN"

// Options shape a feed.
type Options struct {
	// Days is how many days from the start of today (in the schedule's
	// zone) the feed covers: default DefaultDays, at most MaxDays.
	Days int
	// Closed adds the plain "closed" periods (outside opening hours) as
	// events too; by default only openings and closures with a reason
	// other than "closed" (holiday, lunch, manual, …) are events.
	Closed bool
}

// Write writes the iCalendar (RFC 5545) feed of schedule s as of now: one
// event per opening ("Open"), and one per closure with its reason and,
// where a holiday calendar or a calendar event decided, its name
// ("Closed (holiday): Thanksgiving Day"). Times are UTC, so the feed needs
// no VTIMEZONE; X-WR-TIMEZONE tells clients the schedule's zone. Event UIDs
// are stable: the same period keeps its UID from one poll to the next.
func Write(w io.Writer, s *engine.Schedule, now time.Time, o Options) error {
	days := o.Days
	if days <= 0 {
		days = DefaultDays
	}
	days = min(days, MaxDays)
	loc := s.Location()
	lt := now.In(loc)
	from := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	to := time.Date(lt.Year(), lt.Month(), lt.Day()+days, 0, 0, 0, 0, loc)

	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, "PUBLISH")
	xtext(cal.Props, "X-WR-CALNAME", s.Name()+" opening hours")
	xtext(cal.Props, "X-WR-TIMEZONE", loc.String())
	xtext(cal.Props, "X-PUBLISHED-TTL", "PT1H") // Outlook's poll interval
	// RFC 7986 §5.7: VALUE=DURATION is required on REFRESH-INTERVAL.
	refresh := ical.NewProp(ical.PropRefreshInterval)
	refresh.Value = "PT1H"
	refresh.Params.Set(ical.ParamValue, "DURATION")
	cal.Props.Set(refresh)

	stamp := now.UTC().Truncate(time.Second)
	type block struct {
		start, end time.Time
		summary    string
		rule       string
	}
	var blocks []block
	for _, seg := range s.Timeline(from, to) {
		summary, ok := summaryOf(seg.Status, o.Closed)
		if !ok {
			continue
		}
		if n := len(blocks); n > 0 && blocks[n-1].summary == summary && blocks[n-1].end.Equal(seg.Start) {
			blocks[n-1].end = seg.End // two open rules back to back: one event
			continue
		}
		rule := seg.RuleName
		if rule == "" {
			rule = seg.RuleID
		}
		blocks = append(blocks, block{seg.Start, seg.End, summary, rule})
	}
	for _, b := range blocks {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, uid(s.Name(), b.start, b.end, b.summary))
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		ev.Props.SetDateTime(ical.PropDateTimeStart, b.start.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, b.end.UTC())
		ev.Props.SetText(ical.PropSummary, b.summary)
		if b.rule != "" {
			ev.Props.SetText(ical.PropDescription, "Rule: "+b.rule)
		}
		ev.Props.SetText(ical.PropTransparency, "TRANSPARENT") // informational: never blocks free/busy
		cal.Children = append(cal.Children, ev.Component)
	}
	if err := ical.NewEncoder(w).Encode(cal); err != nil {
		return fmt.Errorf("feed: encode: %w", err)
	}
	return nil
}

// summaryOf names a period in the feed, and reports whether it is one.
func summaryOf(st engine.Status, closed bool) (string, bool) {
	switch {
	case st.IsOpen && st.Holiday != "":
		return "Open: " + st.Holiday, true
	case st.IsOpen:
		return "Open", true
	case st.ClosedReason == engine.ReasonClosed && !closed:
		return "", false
	case st.Holiday != "":
		return "Closed (" + st.ClosedReason + "): " + st.Holiday, true
	}
	return "Closed (" + st.ClosedReason + ")", true
}

// uid is stable for a period of a schedule, and differs when it changes.
func uid(schedule string, start, end time.Time, summary string) string {
	h := sha256.New()
	_, _ = io.WriteString(h, schedule+"\x00"+strconv.FormatInt(start.Unix(), 10)+"\x00"+strconv.FormatInt(end.Unix(), 10)+"\x00"+summary)
	return hex.EncodeToString(h.Sum(nil)[:16]) + "@schedule-manager"
}

// xtext sets an X- property as text, escaped, without the VALUE=TEXT
// parameter go-ical adds for properties it does not know.
func xtext(props ical.Props, name, value string) {
	p := ical.NewProp(name)
	p.SetText(value)
	p.Params.Del(ical.ParamValue)
	props.Set(p)
}
