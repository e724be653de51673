package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/spf13/cobra"
)

func newTimelineCmd(c *cli) *cobra.Command {
	var (
		configPath string
		from, to   string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:                   "timeline --config FILE NAME --from TIME --to TIME [--json]",
		DisableFlagsInUseLine: true,
		Short:                 "List a schedule's open and closed periods over a range",
		Long: `Timeline lists the periods [start, end) of schedule NAME between --from and
--to, each with one state: open, or closed with its reason, and the deciding
rule and holiday. Neighbouring periods always differ; the periods cover the
range exactly, across daylight-saving changes.

--from and --to take the forms of check --at: local to the schedule
(2026-07-01, 2026-07-01T08:00) or absolute (2026-07-01T13:00:00Z, ...-05:00).
The range must be positive and at most 1830 days.`,
		Example: `  schedule-manager timeline --config examples/default.json Support --from 2026-07-01 --to 2026-07-08
  schedule-manager timeline -c examples/lunch-break.json Office --from 2026-03-02 --to 2026-03-03 --json`,
		Args: exactArgs(1, "one schedule NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSchedule(cmd, configPath, args[0])
			if err != nil {
				return err
			}
			start, err := parseTimeFlag("from", from, s.Location())
			if err != nil {
				return err
			}
			end, err := parseTimeFlag("to", to, s.Location())
			if err != nil {
				return err
			}
			switch {
			case !end.After(start):
				return fmt.Errorf("--to (%s) must be after --from (%s)",
					end.In(s.Location()).Format(time.RFC3339), start.In(s.Location()).Format(time.RFC3339))
			case end.Sub(start) > engine.MaxTimelineRange:
				return fmt.Errorf("the range from --from to --to is longer than the limit of %d days",
					engine.MaxTimelineRange/(24*time.Hour))
			}
			tl := checkresult.NewTimeline(s, s.Timeline(start, end))
			if asJSON {
				return writeJSON(c.stdout, tl)
			}
			return writeTimelineTable(c, tl)
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (JSON; \"-\" for standard input)")
	cmd.Flags().StringVar(&from, "from", "", "start of the range (inclusive)")
	cmd.Flags().StringVar(&to, "to", "", "end of the range (exclusive)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {schedule, timeZone, segments: [...]}")
	for _, f := range []string{"config", "from", "to"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

const tableLayout = "Mon 2006-01-02 15:04 MST"

// writeTimelineTable prints one aligned row per segment.
func writeTimelineTable(c *cli, tl checkresult.Timeline) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tSTATE\tREASON\tRULE\tHOLIDAY")
	for _, s := range tl.Segments {
		state := "closed"
		if s.IsOpen {
			state = "open"
		}
		rule := ""
		if s.Rule != nil {
			rule = s.Rule.Name
			if rule == "" {
				rule = s.Rule.ID
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Start.Format(tableLayout), s.End.Format(tableLayout),
			state, orDash(s.ClosedReason), orDash(rule), orDash(s.Holiday))
	}
	return errors.Join(tw.Flush())
}
