package api

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/checkresult"
)

// appendResponse appends the JSON encoding of r, byte for byte what
// json.Marshal(r) produces (TestAppendResponseMatchesMarshal checks that,
// field list included), without reflection or allocation: check-schedule is
// the hot path. ok is false when a time cannot be encoded (a year outside
// 0–9999), which json.Marshal rejects too.
func appendResponse(b []byte, r *checkresult.Response) (_ []byte, ok bool) {
	b = append(b, `{"isOpen":`...)
	b = strconv.AppendBool(b, r.IsOpen)
	b = append(b, `,"closedReason":`...)
	b = appendString(b, r.ClosedReason)
	b = append(b, `,"schedule":`...)
	b = appendString(b, r.Schedule)
	b = append(b, `,"timeZone":`...)
	b = appendString(b, r.TimeZone)
	b = append(b, `,"at":`...)
	if b, ok = appendTime(b, r.At); !ok {
		return b, false
	}
	if r.Rule != nil {
		b = append(b, `,"rule":{"id":`...)
		b = appendString(b, r.Rule.ID)
		b = append(b, `,"name":`...)
		b = appendString(b, r.Rule.Name)
		b = append(b, '}')
	}
	if r.Holiday != "" {
		b = append(b, `,"holiday":`...)
		b = appendString(b, r.Holiday)
	}
	b = append(b, `,"nextTransition":`...)
	if r.NextTransition == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"at":`...)
		if b, ok = appendTime(b, r.NextTransition.At); !ok {
			return b, false
		}
		b = append(b, `,"isOpen":`...)
		b = strconv.AppendBool(b, r.NextTransition.IsOpen)
		b = append(b, `,"closedReason":`...)
		b = appendString(b, r.NextTransition.ClosedReason)
		b = append(b, '}')
	}
	if !r.NextOpening.IsZero() {
		b = append(b, `,"nextOpening":`...)
		if b, ok = appendTime(b, r.NextOpening); !ok {
			return b, false
		}
	}
	if r.ConfigVersion != 0 {
		b = append(b, `,"configVersion":`...)
		b = strconv.AppendUint(b, r.ConfigVersion, 10)
	}
	return append(b, '}'), true
}

// appendTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds when present).
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string exactly as encoding/json does
// with HTML escaping on: <, > and & become \u003c, \u003e, \u0026; invalid
// UTF-8 becomes \ufffd; U+2028 and U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// bufPool recycles response buffers of the check-schedule endpoint.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}
