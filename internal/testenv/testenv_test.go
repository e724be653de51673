package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	tmp := t.TempDir()
	nested := filepath.Join(tmp, "a", "b", "c")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "a", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, want string
		fails      bool
	}{
		{from: nested, want: filepath.Join(tmp, "a")},
		{from: filepath.Join(tmp, "a"), want: filepath.Join(tmp, "a")},
		{from: tmp, fails: true},
	}
	for _, tt := range tests {
		got, err := RepoRoot(tt.from)
		if tt.fails {
			if err == nil {
				t.Errorf("RepoRoot(%s) = %s, want an error", tt.from, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("RepoRoot(%s) = %s, %v; want %s", tt.from, got, err, tt.want)
		}
	}
	// This package's own repository.
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "testenv", "testenv.go")); err != nil {
		t.Errorf("RepoRoot(.) = %s, which is not this repository", root)
	}
}

func TestLookupTwilioExamples(t *testing.T) {
	withJSON := t.TempDir()
	if err := os.WriteFile(filepath.Join(withJSON, "config.private.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env, want, errHas string
	}{
		{name: "override", env: withJSON, want: withJSON},
		{name: "override without json files", env: t.TempDir(), errHas: EnvTwilioExamples},
		{name: "override that does not exist", env: filepath.Join(withJSON, "nope"), errHas: "no Twilio example files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvTwilioExamples, tt.env)
			got, err := LookupTwilioExamples()
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("LookupTwilioExamples() = %q, %v; want an error with %q", got, err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("LookupTwilioExamples() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("default is beside the repository", func(t *testing.T) {
		t.Setenv(EnvTwilioExamples, "")
		got, err := LookupTwilioExamples()
		root, _ := RepoRoot(".")
		want := filepath.Join(filepath.Dir(root), "shared", "reference", "twilio-examples")
		if err != nil {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %v does not say where it looked (%s)", err, want)
			}
			Missing(t, err)
		}
		if got != want {
			t.Errorf("LookupTwilioExamples() = %q, want %q", got, want)
		}
	})
}

// fakeTB records Skipf and Fatalf and ends the goroutine as testing.T
// does.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Logf(string, ...any) {}

// run calls fn with a fakeTB in a goroutine of its own.
func run(fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// TestMissingSkipsOnlyOutsideCI: what is missing skips a test on a
// developer's machine and fails it in CI.
func TestMissingSkipsOnlyOutsideCI(t *testing.T) {
	noExamples := t.TempDir()
	tests := []struct {
		name    string
		ci      string
		fn      func(tb testing.TB)
		skipped bool
		fatal   bool
	}{
		{"tool, laptop", "", func(tb testing.TB) { Tool(tb, "no-such-tool-schedmgr", "nowhere") }, true, false},
		{"tool, CI", "true", func(tb testing.TB) { Tool(tb, "no-such-tool-schedmgr", "nowhere") }, false, true},
		{"tool present, CI", "true", func(tb testing.TB) {
			if p := Tool(tb, "go", "go.dev"); p == "" {
				tb.Fatalf("empty path")
			}
		}, false, false},
		{"examples, laptop", "", func(tb testing.TB) { TwilioExamples(tb) }, true, false},
		{"examples, CI", "true", func(tb testing.TB) { TwilioExamples(tb) }, false, true},
		{"example files, laptop", "", func(tb testing.TB) {
			if files := TwilioExampleFiles(tb); files != nil {
				tb.Fatalf("files %v", files)
			}
		}, false, false},
		{"example files, CI", "true", func(tb testing.TB) { TwilioExampleFiles(tb) }, false, true},
		{"CI=false is no CI", "false", func(tb testing.TB) { Missing(tb, "x") }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv(EnvTwilioExamples, noExamples)
			f := run(tt.fn)
			if (f.skipped != "") != tt.skipped || (f.fatal != "") != tt.fatal {
				t.Errorf("skipped %q, failed %q; want skipped %v, failed %v", f.skipped, f.fatal, tt.skipped, tt.fatal)
			}
		})
	}
}
