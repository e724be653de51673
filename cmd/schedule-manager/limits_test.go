package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
)

// The document limits are settings: defaults, a variable, a flag, and a
// non-positive value refused naming the setting.
func TestLimitSettings(t *testing.T) {
	s, err := loadFor(t, "max-rules: 30000\n", []string{"SCHEDMGR_MAX_SCHEDULES=150000"}, "--max-document-bytes", "100000000")
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.options()
	if err != nil {
		t.Fatal(err)
	}
	if want := (engine.Limits{Schedules: 150000, Rules: 30000, DocumentBytes: 100000000}); o.Limits != want {
		t.Errorf("limits %+v, want %+v", o.Limits, want)
	}
	s, err = loadFor(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := s.options(); o.Limits.WithDefaults() != (engine.Limits{}).WithDefaults() || o.Limits.Schedules != engine.DefaultMaxSchedules {
		t.Errorf("default limits %+v", o.Limits)
	}
	s, err = loadFor(t, "", nil, "--max-rules", "0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.options(); err == nil || !strings.Contains(err.Error(), "max-rules: must be positive") {
		t.Errorf("max-rules 0: %v", err)
	}
}

// validate and import check a document against the limits given, as
// serve would.
func TestValidateLimits(t *testing.T) {
	p := filepath.Join(t.TempDir(), "three.json")
	doc := `{"rules":[{"id":"a","isOpen":true}],"schedules":[` +
		`{"name":"x","timeZone":"UTC","rules":["a"]},{"name":"y","timeZone":"UTC","rules":["a"]},{"name":"z","timeZone":"UTC","rules":["a"]}]}`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "validate", "--max-schedules", "2", p)
	if r.code != 1 || !strings.Contains(r.stderr, "schedules: more than the limit of 2 schedules") || !strings.Contains(r.stderr, "--max-schedules") {
		t.Errorf("validate over the limit: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, "", "validate", "--max-schedules", "3", p); r.code != 0 {
		t.Errorf("validate within the limit: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, "", "import", "--max-schedules", "2", "--data-dir", t.TempDir(), p)
	if r.code != 1 || !strings.Contains(r.stderr, "more than the limit of 2 schedules") {
		t.Errorf("import over the limit: exit %d, stderr %q", r.code, r.stderr)
	}
}
