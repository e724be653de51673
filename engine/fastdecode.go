package engine

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// fastDecoder decodes the common shape of a config document several times
// faster than encoding/json, with far fewer allocations: a 100,000-schedule
// document is decoded in a fraction of a second. It handles a subset of
// what encoding/json accepts and gives up (ok false) on anything outside
// it, so the caller decodes with encoding/json instead, which then also
// words any error. On the subset both decode the same Document
// (FuzzFastDecode checks that):
//
//   - member names spelt exactly as the fields, each at most once per
//     object, without escapes (a name matching a field only
//     case-insensitively, or repeated, gives up: encoding/json's merging
//     rules then apply);
//   - values of the fields' types, or null for a field (not for an element
//     of an array);
//   - strings of valid UTF-8 whose escapes are JSON's, surrogate pairs
//     paired;
//   - members of unknown name, skipped after a strict check of their
//     syntax; unknown is then set, so that UnknownFields runs;
//   - one value and whitespace only, nesting at most maxFastDepth deep.
//
// Rule ids listed by schedules and time zones are interned: 100,000
// schedules share the strings of 200 rules and 15 zones.
type fastDecoder struct {
	data    []byte
	i       int
	unknown bool
	ids     map[string]string // rule ids, for interning the schedules' lists
	zones   map[string]string
	depth   int
	hints   sizeHints
	scratch []string // a schedule's rule list being read
	chunk   []string // backing store of the schedules' rule lists
}

// ruleList returns a copy of list in the chunk the schedules' lists are
// carved from (capacity capped: an append by a caller copies), so 100,000
// lists take a few allocations instead of 100,000 growing ones.
func (d *fastDecoder) ruleList(list []string) []string {
	n := len(list)
	if n == 0 {
		return []string{}
	}
	if len(d.chunk)+n > cap(d.chunk) {
		d.chunk = make([]string, 0, max(4096, n))
	}
	out := d.chunk[len(d.chunk) : len(d.chunk)+n : len(d.chunk)+n]
	d.chunk = d.chunk[:len(d.chunk)+n]
	copy(out, list)
	return out
}

// maxFastDepth bounds the nesting of skipped values (encoding/json allows
// 10,000; deeper documents are left to it).
const maxFastDepth = 512

// errGiveUp is panicked inside the decoder and recovered by decodeFast:
// the input is outside the subset.
type giveUp struct{}

// decodeFast decodes data; ok is false when the input is outside the
// subset (see fastDecoder), errors included.
func decodeFast(data []byte, hints sizeHints) (doc Document, unknown, ok bool) {
	d := fastDecoder{data: data, ids: map[string]string{}, zones: map[string]string{}, hints: hints}
	defer func() {
		if v := recover(); v != nil {
			if _, is := v.(giveUp); !is {
				panic(v)
			}
			doc, unknown, ok = Document{}, false, false
		}
	}()
	d.ws()
	d.document(&doc)
	d.ws()
	if d.i != len(d.data) {
		d.fail()
	}
	return doc, d.unknown, true
}

func (d *fastDecoder) fail() { panic(giveUp{}) }

func (d *fastDecoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace (0 at the end).
func (d *fastDecoder) peek() byte {
	d.ws()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

func (d *fastDecoder) expect(c byte) {
	if d.peek() != c {
		d.fail()
	}
	d.i++
}

// literal consumes the literal word (true, false, null) if it is next.
func (d *fastDecoder) literal(word string) bool {
	d.ws()
	if !bytes.HasPrefix(d.data[d.i:], []byte(word)) {
		return false
	}
	d.i += len(word)
	return true
}

// object calls member for each member of the object that comes next.
// seen guards against repeated names: member returns the bit of the field
// it read (0 for an unknown one).
func (d *fastDecoder) object(member func(name []byte) uint32) {
	d.expect('{')
	if d.peek() == '}' {
		d.i++
		return
	}
	var seen uint32
	for {
		if d.peek() != '"' {
			d.fail()
		}
		name := d.rawName()
		d.expect(':')
		bit := member(name)
		if bit != 0 {
			if seen&bit != 0 {
				d.fail() // repeated: encoding/json's rules
			}
			seen |= bit
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return
		default:
			d.fail()
		}
	}
}

// rawName reads a member name that needs no decoding.
func (d *fastDecoder) rawName() []byte {
	d.i++ // the quote
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			name := d.data[start:d.i]
			d.i++
			return name
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			d.fail() // escapes and non-ASCII names: encoding/json decides
		}
		d.i++
	}
	d.fail()
	return nil
}

// unknownMember skips the value of a member that is no field, after
// making sure it does not match one case-insensitively.
func (d *fastDecoder) unknownMember(name []byte, fields ...string) uint32 {
	for _, f := range fields {
		if bytes.EqualFold(name, []byte(f)) {
			d.fail()
		}
	}
	d.unknown = true
	d.skip()
	return 0
}

// str reads a string value; null leaves *s as it is, as encoding/json does.
func (d *fastDecoder) str(s *string) {
	if d.peek() == 'n' {
		if !d.literal("null") {
			d.fail()
		}
		return
	}
	*s = string(d.strBytes(nil))
}

// strInterned is str with the result taken from (or added to) m.
func (d *fastDecoder) strInterned(s *string, m map[string]string) {
	if d.peek() == 'n' {
		if !d.literal("null") {
			d.fail()
		}
		return
	}
	b := d.strBytes(nil)
	if v, ok := m[string(b)]; ok {
		*s = v
		return
	}
	v := string(b)
	m[v] = v
	*s = v
}

// strBytes reads a string and returns its content, decoded into buf when
// it has escapes, else a slice of the input.
func (d *fastDecoder) strBytes(buf []byte) []byte {
	if d.peek() != '"' {
		d.fail()
	}
	d.i++
	start := d.i
	ascii := true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			out := d.data[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(out) {
				d.fail() // encoding/json would substitute U+FFFD
			}
			return out
		case c == '\\':
			return d.escaped(append(buf[:0], d.data[start:d.i]...), ascii)
		case c < 0x20:
			d.fail()
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	d.fail()
	return nil
}

// escaped finishes a string with escapes; out holds what came before the
// first one.
func (d *fastDecoder) escaped(out []byte, ascii bool) []byte {
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			if !ascii && !utf8.Valid(out) {
				d.fail()
			}
			return out
		case c < 0x20:
			d.fail()
		case c != '\\':
			if c >= utf8.RuneSelf {
				ascii = false
			}
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.data) {
			d.fail()
		}
		e := d.data[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := d.hex4()
			if utf16.IsSurrogate(r) {
				// Only a high surrogate followed by an escaped low one.
				if r >= 0xdc00 || d.i+1 >= len(d.data) || d.data[d.i] != '\\' || d.data[d.i+1] != 'u' {
					d.fail()
				}
				d.i += 2
				r2 := d.hex4()
				if r2 < 0xdc00 || r2 > 0xdfff {
					d.fail()
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			d.fail()
		}
	}
	d.fail()
	return nil
}

func (d *fastDecoder) hex4() rune {
	if d.i+4 > len(d.data) {
		d.fail()
	}
	var r rune
	for _, c := range d.data[d.i : d.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			d.fail()
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r
}

// boolean reads true or false; null leaves *b as it is.
func (d *fastDecoder) boolean(b *bool) {
	switch {
	case d.literal("true"):
		*b = true
	case d.literal("false"):
		*b = false
	case d.literal("null"):
	default:
		d.fail()
	}
}

// array calls elem for each element of the array that comes next; null
// is reported as isNull. An empty array gives a non-nil empty slice in
// encoding/json: callers make one when n is 0 and not null.
func (d *fastDecoder) array(elem func()) (isNull bool) {
	if d.peek() == 'n' {
		if !d.literal("null") {
			d.fail()
		}
		return true
	}
	d.expect('[')
	if d.peek() == ']' {
		d.i++
		return false
	}
	for {
		if d.peek() == 'n' {
			d.fail() // a null element: encoding/json's zero value rules
		}
		elem()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return false
		default:
			d.fail()
		}
	}
}

// skip checks and skips any value.
func (d *fastDecoder) skip() {
	d.depth++
	if d.depth > maxFastDepth {
		d.fail()
	}
	defer func() { d.depth-- }()
	switch c := d.peek(); {
	case c == '{':
		d.i++
		if d.peek() == '}' {
			d.i++
			return
		}
		for {
			d.strBytes(nil)
			d.expect(':')
			d.skip()
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				d.i++
				return
			default:
				d.fail()
			}
		}
	case c == '[':
		d.i++
		if d.peek() == ']' {
			d.i++
			return
		}
		for {
			d.skip()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return
			default:
				d.fail()
			}
		}
	case c == '"':
		d.strBytes(nil)
	case c == 't':
		if !d.literal("true") {
			d.fail()
		}
	case c == 'f':
		if !d.literal("false") {
			d.fail()
		}
	case c == 'n':
		if !d.literal("null") {
			d.fail()
		}
	case c == '-' || '0' <= c && c <= '9':
		d.number()
	default:
		d.fail()
	}
	d.checkEnd()
}

// checkEnd gives up when a value is directly followed by what cannot
// follow a value ("truex", "1.5.3"): the syntax error is encoding/json's.
func (d *fastDecoder) checkEnd() {
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r', ',', ']', '}', ':':
		default:
			d.fail()
		}
	}
}

// number skips a number of JSON's grammar.
func (d *fastDecoder) number() {
	digits := func() int {
		n := 0
		for d.i < len(d.data) && '0' <= d.data[d.i] && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.data[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		d.fail()
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			d.fail()
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			d.fail()
		}
	}
}

// afterValue is checkEnd for the values the decoder reads itself.
func (d *fastDecoder) afterValue() { d.checkEnd() }

func (d *fastDecoder) document(doc *Document) {
	if d.peek() != '{' {
		d.fail() // null, or not an object: encoding/json's answer
	}
	d.object(func(name []byte) uint32 {
		switch string(name) {
		case "rules":
			arrayOf(d, &doc.Rules, d.hints.rules, d.rule)
			return 1
		case "schedules":
			arrayOf(d, &doc.Schedules, d.hints.schedules, d.schedule)
			return 2
		case "calendars":
			arrayOf(d, &doc.Calendars, 0, d.calendar)
			return 4
		}
		return d.unknownMember(name, "rules", "schedules", "calendars")
	})
	d.afterValue()
}

// arrayOf reads an array into *dst, elem decoding each element, as
// encoding/json does: null gives nil, [] a non-nil empty slice. hint, when
// positive, is the number of elements expected.
func arrayOf[T any](d *fastDecoder, dst *[]T, hint int, elem func(*T)) {
	if d.peek() == '[' && hint > 0 {
		*dst = make([]T, 0, hint)
	}
	null := d.array(func() {
		var zero T
		*dst = append(*dst, zero)
		elem(&(*dst)[len(*dst)-1])
	})
	switch {
	case null:
		*dst = nil
	case *dst == nil:
		*dst = []T{}
	}
}

func (d *fastDecoder) rule(r *Rule) {
	d.object(func(name []byte) uint32 {
		var bit uint32
		switch string(name) {
		case "id":
			var id string
			d.str(&id)
			if v, ok := d.ids[id]; ok {
				id = v
			} else {
				d.ids[id] = id
			}
			r.ID, bit = id, 1
		case "name":
			d.str(&r.Name)
			bit = 2
		case "isOpen":
			d.boolean(&r.IsOpen)
			bit = 4
		case "closedReason":
			d.str(&r.ClosedReason)
			bit = 8
		case "dateRRule":
			d.str(&r.DateRRule)
			bit = 16
		case "startDate":
			d.str(&r.StartDate)
			bit = 32
		case "endDate":
			d.str(&r.EndDate)
			bit = 64
		case "startTime":
			d.str(&r.StartTime)
			bit = 128
		case "endTime":
			d.str(&r.EndTime)
			bit = 256
		case "holidays":
			d.str(&r.Holidays)
			bit = 512
		case "calendar":
			d.str(&r.Calendar)
			bit = 1024
		default:
			return d.unknownMember(name, "id", "name", "isOpen", "closedReason", "dateRRule", "startDate", "endDate",
				"startTime", "endTime", "holidays", "calendar")
		}
		d.afterValue()
		return bit
	})
}

func (d *fastDecoder) schedule(s *ScheduleDoc) {
	d.object(func(name []byte) uint32 {
		var bit uint32
		switch string(name) {
		case "name":
			d.str(&s.Name)
			bit = 1
		case "manualClose":
			d.boolean(&s.ManualClose)
			bit = 2
		case "timeZone":
			d.strInterned(&s.TimeZone, d.zones)
			bit = 4
		case "rules":
			d.scratch = d.scratch[:0]
			null := d.array(func() {
				var id string
				d.strInterned(&id, d.ids)
				d.scratch = append(d.scratch, id)
			})
			if !null {
				s.Rules = d.ruleList(d.scratch)
			}
			bit = 8
		default:
			return d.unknownMember(name, "name", "manualClose", "timeZone", "rules")
		}
		d.afterValue()
		return bit
	})
}

func (d *fastDecoder) calendar(c *CalendarDoc) {
	d.object(func(name []byte) uint32 {
		var bit uint32
		switch string(name) {
		case "id":
			d.str(&c.ID)
			bit = 1
		case "name":
			d.str(&c.Name)
			bit = 2
		case "ics":
			d.str(&c.ICS)
			bit = 4
		case "url":
			d.str(&c.URL)
			bit = 8
		case "refresh":
			d.str(&c.Refresh)
			bit = 16
		default:
			return d.unknownMember(name, "id", "name", "ics", "url", "refresh")
		}
		d.afterValue()
		return bit
	})
}

// scan runs f on a fastDecoder over data from sp.start to sp.end; ok is
// false when the text there is outside the decoder's subset.
func scan(data []byte, sp span, f func(d *fastDecoder)) (ok bool) {
	d := fastDecoder{data: data[:sp.end], i: sp.start}
	defer func() {
		if v := recover(); v != nil {
			if _, is := v.(giveUp); !is {
				panic(v)
			}
			ok = false
		}
	}()
	f(&d)
	return true
}

// membersFast is objectMembers with the fast decoder's scanner, which
// reads a 40 MB document several times faster than encoding/json's; ok is
// false outside its subset (a name with escapes or non-ASCII letters,
// say), where objectMembers decides.
func membersFast(data []byte, sp span) (out []member, ok bool) {
	ok = scan(data, sp, func(d *fastDecoder) {
		d.expect('{')
		if d.peek() == '}' {
			return
		}
		for {
			if d.peek() != '"' {
				d.fail()
			}
			name := d.rawName()
			d.expect(':')
			d.ws()
			start := d.i
			d.skip()
			out = append(out, member{key: string(name), value: span{start, d.i}})
			switch d.peek() {
			case ',':
				d.i++
			case '}':
				return
			default:
				d.fail()
			}
		}
	})
	return out, ok
}

// elementsFast is arrayElements with the fast decoder's scanner (see
// membersFast).
func elementsFast(data []byte, sp span) (out []span, ok bool) {
	ok = scan(data, sp, func(d *fastDecoder) {
		d.expect('[')
		if d.peek() == ']' {
			return
		}
		for {
			d.ws()
			start := d.i
			d.skip()
			out = append(out, span{start, d.i})
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				return
			default:
				d.fail()
			}
		}
	})
	return out, ok
}
