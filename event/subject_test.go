package event

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// validToken reports whether tok is a valid literal NATS subject token:
// non-empty, no '.', no white space or control characters, and not a
// wildcard ('*' or '>').
func validToken(tok string) bool {
	if tok == "" || tok == "*" || tok == ">" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c == '.' || c == '*' || c == '>' || c <= ' ' || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

func TestSubjectToken(t *testing.T) {
	long := strings.Repeat("Support desk ", 40)
	tests := []struct {
		name, want string
	}{
		{"Support", "Support"},
		{"support_team-2", "support_team-2"},
		{"a.b", "a~2Eb"},
		{"a b", "a~20b"},
		{"*", "~2A"},
		{">", "~3E"},
		{"a.*.>", "a~2E~2A~2E~3E"},
		{"", "~"},
		{"~", "~7E"},
		{"~7E", "~7E7E"},
		{"Ünïcödé", "~C3~9Cn~C3~AFc~C3~B6d~C3~A9"},
		{"日本", "~E6~97~A5~E6~9C~AC"},
		{"tab\there", "tab~09here"},
		{"new\nline", "new~0Aline"},
		{"UPPER lower", "UPPER~20lower"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SubjectToken(tt.name)
			if got != tt.want {
				t.Errorf("SubjectToken(%q) = %q, want %q", tt.name, got, tt.want)
			}
			if !validToken(got) {
				t.Errorf("SubjectToken(%q) = %q is not a valid token", tt.name, got)
			}
		})
	}
	t.Run("long", func(t *testing.T) {
		a, b := SubjectToken(long), SubjectToken(long+"x")
		for _, tok := range []string{a, b} {
			if len(tok) > MaxTokenLen || !validToken(tok) || !strings.Contains(tok, "~~") {
				t.Errorf("long token %q (len %d)", tok, len(tok))
			}
		}
		if a == b {
			t.Error("long names with a common prefix share a token")
		}
	})
}

func TestEventSubject(t *testing.T) {
	tests := []struct {
		name string
		open bool
		want string
	}{
		{"Support", true, "schedmgr.events.Support.opened"},
		{"Sales EU", false, "schedmgr.events.Sales~20EU.closed"},
		{"a.b", false, "schedmgr.events.a~2Eb.closed"},
	}
	for _, tt := range tests {
		if got := EventSubject(tt.name, tt.open); got != tt.want {
			t.Errorf("EventSubject(%q, %v) = %q, want %q", tt.name, tt.open, got, tt.want)
		}
		if k := KindOf(tt.want); (k == KindOpened) != tt.open || k == "" {
			t.Errorf("KindOf(%q) = %q", tt.want, k)
		}
		// The subject has exactly four tokens.
		if n := strings.Count(tt.want, "."); n != 3 {
			t.Errorf("%q has %d dots", tt.want, n)
		}
	}
	if KindOf("schedmgr.snapshot") != "" || KindOf("other.x.opened") != "" {
		t.Error("KindOf accepts a foreign subject")
	}
}

// Property: over random names (ASCII, punctuation, multi-byte, invalid
// UTF-8, long), every token is valid and distinct names give distinct
// tokens.
func TestSubjectTokenProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", "_", "-", "~", ".", "*", ">", " ", "\t", "7", "E", "~7E", "Ü", "日", "\xff", "\x00", "%", "/"}
	seen := make(map[string]string)
	for i := 0; i < 50000; i++ {
		n := rng.IntN(12)
		if rng.IntN(100) == 0 {
			n = 60 + rng.IntN(100) // some beyond MaxTokenLen once escaped
		}
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		name := b.String()
		tok := SubjectToken(name)
		if !validToken(tok) || len(tok) > MaxTokenLen {
			t.Fatalf("SubjectToken(%q) = %q: invalid", name, tok)
		}
		if other, ok := seen[tok]; ok && other != name {
			t.Fatalf("names %q and %q share token %q", other, name, tok)
		}
		seen[tok] = name
		if utf8.ValidString(name) && tok == name && name != "" {
			for k := 0; k < len(name); k++ {
				if !keep(name[k]) {
					t.Fatalf("name %q kept verbatim", name)
				}
			}
		}
	}
}

func FuzzSubjectToken(f *testing.F) {
	for _, s := range []string{"", "a.b", "~", "~~", strings.Repeat("é", 100)} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, tb := SubjectToken(a), SubjectToken(b)
		if !validToken(ta) || !validToken(tb) {
			t.Fatalf("invalid token %q or %q", ta, tb)
		}
		if a != b && ta == tb {
			t.Fatalf("%q and %q share token %q", a, b, ta)
		}
	})
}
