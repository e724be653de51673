package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const defaultConfig = "../../examples/default.json"

// fixedNow is the clock of in-process runs: Thursday 2 July 2026 15:00 UTC,
// 10:00 in Chicago.
var fixedNow = time.Date(2026, 7, 2, 15, 0, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command tree in-process, as main would, with a fixed clock.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{stdout: &stdout, stderr: &stderr, now: func() time.Time { return fixedNow }}
	root := c.rootCmd()
	root.SetIn(strings.NewReader(stdin))
	code := execute(root, args, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// writeFile writes a config into a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const invalidConfig = `{
  "rules": [
    {"id": "a", "name": "Hours", "isOpen": true, "startTime": "08:00", "endTime": "25:00"},
    {"id": "a", "name": "Closed", "isOpen": false}
  ],
  "schedules": [
    {"name": "S", "timeZone": "America/Chicgo", "rules": ["a", "missing"]}
  ]
}`

var invalidConfigErrors = `rules[0].endTime: "25:00" is not a time (HH:MM)
rules[1].closedReason: a closed rule needs a closed reason (e.g. "holiday", "closed", "lunch")
rules[1].id: duplicate rule id "a" (also rules[0])
schedules[0].timeZone: unknown time zone "America/Chicgo"
schedules[0].rules[1]: no rule with id "missing"
`

const specialConfig = `{
  "rules": [
    {"id": "all", "name": "All day", "isOpen": true},
    {"id": "hours", "isOpen": true, "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"}
  ],
  "schedules": [
    {"name": "Always", "timeZone": "Europe/Paris", "rules": ["all"]},
    {"name": "Shut", "manualClose": true, "timeZone": "UTC", "rules": ["hours"]},
    {"name": "Unnamed rule", "timeZone": "UTC", "rules": ["hours"]}
  ]
}`

func TestCLI(t *testing.T) {
	invalid := writeFile(t, "invalid.json", invalidConfig)
	syntax := writeFile(t, "syntax.json", "{\n  \"rules\": [\n    {\"id\": \"a\",, }\n  ]\n}\n")
	special := writeFile(t, "special.json", specialConfig)
	manySchedules := writeFile(t, "many.json", `{"rules": [], "schedules": [
		{"name": "Alpha", "timeZone": "UTC", "rules": []}, {"name": "Bravo", "timeZone": "UTC", "rules": []},
		{"name": "Charlie", "timeZone": "UTC", "rules": []}, {"name": "Delta", "timeZone": "UTC", "rules": []},
		{"name": "Echo", "timeZone": "UTC", "rules": []}, {"name": "Support", "timeZone": "UTC", "rules": []},
		{"name": "Foxtrot", "timeZone": "UTC", "rules": []}]}`)
	defaultJSON, err := os.ReadFile(defaultConfig)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     string   // exact, when set
		stderr     string   // exact, when set
		outHas     []string // substrings of stdout
		errHas     []string // substrings of stderr
		emptyOut   bool
		emptyErr   bool
		jsonOutput map[string]any // stdout decoded must equal this
	}{
		// validate
		{name: "validate valid", args: []string{"validate", defaultConfig}, code: 0,
			stdout: defaultConfig + ": valid, 8 rules, 4 schedules\n", emptyErr: true},
		{name: "validate singular", args: []string{"validate", "../../examples/overnight-support.json"}, code: 0,
			stdout: "../../examples/overnight-support.json: valid, 1 rule, 1 schedule\n"},
		{name: "validate stdin", args: []string{"validate", "-"}, stdin: string(defaultJSON), code: 0,
			stdout: "<stdin>: valid, 8 rules, 4 schedules\n"},
		{name: "validate every error one per line", args: []string{"validate", invalid}, code: 1,
			stderr: invalidConfigErrors, emptyOut: true},
		{name: "validate JSON syntax error names the position", args: []string{"validate", syntax}, code: 1,
			errHas: []string{syntax + ": ", "invalid JSON at line 3, column "}, emptyOut: true},
		{name: "validate empty stdin", args: []string{"validate", "-"}, code: 1, errHas: []string{"<stdin>: ", "empty document"}},
		{name: "validate missing file", args: []string{"validate", "nope.json"}, code: 1,
			errHas: []string{"Error: read config: open nope.json"}},
		{name: "validate without file is a usage error", args: []string{"validate"}, code: 2,
			errHas: []string{"validate takes FILE (got 0 arguments)", "Run 'schedule-manager validate --help' for usage."}},
		{name: "validate two files is a usage error", args: []string{"validate", "a", "b"}, code: 2},

		// check
		{name: "check holiday", args: []string{"check", "--config", defaultConfig, "Support", "--at", "2027-11-25T10:00"}, code: 0,
			stdout: "Support: closed (holiday: Thanksgiving Day) at 2027-11-25 10:00 CST; opens Fri 26 Nov 08:00 CST\n", emptyErr: true},
		{name: "check observed holiday", args: []string{"check", "-c", defaultConfig, "Support", "--at", "2026-07-03T10:00"}, code: 0,
			stdout: "Support: closed (holiday: Independence Day (observed)) at 2026-07-03 10:00 CDT; opens Mon 6 Jul 08:00 CDT\n"},
		{name: "check defaults to now", args: []string{"check", "-c", defaultConfig, "Support"}, code: 0,
			stdout: "Support: open (Weekdays 08:00-17:00) at 2026-07-02 10:00 CDT; closes (closed) Thu 2 Jul 17:00 CDT\n"},
		{name: "check lunch", args: []string{"check", "-c", defaultConfig, "London Sales", "--at", "2026-03-02T12:30"}, code: 0,
			stdout: "London Sales: closed (lunch: Lunch break) at 2026-03-02 12:30 GMT; opens Mon 2 Mar 13:00 GMT\n"},
		{name: "check open, closes for lunch", args: []string{"check", "-c", defaultConfig, "London Sales", "--at", "2026-03-02T11:00"}, code: 0,
			stdout: "London Sales: open (Weekdays 09:00-17:00) at 2026-03-02 11:00 GMT; closes (lunch) Mon 2 Mar 12:00 GMT\n"},
		{name: "check absolute --at is shown in the schedule's zone", args: []string{"check", "-c", defaultConfig, "Night Desk", "--at", "2026-03-03T04:00:00Z"}, code: 0,
			stdout: "Night Desk: open (Weeknights 22:00-06:00) at 2026-03-02 23:00 EST; closes (closed) Tue 3 Mar 06:00 EST\n"},
		{name: "check next change in another year shows the year", args: []string{"check", "-c", defaultConfig, "Support", "--at", "2027-12-31T10:00"}, code: 0,
			stdout: "Support: closed (holiday: New Year's Day (observed)) at 2027-12-31 10:00 CST; opens Mon 3 Jan 2028 08:00 CST\n"},
		{name: "check closed, no rule", args: []string{"check", "-c", defaultConfig, "Support", "--at", "2026-07-07T20:00"}, code: 0,
			stdout: "Support: closed (closed) at 2026-07-07 20:00 CDT; opens Wed 8 Jul 08:00 CDT\n"},
		{name: "check always open", args: []string{"check", "-c", special, "Always", "--at", "2026-07-02"}, code: 0,
			stdout: "Always: open (All day) at 2026-07-02 00:00 CEST; no change within 366 days\n"},
		{name: "check manual close", args: []string{"check", "-c", special, "Shut", "--at", "2026-07-02T10:00"}, code: 0,
			stdout: "Shut: closed (manual) at 2026-07-02 10:00 UTC; stays closed until the manual close is lifted\n"},
		{name: "check rule without name shows its id", args: []string{"check", "-c", special, "Unnamed rule", "--at", "2026-07-02T10:00"}, code: 0,
			stdout: "Unnamed rule: open (hours) at 2026-07-02 10:00 UTC; closes (closed) Thu 2 Jul 17:00 UTC\n"},
		{name: "check --json holiday", args: []string{"check", "--config", defaultConfig, "Support", "--at", "2027-11-25T10:00", "--json"}, code: 0,
			jsonOutput: map[string]any{
				"isOpen": false, "closedReason": "holiday", "schedule": "Support", "timeZone": "America/Chicago",
				"at": "2027-11-25T10:00:00-06:00", "rule": map[string]any{"id": "us-holidays", "name": "US public holidays"},
				"holiday":        "Thanksgiving Day",
				"nextTransition": map[string]any{"at": "2027-11-26T00:00:00-06:00", "isOpen": false, "closedReason": "closed"},
				"nextOpening":    "2027-11-26T08:00:00-06:00",
			}},
		{name: "check --json open", args: []string{"check", "-c", defaultConfig, "London Sales", "--json", "--at", "2026-07-01T10:00"}, code: 0,
			jsonOutput: map[string]any{
				"isOpen": true, "closedReason": "", "schedule": "London Sales", "timeZone": "Europe/London",
				"at": "2026-07-01T10:00:00+01:00", "rule": map[string]any{"id": "weekdays-09-17", "name": "Weekdays 09:00-17:00"},
				"nextTransition": map[string]any{"at": "2026-07-01T12:00:00+01:00", "isOpen": false, "closedReason": "lunch"},
			}},
		{name: "check --json manual: nextTransition null", args: []string{"check", "-c", special, "Shut", "--json", "--at", "2026-07-01T10:00Z"}, code: 0,
			jsonOutput: map[string]any{
				"isOpen": false, "closedReason": "manual", "schedule": "Shut", "timeZone": "UTC",
				"at": "2026-07-01T10:00:00Z", "nextTransition": nil,
			}},
		{name: "check config from stdin", args: []string{"check", "-c", "-", "Ops 24x7", "--at", "2026-03-01T03:00"}, stdin: string(defaultJSON), code: 0,
			stdout: "Ops 24x7: closed (maintenance: Monthly maintenance window) at 2026-03-01 03:00 UTC; opens Sun 1 Mar 04:00 UTC\n"},
		{name: "check unknown schedule", args: []string{"check", "-c", defaultConfig, "Suport"}, code: 1, emptyOut: true,
			stderr: `Error: schedule "Suport" not found in ` + defaultConfig + `; schedules: "Support", "London Sales", "Night Desk", "Ops 24x7"` + "\n"},
		{name: "check unknown schedule lists the closest names", args: []string{"check", "-c", manySchedules, "suport"}, code: 1,
			errHas: []string{`schedule "suport" not found`, `schedules: "Support", `, "(2 more)"}},
		{name: "check invalid config", args: []string{"check", "-c", invalid, "S"}, code: 1, stderr: invalidConfigErrors, emptyOut: true},
		{name: "check bad --at", args: []string{"check", "-c", defaultConfig, "Support", "--at", "tomorrow"}, code: 1,
			errHas: []string{`Error: --at: "tomorrow" is not a date-time`}},
		{name: "check --at beyond 9998", args: []string{"check", "-c", defaultConfig, "Support", "--at", "9999-12-31T23:59:59Z", "--json"}, code: 1,
			emptyOut: true, stderr: "Error: --at: \"9999-12-31T23:59:59Z\" is outside the years 0001 to 9998\n"},
		{name: "check --at far ahead", args: []string{"check", "-c", defaultConfig, "Support", "--at", "9998-06-01T10:00", "--json"}, code: 0,
			outHas: []string{`"at": "9998-06-01T10:00:00-05:00"`}},
		{name: "check without --config or --server", args: []string{"check", "Support"}, code: 2,
			errHas: []string{`at least one of the flags in the group [config server] is required`, "Run 'schedule-manager check --help' for usage."}},
		{name: "check with --config and --server", args: []string{"check", "-c", defaultConfig, "--server", "http://127.0.0.1:1", "Support"}, code: 2,
			errHas: []string{`if any flags in the group [config server] are set none of the others can be; [config server] were all set`}},
		{name: "check without name", args: []string{"check", "-c", defaultConfig}, code: 2,
			errHas: []string{"check takes one schedule NAME (got 0 arguments)"}},
		{name: "check unknown flag", args: []string{"check", "-c", defaultConfig, "Support", "--simulate", "x"}, code: 2,
			errHas: []string{"unknown flag: --simulate"}},

		// timeline
		{name: "timeline table", args: []string{"timeline", "-c", "../../examples/lunch-break.json", "Office", "--from", "2026-03-02", "--to", "2026-03-03"}, code: 0,
			emptyErr: true, stdout: `START                     END                       STATE   REASON  RULE           HOLIDAY
Mon 2026-03-02 00:00 GMT  Mon 2026-03-02 09:00 GMT  closed  closed  -              -
Mon 2026-03-02 09:00 GMT  Mon 2026-03-02 12:00 GMT  open    -       Weekday hours  -
Mon 2026-03-02 12:00 GMT  Mon 2026-03-02 13:00 GMT  closed  lunch   Lunch break    -
Mon 2026-03-02 13:00 GMT  Mon 2026-03-02 17:00 GMT  open    -       Weekday hours  -
Mon 2026-03-02 17:00 GMT  Tue 2026-03-03 00:00 GMT  closed  closed  -              -
`},
		{name: "timeline table with holiday across DST", args: []string{"timeline", "-c", defaultConfig, "London Sales", "--from", "2027-03-26T16:00", "--to", "2027-03-29T10:00"}, code: 0,
			stdout: `START                     END                       STATE   REASON   RULE                HOLIDAY
Fri 2027-03-26 16:00 GMT  Sat 2027-03-27 00:00 GMT  closed  holiday  UK public holidays  Good Friday
Sat 2027-03-27 00:00 GMT  Mon 2027-03-29 00:00 BST  closed  closed   -                   -
Mon 2027-03-29 00:00 BST  Mon 2027-03-29 10:00 BST  closed  holiday  UK public holidays  Easter Monday
`},
		{name: "timeline --json", args: []string{"timeline", "-c", defaultConfig, "Night Desk", "--from", "2026-03-06T21:00", "--to", "2026-03-07T07:00", "--json"}, code: 0,
			jsonOutput: map[string]any{
				"schedule": "Night Desk", "timeZone": "America/New_York",
				"segments": []any{
					map[string]any{"start": "2026-03-06T21:00:00-05:00", "end": "2026-03-06T22:00:00-05:00", "isOpen": false, "closedReason": "closed"},
					map[string]any{"start": "2026-03-06T22:00:00-05:00", "end": "2026-03-07T06:00:00-05:00", "isOpen": true, "closedReason": "",
						"rule": map[string]any{"id": "weeknights-22-06", "name": "Weeknights 22:00-06:00"}},
					map[string]any{"start": "2026-03-07T06:00:00-05:00", "end": "2026-03-07T07:00:00-05:00", "isOpen": false, "closedReason": "closed"},
				},
			}},
		{name: "timeline --json holiday", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2027-11-25", "--to", "2027-11-26", "--json"}, code: 0,
			jsonOutput: map[string]any{
				"schedule": "Support", "timeZone": "America/Chicago",
				"segments": []any{
					map[string]any{"start": "2027-11-25T00:00:00-06:00", "end": "2027-11-26T00:00:00-06:00", "isOpen": false, "closedReason": "holiday",
						"rule": map[string]any{"id": "us-holidays", "name": "US public holidays"}, "holiday": "Thanksgiving Day"},
				},
			}},
		{name: "timeline to equal to from", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-07-01", "--to", "2026-07-01"}, code: 1,
			emptyOut: true, stderr: "Error: --to (2026-07-01T00:00:00-05:00) must be after --from (2026-07-01T00:00:00-05:00)\n"},
		{name: "timeline to before from", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-07-02", "--to", "2026-07-01"}, code: 1,
			errHas: []string{"must be after --from"}},
		{name: "timeline range too long", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-01-01", "--to", "2040-01-01"}, code: 1,
			errHas: []string{"longer than the limit of 1830 days"}},
		{name: "timeline bad --from", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-13-01", "--to", "2026-07-01"}, code: 1,
			errHas: []string{"Error: --from: "}},
		{name: "timeline bad --to", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-07-01", "--to", "soon"}, code: 1,
			errHas: []string{"Error: --to: "}},
		{name: "timeline unknown schedule", args: []string{"timeline", "-c", defaultConfig, "Nope", "--from", "2026-07-01", "--to", "2026-07-02"}, code: 1,
			errHas: []string{`schedule "Nope" not found`}},
		{name: "timeline invalid config", args: []string{"timeline", "-c", invalid, "S", "--from", "2026-07-01", "--to", "2026-07-02"}, code: 1,
			stderr: invalidConfigErrors},
		{name: "timeline without --to", args: []string{"timeline", "-c", defaultConfig, "Support", "--from", "2026-07-01"}, code: 2,
			errHas: []string{`required flag(s) "to" not set`}},

		// version, help, usage
		{name: "version", args: []string{"version"}, code: 0, outHas: []string{"schedule-manager ", "go1."}, emptyErr: true},
		{name: "--version", args: []string{"--version"}, code: 0, outHas: []string{"schedule-manager "}},
		{name: "version with argument", args: []string{"version", "x"}, code: 2},
		{name: "no command prints help", args: nil, code: 0, outHas: []string{"Available Commands:", "validate", "check", "timeline", "version"}},
		{name: "unknown command", args: []string{"bogus"}, code: 2,
			errHas: []string{`unknown command "bogus" for "schedule-manager"`}},
		{name: "unknown root flag", args: []string{"--bogus"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.stdout != "" && r.stdout != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, tt.stdout)
			}
			if tt.stderr != "" && r.stderr != tt.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, tt.stderr)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout %q does not contain %q", r.stdout, s)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr %q does not contain %q", r.stderr, s)
				}
			}
			if tt.emptyOut && r.stdout != "" {
				t.Errorf("stdout should be empty, got %q", r.stdout)
			}
			if tt.emptyErr && r.stderr != "" {
				t.Errorf("stderr should be empty, got %q", r.stderr)
			}
			if tt.jsonOutput != nil {
				var got map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
					t.Fatalf("stdout is not a JSON object: %v\n%s", err, r.stdout)
				}
				if !reflect.DeepEqual(got, tt.jsonOutput) {
					t.Errorf("JSON:\n%v\nwant:\n%v", got, tt.jsonOutput)
				}
			}
		})
	}
}

// TestHelp: every command has a description and examples.
func TestHelp(t *testing.T) {
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	for _, cmd := range append(root.Commands(), root) {
		t.Run(cmd.Name(), func(t *testing.T) {
			if cmd.Short == "" || cmd.Long == "" || cmd.Example == "" {
				t.Errorf("%s needs Short, Long and Example", cmd.Name())
			}
			args := []string{"--help"}
			if cmd != root {
				args = []string{cmd.Name(), "--help"}
			}
			r := runCLI(t, "", args...)
			if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "Usage:") {
				t.Errorf("--help: exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}
