package main

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzCheck feeds arbitrary --at values and schedule names to `check --json`:
// the CLI must answer with JSON (exit 0) or an error (exit 1), never panic
// and never call a well-formed command line a usage error.
func FuzzCheck(f *testing.F) {
	config, err := os.ReadFile(defaultConfig)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ name, at string }{
		{"Support", "2027-11-25T10:00"},
		{"London Sales", "2026-03-29T01:30"},
		{"Night Desk", "2026-11-01T01:30-04:00"},
		{"Ops 24x7", "2026-03-01"},
		{"Support", "9999-12-31T23:59:59Z"},
		{"Nope", "x"},
	} {
		f.Add(seed.name, seed.at)
	}
	f.Fuzz(func(t *testing.T, name, at string) {
		r := runCLI(t, string(config), "check", "--json", "--config", "-", "--at="+at, "--", name)
		switch r.code {
		case 0:
			var v map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatalf("exit 0 but stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if _, ok := v["isOpen"].(bool); !ok {
				t.Fatalf("no isOpen in %s", r.stdout)
			}
		case 1:
			if r.stderr == "" || r.stdout != "" {
				t.Fatalf("exit 1 with stdout %q, stderr %q", r.stdout, r.stderr)
			}
		default:
			t.Fatalf("exit %d for name %q, --at %q: %s", r.code, name, at, r.stderr)
		}
	})
}
