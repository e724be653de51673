package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes. Scripts can tell "the answer is no" (1) from "you called me
// wrong" (2).
const (
	exitOK    = 0
	exitError = 1 // invalid config, unknown schedule, bad time, I/O error, ...
	exitUsage = 2 // unknown command or flag, wrong number of arguments, missing required flag
)

// cli is what every subcommand shares: where to write and what time it is
// (a function, so tests can fix the clock).
type cli struct {
	stdout, stderr io.Writer
	now            func() time.Time
}

// newRootCmd builds the command tree. Every subcommand is added here, in one
// place.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	return (&cli{stdout: stdout, stderr: stderr, now: time.Now}).rootCmd()
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "schedule-manager",
		Short: "Open/closed answers for Twilio Flex Schedule Manager configs",
		Long: `schedule-manager answers "is this contact-centre schedule open right now, and if
not, why?" for config files in the Twilio Flex Schedule Manager format
(plus optional extensions: holiday calendars, overnight windows).

Exit codes: 0 success, 1 error (invalid config, unknown schedule, bad time),
2 usage error (unknown command or flag, wrong arguments, missing required flag).

Shell completion: schedule-manager completion bash|zsh|fish|powershell prints
the script for that shell (see schedule-manager completion --help).`,
		Example: `  schedule-manager validate examples/default.json
  schedule-manager check --config examples/default.json Support
  schedule-manager check --config examples/default.json Support --at 2027-11-25T10:00 --json
  schedule-manager timeline --config examples/default.json Support --from 2026-07-01 --to 2026-07-08
  source <(schedule-manager completion bash)`,
		Version:       versionString(),
		SilenceErrors: true, // run() prints errors, so it can pick the exit code
		SilenceUsage:  true,
		// Without this, "schedule-manager bogus" would print help and exit 0.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetVersionTemplate("{{.Version}}\n")

	root.AddCommand(
		newValidateCmd(c),
		newCheckCmd(c),
		newTimelineCmd(c),
		newVersionCmd(c),
		newServeCmd(c),
		newImportCmd(c),
		newExportCmd(c),
		newNATSURLCmd(c),
		newCalendarCmd(c),
	)
	addCompletionCmd(root)
	markRunErrors(root)
	return root
}

// addCompletionCmd adds cobra's default completion command now rather than
// when the tree runs, so it is part of the tree like every other command
// (its errors mapped to exit codes, its help with examples).
func addCompletionCmd(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" {
			// Runnable, so that an unknown shell is a usage error (exit 2)
			// rather than help and exit 0.
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			cmd.Example = `  source <(schedule-manager completion bash)
  schedule-manager completion bash > /etc/bash_completion.d/schedule-manager
  schedule-manager completion zsh > "${fpath[1]}/_schedule-manager"
  schedule-manager completion fish > ~/.config/fish/completions/schedule-manager.fish
  schedule-manager completion powershell | Out-String | Invoke-Expression`
		}
	}
}

// errReported is returned by a command that has already reported its
// failure on stdout (validate --json of an invalid document): exit 1 and
// print nothing more.
var errReported = errors.New("failure reported on stdout")

// runError marks an error returned by a command's RunE, as opposed to one
// cobra produced while parsing the command line (a usage error).
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// markRunErrors wraps the RunE of every command in the tree, so run() can
// tell errors of the work (exit 1) from errors of the command line (exit 2).
// Commands added later are covered without doing anything.
func markRunErrors(cmd *cobra.Command) {
	if inner := cmd.RunE; inner != nil {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if err := inner(cmd, args); err != nil {
				return runError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		markRunErrors(sub)
	}
}

// run executes the CLI with args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return execute(newRootCmd(stdout, stderr), args, stderr)
}

// execute runs root with args, prints any error to stderr and maps it to an
// exit code.
func execute(root *cobra.Command, args []string, stderr io.Writer) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var re runError
	if errors.As(err, &re) {
		if !errors.Is(re.err, errReported) {
			printError(stderr, re.err)
		}
		return exitError
	}
	fmt.Fprintf(stderr, "Error: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
	return exitUsage
}
