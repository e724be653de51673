package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a config file and list every problem in it",
		Long: `Validate parses and validates a config file (Twilio Flex Schedule Manager
format, with the optional extensions). A valid file prints a one-line summary
to stdout and exits 0. An invalid one prints every problem to stderr, one per
line as "place: cause", and exits 1. FILE "-" reads standard input.`,
		Example: `  schedule-manager validate examples/default.json
  examples/default.json: valid, 8 rules, 4 schedules

  schedule-manager validate broken.json
  rules[3].endTime: "25:00" is not a time (HH:MM)
  schedules[0].timeZone: unknown time zone "America/Chicgo"

  cat config.json | schedule-manager validate -`,
		Args: exactArgs(1, "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
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
