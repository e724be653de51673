package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBinary builds the real program and runs it as a process, to prove the
// exit codes and output streams that scripts rely on.
func TestBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "schedule-manager")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	invalid := writeFile(t, "invalid.json", invalidConfig)

	runBin := func(args ...string) result {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			code = exit.ExitCode()
		case err != nil:
			t.Fatalf("run %v: %v", args, err)
		}
		return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}

	t.Run("validate valid", func(t *testing.T) {
		r := runBin("validate", defaultConfig)
		if r.code != 0 || r.stdout != defaultConfig+": valid, 8 rules, 4 schedules\n" || r.stderr != "" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("validate invalid", func(t *testing.T) {
		r := runBin("validate", invalid)
		if r.code != 1 || r.stderr != invalidConfigErrors || r.stdout != "" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("validate --json invalid", func(t *testing.T) {
		r := runBin("validate", "--json", invalid)
		var got validateResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 1 || r.stderr != "" {
			t.Fatalf("got %+v (%v)", r, err)
		}
		if got.Valid || len(got.Errors) != 5 || got.Errors[0].Path != "rules[0].endTime" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("version --json says what version says", func(t *testing.T) {
		var b buildInfo
		r := runBin("version", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &b); err != nil || r.code != 0 {
			t.Fatalf("got %+v (%v)", r, err)
		}
		text := "schedule-manager " + b.Version
		if b.Commit != "" {
			text += " (commit " + b.Commit[:min(12, len(b.Commit))]
			if b.Modified {
				text += ", modified"
			}
			text += ")"
		}
		text += " " + b.Go + " " + b.Platform + "\n"
		if r := runBin("version"); r.stdout != text {
			t.Errorf("version: %q; version --json gives %q", r.stdout, text)
		}
	})
	t.Run("check --json", func(t *testing.T) {
		r := runBin("check", "--config", defaultConfig, "Support", "--at", "2026-07-03T10:00", "--json")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("got %+v", r)
		}
		var got struct {
			IsOpen       *bool   `json:"isOpen"`
			ClosedReason *string `json:"closedReason"`
			Holiday      string  `json:"holiday"`
			At           string  `json:"at"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
		if got.IsOpen == nil || *got.IsOpen || got.ClosedReason == nil || *got.ClosedReason != "holiday" ||
			got.Holiday != "Independence Day (observed)" || got.At != "2026-07-03T10:00:00-05:00" {
			t.Errorf("got %s", r.stdout)
		}
	})
	t.Run("check unknown schedule", func(t *testing.T) {
		r := runBin("check", "--config", defaultConfig, "Nope", "--json")
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, `schedule "Nope" not found`) {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("usage error", func(t *testing.T) {
		r := runBin("check", "Support")
		if r.code != 2 || !strings.Contains(r.stderr, `at least one of the flags in the group [config server] is required`) {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("embedded tzdata", func(t *testing.T) {
		// The binary must answer on a host without a zoneinfo database
		// (a scratch container): time/tzdata has to be linked in.
		out, err := exec.Command(goTool, "list", "-deps", ".").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
			t.Error("time/tzdata is not linked into the binary")
		}
	})
}
