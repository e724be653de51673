package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxUnknownFieldWarnings bounds the unknown-field warnings of one document,
// so a hostile document with a million stray keys cannot produce a million
// warnings; the rest are counted in one last warning.
const maxUnknownFieldWarnings = 100

// isDateCondition reports whether a rule field restricts the rule's dates.
// A rule with none of them applies every day, which makes a misspelt one
// (`"holiday": "US"`) dangerous: the rule closes the schedule every day.
// A name that is no field of Rule is never seen as given, so one may be
// listed here before the field exists.
func isDateCondition(name string) bool {
	switch name {
	case "dateRRule", "startDate", "endDate", "holidays", "calendar":
		return true
	}
	return false
}

// UnknownFields reports the members of a config document that decoding
// ignores: keys that are no field of the document, a rule or a schedule
// (encoding/json drops them silently), each with its path
// (rules[2].holiday) and the known field it most resembles. It also reports
// keys that match a field only case-insensitively (encoding/json reads
// "IsOpen" as "isOpen"; Twilio's tools do not) and keys given twice (only the
// last counts).
//
// Keys starting with "x-" or "$" are deliberate annotations and are not
// reported. The known fields are the json tags of Document and the types it
// holds, so a field added to those structs is known here without more code.
//
// A document that is not valid JSON has none (Load reports its error).
func UnknownFields(data []byte) []FieldWarning {
	return unknownFields(data, reflect.TypeFor[Document]())
}

// unknownFields is UnknownFields for a document decoding into root, whose
// "rules" member holds the rules.
func unknownFields(data []byte, root reflect.Type) []FieldWarning {
	if !json.Valid(data) {
		return nil
	}
	w := unknownWalker{data: data, fields: map[reflect.Type]*structFields{}}
	if rules, ok := w.fieldsOf(root).types["rules"]; ok && rules.Kind() == reflect.Slice {
		w.ruleType = rules.Elem()
	}
	w.value(root)
	if w.dropped > 0 {
		w.out = append(w.out, FieldWarning{Message: fmt.Sprintf("and %d more unknown or doubtful fields", w.dropped)})
	}
	return w.out
}

// structFields are the JSON members of a struct type, as encoding/json
// sees them.
type structFields struct {
	names []string                // in field order
	types map[string]reflect.Type // by exact name
}

// fieldsOf lists the JSON members of struct type t: exported fields by
// their json tag name (or Go name), skipping "-", with the fields of
// untagged embedded structs promoted.
func fieldsOf(t reflect.Type) *structFields {
	sf := &structFields{types: map[string]reflect.Type{}}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := sf.types[name]; !dup {
				sf.names = append(sf.names, name)
				sf.types[name] = ft
			}
		}
	}
	add(t)
	return sf
}

// unknownWalker reads a valid JSON document alongside the Go type that
// decodes it. It scans the bytes itself: encoding/json's Decoder.Token
// allocates for every token, which made a 10,000-rule document take longer
// to check than to load.
type unknownWalker struct {
	data     []byte
	pos      int
	fields   map[reflect.Type]*structFields
	ruleType reflect.Type // a rule's: one without a date condition applies every day
	path     []pathElem   // where the walk is
	out      []FieldWarning
	dropped  int
}

// pathElem is one step of a path: a member key, or an index when key is
// not set.
type pathElem struct {
	key   string
	index int
	isKey bool
}

func (w *unknownWalker) fieldsOf(t reflect.Type) *structFields {
	sf := w.fields[t]
	if sf == nil {
		sf = fieldsOf(t)
		w.fields[t] = sf
	}
	return sf
}

// pathString renders the current path: rules[2].holiday.
func (w *unknownWalker) pathString() string {
	var b strings.Builder
	for _, e := range w.path {
		switch {
		case !e.isKey:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case b.Len() == 0 && isPlainKey(e.key):
			b.WriteString(e.key)
		default:
			b.WriteString(memberPath(e.key))
		}
	}
	return b.String()
}

// warn records a warning at the current path, or counts it once the list
// is full; it reports whether it was recorded.
func (w *unknownWalker) warn(msg string) bool {
	if len(w.out) >= maxUnknownFieldWarnings {
		w.dropped++
		return false
	}
	w.out = append(w.out, FieldWarning{Path: w.pathString(), Message: msg})
	return true
}

// value walks the value at pos, which decodes into t (nil: not decoded,
// only skipped).
func (w *unknownWalker) value(t reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	w.space()
	switch c := w.peek(); {
	case t == nil:
		w.skip()
	case c == '{' && t.Kind() == reflect.Struct:
		w.object(t)
	case c == '{' && t.Kind() == reflect.Map:
		w.members(func(key string) {
			w.path = append(w.path, pathElem{key: key, isKey: true})
			w.value(t.Elem())
			w.path = w.path[:len(w.path)-1]
		})
	case c == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		w.pos++ // [
		for i := 0; ; i++ {
			w.space()
			if c := w.peek(); c == ']' || c == 0 {
				w.pos++
				return
			}
			w.path = append(w.path, pathElem{index: i})
			w.value(t.Elem())
			w.path = w.path[:len(w.path)-1]
			w.space()
			if w.peek() == ',' {
				w.pos++
			}
		}
	default:
		w.skip() // a scalar, or a type mismatch Load reports
	}
}

// members calls member for each key of the object at pos, which must walk
// or skip the key's value.
func (w *unknownWalker) members(member func(key string)) {
	w.pos++ // {
	for {
		w.space()
		if w.peek() != '"' {
			w.pos++ // } (or the end of the data)
			return
		}
		key := w.str()
		w.space()
		w.pos++ // :
		member(key)
		w.space()
		if w.peek() == ',' {
			w.pos++
		}
	}
}

// object walks the members of an object that decodes into struct type t.
func (w *unknownWalker) object(t reflect.Type) {
	sf := w.fieldsOf(t)
	seen := map[string]bool{} // known fields given, by their name
	var unknown []int         // indices in w.out of this object's unknown fields
	w.members(func(key string) {
		w.path = append(w.path, pathElem{key: key, isKey: true})
		defer func() { w.path = w.path[:len(w.path)-1] }()
		name, exact := matchField(sf, key)
		switch {
		case name == "":
			if !annotation(key) {
				msg := "unknown field, ignored"
				if s := suggest(sf.names, key); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				if w.warn(msg) {
					unknown = append(unknown, len(w.out)-1)
				}
			}
			w.skip()
			return
		case !exact:
			w.warn(fmt.Sprintf("read as %q, but Twilio's tools match field names exactly: write %q", name, name))
		}
		if seen[name] {
			w.warn(fmt.Sprintf("%q is given more than once: only the last value counts", name))
		}
		seen[name] = true
		w.path[len(w.path)-1].key = name // deeper paths use the field's name
		w.value(sf.types[name])
	})
	if t == w.ruleType && !hasDateCondition(seen) {
		// `"holiday": "US"` leaves a rule with no date condition: it applies
		// every day, so a closed one closes the schedule every day.
		for _, i := range unknown {
			w.out[i].Message += "; this rule has no date condition, so it applies every day"
		}
	}
}

// The scanner below reads JSON that json.Valid accepted, so it checks
// little; it stops at the end of the data whatever happens.

func (w *unknownWalker) peek() byte {
	if w.pos < len(w.data) {
		return w.data[w.pos]
	}
	return 0
}

func (w *unknownWalker) space() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// str reads the string at pos and returns it decoded.
func (w *unknownWalker) str() string {
	start := w.pos
	escaped := false
	w.pos++ // "
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case '\\':
			escaped = true
			w.pos += 2
			continue
		case '"':
			w.pos++
			raw := w.data[start:w.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1])
			}
			var s string
			_ = json.Unmarshal(raw, &s)
			return s
		}
		w.pos++
	}
	return ""
}

// skip passes over the value at pos.
func (w *unknownWalker) skip() {
	w.space()
	depth := 0
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case '"':
			w.str()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return // the end of a scalar: the enclosing value's
			}
			depth--
			if depth == 0 {
				w.pos++
				return
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return // the end of a scalar
			}
		}
		w.pos++
	}
}

// matchField finds the field key decodes into: an exact match, else a
// case-insensitive one (encoding/json's rule). exact reports which.
func matchField(sf *structFields, key string) (name string, exact bool) {
	if _, ok := sf.types[key]; ok {
		return key, true
	}
	for _, n := range sf.names {
		if strings.EqualFold(n, key) {
			return n, false
		}
	}
	return "", false
}

func hasDateCondition(seen map[string]bool) bool {
	for n := range seen {
		if isDateCondition(n) {
			return true
		}
	}
	return false
}

// annotation reports whether key is a deliberate extension that decoding
// may ignore ("x-color", "$comment").
func annotation(key string) bool {
	return strings.HasPrefix(key, "$") || len(key) >= 2 && (key[0] == 'x' || key[0] == 'X') && key[1] == '-'
}

// memberPath renders member key as a path element: ".key" when it reads
// well, else ["key"] quoted, so odd keys (dots, spaces, control characters,
// megabytes) cannot garble or flood a message.
func memberPath(key string) string {
	if isPlainKey(key) {
		return "." + key
	}
	return "[" + quote(key) + "]"
}

// suggest returns the known name key most likely meant: the closest by
// edit distance (ignoring case) if close enough, else one that contains key
// or is contained in it, four letters or more ("rrule" → "dateRRule"). Ties
// go to the first field.
func suggest(names []string, key string) string {
	if utf8.RuneCountInString(key) > 64 || key == "" {
		return ""
	}
	k := strings.ToLower(key)
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(k, strings.ToLower(n))
		if best == "" || d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" && bestD <= max(1, min(len(k), len(best))/3) {
		return best
	}
	for _, n := range names {
		ln := strings.ToLower(n)
		if min(len(k), len(ln)) >= 4 && (strings.Contains(ln, k) || strings.Contains(k, ln)) {
			return n
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of neighbours
// ("ulr" for "url") cost one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
