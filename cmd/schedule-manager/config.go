package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/spf13/cobra"
)

// readFile reads path, or standard input when path is "-".
func readFile(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return data, nil
}

// configError is a config file that failed to parse or validate: its errors
// are printed one per line, each naming its place.
type configError struct {
	path string
	err  error
}

func (e *configError) Error() string { return e.path + ": " + e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// loadConfig reads, parses and validates a config file.
func loadConfig(cmd *cobra.Command, path string) (*engine.Config, error) {
	data, err := readFile(cmd, path)
	if err != nil {
		return nil, err
	}
	cfg, err := engine.Load(data)
	if err != nil {
		return nil, &configError{path: displayName(path), err: err}
	}
	return cfg, nil
}

func displayName(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}

// printError writes err to w. Validation errors are written one per line as
// "path: message" (rules[3].endTime: "25:00" is not a time (HH:MM)), so that
// scripts and editors can use them; a JSON syntax error names the file and
// its position.
func printError(w io.Writer, err error) {
	var ce *configError
	var ve *engine.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, fe := range ve.Errors {
			fmt.Fprintln(w, fe.Error())
		}
	case errors.As(err, &ce):
		fmt.Fprintln(w, ce.Error())
	default:
		fmt.Fprintf(w, "Error: %v\n", err)
	}
}

// loadSchedule loads the config at path and finds schedule name in it.
func loadSchedule(cmd *cobra.Command, path, name string) (*engine.Schedule, error) {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return nil, err
	}
	return findSchedule(cfg, path, name)
}

// findSchedule returns the named schedule, or an error that names it and
// lists the closest existing names.
func findSchedule(cfg *engine.Config, path, name string) (*engine.Schedule, error) {
	if s, ok := cfg.Schedule(name); ok {
		return s, nil
	}
	all := cfg.Schedules()
	if len(all) == 0 {
		return nil, fmt.Errorf("schedule %q not found: %s has no schedules", name, displayName(path))
	}
	const show = 5
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name()
	}
	if len(names) > show {
		// Show the names that look most like what was typed.
		key := strings.ToLower(name)
		sort.SliceStable(names, func(i, j int) bool {
			return distance(key, strings.ToLower(names[i])) < distance(key, strings.ToLower(names[j]))
		})
	}
	quoted := make([]string, 0, show)
	for _, n := range names[:min(show, len(names))] {
		quoted = append(quoted, fmt.Sprintf("%q", n))
	}
	more := ""
	if len(all) > show {
		more = fmt.Sprintf(" (%d more)", len(all)-show)
	}
	return nil, fmt.Errorf("schedule %q not found in %s; schedules: %s%s", name, displayName(path), strings.Join(quoted, ", "), more)
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Years a time flag may name: the answer (and the next transition up to 366
// days later) must be representable in RFC 3339 JSON, which stops at 9999.
const minYear, maxYear = 1, 9998

// parseTimeFlag parses the value of a time flag (--at, --from, --to) with
// engine.ParseTime in the schedule's zone.
func parseTimeFlag(flag, value string, loc *time.Location) (time.Time, error) {
	t, err := engine.ParseTime(value, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s: %w", flag, err)
	}
	for _, y := range []int{t.Year(), t.In(loc).Year(), t.UTC().Year()} {
		if y < minYear || y > maxYear {
			return time.Time{}, fmt.Errorf("--%s: %q is outside the years %04d to %04d", flag, value, minYear, maxYear)
		}
	}
	return t, nil
}
