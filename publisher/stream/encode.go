package stream

import (
	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/jsonenc"
)

// appendEvent appends the JSON encoding of ev, byte for byte what
// json.Marshal(ev) produces (TestAppendEventMatchesMarshal checks that),
// about five times faster: 100,000 events at one instant are encoded in a
// tenth of the time. ok is false when a time cannot be encoded (a year
// outside 0–9999); the caller then uses json.Marshal, which reports it.
func appendEvent(b []byte, ev *event.Event) (_ []byte, ok bool) {
	b = append(b, `{"specversion":`...)
	b = jsonenc.String(b, ev.SpecVersion)
	b = append(b, `,"id":`...)
	b = jsonenc.String(b, ev.ID)
	b = append(b, `,"source":`...)
	b = jsonenc.String(b, ev.Source)
	b = append(b, `,"type":`...)
	b = jsonenc.String(b, ev.Type)
	b = append(b, `,"subject":`...)
	b = jsonenc.String(b, ev.Subject)
	b = append(b, `,"time":`...)
	if b, ok = jsonenc.Time(b, ev.Time); !ok {
		return b, false
	}
	b = append(b, `,"datacontenttype":`...)
	b = jsonenc.String(b, ev.DataContentType)
	d := &ev.Data
	b = append(b, `,"data":{"schedule":`...)
	b = jsonenc.String(b, d.Schedule)
	b = append(b, `,"timeZone":`...)
	b = jsonenc.String(b, d.TimeZone)
	b = append(b, `,"isOpen":`...)
	b = jsonenc.Bool(b, d.IsOpen)
	b = append(b, `,"closedReason":`...)
	b = jsonenc.String(b, d.ClosedReason)
	b = append(b, `,"at":`...)
	if b, ok = jsonenc.Time(b, d.At); !ok {
		return b, false
	}
	b = append(b, `,"previous":{"isOpen":`...)
	b = jsonenc.Bool(b, d.Previous.IsOpen)
	b = append(b, `,"closedReason":`...)
	b = jsonenc.String(b, d.Previous.ClosedReason)
	b = append(b, `},"rule":`...)
	if d.Rule == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = jsonenc.String(b, d.Rule.ID)
		b = append(b, `,"name":`...)
		b = jsonenc.String(b, d.Rule.Name)
		b = append(b, '}')
	}
	if d.Holiday != "" {
		b = append(b, `,"holiday":`...)
		b = jsonenc.String(b, d.Holiday)
	}
	b = append(b, `,"nextTransition":`...)
	if d.NextTransition == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"at":`...)
		if b, ok = jsonenc.Time(b, d.NextTransition.At); !ok {
			return b, false
		}
		b = append(b, `,"isOpen":`...)
		b = jsonenc.Bool(b, d.NextTransition.IsOpen)
		b = append(b, `,"closedReason":`...)
		b = jsonenc.String(b, d.NextTransition.ClosedReason)
		b = append(b, '}')
	}
	b = append(b, `,"configVersion":`...)
	b = jsonenc.Uint(b, d.ConfigVersion)
	b = append(b, `,"cause":`...)
	b = jsonenc.String(b, d.Cause)
	return append(b, "}}"...), true
}
