package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// JSONError turns an encoding/json decoding error of data into a message
// that says where the problem is: the line and column of a syntax error,
// the field and position of a wrong type. The service's request bodies and
// config documents word their JSON errors alike through it.
func JSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte itself; point at it.
		line, col := position(data, max(syn.Offset-1, 0))
		return fmt.Errorf("invalid JSON at line %d, column %d: %s", line, col, trimJSONPrefix(syn.Error()))
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		field := typ.Field
		if field == "" {
			field = "(document)"
		}
		return fmt.Errorf("%s: expected %s but found JSON %s (line %d, column %d)", field, jsonKind(typ.Type.String()), typ.Value, line, col)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the JSON ends too early")
	default:
		// Unknown field and friends: encoding/json already quotes the name;
		// keep the message short.
		msg := trimJSONPrefix(err.Error())
		if utf8.RuneCountInString(msg) > 200 {
			msg = string([]rune(msg)[:200]) + "…"
		}
		return errors.New(msg)
	}
}

// JSONPosition converts a byte offset of data into a 1-based line and
// column.
func JSONPosition(data []byte, offset int64) (line, col int) { return position(data, offset) }

func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
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

func trimJSONPrefix(s string) string {
	s, _ = strings.CutPrefix(s, "json: ")
	return s
}

// jsonKind names a Go type the way a JSON author thinks of it.
func jsonKind(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "a string"
	case "uint64", "int", "int64", "uint", "uint32", "int32":
		return "a non-negative integer"
	case "bool":
		return "true or false"
	case "float64":
		return "a number"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return "an object"
}
