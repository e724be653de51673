package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Document is the config document in the Twilio Flex Schedule Manager format.
// Fields Twilio does not know (Holidays) are optional extensions that Twilio
// would ignore, so a document stays loadable by both.
type Document struct {
	Rules     []Rule        `json:"rules"`
	Schedules []ScheduleDoc `json:"schedules"`
	// Calendars is an extension: iCalendar calendars that rules take their
	// dates from (a rule's "calendar" names one by id).
	Calendars []CalendarDoc `json:"calendars,omitempty"`
}

// CalendarDoc is an iCalendar (RFC 5545) calendar carried in the document,
// so that every replica evaluates the same events and history shows each
// change. A calendar with a URL is fetched by the service on its Refresh
// spec; each changed text becomes a new config version.
type CalendarDoc struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// ICS is the calendar's text (BEGIN:VCALENDAR…). It may be empty for a
	// calendar with a URL that has not been fetched yet: it matches nothing.
	ICS string `json:"ics,omitempty"`
	// URL, if set, is where the service fetches the calendar (http or https).
	URL string `json:"url,omitempty"`
	// Refresh is a robfig/cron spec ("@every 6h", "0 5 * * *"); the
	// default for a calendar with a URL is DefaultCalendarRefresh.
	Refresh string `json:"refresh,omitempty"`
}

// Rule is one open or closed period, as stored in the document.
type Rule struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason,omitempty"`
	DateRRule    string `json:"dateRRule,omitempty"`
	StartDate    string `json:"startDate,omitempty"`
	EndDate      string `json:"endDate,omitempty"`
	StartTime    string `json:"startTime,omitempty"`
	EndTime      string `json:"endTime,omitempty"`
	// Holidays is an extension: a holiday calendar code such as "US" or "AU-NSW".
	Holidays string `json:"holidays,omitempty"`
	// Calendar is an extension: the id of one of the document's calendars;
	// the rule applies while that calendar has an event.
	Calendar string `json:"calendar,omitempty"`
}

// ScheduleDoc is one schedule as stored in the document.
type ScheduleDoc struct {
	Name        string   `json:"name"`
	ManualClose bool     `json:"manualClose"`
	TimeZone    string   `json:"timeZone"`
	Rules       []string `json:"rules"`
}

// clone returns a deep copy of d, keeping nil slices nil and empty ones
// empty (so the copy encodes and compares like the original). Config keeps
// a document of its own and hands out copies: it is shared by goroutines
// that evaluate it, so no caller may reach the slices it holds.
func (d Document) clone() Document {
	out := Document{Rules: slices.Clone(d.Rules), Schedules: slices.Clone(d.Schedules), Calendars: slices.Clone(d.Calendars)}
	for i := range out.Schedules {
		out.Schedules[i].Rules = slices.Clone(out.Schedules[i].Rules)
	}
	return out
}

// ParseDocument decodes a config document. Syntax and type errors name the
// line and column (or the field) so an admin can find them. A string that
// is not valid UTF-8 or holds an unpaired surrogate escape, anywhere in the
// document, is a *ValidationError naming its path (see checkText):
// encoding/json would silently change it to U+FFFD.
func ParseDocument(data []byte) (Document, error) {
	doc, _, err := parseDocumentChecked(data, sizeHints{})
	return doc, err
}

// parseDocumentChecked is ParseDocument; unknown is false when the
// document certainly has no member UnknownFields would report.
func parseDocumentChecked(data []byte, hints sizeHints) (Document, bool, error) {
	doc, unknown, err := parseDocument(data, hints)
	if err != nil {
		return Document{}, false, err
	}
	if errs := checkText(data); len(errs) > 0 {
		return Document{}, unknown, &ValidationError{Errors: errs}
	}
	return doc, unknown, nil
}

// sizeHints are the element counts of a document's arrays, when known
// (from its LimitScanner), so that decoding allocates them once.
type sizeHints struct{ rules, schedules int }

// parseDocument is ParseDocument without the text encoding check: the fast
// decoder when the document is in its subset (almost always), else
// encoding/json, which also words the errors. unknown is as for
// parseDocumentChecked.
func parseDocument(data []byte, hints sizeHints) (doc Document, unknown bool, err error) {
	if doc, unknown, ok := decodeFast(data, hints); ok {
		return doc, unknown, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return Document{}, true, describeJSONError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Document{}, true, errors.New("config: unexpected data after the JSON document")
	}
	return doc, true, nil
}

// describeJSONError words a decoding error of a config document.
func describeJSONError(data []byte, err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("config: empty document; expected a JSON object with \"rules\" and \"schedules\"")
	}
	return fmt.Errorf("config: %w", JSONError(data, err))
}
