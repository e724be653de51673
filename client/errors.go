package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors matched with errors.Is against an *Error by its status.
var (
	// ErrBadRequest: 400, the request was refused as invalid (a config that
	// does not validate, an unparseable time). Error.Fields lists the
	// problems of a config.
	ErrBadRequest = errors.New("client: bad request")
	// ErrUnauthorized: 401, no token or an unknown token.
	ErrUnauthorized = errors.New("client: unauthorized")
	// ErrForbidden: 403, the token's role may not do this (a viewer
	// writing).
	ErrForbidden = errors.New("client: forbidden")
	// ErrNotFound: 404, an unknown schedule or version, or no config yet.
	ErrNotFound = errors.New("client: not found")
	// ErrConflict: 409, the config changed since the version the write was
	// based on. Error.CurrentVersion is the version to reload.
	ErrConflict = errors.New("client: version conflict")
	// ErrTooLarge: 413, the request body is over the service's limit.
	ErrTooLarge = errors.New("client: request too large")
	// ErrUnavailable: 503, the service is not ready (no config yet, store
	// unreachable, too many event streams); retry later.
	ErrUnavailable = errors.New("client: service unavailable")
)

// Error is an answer of the service with a status other than 2xx.
type Error struct {
	// Method and Path name the request ("PUT", "/api/v1/config").
	Method string
	Path   string
	// Status is the HTTP status code.
	Status int
	// Message is the service's explanation (the "error" member), or the
	// status text when the body had none.
	Message string
	// Fields are the problems of a rejected config, each with its JSON
	// path ("rules[0].endTime").
	Fields []FieldError
	// FieldsTruncated is set when the service found more problems than
	// it listed.
	FieldsTruncated bool
	// CurrentVersion is the config's current version in a 409 version
	// conflict (0: no config exists yet).
	CurrentVersion uint64
	// RetryAfter is the delay the service asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Body is the raw answer, at most 4 KiB of it.
	Body []byte
}

// FieldError is one problem of a rejected config.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (f FieldError) String() string { return f.Path + ": " + f.Message }

// Error renders "client: PUT /api/v1/config: 409 Conflict: <message>",
// followed by the problems when there are several.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if len(e.Fields) > 1 {
		for i, f := range e.Fields {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			b.WriteString(f.String())
		}
		if e.FieldsTruncated {
			b.WriteString("; …")
		}
	}
	return b.String()
}

// Is matches the sentinel errors by status: errors.Is(err, ErrConflict).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrTooLarge:
		return e.Status == http.StatusRequestEntityTooLarge
	case ErrUnavailable:
		return e.Status == http.StatusServiceUnavailable
	}
	return false
}

// errorBody is every error shape the service answers with.
type errorBody struct {
	Error          string       `json:"error"`
	Errors         []FieldError `json:"errors"`
	Truncated      bool         `json:"truncated"`
	CurrentVersion uint64       `json:"currentVersion"`
}

const maxErrorBody = 4 << 10

// newError builds the *Error of a non-2xx answer.
func newError(method, path string, resp *http.Response, body []byte) *Error {
	e := &Error{
		Method:     method,
		Path:       path,
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Body:       bytes.Clone(body[:min(len(body), maxErrorBody)]),
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil && (eb.Error != "" || len(eb.Errors) > 0) {
		e.Message = eb.Error
		e.Fields = eb.Errors
		e.FieldsTruncated = eb.Truncated
		e.CurrentVersion = eb.CurrentVersion
	} else {
		// Not our JSON (a proxy's page): keep a short plain-text excerpt.
		msg := strings.TrimSpace(string(e.Body))
		if !utf8.ValidString(msg) || strings.HasPrefix(msg, "<") {
			msg = ""
		}
		if r := []rune(msg); len(r) > 200 {
			msg = string(r[:200]) + "…"
		}
		e.Message = msg
	}
	if e.Message == "" {
		e.Message = strings.ToLower(http.StatusText(e.Status))
	}
	return e
}
