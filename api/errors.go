package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Header values shared by every response. Assigning these slices directly
// (h["Content-Type"] = hdrJSON) instead of calling Header.Set saves an
// allocation per header on the check-schedule hot path; net/http never
// modifies them in place.
var (
	hdrJSON    = []string{"application/json"}
	hdrNoStore = []string{"no-store"}
	hdrNosniff = []string{"nosniff"}
)

// maxQuoted is how many runes of user input a message quotes.
const maxQuoted = 80

// quote renders user input for a message: truncated to maxQuoted runes and
// quoted with %q, so a 10 MB name or control characters cannot flood a
// response or a log line.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		n := 0
		for i := range s {
			if n == maxQuoted {
				return fmt.Sprintf("%q…", s[:i])
			}
			n++
		}
	}
	return fmt.Sprintf("%q", s)
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// fieldErrors is the JSON shape of a validation failure.
type fieldErrors struct {
	Error  string       `json:"error"`
	Errors []fieldError `json:"errors"`
	// Truncated is set when more problems were found than are listed.
	Truncated bool `json:"truncated,omitempty"`
}

type fieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// maxListedErrors bounds the problems listed in one response; the message
// still gives the total.
const maxListedErrors = 200

// setJSONHeaders marks a response as JSON that must not be sniffed or
// cached.
func setJSONHeaders(h http.Header) {
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNosniff
	h["Cache-Control"] = hdrNoStore
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: the response could not be encoded"}`)
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

// writeErrorf writes {"error": fmt.Sprintf(format, args...)}.
func writeErrorf(w http.ResponseWriter, code int, format string, args ...any) {
	writeError(w, code, fmt.Sprintf(format, args...))
}

// writeWithRawData writes head (a struct encoded as a JSON object) with one
// more member "data" holding raw byte for byte: json.Marshal would compact
// and re-escape a json.RawMessage, and the stored document is returned
// verbatim. raw must be valid JSON.
func writeWithRawData(w http.ResponseWriter, head any, raw []byte) {
	b, err := json.Marshal(head)
	if err != nil || len(b) < 2 || b[len(b)-1] != '}' {
		writeError(w, http.StatusInternalServerError, "internal error: the response could not be encoded")
		return
	}
	out := make([]byte, 0, len(b)+len(raw)+16)
	out = append(out, b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"data":`...)
	out = append(out, raw...)
	out = append(out, "}\n"...)
	setJSONHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// errBodyTooLarge is returned by readBody when the limit is exceeded.
type errBodyTooLarge struct {
	limit int64
	// setting raises the limit ("" is max-body-bytes); document is the
	// document limit of a body that carries one.
	setting  string
	document int64
}

func (e errBodyTooLarge) Error() string {
	if e.setting == settingMaxDocumentBytes {
		return fmt.Sprintf("request body is larger than the limit of %d bytes: a config document may be up to %d bytes; the %s setting raises it",
			e.limit, e.document, e.setting)
	}
	return fmt.Sprintf("request body is larger than the limit of %d bytes; the %s setting raises it", e.limit, settingMaxBodyBytes)
}

// readBody reads the whole request body, at most limit bytes. A larger body
// yields errBodyTooLarge (and the connection is closed after the response).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, errBodyTooLarge{limit: mbe.Limit}
		}
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	return buf.Bytes(), nil
}

// writeBodyError answers a readBody or decodeJSON failure.
func writeBodyError(w http.ResponseWriter, err error) {
	var tl errBodyTooLarge
	if errors.As(err, &tl) {
		writeError(w, http.StatusRequestEntityTooLarge, tl.Error())
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// decodeJSON decodes one JSON value from data into v, rejecting unknown
// fields and trailing data. Errors name the line and column, or the field.
func decodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty request body; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return engine.JSONError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := engine.JSONPosition(data, dec.InputOffset())
		return fmt.Errorf("unexpected data after the JSON object at line %d, column %d", line, col)
	}
	return nil
}
