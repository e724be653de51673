package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// lintConfig is valid, with two warnings (at fixedNow, July 2026): a
// one-off date in the past and a misspelt field that makes a closed rule
// apply every day.
const lintConfig = `{
  "rules": [
    {"id": "hours", "isOpen": true, "dateRRule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "startTime": "08:00", "endTime": "17:00"},
    {"id": "labor", "name": "Labor Day", "isOpen": false, "closedReason": "holiday", "startDate": "2023-09-04", "endDate": "2023-09-04"},
    {"id": "lunch", "isOpen": false, "closedReason": "lunch", "startTime": "12:00", "endTime": "13:00", "rrule": "FREQ=WEEKLY;BYDAY=MO"}
  ],
  "schedules": [{"name": "S", "timeZone": "America/Chicago", "rules": ["labor", "lunch", "hours"]}]
}`

const lintWarnings = `warning: rules[2].rrule: unknown field, ignored (did you mean "dateRRule"?); this rule has no date condition, so it applies every day
warning: rules[1].startDate: the one-off date 2023-09-04 is in the past: the rule can no longer match
`

func TestValidateWarnings(t *testing.T) {
	file := writeFile(t, "lint.json", lintConfig)
	invalid := writeFile(t, "invalid.json", strings.Replace(lintConfig, `"17:00"`, `"17:60"`, 1))
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"warnings on stderr, exit 0", []string{"validate", file}, 0,
			file + ": valid, 3 rules, 1 schedule, 2 warnings\n", lintWarnings},
		{"strict: warnings fail", []string{"validate", "--strict", file}, 1,
			file + ": valid, 3 rules, 1 schedule, 2 warnings\n", lintWarnings},
		{"strict without warnings", []string{"validate", "--strict", defaultConfig}, 0,
			defaultConfig + ": valid, 8 rules, 4 schedules\n", ""},
		{"as of 2023: the date is still to come", []string{"validate", "--at", "2023-09-01", file}, 0,
			file + ": valid, 3 rules, 1 schedule, 1 warning\n", "warning: rules[2].rrule: unknown field, ignored (did you mean \"dateRRule\"?); this rule has no date condition, so it applies every day\n"},
		{"invalid: errors, then warnings", []string{"validate", invalid}, 1,
			"", "rules[0].endTime: \"17:60\" is not a time (HH:MM)\n" + strings.SplitAfter(lintWarnings, "\n")[0]},
		{"bad --at", []string{"validate", "--at", "soon", file}, 1, "", "Error: --at: \"soon\" is not a date-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code || r.stdout != tt.stdout || !strings.HasPrefix(r.stderr, tt.stderr) || tt.stderr == "" && r.stderr != "" {
				t.Errorf("exit %d (want %d)\nstdout %q\nwant   %q\nstderr %q\nwant   %q", r.code, tt.code, r.stdout, tt.stdout, r.stderr, tt.stderr)
			}
		})
	}
}

func TestValidateJSONWarnings(t *testing.T) {
	file := writeFile(t, "lint.json", lintConfig)
	for _, strict := range []bool{false, true} {
		args := []string{"validate", "--json", file}
		want := 0
		if strict {
			args, want = append(args, "--strict"), 1
		}
		r := runCLI(t, "", args...)
		var got validateResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("stdout: %v\n%s", err, r.stdout)
		}
		if r.code != want || r.stderr != "" || !got.Valid || len(got.Errors) != 0 || len(got.Warnings) != 2 ||
			got.Warnings[0] != (problem{Path: "rules[2].rrule", Message: `unknown field, ignored (did you mean "dateRRule"?); this rule has no date condition, so it applies every day`}) ||
			got.Warnings[1].Path != "rules[1].startDate" {
			t.Errorf("strict %v: exit %d (want %d), stderr %q, result %+v", strict, r.code, want, r.stderr, got)
		}
	}
}

// TestValidateTwilioExamples: Twilio's 2023 files validate, with their
// past holidays and a calendar suggestion as warnings.
func TestValidateTwilioExamples(t *testing.T) {
	dir := testenv.TwilioExamples(t)
	r := runCLI(t, "", "validate", filepath.Join(dir, "twilio-united-states-holidays-2023.json"))
	if r.code != 0 || !strings.Contains(r.stdout, "valid, 11 rules, 1 schedule, 6 warnings") ||
		strings.Count(r.stderr, "is in the past") != 5 || !strings.Contains(r.stderr, `one closed rule with "holidays": "US"`) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}
