package webhook

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEndpointValidate(t *testing.T) {
	good := Endpoint{ID: "crm", URL: "https://crm.example/hooks?x=1", Secret: testSecret}
	tests := []struct {
		name  string
		mod   func(*Endpoint)
		paths []string // fields named in the errors
		says  string   // part of the first message
	}{
		{"valid", func(*Endpoint) {}, nil, ""},
		{"valid with filters", func(e *Endpoint) { e.Schedules = []string{"Support", "Ops 24x7"}; e.Types = []string{"opened"} }, nil, ""},
		{"http allowed", func(e *Endpoint) { e.URL = "http://127.0.0.1:9000/x" }, nil, ""},
		{"ftp", func(e *Endpoint) { e.URL = "ftp://crm.example/x" }, []string{"url"}, `scheme "ftp" is not allowed`},
		{"no scheme", func(e *Endpoint) { e.URL = "crm.example/hooks" }, []string{"url"}, "scheme"},
		{"no host", func(e *Endpoint) { e.URL = "https:///hooks" }, []string{"url"}, "host is required"},
		{"port only", func(e *Endpoint) { e.URL = "http://:8080/x" }, []string{"url"}, "host is required"},
		{"credentials", func(e *Endpoint) { e.URL = "https://u:p@crm.example/" }, []string{"url"}, "credentials"},
		{"unparseable", func(e *Endpoint) { e.URL = "http://[::1" }, []string{"url"}, "is not a URL"},
		{"empty url", func(e *Endpoint) { e.URL = "" }, []string{"url"}, "required"},
		{"fragment", func(e *Endpoint) { e.URL = "https://crm.example/#top" }, []string{"url"}, "fragment"},
		{"bad secret", func(e *Endpoint) { e.Secret = "hunter2" }, []string{"secret"}, `must start with "whsec_"`},
		{"bad id", func(e *Endpoint) { e.ID = "a.b" }, []string{"id"}, "letters, digits"},
		{"bad type", func(e *Endpoint) { e.Types = []string{"opened", "reopened"} }, []string{"types[1]"}, `"reopened" is not`},
		{"empty schedule", func(e *Endpoint) { e.Schedules = []string{""} }, []string{"schedules[0]"}, "schedule name"},
		{"several", func(e *Endpoint) { e.URL = "mailto:x@y"; e.Secret = "" }, []string{"url", "secret"}, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := good
			tt.mod(&e)
			errs := e.Validate()
			var paths []string
			for _, fe := range errs {
				paths = append(paths, fe.Path)
			}
			if !slices.Equal(paths, tt.paths) {
				t.Fatalf("errors %v, want fields %v", errs, tt.paths)
			}
			if tt.says != "" && !strings.Contains(errs[0].Message, tt.says) {
				t.Errorf("message %q does not say %q", errs[0].Message, tt.says)
			}
		})
	}
}

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name      string
		schedules []string
		types     []string
		want      []string
	}{
		{"everything", nil, nil, []string{"schedmgr.events.*.closed", "schedmgr.events.*.opened"}},
		{"closes only", nil, []string{"closed"}, []string{"schedmgr.events.*.closed"}},
		{"one schedule", []string{"Support"}, nil, []string{"schedmgr.events.Support.closed", "schedmgr.events.Support.opened"}},
		{"awkward name, opens", []string{"Ops 24x7", "Ops 24x7"}, []string{"opened"}, []string{"schedmgr.events.Ops~2024x7.opened"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Endpoint{Schedules: tt.schedules, Types: tt.types}.filterSubjects()
			if !slices.Equal(got, tt.want) {
				t.Errorf("filterSubjects = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	e := Endpoint{Schedules: []string{"Support"}, Types: []string{"closed"}}
	for _, tt := range []struct {
		schedule, typ string
		want          bool
	}{{"Support", "closed", true}, {"Support", "opened", false}, {"Sales", "closed", false}} {
		if got := e.matches(tt.schedule, tt.typ); got != tt.want {
			t.Errorf("matches(%s, %s) = %v", tt.schedule, tt.typ, got)
		}
	}
	if !(Endpoint{}).matches("any", "opened") {
		t.Error("an endpoint without filters must match everything")
	}
}

func TestSecretNeverLoggedOrHinted(t *testing.T) {
	e := Endpoint{ID: "x", URL: "https://h/p?token=abc", Secret: testSecret, CreatedAt: time.Now()}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "endpoint", e)
	if strings.Contains(b.String(), "MfKQ9r8") || strings.Contains(b.String(), "token=abc") {
		t.Errorf("log line leaks the secret or the query: %s", b.String())
	}
	if h := e.SecretHint(); h != "whsec_…LaSw" {
		t.Errorf("SecretHint = %q", h)
	}
}
