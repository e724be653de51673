package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Meta describes who made a config version and why.
type Meta struct {
	Author  string    `json:"author"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
	// RollbackOf is the version this one restored (0: not a rollback).
	RollbackOf uint64 `json:"rollbackOf"`
}

// Replica is a live replica of the service and the version it serves.
type Replica struct {
	ID      string    `json:"id"`
	Version uint64    `json:"version"`
	Seen    time.Time `json:"seen"`
}

// Config is the latest stored config (GET /api/v1/config).
type Config struct {
	// Version is the latest stored version: pass it to PutConfig.
	Version uint64 `json:"version"`
	// VersionIsDeployed: every live replica serves Version.
	VersionIsDeployed bool `json:"versionIsDeployed"`
	// ServedVersion is the version the answering replica serves.
	ServedVersion uint64    `json:"servedVersion"`
	Replicas      []Replica `json:"replicas"`
	Meta          Meta      `json:"meta"`
	// Data is the config document byte for byte as it was written (white
	// space around the document aside).
	Data json.RawMessage `json:"data"`
}

// ConfigVersion is one stored version with its document
// (GET /api/v1/history/{version}).
type ConfigVersion struct {
	Version uint64          `json:"version"`
	Meta    Meta            `json:"meta"`
	Data    json.RawMessage `json:"data"`
}

// VersionInfo is one entry of the history, without its document.
type VersionInfo struct {
	Version    uint64    `json:"version"`
	Author     string    `json:"author"`
	Message    string    `json:"message"`
	Time       time.Time `json:"time"`
	RollbackOf uint64    `json:"rollbackOf"`
}

// Schedule is one schedule of the served config with its current status.
type Schedule struct {
	Name        string   `json:"name"`
	TimeZone    string   `json:"timeZone"`
	ManualClose bool     `json:"manualClose"`
	Rules       []string `json:"rules"` // rule ids in priority order
	// Status is the check-schedule answer for now.
	Status CheckResult `json:"status"`
	// Version is the config version the answer comes from.
	Version uint64 `json:"version"`
}

// ManualResult is the answer to CloseSchedule and OpenSchedule.
type ManualResult struct {
	// Version is the config version now in force (the new one when
	// Changed).
	Version     uint64 `json:"version"`
	Schedule    string `json:"schedule"`
	ManualClose bool   `json:"manualClose"`
	// Changed is false when the schedule already was in that state and
	// nothing was written.
	Changed bool `json:"changed"`
}

// Ready reports whether the service serves a config, and which version.
// A service that is starting or has lost its store is an *Error matching
// ErrUnavailable.
func (c *Client) Ready(ctx context.Context) (uint64, error) {
	var out struct {
		Version uint64 `json:"version"`
	}
	err := c.do(ctx, request{method: http.MethodGet, path: "/readyz"}, &out)
	return out.Version, err
}

// Config returns the latest stored config. Before the first write it is
// an *Error matching ErrNotFound.
func (c *Client) Config(ctx context.Context) (*Config, error) {
	var out Config
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/config"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutConfig writes data as the next config version, if version is still
// the latest (0 creates the first config), and returns the new version.
// data is sent byte for byte, so its formatting is what GET returns.
//
// Errors: a stale version is an *Error matching ErrConflict whose
// CurrentVersion is the version to reload; a config that does not validate
// matches ErrBadRequest and lists its problems in Fields; a viewer token
// matches ErrForbidden. A write is never retried by the client.
func (c *Client) PutConfig(ctx context.Context, data json.RawMessage, version uint64, message string) (uint64, error) {
	if !json.Valid(data) {
		return 0, errors.New("client: PutConfig: data is not valid JSON")
	}
	r, err := c.putConfig(ctx, data, version, message)
	if err != nil {
		return 0, err
	}
	return r.Version, nil
}

// Schedules lists every schedule of the served config with its status now,
// in document order, and the config version they come from.
func (c *Client) Schedules(ctx context.Context) ([]Schedule, uint64, error) {
	var out struct {
		Version   uint64     `json:"version"`
		Schedules []Schedule `json:"schedules"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/schedules"}, &out); err != nil {
		return nil, 0, err
	}
	for i := range out.Schedules {
		out.Schedules[i].Version = out.Version
		inScheduleZone(&out.Schedules[i].Status)
	}
	return out.Schedules, out.Version, nil
}

// Schedule returns one schedule with its status now; an unknown name is an
// *Error matching ErrNotFound.
func (c *Client) Schedule(ctx context.Context, name string) (*Schedule, error) {
	var out Schedule
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/schedules/" + pathEscape(name)}, &out); err != nil {
		return nil, err
	}
	inScheduleZone(&out.Status)
	return &out, nil
}

// Timeline returns the segments of schedule name over [from, to), each a
// time in any form Simulate takes ("2026-07-03" is local midnight). ""
// means now for from and from + 7 days for to; the range may span at most
// 366 days.
func (c *Client) Timeline(ctx context.Context, name, from, to string) (*Timeline, error) {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	var out Timeline
	r := request{method: http.MethodGet, path: "/api/v1/schedules/" + pathEscape(name) + "/timeline", query: q}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	timelineInZone(&out)
	return &out, nil
}

// CloseSchedule closes schedule name manually (manualClose: true) in the
// latest config; message is recorded in the history ("" for a default).
// Closing a closed schedule writes nothing (Changed false).
func (c *Client) CloseSchedule(ctx context.Context, name, message string) (ManualResult, error) {
	return c.manual(ctx, name, "close", message)
}

// OpenSchedule lifts the manual close of schedule name.
func (c *Client) OpenSchedule(ctx context.Context, name, message string) (ManualResult, error) {
	return c.manual(ctx, name, "open", message)
}

func (c *Client) manual(ctx context.Context, name, verb, message string) (ManualResult, error) {
	body, err := json.Marshal(struct {
		Message string `json:"message,omitempty"`
	}{message})
	if err != nil {
		return ManualResult{}, err
	}
	var out ManualResult
	err = c.do(ctx, request{method: http.MethodPost, path: "/api/v1/schedules/" + pathEscape(name) + "/" + verb, body: body}, &out)
	return out, err
}

// History lists at most limit versions, newest first (limit 0: the
// service's default of 100; at most 1000).
func (c *Client) History(ctx context.Context, limit int) ([]VersionInfo, error) {
	q := url.Values{}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Versions []VersionInfo `json:"versions"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/history", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}

// Version returns stored version v with its document; a version not in the
// history is an *Error matching ErrNotFound.
func (c *Client) Version(ctx context.Context, v uint64) (*ConfigVersion, error) {
	var out ConfigVersion
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/history/" + strconv.FormatUint(v, 10)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Rollback writes the document of version v as a new version on top of
// the latest one and returns the new version. message "" records
// "rollback to version v".
func (c *Client) Rollback(ctx context.Context, v uint64, message string) (uint64, error) {
	return c.rollback(ctx, v, nil, message)
}

// RollbackIfCurrent is Rollback as a compare-and-swap: it writes only if
// expected is still the latest version, else it fails with an *Error
// matching ErrConflict.
func (c *Client) RollbackIfCurrent(ctx context.Context, v, expected uint64, message string) (uint64, error) {
	return c.rollback(ctx, v, &expected, message)
}

func (c *Client) rollback(ctx context.Context, v uint64, expected *uint64, message string) (uint64, error) {
	body, err := json.Marshal(struct {
		Version         uint64  `json:"version"`
		ExpectedVersion *uint64 `json:"expectedVersion,omitempty"`
		Message         string  `json:"message,omitempty"`
	}{v, expected, message})
	if err != nil {
		return 0, err
	}
	var out struct {
		Version uint64 `json:"version"`
	}
	err = c.do(ctx, request{method: http.MethodPost, path: "/api/v1/rollback", body: body}, &out)
	return out.Version, err
}
