package engine_test

import (
	"errors"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
)

func TestSetManualClose(t *testing.T) {
	const rules = `"rules": [{"id": "r", "isOpen": true}]`
	tests := []struct {
		name, doc, schedule string
		closed              bool
		want                string // "" with changed false: unchanged
		err                 error
	}{
		{
			name: "compact", schedule: "A", closed: true,
			doc:  `{` + rules + `,"schedules":[{"name":"A","manualClose":false,"timeZone":"UTC","rules":["r"]}]}`,
			want: `{` + rules + `,"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC","rules":["r"]}]}`,
		},
		{
			name: "pretty, second schedule, unknown fields", schedule: "B", closed: true,
			doc:  "{\n  \"x\": {\"y\": [1, 2]},\n  " + rules + ",\n  \"schedules\": [\n    {\"name\": \"A\", \"manualClose\": false, \"timeZone\": \"UTC\", \"rules\": []},\n    {\"ext\": null, \"name\": \"B\", \"manualClose\" :  false , \"timeZone\": \"UTC\", \"rules\": []}\n  ]\n}\n",
			want: "{\n  \"x\": {\"y\": [1, 2]},\n  " + rules + ",\n  \"schedules\": [\n    {\"name\": \"A\", \"manualClose\": false, \"timeZone\": \"UTC\", \"rules\": []},\n    {\"ext\": null, \"name\": \"B\", \"manualClose\" :  true , \"timeZone\": \"UTC\", \"rules\": []}\n  ]\n}\n",
		},
		{
			name: "missing member is inserted with the indentation", schedule: "A", closed: true,
			doc:  "{" + rules + ", \"schedules\": [{\n      \"name\": \"A\",\n      \"timeZone\": \"UTC\"\n    }]}",
			want: "{" + rules + ", \"schedules\": [{\n      \"manualClose\": true,\n      \"name\": \"A\",\n      \"timeZone\": \"UTC\"\n    }]}",
		},
		{
			name: "reopen", schedule: "A", closed: false,
			doc:  `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":false,"timeZone":"UTC"}]}`,
		},
		{
			name: "null flag", schedule: "A", closed: true,
			doc:  `{"schedules":[{"name":"A","manualClose":null,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			// encoding/json matches keys case-insensitively and lets the last
			// win; every spelling is set so the result is unambiguous.
			name: "case variants of the key", schedule: "A", closed: true,
			doc:  `{"schedules":[{"name":"A","manualClose":false,"ManualClose":false,"timeZone":"UTC"}]}`,
			want: `{"schedules":[{"name":"A","manualClose":true,"ManualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			name: "escaped name in the source", schedule: "Café", closed: true,
			doc:  `{"schedules":[{"name":"Caf\u00e9","timeZone":"UTC"}]}`,
			want: `{"schedules":[{"manualClose": true,"name":"Caf\u00e9","timeZone":"UTC"}]}`,
		},
		{
			name: "Schedules key spelled differently", schedule: "A", closed: true,
			doc:  `{"Schedules":[{"name":"A","timeZone":"UTC"}]}`,
			want: `{"Schedules":[{"manualClose": true,"name":"A","timeZone":"UTC"}]}`,
		},
		{
			name: "already closed", schedule: "A", closed: true,
			doc: `{"schedules":[{"name":"A","manualClose":true,"timeZone":"UTC"}]}`,
		},
		{
			name: "unknown schedule", schedule: "Z", closed: true,
			doc: `{"schedules":[{"name":"A","timeZone":"UTC"}]}`, err: engine.ErrUnknownSchedule,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := engine.SetManualClose([]byte(tc.doc), tc.schedule, tc.closed)
			if tc.err != nil || err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if tc.want == "" {
				if changed || string(out) != tc.doc {
					t.Fatalf("changed %v:\n%s", changed, out)
				}
				return
			}
			if !changed || string(out) != tc.want {
				t.Errorf("changed %v\n got %s\nwant %s", changed, out, tc.want)
			}
		})
	}
	_, _, err := engine.SetManualClose([]byte(`{"schedules":[{"name":"A","timeZone":"Nowhere/Land"}]}`), "A", true)
	if err == nil {
		t.Error("an invalid stored document was edited")
	}
	// The caller tells "fix the document" from "no such schedule".
	var ve *engine.ValidationError
	if !errors.As(err, &ve) || errors.Is(err, engine.ErrUnknownSchedule) {
		t.Errorf("invalid document: err = %v, want the *ValidationError of Load", err)
	}
	if _, _, err := engine.SetManualClose([]byte(`{"schedules":[{"name":"A","timeZone":"UTC"}]}`), "Z", true); err == nil || err.Error() != `unknown schedule "Z"` {
		t.Errorf("unknown schedule: err = %v", err)
	}
}
