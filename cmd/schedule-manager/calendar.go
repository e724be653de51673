package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/schedule-manager/schedule-manager/calendar/feed"
	"github.com/schedule-manager/schedule-manager/engine"
)

func newCalendarCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Embed iCalendar calendars in a config, list holiday calendars, write a schedule's feed",
		Long: `calendar works on the calendars a config's rules take their dates from:

  add       embeds a local .ics file (or a URL the service fetches) in a config
  holidays  lists the holiday calendar codes, or one code's holidays in a year
  feed      writes a schedule's opening hours as an iCalendar feed`,
		Example: `  schedule-manager calendar add config.json closures closures.ics
  schedule-manager calendar holidays ES --year 2027
  schedule-manager calendar feed -c config.json Support --days 30 > support.ics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCalendarAddCmd(c), newCalendarHolidaysCmd(c), newCalendarFeedCmd(c))
	return cmd
}

func newCalendarAddCmd(c *cli) *cobra.Command {
	var name, url, refresh, output string
	cmd := &cobra.Command{
		Use:   "add CONFIG ID [FILE.ics]",
		Short: "Embed an iCalendar file (or a URL to fetch) in a config as calendar ID",
		Long: `add puts calendar ID into CONFIG's "calendars", replacing a calendar with
that id, and writes CONFIG back (or --output). The rest of the file stays as
it was. FILE.ics "-" reads standard input. With --url and no file the
calendar is fetched by the service on its --refresh spec (default
"@every 6h"); with both, the file is the first copy. A rule uses the calendar
with "calendar": "ID". The result is validated first: a calendar that does
not parse, or is over a limit, is reported and nothing is written.`,
		Example: `  schedule-manager calendar add config.json closures closures.ics
  config.json: calendar "closures" saved (14 events, 20345 bytes, sha256 5f1c0e…)

  schedule-manager calendar add config.json closures --url https://example.com/closures.ics --refresh "@every 1h"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 {
				return fmt.Errorf("add takes CONFIG ID [FILE.ics] (got %d arguments)", len(args))
			}
			if len(args) == 2 && url == "" {
				return errors.New("add needs FILE.ics or --url")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			path, id := args[0], args[1]
			if path == "-" {
				return errors.New("CONFIG must be a file: add writes it back")
			}
			data, err := readFile(cmd, path)
			if err != nil {
				return err
			}
			cal := engine.CalendarDoc{ID: id, Name: name, URL: url, Refresh: refresh}
			if len(args) == 3 {
				text, err := readFile(cmd, args[2])
				if err != nil {
					return fmt.Errorf("%s: %w", displayName(args[2]), err)
				}
				cal.ICS = string(text)
			}
			out, changed, err := engine.PutCalendar(data, cal)
			if err != nil {
				return &configError{path: displayName(path), err: err}
			}
			if output == "" {
				output = path
			}
			if changed || output != path {
				if err := writeFileAtomic(output, out); err != nil {
					return err
				}
			}
			verb := "saved"
			if !changed {
				verb = "unchanged"
			}
			what := "fetched by the service from its url"
			if cal.ICS != "" {
				what = fmt.Sprintf("%s, %d bytes, sha256 %s…", plural(strings.Count(cal.ICS, "BEGIN:VEVENT"), "event"), len(cal.ICS), engine.CalendarHash(cal.ICS)[:12])
			}
			_, err = fmt.Fprintf(c.stdout, "%s: calendar %q %s (%s)\n", output, id, verb, what)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name of the calendar")
	cmd.Flags().StringVar(&url, "url", "", "http(s) URL the service fetches the calendar from")
	cmd.Flags().StringVar(&refresh, "refresh", "", `cron spec of the fetches (default "@every 6h")`)
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the result here instead of CONFIG")
	return cmd
}

// writeFileAtomic replaces path with data (via a temporary file in the
// same directory), keeping its permissions.
func writeFileAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func newCalendarHolidaysCmd(c *cli) *cobra.Command {
	var year int
	cmd := &cobra.Command{
		Use:   "holidays [CODE]",
		Short: "List the holiday calendar codes, or the holidays of one in a year",
		Long: `holidays without CODE lists every code a rule's "holidays" field accepts,
with its country and region. With CODE it lists the dates a rule with that
code matches in --year (observed days included, named "… (observed)").`,
		Example: `  schedule-manager calendar holidays            # every code with its country and region
  schedule-manager calendar holidays JP --year 2027`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, h := range engine.HolidayCatalog() {
					name := h.CountryName
					if h.RegionName != "" {
						name += ": " + h.RegionName
					}
					if _, err := fmt.Fprintf(c.stdout, "%-7s %s\n", h.Code, name); err != nil {
						return err
					}
				}
				return nil
			}
			if year == 0 {
				year = c.now().Year()
			}
			if year < minYear || year > maxYear {
				return fmt.Errorf("--year: %d is outside the years %04d to %04d", year, minYear, maxYear)
			}
			for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
				name, ok := engine.HolidaysOn(args[0], year, d.Month(), d.Day())
				if !ok {
					return fmt.Errorf("unknown holiday calendar %q; schedule-manager calendar holidays lists the codes", args[0])
				}
				if name != "" {
					if _, err := fmt.Fprintf(c.stdout, "%s  %s\n", d.Format("Mon 2006-01-02"), name); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&year, "year", 0, "the year (default this year)")
	return cmd
}

func newCalendarFeedCmd(c *cli) *cobra.Command {
	var configPath, at string
	var days int
	var closed bool
	cmd := &cobra.Command{
		Use:   "feed --config FILE SCHEDULE",
		Short: "Write a schedule's openings and closures as an iCalendar feed",
		Long: `feed writes what the service serves at /api/v1/schedules/{name}/calendar.ics
and at secret feed links: one event per opening and per closure with its
reason, from the start of today (or --at) for --days days, to stdout.`,
		Example: `  schedule-manager calendar feed -c examples/default.json Support --days 30 > support.ics`,
		Args:    exactArgs(1, "SCHEDULE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSchedule(cmd, configPath, args[0])
			if err != nil {
				return err
			}
			now := c.now()
			if at != "" {
				if now, err = parseTimeFlag("at", at, s.Location()); err != nil {
					return err
				}
			}
			if days < 1 || days > feed.MaxDays {
				return fmt.Errorf("--days: %d is not from 1 to %d", days, feed.MaxDays)
			}
			return feed.Write(c.stdout, s, now, feed.Options{Days: days, Closed: closed})
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", "", "config file (\"-\" for standard input)")
	_ = cmd.MarkFlagRequired("config")
	cmd.Flags().StringVar(&at, "at", "", "the feed's \"now\" (default now)")
	cmd.Flags().IntVar(&days, "days", feed.DefaultDays, "days the feed covers")
	cmd.Flags().BoolVar(&closed, "closed", false, "add the plain closed periods (outside opening hours) as events too")
	return cmd
}
