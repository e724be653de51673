// Package testenv tells tests what their environment has: Twilio's own
// example configs (reference files outside the repository, read where
// they are and never copied in) and external tools (promtool, kubectl).
//
// Twilio's examples sit in shared/reference/twilio-examples beside the repository
// (../shared/reference/twilio-examples from its root), or wherever
// SCHEDMGR_TWILIO_EXAMPLES points:
//
//	dir := testenv.TwilioExamples(t)
//	doc, err := os.ReadFile(filepath.Join(dir, "config.private.json"))
//
//	promtool := testenv.Tool(t, "promtool", "apt-get install prometheus")
//
// Where something is absent a test is skipped on a developer's machine
// but fails under CI=true, so CI never passes without it.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvTwilioExamples names the environment variable that overrides where
// Twilio's example files are.
const EnvTwilioExamples = "SCHEDMGR_TWILIO_EXAMPLES"

// twilioExamplesRel is where Twilio's example files are, relative to the
// repository root.
var twilioExamplesRel = filepath.Join("..", "shared", "reference", "twilio-examples")

// LookupTwilioExamples returns the directory of Twilio's example files:
// $SCHEDMGR_TWILIO_EXAMPLES if set, else ../shared/reference/twilio-examples
// from the repository root (the nearest directory above the working
// directory that holds go.mod). It fails when the directory has no .json
// file, saying where it looked.
func LookupTwilioExamples() (string, error) {
	dir := os.Getenv(EnvTwilioExamples)
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		root, err := RepoRoot(wd)
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, twilioExamplesRel)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no Twilio example files (*.json) in %s: put shared/reference/twilio-examples "+
			"beside the repository or set %s", dir, EnvTwilioExamples)
	}
	return dir, nil
}

// RepoRoot returns the nearest directory at or above dir that holds
// go.mod.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod at or above " + dir)
		}
		d = parent
	}
}

// TwilioExamples returns the directory of Twilio's example files (see
// LookupTwilioExamples). When they are absent it skips the test, or fails
// it when the environment has CI=true.
func TwilioExamples(tb testing.TB) string {
	tb.Helper()
	dir, err := LookupTwilioExamples()
	if err != nil {
		Missing(tb, err)
	}
	return dir
}

// TwilioExampleFiles returns the paths of Twilio's example files (*.json),
// sorted, for tests to which they are an extra (fuzz seeds): when they are
// absent it logs why and returns none, but fails the test under CI=true.
func TwilioExampleFiles(tb testing.TB) []string {
	tb.Helper()
	dir, err := LookupTwilioExamples()
	if err != nil {
		if InCI() {
			tb.Fatalf("CI=true: %v", err)
		}
		tb.Logf("without Twilio's examples: %v", err)
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json")) // sorted
	return files
}

// InCI reports whether the tests run in CI (CI=true), where nothing a
// test needs may be missing.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends a test that lacks something it needs (a reference file, a
// tool): it is skipped with reason on a developer's machine and fails
// under CI=true.
func Missing(tb testing.TB, reason any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true, so this may not be skipped: %v", reason)
	}
	tb.Skipf("skipped: %v", reason)
}

// Tool returns the path of the executable name found on PATH. When it is
// not there it skips the test, or fails it under CI=true; install says
// how to get it.
func Tool(tb testing.TB, name, install string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, fmt.Sprintf("%s not on PATH (%s)", name, install))
	}
	return p
}
