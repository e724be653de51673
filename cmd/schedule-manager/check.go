package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/schedule-manager/schedule-manager/checkresult"
	"github.com/schedule-manager/schedule-manager/client"
	"github.com/schedule-manager/schedule-manager/engine"
)

func newCheckCmd(c *cli) *cobra.Command {
	var (
		configPath string
		server     string
		token      string
		at         string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:                   "check (--config FILE | --server URL) NAME [--at TIME] [--json]",
		DisableFlagsInUseLine: true,
		Short:                 "Say whether a schedule is open at an instant, and why",
		Long: `Check evaluates schedule NAME at an instant (default: now) and prints whether
it is open, the closed reason, the deciding rule or holiday, and the next
change of state.

The schedule comes from a config file (--config) or from a running service
(--server), which answers with its live state: manual closes included, and
"now" is the service's clock. check-schedule is public, so --server needs no
token unless the service requires one (--token, default $SCHEDMGR_TOKEN).

--at takes the same forms as the HTTP simulate parameter:
  2026-07-03T10:00            local wall clock in the schedule's time zone
  2026-07-03 10:00:30         (also local; seconds optional)
  2026-07-03T15:00:00Z        an absolute instant (Z or an offset such as -05:00)
  2026-07-03                  local midnight

--json prints the same object as the HTTP check-schedule endpoint:
{isOpen, closedReason, schedule, timeZone, at, rule, holiday, nextTransition,
nextOpening}; with --server it also has the service's configVersion.`,
		Example: `  schedule-manager check --config examples/default.json Support
  Support: open (Weekdays 08:00-17:00) at 2026-07-02 10:00 CDT; closes (closed) Thu 2 Jul 17:00 CDT

  schedule-manager check --config examples/default.json Support --at 2026-07-03T10:00
  Support: closed (holiday: Independence Day (observed)) at 2026-07-03 10:00 CDT; opens Mon 6 Jul 08:00 CDT

  schedule-manager check -c examples/default.json "London Sales" --at 2026-03-02T12:30Z --json

  schedule-manager check --server http://127.0.0.1:8080 Support --at 2027-11-25T10:00
  Support: closed (holiday: Thanksgiving Day) at 2027-11-25 10:00 CST; opens Fri 26 Nov 08:00 CST`,
		Args: exactArgs(1, "one schedule NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp checkresult.Response
			if server != "" {
				if token == "" {
					token = os.Getenv("SCHEDMGR_TOKEN")
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), checkTimeout)
				defer cancel()
				var err error
				if resp, err = checkServer(ctx, server, token, args[0], at, cmd.Flags().Changed("at")); err != nil {
					return err
				}
			} else {
				s, err := loadSchedule(cmd, configPath, args[0])
				if err != nil {
					return err
				}
				t := c.now()
				if cmd.Flags().Changed("at") {
					if t, err = parseTimeFlag("at", at, s.Location()); err != nil {
						return err
					}
				}
				resp = checkresult.Check(s, t, 0)
			}
			if asJSON {
				return writeJSON(c.stdout, resp)
			}
			_, err := fmt.Fprintln(c.stdout, checkLine(resp))
			return err
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (JSON; \"-\" for standard input)")
	cmd.Flags().StringVar(&server, "server", "", "base URL of a running service to ask instead (http://127.0.0.1:8080)")
	cmd.Flags().StringVar(&token, "token", "", "bearer token for --server, if the service requires one (default $SCHEDMGR_TOKEN)")
	cmd.Flags().StringVar(&at, "at", "", "instant to evaluate (default: now); local to the schedule unless it has Z or an offset")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the check-schedule JSON object")
	cmd.MarkFlagsOneRequired("config", "server")
	cmd.MarkFlagsMutuallyExclusive("config", "server")
	return cmd
}

// checkTimeout bounds a check against a service, retries included.
const checkTimeout = time.Minute

// checkServer asks the service at base for schedule name (at instant at,
// when hasAt): one call, whose answer includes the next opening.
func checkServer(ctx context.Context, base, token, name, at string, hasAt bool) (checkresult.Response, error) {
	cl, err := client.New(base, client.WithToken(token), client.WithTimeout(30*time.Second))
	if err != nil {
		return checkresult.Response{}, fmt.Errorf("--server: %w", err)
	}
	var cr client.CheckResult
	if hasAt {
		cr, err = cl.Simulate(ctx, name, at)
	} else {
		cr, err = cl.Check(ctx, name)
	}
	if err != nil {
		return checkresult.Response{}, serverError(err, base, name)
	}
	return fromClient(cr), nil
}

// fromClient is the service's answer as the CLI renders it (the client
// keeps its own copy of the wire type).
func fromClient(r client.CheckResult) checkresult.Response {
	out := checkresult.Response{IsOpen: r.IsOpen, ClosedReason: r.ClosedReason, Schedule: r.Schedule, TimeZone: r.TimeZone,
		At: r.At, Holiday: r.Holiday, NextOpening: r.NextOpening, ConfigVersion: r.ConfigVersion}
	if r.Rule != nil {
		out.Rule = &checkresult.Rule{ID: r.Rule.ID, Name: r.Rule.Name}
	}
	if n := r.NextTransition; n != nil {
		out.NextTransition = &checkresult.Next{At: n.At, IsOpen: n.IsOpen, ClosedReason: n.ClosedReason}
	}
	return out
}

// serverError words a failed check for the command line: the service's
// message without the client's request prefix.
func serverError(err error, base, name string) error {
	var ae *client.Error
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", base, err)
	}
	switch {
	case ae.Status == http.StatusBadRequest && strings.HasPrefix(ae.Message, "simulate: "):
		return errors.New("--at: " + strings.TrimPrefix(ae.Message, "simulate: "))
	case ae.Status == http.StatusNotFound && strings.HasPrefix(ae.Message, "unknown schedule"):
		return fmt.Errorf("schedule %q not found at %s", name, base)
	case ae.Status == http.StatusUnauthorized:
		return fmt.Errorf("%s: %s (the service requires a token: --token or $SCHEDMGR_TOKEN)", base, ae.Message)
	}
	return fmt.Errorf("%s: %d %s: %s", base, ae.Status, http.StatusText(ae.Status), ae.Message)
}

// checkLine renders a check result as one line, e.g.
//
//	Example: closed (holiday: Thanksgiving Day) at 2023-11-23 10:00 CST; opens Fri 24 Nov 08:00 CST
//
// A closed schedule says when it next opens (the answer's nextOpening,
// which skips the changes of closed reason that nextTransition reports); an
// open one says when it closes and why.
func checkLine(r checkresult.Response) string {
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
	opening := r.NextOpening
	if opening.IsZero() && n.IsOpen {
		opening = n.At // a service that predates nextOpening
	}
	if opening.IsZero() {
		return line + "does not open within 366 days"
	}
	// In the zone of At, so that it prints the zone's abbreviation.
	return line + "opens " + whenText(opening.In(r.At.Location()), r.At)
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
