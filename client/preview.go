package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// How a schedule differs between the published config and a draft
// (SchedulePreview.Change).
const (
	ChangeAdded     = "added"     // only in the draft
	ChangeRemoved   = "removed"   // only in the published config: its callers would get 404
	ChangeChanged   = "changed"   // in both, defined differently
	ChangeUnchanged = "unchanged" // in both, defined alike
)

// Preview is what publishing a draft would do (POST /api/v1/preview).
// Nothing is stored.
type Preview struct {
	// Valid is false when the draft would be refused; Errors says why.
	Valid             bool         `json:"valid"`
	Errors            []FieldError `json:"errors"`
	ErrorsTruncated   bool         `json:"errorsTruncated"`
	Warnings          []FieldError `json:"warnings"` // lint: never a reason to refuse
	WarningsTruncated bool         `json:"warningsTruncated"`
	// PublishedVersion is the version the draft was compared with (the one
	// the answering replica serves; 0 for none).
	PublishedVersion uint64    `json:"publishedVersion"`
	From             time.Time `json:"from"`
	To               time.Time `json:"to"`
	// Schedules: the draft's in document order, then the removed ones.
	// Empty for an invalid draft.
	Schedules []SchedulePreview `json:"schedules"`
}

// SchedulePreview is what a draft changes in one schedule.
type SchedulePreview struct {
	Name   string `json:"name"`
	Change string `json:"change"` // ChangeAdded, ChangeRemoved, ChangeChanged or ChangeUnchanged
	// Differences are the intervals where the schedule would answer
	// differently, in time order, times in the schedule's zone.
	Differences []Difference `json:"differences"`
	Truncated   bool         `json:"truncated"` // more differences than listed
	// RecentRequests is the check-schedule requests for this name in the
	// last 24 hours, on the answering replica. A removed schedule with
	// requests has callers that would get 404 (and fail open).
	RecentRequests uint64 `json:"recentRequests"`
}

// Difference is an interval [Start, End) over which the schedule answers
// differently. Before is nil where the schedule is not in the published
// config, After where it is not in the draft.
type Difference struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Before *State    `json:"before"`
	After  *State    `json:"after"`
}

// State is an answer of a schedule: open, or closed and why.
type State struct {
	IsOpen       bool   `json:"isOpen"`
	ClosedReason string `json:"closedReason"`
}

// Preview compares draft (a config document, sent byte for byte) with the
// published config over the next days (0: the service's default, 14; at
// most 366), and lints it. An invalid draft is no error: Preview.Valid is
// false and Errors lists its problems. A viewer token may preview. It has
// no effect, so it is retried like a read.
func (c *Client) Preview(ctx context.Context, draft json.RawMessage, days int) (*Preview, error) {
	if !json.Valid(draft) {
		return nil, errors.New("client: Preview: draft is not valid JSON")
	}
	var b bytes.Buffer
	b.Grow(len(draft) + 32)
	b.WriteString(`{"data":`)
	b.Write(draft)
	if days != 0 {
		b.WriteString(`,"days":`)
		b.WriteString(strconv.Itoa(days))
	}
	b.WriteString("}")
	var out Preview
	if err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/preview", body: b.Bytes(), retry: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PublishResult is the answer to Publish.
type PublishResult struct {
	// Version is the new version.
	Version uint64 `json:"version"`
	// Warnings are the lint warnings of the document written (past dates,
	// unknown fields, ...). They did not stop the write.
	Warnings          []FieldError `json:"warnings"`
	WarningsTruncated bool         `json:"warningsTruncated"`
}

// Publish is PutConfig that also returns the lint warnings of the written
// document.
func (c *Client) Publish(ctx context.Context, data json.RawMessage, version uint64, message string) (*PublishResult, error) {
	if !json.Valid(data) {
		return nil, errors.New("client: Publish: data is not valid JSON")
	}
	return c.putConfig(ctx, data, version, message)
}

// putConfig sends PUT /api/v1/config; data is valid JSON.
func (c *Client) putConfig(ctx context.Context, data json.RawMessage, version uint64, message string) (*PublishResult, error) {
	msg, err := json.Marshal(message)
	if err != nil {
		return nil, err
	}
	// Built by hand: json.Marshal would compact and re-escape data.
	var b bytes.Buffer
	b.Grow(len(data) + len(msg) + 48)
	b.WriteString(`{"version":`)
	b.WriteString(strconv.FormatUint(version, 10))
	b.WriteString(`,"message":`)
	b.Write(msg)
	b.WriteString(`,"data":`)
	b.Write(data)
	b.WriteString("}")
	var out PublishResult
	if err := c.do(ctx, request{method: http.MethodPut, path: "/api/v1/config", body: b.Bytes()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
