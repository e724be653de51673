package engine

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// LimitScanner counts, while a JSON text streams through Write, the
// elements of a config document's "schedules", "rules" and "calendars"
// arrays and of each schedule's "rules", and the document's bytes, and
// fails as soon as one is over its limit: a request body can be refused
// before it is held whole, let alone decoded (decoding takes about eight
// times the document's size). Keys match as encoding/json matches them
// (case-insensitively, escapes decoded).
//
// It reads structure only: a text that is not JSON is not reported (the
// decoder does that), and its counts mean little. Once Write has failed it
// keeps returning that error.
type LimitScanner struct {
	lim    Limits
	docKey string // "": the text is the document; else the member of the top-level object holding it

	off      int  // bytes written so far
	docStart int  // offset of the document's '{', -1 before it
	docEnd   int  // offset after its '}'
	docs     int  // objects seen where the document is (more than one: a repeated member)
	docDone  bool // the document's object has closed
	stack    []scanFrame
	deep     int // nesting beyond the frames kept (roles end well before)
	inString bool
	escaped  bool
	hint     sizeHints // element counts of the document's arrays
	key      []byte    // the member name being read, raw, when inKey
	keyLong  bool      // the name was longer than any name that matters
	inKey    bool
	err      error
}

// scanFrame is an open object or array.
type scanFrame struct {
	array   bool
	role    scanRole
	count   int    // arrays: elements seen
	started bool   // arrays: the first element has begun
	wantKey bool   // objects: the next string is a member name
	key     []byte // objects: the current member's name, decoded
}

type scanRole uint8

const (
	roleOther         scanRole = iota
	roleTop                    // the top-level object holding the document (docKey set)
	roleDoc                    // the document
	roleSchedules              // the document's "schedules"
	roleRules                  // the document's "rules"
	roleCalendars              // the document's "calendars"
	roleSchedule               // an element of "schedules"
	roleScheduleRules          // a schedule's "rules"
)

// maxScanFrames bounds the frames kept: roles go four deep.
const maxScanFrames = 8

// maxKeyBytes is longer than the raw text of any member name the scanner
// looks for ("schedules" with every letter a \u escape is 54 bytes).
const maxKeyBytes = 64

// NewLimitScanner returns a scanner for a document within lim (zero fields
// take their defaults). docKey "" scans a document; otherwise the document
// is the value of that member of the top-level object (the "data" of a PUT
// /api/v1/config body), and only it is counted.
func NewLimitScanner(lim Limits, docKey string) *LimitScanner {
	return &LimitScanner{lim: lim.WithDefaults(), docKey: docKey, docStart: -1}
}

// Write scans p. It fails with a *ValidationError wrapping a *LimitError
// (see AsLimitError) once the text is over a limit.
func (s *LimitScanner) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if s.inString {
			// Skip to the next quote or backslash.
			j := i
			for j < len(p) && p[j] != '"' && p[j] != '\\' {
				j++
			}
			if s.escaped && j > i {
				s.escaped = false
			}
			if s.inKey {
				s.keyBytes(p[i:j])
			}
			if j == len(p) {
				break
			}
			i, c = j, p[j]
			switch {
			case s.escaped:
				s.escaped = false
				if s.inKey {
					s.keyBytes(p[i : i+1])
				}
				continue
			case c == '\\':
				s.escaped = true
				if s.inKey {
					s.keyBytes(p[i : i+1])
				}
				continue
			}
			s.inString = false
			if s.inKey {
				s.endKey()
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case ':':
		case ',':
			if top := s.top(); top != nil {
				if top.array {
					top.count++
					s.checkCount(top)
				} else {
					top.wantKey = true
				}
			}
		case '"':
			s.inString = true
			if top := s.top(); top != nil && !top.array && top.wantKey {
				s.inKey, s.key, s.keyLong = true, s.key[:0], false
				top.wantKey = false
				continue
			}
			s.value()
		case '{', '[':
			s.value()
			s.open(c == '[', s.off+i)
		case '}', ']':
			s.close(s.off + i + 1)
		default:
			// A number or literal (only its first byte counts, in value).
			s.value()
		}
		if s.err != nil {
			return i, s.err
		}
	}
	s.off += len(p)
	if s.err == nil && s.docStart >= 0 && !s.docDone && s.off-s.docStart > s.lim.DocumentBytes {
		s.fail(&LimitError{Limit: LimitDocumentBytes, Max: s.lim.DocumentBytes, AtLeast: true})
	}
	return len(p), s.err
}

func (s *LimitScanner) top() *scanFrame {
	if s.deep > 0 || len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

// value notes that a value begins in the current container.
func (s *LimitScanner) value() {
	top := s.top()
	if top == nil || !top.array || top.started {
		return
	}
	top.started, top.count = true, 1
	s.checkCount(top)
}

func (s *LimitScanner) checkCount(f *scanFrame) {
	switch f.role {
	case roleSchedules:
		if f.count > s.lim.Schedules {
			s.fail(&LimitError{Path: "schedules", Limit: LimitSchedules, Max: s.lim.Schedules, Count: f.count, AtLeast: true})
		}
	case roleRules:
		if f.count > s.lim.Rules {
			s.fail(&LimitError{Path: "rules", Limit: LimitRules, Max: s.lim.Rules, Count: f.count, AtLeast: true})
		}
	case roleCalendars:
		if f.count > MaxCalendars {
			s.fail(&LimitError{Path: "calendars", Limit: LimitCalendars, Max: MaxCalendars, Count: f.count, AtLeast: true})
		}
	case roleScheduleRules:
		if f.count > maxRulesPerSchedule {
			// The schedule is the last element begun of the frame two up.
			idx := s.stack[len(s.stack)-3].count - 1
			s.fail(&LimitError{Path: "schedules[" + strconv.Itoa(idx) + "].rules", Limit: LimitScheduleRules,
				Max: maxRulesPerSchedule, Count: f.count, AtLeast: true})
		}
	}
}

func (s *LimitScanner) fail(e *LimitError) { s.err = limitError(e) }

// open pushes an object or array, deciding its role from where it is.
// at is the offset of its first byte.
func (s *LimitScanner) open(array bool, at int) {
	if s.deep > 0 || len(s.stack) >= maxScanFrames {
		s.deep++
		return
	}
	role := roleOther
	parent := s.top()
	switch {
	case parent == nil:
		switch {
		case array:
		case s.docKey == "":
			role = roleDoc
		default:
			role = roleTop
		}
	case parent.role == roleTop && !array && bytes.EqualFold(parent.key, []byte(s.docKey)):
		role = roleDoc
	case parent.role == roleDoc && array:
		switch {
		case bytes.EqualFold(parent.key, []byte("schedules")):
			role = roleSchedules
		case bytes.EqualFold(parent.key, []byte("rules")):
			role = roleRules
		case bytes.EqualFold(parent.key, []byte("calendars")):
			role = roleCalendars
		}
	case parent.role == roleSchedules && !array:
		role = roleSchedule
	case parent.role == roleSchedule && array && bytes.EqualFold(parent.key, []byte("rules")):
		role = roleScheduleRules
	}
	if role == roleDoc {
		s.docs++
		if s.docStart < 0 {
			s.docStart = at
		}
	}
	s.stack = append(s.stack, scanFrame{array: array, role: role, wantKey: !array})
}

// close pops the innermost object or array, which ends before offset end.
func (s *LimitScanner) close(end int) {
	if s.deep > 0 {
		s.deep--
		return
	}
	if n := len(s.stack); n > 0 {
		switch f := s.stack[n-1]; f.role {
		case roleRules:
			s.hint.rules = f.count
		case roleSchedules:
			s.hint.schedules = f.count
		}
		if s.stack[n-1].role == roleDoc && !s.docDone {
			s.docDone, s.docEnd = true, end
			if size := end - s.docStart; size > s.lim.DocumentBytes {
				s.fail(&LimitError{Limit: LimitDocumentBytes, Max: s.lim.DocumentBytes, Count: size})
			}
		}
		s.stack = s.stack[:n-1]
	}
}

func (s *LimitScanner) keyBytes(b []byte) {
	if len(s.key)+len(b) > maxKeyBytes {
		s.keyLong = true
		return
	}
	s.key = append(s.key, b...)
}

// endKey records the member name just read in its object, decoded when
// it holds escapes.
func (s *LimitScanner) endKey() {
	s.inKey = false
	top := s.top()
	if top == nil {
		return
	}
	top.key = top.key[:0]
	if s.keyLong {
		return // longer than any name that matters: matches none
	}
	if bytes.IndexByte(s.key, '\\') < 0 {
		top.key = append(top.key, s.key...)
		return
	}
	var name string
	if json.Unmarshal(append(append([]byte{'"'}, s.key...), '"'), &name) == nil {
		top.key = append(top.key, name...)
	}
}

// DocumentSpan returns where the document lies in the text written: the
// offsets of its first byte and after its last, when exactly one object
// was found where the document is and it is complete.
func (s *LimitScanner) DocumentSpan() (start, end int, ok bool) {
	if s.docs != 1 || !s.docDone {
		return 0, 0, false
	}
	return s.docStart, s.docEnd, true
}
