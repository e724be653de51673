package event

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Subject scheme. Events are published on
//
//	schedmgr.events.<token>.opened
//	schedmgr.events.<token>.closed
//
// where <token> is SubjectToken(schedule name), so subscribers filter with
// ordinary wildcards:
//
//	schedmgr.events.>                 every event
//	schedmgr.events.*.closed          every close, of any schedule
//	schedmgr.events.Support.*         every event of the schedule "Support"
//
// Snapshots of all schedules go to SnapshotSubject.
const (
	// StreamName is the JetStream stream that keeps the events (subjects
	// SubjectAll). Subscribers create their consumers on it.
	StreamName = "SCHEDMGR_EVENTS"
	// SubjectPrefix is the first two tokens of every event subject.
	SubjectPrefix = "schedmgr.events"
	// SubjectAll matches every event subject (the stream's subject).
	SubjectAll = SubjectPrefix + ".>"
	// SnapshotSubject carries the periodic status snapshots.
	SnapshotSubject = "schedmgr.snapshot"
	// KindOpened and KindClosed are the last token of an event subject.
	KindOpened = "opened"
	KindClosed = "closed"
)

// MaxTokenLen bounds a subject token: longer encodings are shortened to a
// prefix plus a hash (see SubjectToken).
const MaxTokenLen = 160

// EventSubject is the subject of an event of schedule whose new status is
// open (opened) or closed.
func EventSubject(schedule string, open bool) string {
	kind := KindClosed
	if open {
		kind = KindOpened
	}
	return SubjectPrefix + "." + SubjectToken(schedule) + "." + kind
}

// ScheduleFilter is the subject filter matching every event of schedule.
func ScheduleFilter(schedule string) string {
	return SubjectPrefix + "." + SubjectToken(schedule) + ".*"
}

// SubjectToken maps a schedule name to one valid NATS subject token;
// distinct names give distinct tokens. The mapping:
//
//   - ASCII letters, digits, '_' and '-' are kept as they are;
//   - every other byte of the UTF-8 name (space, '.', '*', '>', '~', any
//     non-ASCII byte, controls) becomes '~' followed by two upper-case hex
//     digits: "a b" → "a~20b", "a.b" → "a~2Eb", "Ünï" → "~C3~9Cn~C3~AF";
//   - the empty name becomes "~" (no other name encodes to a lone '~');
//   - an encoding longer than MaxTokenLen is cut to a prefix (at an escape
//     boundary) followed by "~~" and 32 hex digits of the SHA-256 of the
//     name. "~~" never occurs in a plain encoding, so such tokens cannot
//     equal the token of a shorter name.
//
// The token is therefore never empty and never contains '.', '*', '>' or
// white space, and a name made only of [A-Za-z0-9_-] is its own token.
func SubjectToken(name string) string {
	if name == "" {
		return "~"
	}
	plain := true
	for i := 0; i < len(name); i++ {
		if !keep(name[i]) {
			plain = false
			break
		}
	}
	if plain && len(name) <= MaxTokenLen {
		return name
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(name) + 16)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if keep(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('~')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0F])
	}
	tok := b.String()
	if len(tok) <= MaxTokenLen {
		return tok
	}
	sum := sha256.Sum256([]byte(name))
	const hashLen = 2 + 32 // "~~" + 16 bytes in hex
	cut := MaxTokenLen - hashLen
	// Do not split an escape: back up to before a '~' within the last two.
	for k := 1; k <= 2; k++ {
		if tok[cut-k] == '~' {
			cut -= k
			break
		}
	}
	return tok[:cut] + "~~" + hex.EncodeToString(sum[:16])
}

// keep reports whether c stands for itself in a token.
func keep(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// KindOf returns the last token of an event subject (KindOpened or
// KindClosed), or "" when subject is not an event subject.
func KindOf(subject string) string {
	if !strings.HasPrefix(subject, SubjectPrefix+".") {
		return ""
	}
	i := strings.LastIndexByte(subject, '.')
	switch k := subject[i+1:]; k {
	case KindOpened, KindClosed:
		return k
	}
	return ""
}
