package main

import (
	"fmt"
	"time"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/spf13/cobra"
)

func newCheckCmd(c *cli) *cobra.Command {
	var (
		configPath string
		at         string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:                   "check --config FILE NAME [--at TIME] [--json]",
		DisableFlagsInUseLine: true,
		Short:                 "Say whether a schedule is open at an instant, and why",
		Long: `Check evaluates schedule NAME of a config file at an instant (default: now)
and prints whether it is open, the closed reason, the deciding rule or
holiday, and the next change of state.

--at takes the same forms as the HTTP simulate parameter:
  2026-07-03T10:00            local wall clock in the schedule's time zone
  2026-07-03 10:00:30         (also local; seconds optional)
  2026-07-03T15:00:00Z        an absolute instant (Z or an offset such as -05:00)
  2026-07-03                  local midnight

--json prints the same object as the HTTP check-schedule endpoint:
{isOpen, closedReason, schedule, timeZone, at, rule, holiday, nextTransition}.`,
		Example: `  schedule-manager check --config examples/default.json Support
  Support: open (Weekdays 08:00-17:00) at 2026-07-02 10:00 CDT; closes (closed) Thu 2 Jul 17:00 CDT

  schedule-manager check --config examples/default.json Support --at 2026-07-03T10:00
  Support: closed (holiday: Independence Day (observed)) at 2026-07-03 10:00 CDT; opens Mon 6 Jul 08:00 CDT

  schedule-manager check -c examples/default.json "London Sales" --at 2026-03-02T12:30Z --json`,
		Args: exactArgs(1, "one schedule NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, configPath)
			if err != nil {
				return err
			}
			s, err := findSchedule(cfg, configPath, args[0])
			if err != nil {
				return err
			}
			t := c.now()
			if cmd.Flags().Changed("at") {
				if t, err = parseTimeFlag("at", at, s.Location()); err != nil {
					return err
				}
			}
			resp := checkresult.Check(s, t, 0)
			if asJSON {
				return writeJSON(c.stdout, resp)
			}
			_, err = fmt.Fprintln(c.stdout, checkLine(s, resp))
			return err
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (JSON; \"-\" for standard input)")
	cmd.Flags().StringVar(&at, "at", "", "instant to evaluate (default: now); local to the schedule unless it has Z or an offset")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the check-schedule JSON object")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// checkLine renders a check result as one line, e.g.
//
//	Example: closed (holiday: Thanksgiving Day) at 2023-11-23 10:00 CST; opens Fri 24 Nov 08:00 CST
//
// A closed schedule says when it next opens (skipping changes of closed
// reason, which the JSON's nextTransition reports); an open one says when
// it closes and why.
func checkLine(s *engine.Schedule, r checkresult.Response) string {
	line := fmt.Sprintf("%s: %s at %s; ", r.Schedule, stateText(r), r.At.Format(atLayout))
	n := r.NextTransition
	switch {
	case n == nil && r.ClosedReason == engine.ReasonManual:
		return line + "stays closed until the manual close is lifted"
	case n == nil:
		return line + "no change within 366 days"
	case r.IsOpen:
		return line + fmt.Sprintf("closes (%s) %s", n.ClosedReason, whenText(n.At, r.At))
	}
	if opens, ok := nextOpening(s, r.At); ok {
		return line + "opens " + whenText(opens.In(s.Location()), r.At)
	}
	return line + "does not open within 366 days"
}

// nextOpening returns the first instant after t at which s is open, looking
// up to 366 days ahead.
func nextOpening(s *engine.Schedule, t time.Time) (time.Time, bool) {
	limit := t.AddDate(0, 0, 366)
	for t.Before(limit) {
		next, ok := s.NextTransition(t)
		if !ok || next.At.After(limit) {
			return time.Time{}, false
		}
		if next.Status.IsOpen {
			return next.At, true
		}
		t = next.At
	}
	return time.Time{}, false
}

// stateText is "open", "open (Weekday hours)", "closed (closed)" or
// "closed (holiday: Thanksgiving Day)": the reason, then the holiday when a
// holiday calendar decided, else the deciding rule's name.
func stateText(r checkresult.Response) string {
	detail := r.Holiday
	if detail == "" && r.Rule != nil {
		detail = r.Rule.Name
		if detail == "" {
			detail = r.Rule.ID
		}
	}
	switch {
	case r.IsOpen && detail == "":
		return "open"
	case r.IsOpen:
		return "open (" + detail + ")"
	case detail == "" || detail == r.ClosedReason:
		return "closed (" + r.ClosedReason + ")"
	default:
		return "closed (" + r.ClosedReason + ": " + detail + ")"
	}
}

const atLayout = "2006-01-02 15:04 MST"

// whenText formats a coming instant briefly, with the year only when it is
// not the year of ref: "Fri 24 Nov 08:00 CST".
func whenText(t, ref time.Time) string {
	if t.Year() != ref.Year() {
		return t.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}
