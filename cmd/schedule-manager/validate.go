package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/schedule-manager/schedule-manager/engine"
)

func newValidateCmd(c *cli) *cobra.Command {
	var asJSON, strict bool
	var at string
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a config file and list every problem in it",
		Long: `Validate parses and validates a config file (Twilio Flex Schedule Manager
format, with the optional extensions). A valid file prints a one-line summary
to stdout and exits 0. An invalid one prints every problem to stderr, one per
line as "place: cause", and exits 1. FILE "-" reads standard input.

It also warns, on stderr as "warning: place: cause", about what is valid but
probably wrong: rules that can no longer match (dates in the past, an RRULE
whose UNTIL or COUNT ran out, impossible dates such as 30 February), rules
no schedule uses, closed rules an earlier closed rule always hides,
schedules never open in the next year, fixed-date holiday lists a
"holidays" calendar would replace, and unknown or misspelt fields
("holiday" for "holidays": ignored, so the rule applies every day).
Warnings do not change the exit code, unless --strict makes them exit 1.
--at lints as of another instant than now.

With --json the result is one JSON object on stdout, valid or not:
{"file", "valid", "rules", "schedules", "errors", "warnings"}, where errors
and warnings are lists of {"path", "message"} (path "" is the document as a
whole, e.g. a JSON syntax error; warnings never make a file invalid). The
exit codes stay: 0 valid, 1 invalid (or the file cannot be read: then the
error is on stderr; or warnings with --strict), 2 wrong command line.`,
		Example: `  schedule-manager validate examples/default.json
  examples/default.json: valid, 8 rules, 4 schedules

  schedule-manager validate broken.json
  rules[3].endTime: "25:00" is not a time (HH:MM)
  schedules[0].timeZone: unknown time zone "America/Chicgo"

  schedule-manager validate --strict twilio-2023.json     # CI: warnings fail too
  twilio-2023.json: valid, 11 rules, 1 schedule, 6 warnings
  warning: rules[1].startDate: the one-off date 2023-09-04 is in the past: the rule can no longer match

  schedule-manager validate --json broken.json | jq -r '.errors[].path'
  cat config.json | schedule-manager validate -`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := c.now()
			if cmd.Flags().Changed("at") {
				var err error
				if now, err = parseTimeFlag("at", at, time.UTC); err != nil {
					return err
				}
			}
			if asJSON {
				return c.validateJSON(cmd, args[0], now, strict)
			}
			data, err := readFile(cmd, args[0])
			if err != nil {
				return err
			}
			cfg, warnings, err := engine.Loader{Limits: limitsFromFlags(cmd.Flags())}.LoadWithWarnings(data, now)
			if err != nil {
				printError(c.stderr, &configError{path: displayName(args[0]), err: err})
				if hint := limitHint(err); hint != "" {
					fmt.Fprintln(c.stderr, hint)
				}
				c.printWarnings(warnings)
				return errReported
			}
			doc := cfg.Document()
			summary := fmt.Sprintf("%s: valid, %s, %s", displayName(args[0]),
				plural(len(doc.Rules), "rule"), plural(len(doc.Schedules), "schedule"))
			if len(warnings) > 0 {
				summary += ", " + plural(len(warnings), "warning")
			}
			if _, err := fmt.Fprintln(c.stdout, summary); err != nil {
				return err
			}
			c.printWarnings(warnings)
			if strict && len(warnings) > 0 {
				return errReported
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON on stdout: errors and warnings with their paths")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 when there are warnings, as for errors")
	cmd.Flags().StringVar(&at, "at", "", "lint as of this instant (default: now), e.g. 2027-01-01 or 2027-01-01T09:00:00-05:00 (UTC unless it has an offset)")
	addLimitFlags(cmd.Flags())
	return cmd
}

// printWarnings writes lint warnings to stderr, one per line as
// "warning: path: message".
func (c *cli) printWarnings(ws []engine.FieldWarning) {
	for _, w := range ws {
		fmt.Fprintln(c.stderr, "warning: "+w.String())
	}
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
// invalid document (or one with warnings, when strict) returns
// errReported: exit 1, nothing on stderr.
func (c *cli) validateJSON(cmd *cobra.Command, path string, now time.Time, strict bool) error {
	data, err := readFile(cmd, path)
	if err != nil {
		return err
	}
	res := validateResult{File: displayName(path)}
	doc, err := engine.ParseDocument(data)
	if err == nil {
		res.Rules, res.Schedules = len(doc.Rules), len(doc.Schedules)
	}
	_, warnings, err := engine.Loader{Limits: limitsFromFlags(cmd.Flags())}.LoadWithWarnings(data, now)
	res.Valid = err == nil
	res.Errors = problems(err)
	res.Warnings = make([]problem, len(warnings))
	for i, w := range warnings {
		res.Warnings[i] = problem{Path: w.Path, Message: w.Message}
	}
	if err := writeJSON(c.stdout, res); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if !res.Valid || strict && len(warnings) > 0 {
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
