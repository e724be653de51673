package main

import (
	"strings"
	"testing"
)

// cobra's completion command prints a script for each shell; it is listed
// in the root's help.
func TestCompletion(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		outHas string // a substring of stdout
		errHas string // a substring of stderr
	}{
		{"bash", []string{"completion", "bash"}, 0, "complete -o default -F __start_schedule-manager schedule-manager", ""},
		{"zsh", []string{"completion", "zsh"}, 0, "#compdef schedule-manager", ""},
		{"fish", []string{"completion", "fish"}, 0, "complete -c schedule-manager", ""},
		{"powershell", []string{"completion", "powershell"}, 0, "Register-ArgumentCompleter", ""},
		{"bash without descriptions", []string{"completion", "bash", "--no-descriptions"}, 0, "__start_schedule-manager", ""},
		{"no shell prints help", []string{"completion"}, 0, "schedule-manager completion bash > /etc/bash_completion.d/schedule-manager", ""},
		{"unknown shell is a usage error", []string{"completion", "tcsh"}, 2, "", `unknown command "tcsh" for "schedule-manager completion"`},
		{"listed in the root's help", []string{"--help"}, 0, "completion  Generate the autocompletion script", ""},
		{"the root's help says how", []string{"--help"}, 0, "schedule-manager completion bash|zsh|fish|powershell", ""},
		{"shell completion of commands", []string{"__complete", "val"}, 0, "validate", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %.300s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.outHas) {
				t.Errorf("stdout does not contain %q:\n%.500s", tt.outHas, r.stdout)
			}
			if tt.errHas != "" && !strings.Contains(r.stderr, tt.errHas) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.errHas)
			}
		})
	}
}
