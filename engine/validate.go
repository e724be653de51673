package engine

import (
	"fmt"
	"strings"
)

// FieldError is one problem in a config document, with its JSON path.
type FieldError struct {
	Path string `json:"path"` // e.g. rules[3].endTime
	Msg  string `json:"message"`
}

func (e FieldError) Error() string { return e.Path + ": " + e.Msg }

// ValidationError lists every problem found in a document. A document with
// any problem is rejected whole.
type ValidationError struct {
	Errors []FieldError
	// limit is set when the one problem is a limit (see LimitError).
	limit *LimitError
}

// Unwrap returns the *LimitError of a document over a limit, else nil.
func (e *ValidationError) Unwrap() error {
	if e.limit == nil {
		return nil
	}
	return e.limit
}

func (e *ValidationError) Error() string {
	if len(e.Errors) == 1 {
		return "invalid config: " + e.Errors[0].Error()
	}
	// The message lists the first few; Errors holds them all.
	const shown = 20
	msgs := make([]string, 0, min(len(e.Errors), shown+1))
	for i, fe := range e.Errors {
		if i == shown {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(e.Errors)-shown))
			break
		}
		msgs = append(msgs, fe.Error())
	}
	return fmt.Sprintf("invalid config: %d errors: %s", len(e.Errors), strings.Join(msgs, "; "))
}

// errorList collects field errors while compiling.
type errorList []FieldError

func (l *errorList) add(path, format string, args ...any) {
	*l = append(*l, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// quote renders user text for messages: quoted, escaped and kept short, so a
// 10 MB name or control characters cannot flood a response or a terminal.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(s, 80))
}
