package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/event"
	"github.com/schedule-manager/schedule-manager/internal/text"
)

// Event types an endpoint can subscribe to: the last token of the event
// subject.
const (
	TypeOpened = event.KindOpened
	TypeClosed = event.KindClosed
)

// Where an endpoint was defined.
const (
	SourceConfig = "config" // the service settings (Options.Endpoints)
	SourceAPI    = "api"    // the admin API, kept in the KV bucket
)

// Endpoint limits.
const (
	maxURLLen       = 2048
	maxFilterLen    = 200 // schedules or types listed by one endpoint
	maxScheduleName = 512
)

// idPattern keeps ids usable as consumer names, KV keys and subject tokens.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Endpoint is a receiver of webhook deliveries.
type Endpoint struct {
	// ID names the endpoint: 1 to 64 of [A-Za-z0-9_-]. It names the
	// durable consumer and the dead-letter subject, so keep it stable.
	ID string
	// URL receives a POST per event: http or https, with a host.
	URL string
	// Secret signs deliveries: "whsec_" + base64 of 24 to 64 random bytes.
	// It is never returned by the API nor logged.
	Secret string
	// Schedules limits deliveries to these schedule names; empty means all.
	Schedules []string
	// Types limits deliveries to TypeOpened and/or TypeClosed; empty
	// means both.
	Types []string
	// Source is SourceConfig or SourceAPI (set by the Dispatcher).
	Source string
	// CreatedAt and CreatedBy record who added an API endpoint.
	CreatedAt time.Time
	CreatedBy string
}

// LogValue keeps the secret out of logs.
func (e Endpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", e.ID), slog.String("url", RedactURL(e.URL)))
}

// FieldError is one invalid field of an endpoint.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (f FieldError) Error() string { return f.Path + ": " + f.Message }

// Validate returns every problem of e, each naming its field.
func (e Endpoint) Validate() []FieldError {
	var errs []FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(e.ID) {
		add("id", "must be 1 to 64 letters, digits, '_' or '-'")
	}
	if msg := checkURL(e.URL); msg != "" {
		add("url", "%s", msg)
	}
	if _, err := event.ParseSecret(e.Secret); err != nil {
		add("secret", "%s", secretMessage(err))
	}
	if len(e.Schedules) > maxFilterLen {
		add("schedules", "at most %d schedules per endpoint", maxFilterLen)
	}
	for i, s := range e.Schedules {
		if s == "" || len(s) > maxScheduleName {
			add(fmt.Sprintf("schedules[%d]", i), "must be a schedule name of 1 to %d bytes", maxScheduleName)
		}
	}
	for i, t := range e.Types {
		if t != TypeOpened && t != TypeClosed {
			add(fmt.Sprintf("types[%d]", i), "%q is not %q or %q", text.Truncate(t, 40), TypeOpened, TypeClosed)
		}
	}
	return errs
}

// secretMessage turns a ParseSecret error into a message for the admin.
func secretMessage(err error) string {
	msg, _ := strings.CutPrefix(err.Error(), event.ErrInvalidSecret.Error()+": ")
	return msg + ` (a secret is "whsec_" followed by the base64 of 24 to 64 random bytes; omit it to have one generated)`
}

// checkURL returns why raw is not a usable endpoint URL, or "".
func checkURL(raw string) string {
	if raw == "" {
		return "required"
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("longer than %d bytes", maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Sprintf("%q is not a URL: %v", text.Truncate(raw, 80), err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme %q is not allowed; use http or https", text.Truncate(u.Scheme, 20))
	case u.Host == "" || u.Hostname() == "":
		return "a host is required (https://host/path)"
	case u.User != nil:
		return "credentials in the URL are not allowed (they would be shown to viewers); the signature authenticates deliveries"
	case u.Fragment != "":
		return "a fragment (#…) is not allowed"
	}
	return ""
}

// RedactURL drops the query string, which may hold a token of the
// receiver, from a URL shown in logs and the API.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}

// matches reports whether the endpoint wants an event of schedule with
// event type typ.
func (e Endpoint) matches(schedule, typ string) bool {
	if len(e.Types) > 0 && !slices.Contains(e.Types, typ) {
		return false
	}
	return len(e.Schedules) == 0 || slices.Contains(e.Schedules, schedule)
}

// filterSubjects are the consumer's subject filters: one per schedule and
// type, so the server sends only wanted events. Events are filtered in code
// as well, so a subject scheme change cannot deliver unwanted events.
func (e Endpoint) filterSubjects() []string {
	types := e.Types
	if len(types) == 0 {
		types = []string{TypeOpened, TypeClosed}
	}
	types = sortedUnique(types)
	tokens := []string{"*"}
	if len(e.Schedules) > 0 {
		tokens = tokens[:0]
		for _, s := range sortedUnique(e.Schedules) {
			tokens = append(tokens, event.SubjectToken(s))
		}
	}
	out := make([]string, 0, len(tokens)*len(types))
	for _, tok := range tokens {
		for _, t := range types {
			out = append(out, event.SubjectPrefix+"."+tok+"."+t)
		}
	}
	return out
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// same reports whether two endpoints deliver identically (a worker must
// restart when they do not).
func (e Endpoint) same(o Endpoint) bool {
	return e.ID == o.ID && e.URL == o.URL && e.Secret == o.Secret && e.Source == o.Source &&
		slices.Equal(e.Schedules, o.Schedules) && slices.Equal(e.Types, o.Types)
}

// SecretHint shows enough of the secret to tell two apart, never the key:
// the prefix and the last four characters.
func (e Endpoint) SecretHint() string {
	if len(e.Secret) < len(event.SecretPrefix)+8 {
		return event.SecretPrefix + "…"
	}
	return event.SecretPrefix + "…" + e.Secret[len(e.Secret)-4:]
}

// newID returns a random endpoint id "wh_" + 16 hex digits.
func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate endpoint id: %w", err)
	}
	return "wh_" + hex.EncodeToString(b), nil
}
