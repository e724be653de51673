package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/schedule-manager/schedule-manager/engine"
)

func newValidateCmd(c *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a config file and list every problem in it",
		Long: `Validate parses and validates a config file (Twilio Flex Schedule Manager
format, with the optional extensions). A valid file prints a one-line summary
to stdout and exits 0. An invalid one prints every problem to stderr, one per
line as "place: cause", and exits 1. FILE "-" reads standard input.

With --json the result is one JSON object on stdout, valid or not:
{"file", "valid", "rules", "schedules", "errors", "warnings"}, where errors
and warnings are lists of {"path", "message"} (path "" is the document as a
whole, e.g. a JSON syntax error; warnings never make a file invalid). The
exit codes stay: 0 valid, 1 invalid (or the file cannot be read: then the
error is on stderr), 2 wrong command line.`,
		Example: `  schedule-manager validate examples/default.json
  examples/default.json: valid, 8 rules, 4 schedules

  schedule-manager validate broken.json
  rules[3].endTime: "25:00" is not a time (HH:MM)
  schedules[0].timeZone: unknown time zone "America/Chicgo"

  schedule-manager validate --json broken.json | jq -r '.errors[].path'
  cat config.json | schedule-manager validate -`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				return c.validateJSON(cmd, args[0])
			}
			cfg, err := loadConfig(cmd, args[0])
			if err != nil {
				return err
			}
			doc := cfg.Document()
			_, err = fmt.Fprintf(c.stdout, "%s: valid, %s, %s\n", displayName(args[0]),
				plural(len(doc.Rules), "rule"), plural(len(doc.Schedules), "schedule"))
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON on stdout: errors and warnings with their paths")
	return cmd
}

// validateResult is what validate --json prints. Errors make the document
// invalid; warnings (lint) have the same shape and never do.
type validateResult struct {
	File      string    `json:"file"`
	Valid     bool      `json:"valid"`
	Rules     int       `json:"rules"`     // in the document, valid or not (0 when it does not parse)
	Schedules int       `json:"schedules"` // idem
	Errors    []problem `json:"errors"`    // never null
	Warnings  []problem `json:"warnings"`  // never null
}

// problem is one error or warning of a config document: where (a path such
// as rules[3].endTime; "" for the document as a whole) and what.
type problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// validateJSON validates the file at path and prints a validateResult. An
// invalid document returns errReported: exit 1, nothing on stderr.
func (c *cli) validateJSON(cmd *cobra.Command, path string) error {
	data, err := readFile(cmd, path)
	if err != nil {
		return err
	}
	res := validateResult{File: displayName(path), Warnings: []problem{}}
	doc, err := engine.ParseDocument(data)
	if err == nil {
		res.Rules, res.Schedules = len(doc.Rules), len(doc.Schedules)
		_, err = engine.Compile(doc)
	}
	res.Valid = err == nil
	res.Errors = problems(err)
	if err := writeJSON(c.stdout, res); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if !res.Valid {
		return errReported
	}
	return nil
}

// problems lists the errors of a document: each field error of a
// validation error with its path, or err as a whole (a JSON syntax error)
// with an empty path.
func problems(err error) []problem {
	var ve *engine.ValidationError
	switch {
	case err == nil:
		return []problem{}
	case errors.As(err, &ve):
		out := make([]problem, len(ve.Errors))
		for i, fe := range ve.Errors {
			out[i] = problem{Path: fe.Path, Message: fe.Msg}
		}
		return out
	default:
		return []problem{{Message: strings.TrimPrefix(err.Error(), "config: ")}}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// exactArgs is cobra.ExactArgs with a message that names the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s (got %d arguments)", cmd.Name(), names, len(args))
		}
		return nil
	}
}
