package main

import (
	"encoding/json"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// validate --json prints one object, valid or not, with every error's path;
// the exit codes are those of validate.
func TestValidateJSON(t *testing.T) {
	invalid := writeFile(t, "invalid.json", invalidConfig)
	syntax := writeFile(t, "syntax.json", "{\n  \"rules\": [\n    {\"id\": \"a\",, }\n  ]\n}\n")
	defaultJSON, err := os.ReadFile(defaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	none := []any{}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		want   map[string]any // stdout decoded; nil: stdout empty
		errHas string         // a substring of stderr; "": stderr empty
	}{
		{name: "valid", args: []string{"validate", "--json", defaultConfig}, code: 0,
			want: map[string]any{"file": defaultConfig, "valid": true, "rules": 8.0, "schedules": 4.0, "errors": none, "warnings": none}},
		{name: "valid from stdin", args: []string{"validate", "-", "--json"}, stdin: string(defaultJSON), code: 0,
			want: map[string]any{"file": "<stdin>", "valid": true, "rules": 8.0, "schedules": 4.0, "errors": none, "warnings": none}},
		{name: "every error with its path", args: []string{"validate", "--json", invalid}, code: 1,
			want: map[string]any{"file": invalid, "valid": false, "rules": 2.0, "schedules": 1.0, "warnings": none, "errors": []any{
				map[string]any{"path": "rules[0].endTime", "message": `"25:00" is not a time (HH:MM)`},
				map[string]any{"path": "rules[1].closedReason", "message": `a closed rule needs a closed reason (e.g. "holiday", "closed", "lunch")`},
				map[string]any{"path": "rules[1].id", "message": `duplicate rule id "a" (also rules[0])`},
				map[string]any{"path": "schedules[0].timeZone", "message": `unknown time zone "America/Chicgo"`},
				map[string]any{"path": "schedules[0].rules[1]", "message": `no rule with id "missing"`},
			}}},
		{name: "JSON syntax error: the document's path is empty", args: []string{"validate", "--json", syntax}, code: 1,
			want: map[string]any{"file": syntax, "valid": false, "rules": 0.0, "schedules": 0.0, "warnings": none, "errors": []any{
				map[string]any{"path": "", "message": "invalid JSON at line 3, column 16: invalid character ',' looking for beginning of object key string"},
			}}},
		{name: "empty stdin", args: []string{"validate", "--json", "-"}, code: 1,
			want: map[string]any{"file": "<stdin>", "valid": false, "rules": 0.0, "schedules": 0.0, "warnings": none, "errors": []any{
				map[string]any{"path": "", "message": `empty document; expected a JSON object with "rules" and "schedules"`},
			}}},
		{name: "unreadable file: an error on stderr, not a result", args: []string{"validate", "--json", "nope.json"}, code: 1,
			errHas: "Error: read config: open nope.json"},
		{name: "no file is a usage error", args: []string{"validate", "--json"}, code: 2, errHas: "validate takes FILE (got 0 arguments)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.errHas == "" && r.stderr != "" || !strings.Contains(r.stderr, tt.errHas) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.errHas)
			}
			if tt.want == nil {
				if r.stdout != "" {
					t.Errorf("stdout should be empty, got %q", r.stdout)
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not a JSON object: %v\n%s", err, r.stdout)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("JSON:\n%v\nwant:\n%v", got, tt.want)
			}
		})
	}
}

// version --json has the fields of the version line.
func TestVersionJSON(t *testing.T) {
	r := runCLI(t, "", "version", "--json")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	want := map[string]any{"go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for k, kind := range map[string]reflect.Kind{"version": reflect.String, "commit": reflect.String, "modified": reflect.Bool} {
		if v, ok := got[k]; !ok || reflect.TypeOf(v).Kind() != kind {
			t.Errorf("%s = %#v, want a %s", k, v, kind)
		}
	}
	if len(got) != 5 {
		t.Errorf("fields %q, want version, commit, modified, go, platform", keys)
	}
	if v := got["version"]; v == "" {
		t.Error("version is empty")
	}
	if text := runCLI(t, "", "version").stdout; !strings.HasPrefix(text, "schedule-manager "+got["version"].(string)+" ") {
		t.Errorf("version says %q, version --json %v", text, got["version"])
	}
	if r := runCLI(t, "", "version", "--json", "x"); r.code != 2 {
		t.Errorf("version --json x: exit %d, want 2", r.code)
	}
}
