package main

import (
	"encoding/json"
	"io"
)

// writeJSON writes v as indented JSON followed by a newline. HTML characters
// are not escaped: "&" in a rule name stays readable.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// orDash returns s, or "-" for an empty table cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
