package engine

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Default limits on a document (see Limits). A contact-centre outsourcer
// with one schedule per client, queue and team reaches 100,000 schedules;
// with Twilio's UUID rule ids such a document is about 40 MB (50 MB
// indented).
const (
	DefaultMaxSchedules     = 100_000
	DefaultMaxRules         = 20_000
	DefaultMaxDocumentBytes = 64 << 20
)

// MaxRules and MaxSchedules are the default limits of a document's rules
// and schedules (DefaultMaxRules, DefaultMaxSchedules); a Loader with
// Limits sets others.
const (
	MaxRules     = DefaultMaxRules
	MaxSchedules = DefaultMaxSchedules
)

// Limits bound what a document may hold, so that hostile or mistaken input
// is refused with a message instead of exhausting memory. A zero field
// takes its default; a negative one means no limit.
type Limits struct {
	// Schedules is the most schedules (default DefaultMaxSchedules).
	Schedules int
	// Rules is the most rules (default DefaultMaxRules).
	Rules int
	// DocumentBytes is the largest document, in bytes (default
	// DefaultMaxDocumentBytes).
	DocumentBytes int
}

// WithDefaults returns l with each zero field set to its default and each
// negative one to no limit (math.MaxInt).
func (l Limits) WithDefaults() Limits {
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return math.MaxInt
		}
		return v
	}
	return Limits{Schedules: pick(l.Schedules, DefaultMaxSchedules), Rules: pick(l.Rules, DefaultMaxRules),
		DocumentBytes: pick(l.DocumentBytes, DefaultMaxDocumentBytes)}
}

// unlimited are the limits of a stored document (LoadStored): a version a
// store holds is served whatever the limits of this process, which may be
// lower than those of the writer.
var unlimited = Limits{Schedules: -1, Rules: -1, DocumentBytes: -1}

// Limit names what a LimitError exceeds.
type Limit string

// The limits a document can exceed.
const (
	LimitSchedules     Limit = "schedules"          // Limits.Schedules
	LimitRules         Limit = "rules"              // Limits.Rules
	LimitDocumentBytes Limit = "document bytes"     // Limits.DocumentBytes
	LimitCalendars     Limit = "calendars"          // MaxCalendars (fixed)
	LimitScheduleRules Limit = "rules per schedule" // 1,000 (fixed)
)

// LimitError is a document over one of its limits. Load and
// LimitScanner return it inside a *ValidationError (errors.As finds
// both): the one problem reported, since counting stops there.
type LimitError struct {
	// Path is the document path of what is too large: "schedules",
	// "rules", "schedules[12].rules", or "" for the document's size.
	Path  string
	Limit Limit
	// Max is the limit; Count is how many were found, or, when AtLeast,
	// how many were counted before counting stopped.
	Max, Count int
	AtLeast    bool
}

func (e *LimitError) Error() string {
	what := string(e.Limit)
	if e.Limit == LimitScheduleRules {
		what = "rules"
	}
	var msg string
	switch {
	case e.Limit == LimitDocumentBytes && e.AtLeast:
		msg = fmt.Sprintf("the document is larger than the limit of %d bytes", e.Max)
	case e.Limit == LimitDocumentBytes:
		msg = fmt.Sprintf("the document is %d bytes, more than the limit of %d", e.Count, e.Max)
	case e.AtLeast:
		msg = fmt.Sprintf("more than the limit of %d %s", e.Max, what)
	default:
		msg = fmt.Sprintf("%d %s is more than the limit of %d", e.Count, what, e.Max)
	}
	if e.Limit == LimitScheduleRules {
		msg += " per schedule"
	}
	if e.Path == "" {
		return msg
	}
	return e.Path + ": " + msg
}

// limitError wraps e as the *ValidationError that Load returns.
func limitError(e *LimitError) *ValidationError {
	path, msg := e.Path, e.Error()
	if path != "" {
		msg = msg[len(path)+2:]
	}
	return &ValidationError{Errors: []FieldError{{Path: path, Msg: msg}}, limit: e}
}

// AsLimitError returns the *LimitError in err, if any.
func AsLimitError(err error) (*LimitError, bool) {
	var le *LimitError
	ok := errors.As(err, &le)
	return le, ok
}

// Loader loads documents within its Limits. The zero value applies the
// default limits; Load, LoadWithWarnings and Compile are the zero Loader's.
type Loader struct {
	Limits Limits
}

// Load parses and validates a document. A document over a limit is
// refused before it is decoded (see LimitScanner); any other problem is a
// *ValidationError listing every one.
func (l Loader) Load(data []byte) (*Config, error) {
	lim := l.Limits.WithDefaults()
	hints, err := checkLimits(data, lim)
	if err != nil {
		return nil, err
	}
	doc, _, err := parseDocumentChecked(data, hints)
	if err != nil {
		return nil, err
	}
	return compile(doc, lim) // doc is ours alone: no copy needed
}

// LoadWithWarnings is Load followed by Lint, plus UnknownFields of data: the
// config, every warning, and Load's error. An invalid document still gets
// its unknown-field warnings (a misspelt field often explains an error).
func (l Loader) LoadWithWarnings(data []byte, now time.Time) (*Config, []FieldWarning, error) {
	cfg, warnings, err := l.LoadWithFieldWarnings(data)
	if err != nil {
		return nil, warnings, err
	}
	return cfg, append(warnings, cfg.Lint(now)...), nil
}

// LoadWithFieldWarnings is LoadWithWarnings without Lint: the config, the
// warnings of UnknownFields, and Load's error. A writer that must not
// wait for Lint (at 100,000 schedules it takes about 0.2 s) runs it
// meanwhile.
func (l Loader) LoadWithFieldWarnings(data []byte) (*Config, []FieldWarning, error) {
	lim := l.Limits.WithDefaults()
	hints, err := checkLimits(data, lim)
	if err != nil {
		return nil, nil, err
	}
	doc, unknown, err := parseDocumentChecked(data, hints)
	var warnings []FieldWarning
	if unknown {
		// Only then can UnknownFields find anything: a document the fast
		// decoder read has no unknown, case-folded or repeated keys.
		warnings = UnknownFields(data)
	}
	if err != nil {
		return nil, warnings, err
	}
	cfg, err := compile(doc, lim)
	if err != nil {
		return nil, warnings, err
	}
	return cfg, warnings, nil
}

// Compile validates doc and prepares it for evaluation. The config keeps a
// copy of doc: changing doc afterwards does not change the config.
func (l Loader) Compile(doc Document) (*Config, error) {
	return compile(doc.clone(), l.Limits.WithDefaults())
}

// checkLimits refuses data over lim without decoding it, and returns the
// sizes of its arrays.
func checkLimits(data []byte, lim Limits) (sizeHints, error) {
	if len(data) > lim.DocumentBytes {
		return sizeHints{}, limitError(&LimitError{Limit: LimitDocumentBytes, Max: lim.DocumentBytes, Count: len(data)})
	}
	sc := NewLimitScanner(lim, "")
	if _, err := sc.Write(data); err != nil {
		return sizeHints{}, err
	}
	return sc.hint, nil
}
