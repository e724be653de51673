package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxTextErrors bounds the encoding problems listed for one document: a
// file saved in the wrong encoding has one in every other line.
const maxTextErrors = 100

// checkText finds the strings of the JSON document data, member names
// included, that are not valid UTF-8 or that hold an unpaired UTF-16
// surrogate escape ("\ud800" alone), and returns one problem per such
// string with its JSON path and position.
//
// encoding/json accepts both and silently replaces them with U+FFFD, so
// the document would be stored as sent but served, compared and evaluated
// as something else ("Caf\xe9" saved as Latin-1 would answer as "Caf�").
// RFC 8259 requires UTF-8 between systems and I-JSON (RFC 7493) forbids
// unpaired surrogates, so every string is checked, extension fields and
// free text too: the document is stored byte for byte and handed back to
// editors and other tools, which must be able to read it.
//
// data is expected to be one JSON value (ParseDocument decoded it first);
// on anything else checkText returns without panicking, its answer then
// being meaningful only for the bytes inside strings.
func checkText(data []byte) []FieldError {
	if utf8.Valid(data) && !hasSurrogateEscape(data) {
		return nil // the common case: one pass, no allocation
	}
	w := textWalker{data: data, pos: positioner{data: data, line: 1, col: 1}}
	w.walk()
	return w.errs
}

// hasSurrogateEscape reports whether data may hold a \uD800–\uDFFF
// escape (a false positive, such as an escaped backslash before "ud800",
// only costs the full walk).
func hasSurrogateEscape(data []byte) bool {
	for {
		i := bytes.Index(data, []byte(`\u`))
		if i < 0 || i+3 >= len(data) {
			return false
		}
		if d, h := data[i+2], data[i+3]; (d == 'd' || d == 'D') && strings.IndexByte("89abcdefABCDEF", h) >= 0 {
			return true
		}
		data = data[i+2:]
	}
}

// textFrame is one open object or array on the way to the current value.
type textFrame struct {
	array   bool
	index   int    // arrays: index of the current element
	key     []byte // objects: raw text of the current member name, quotes excluded
	wantKey bool   // objects: the next string is a member name
}

// textWalker scans a JSON text, keeping the path to the current value.
type textWalker struct {
	data  []byte
	stack []textFrame
	errs  []FieldError
	pos   positioner
}

func (w *textWalker) walk() {
	for i := 0; i < len(w.data) && len(w.errs) <= maxTextErrors; {
		top := len(w.stack) - 1
		switch c := w.data[i]; c {
		case '{', '[':
			w.stack = append(w.stack, textFrame{array: c == '[', wantKey: c == '{'})
			i++
		case '}', ']':
			if top >= 0 {
				w.stack = w.stack[:top]
			}
			i++
		case ',':
			if top >= 0 {
				if w.stack[top].array {
					w.stack[top].index++
				} else {
					w.stack[top].wantKey = true
				}
			}
			i++
		case '"':
			end, problems := scanString(w.data, i)
			isKey := top >= 0 && !w.stack[top].array && w.stack[top].wantKey
			if isKey {
				w.stack[top].key, w.stack[top].wantKey = w.data[i+1:max(end-1, i+1)], false
			}
			for _, p := range problems {
				if p.at >= 0 {
					w.report(isKey, p.at, p.msg)
				}
			}
			i = end
		default:
			i++
		}
	}
	if len(w.errs) > maxTextErrors {
		w.errs = append(w.errs[:maxTextErrors], FieldError{Path: "(document)",
			Msg: fmt.Sprintf("more than %d strings are not valid UTF-8; only the first %d are listed", maxTextErrors, maxTextErrors)})
	}
}

// report records a problem at byte offset bad of the current string: a
// member name is reported at its object's path, a value at its own.
func (w *textWalker) report(isKey bool, bad int, msg string) {
	line, col := w.pos.at(bad)
	msg = fmt.Sprintf(msg, line, col)
	path := w.path(isKey)
	if isKey {
		msg = "a member name is " + msg
	}
	if path == "" {
		path = "(document)"
	}
	w.errs = append(w.errs, FieldError{Path: path, Msg: msg})
}

// path renders the stack as rules[3].name. Without the last member name
// when the problem is in that name itself (keyOnly).
func (w *textWalker) path(keyOnly bool) string {
	var b strings.Builder
	for i, f := range w.stack {
		switch {
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		case keyOnly && i == len(w.stack)-1:
		default:
			name := decodeKey(f.key)
			if isPlainKey(name) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(name)
			} else {
				b.WriteString("[" + quote(name) + "]")
			}
		}
	}
	return b.String()
}

// decodeKey decodes the raw text of a member name (escapes included) the
// way encoding/json does.
func decodeKey(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s); err != nil {
		return string(raw)
	}
	return s
}

// isPlainKey reports whether a member name can follow a dot in a path
// (x-note, closedReason) rather than needing brackets and quotes.
func isPlainKey(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '$' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// textProblem is the first problem of one kind in a string: the offset
// of the offending byte or escape (-1: none) and a message with two %d
// verbs for its line and column.
type textProblem struct {
	at  int
	msg string
}

// scanString scans the JSON string whose opening quote is at data[start].
// It returns the offset just past its closing quote (or len(data) when it
// has none) and its first invalid UTF-8 byte and first unpaired surrogate
// escape, in the order they appear (at -1 for a kind it does not have).
func scanString(data []byte, start int) (end int, problems [2]textProblem) {
	badUTF8, badUTF16 := textProblem{at: -1}, textProblem{at: -1}
	done := func(end int) (int, [2]textProblem) {
		if badUTF16.at >= 0 && (badUTF8.at < 0 || badUTF16.at < badUTF8.at) {
			return end, [2]textProblem{badUTF16, badUTF8}
		}
		return end, [2]textProblem{badUTF8, badUTF16}
	}
	for j := start + 1; j < len(data); {
		switch b := data[j]; {
		case b == '"':
			return done(j + 1)
		case b == '\\':
			if j+1 < len(data) && data[j+1] == 'u' {
				r, ok := hex4(data, j+2)
				if ok && 0xD800 <= r && r <= 0xDBFF {
					if low, ok := escapedRune(data, j+6); ok && 0xDC00 <= low && low <= 0xDFFF {
						j += 12 // a pair: one character beyond U+FFFF
						continue
					}
				}
				if ok && 0xD800 <= r && r <= 0xDFFF && badUTF16.at < 0 {
					badUTF16 = textProblem{j, fmt.Sprintf(`not valid UTF-16: %s at line %%d, column %%d is half of a surrogate pair without its other half`+
						` (a character beyond U+FFFF is written as a pair, e.g. \ud83d\ude00)`, data[j:j+6])}
				}
				if ok {
					j += 6
					continue
				}
			}
			j += 2
		case b < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 && badUTF8.at < 0 {
				badUTF8 = textProblem{j, fmt.Sprintf("not valid UTF-8 (byte 0x%02x at line %%d, column %%d); save the file as UTF-8", b)}
			}
			j += size
		}
	}
	return done(len(data))
}

// escapedRune reads a \uXXXX escape at data[at].
func escapedRune(data []byte, at int) (rune, bool) {
	if at+1 >= len(data) || data[at] != '\\' || data[at+1] != 'u' {
		return 0, false
	}
	return hex4(data, at+2)
}

// hex4 reads four hex digits at data[at].
func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// positioner converts increasing byte offsets of data into 1-based lines
// and columns (in bytes, as JSONError counts them) in one pass overall.
type positioner struct {
	data      []byte
	off       int
	line, col int
}

func (p *positioner) at(offset int) (line, col int) {
	if offset < p.off { // not expected: offsets only grow
		p.off, p.line, p.col = 0, 1, 1
	}
	for ; p.off < offset && p.off < len(p.data); p.off++ {
		if p.data[p.off] == '\n' {
			p.line, p.col = p.line+1, 1
		} else {
			p.col++
		}
	}
	return p.line, p.col
}
