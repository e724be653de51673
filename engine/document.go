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
	out := Document{Rules: slices.Clone(d.Rules), Schedules: slices.Clone(d.Schedules)}
	for i := range out.Schedules {
		out.Schedules[i].Rules = slices.Clone(out.Schedules[i].Rules)
	}
	return out
}

// ParseDocument decodes a config document. Syntax and type errors name the
// line and column (or the field) so an admin can find them.
func ParseDocument(data []byte) (Document, error) {
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return Document{}, describeJSONError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Document{}, errors.New("config: unexpected data after the JSON document")
	}
	return doc, nil
}

// describeJSONError turns encoding/json errors into messages with a position.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte itself; point at it.
		line, col := position(data, max(syn.Offset-1, 0))
		return fmt.Errorf("config: invalid JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "(document)"
		}
		return fmt.Errorf("config: %s: expected %s but found JSON %s (line %d, column %d)", field, typ.Type, typ.Value, line, col)
	case errors.Is(err, io.EOF):
		return errors.New("config: empty document; expected a JSON object with \"rules\" and \"schedules\"")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("config: the JSON document ends too early")
	default:
		return fmt.Errorf("config: %w", err)
	}
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
