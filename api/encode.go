package api

import (
	"strconv"
	"sync"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/internal/jsonenc"
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
	b = jsonenc.String(b, r.ClosedReason)
	b = append(b, `,"schedule":`...)
	b = jsonenc.String(b, r.Schedule)
	b = append(b, `,"timeZone":`...)
	b = jsonenc.String(b, r.TimeZone)
	b = append(b, `,"at":`...)
	if b, ok = jsonenc.Time(b, r.At); !ok {
		return b, false
	}
	if r.Rule != nil {
		b = append(b, `,"rule":{"id":`...)
		b = jsonenc.String(b, r.Rule.ID)
		b = append(b, `,"name":`...)
		b = jsonenc.String(b, r.Rule.Name)
		b = append(b, '}')
	}
	if r.Holiday != "" {
		b = append(b, `,"holiday":`...)
		b = jsonenc.String(b, r.Holiday)
	}
	b = append(b, `,"nextTransition":`...)
	if r.NextTransition == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"at":`...)
		if b, ok = jsonenc.Time(b, r.NextTransition.At); !ok {
			return b, false
		}
		b = append(b, `,"isOpen":`...)
		b = strconv.AppendBool(b, r.NextTransition.IsOpen)
		b = append(b, `,"closedReason":`...)
		b = jsonenc.String(b, r.NextTransition.ClosedReason)
		b = append(b, '}')
	}
	if !r.NextOpening.IsZero() {
		b = append(b, `,"nextOpening":`...)
		if b, ok = jsonenc.Time(b, r.NextOpening); !ok {
			return b, false
		}
	}
	if r.ConfigVersion != 0 {
		b = append(b, `,"configVersion":`...)
		b = strconv.AppendUint(b, r.ConfigVersion, 10)
	}
	return append(b, '}'), true
}

// bufPool recycles response buffers of the check-schedule endpoint.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}
