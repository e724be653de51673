package deploy_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestStudioFlow checks examples/studio/schedule-flow.json: a Studio flow
// definition whose transitions all lead to existing states, that calls
// check-schedule with an HTTP Request widget and branches on isOpen and
// closedReason.
func TestStudioFlow(t *testing.T) {
	flow := readJSON(t, "examples/studio/schedule-flow.json")
	for _, k := range []string{"description", "states", "initial_state", "flags"} {
		if flow[k] == nil {
			t.Errorf("no %q", k)
		}
	}
	states := map[string]map[string]any{}
	for _, s := range asList(flow["states"]) {
		name := asString(dig(s, "name"))
		if name == "" || asString(dig(s, "type")) == "" {
			t.Errorf("a state without name or type: %v", s)
		}
		if states[name] != nil {
			t.Errorf("state %q defined twice", name)
		}
		states[name] = asMap(s)
		if dig(s, "properties", "offset", "x") == nil {
			t.Errorf("state %q has no properties.offset (the Studio canvas needs it)", name)
		}
	}
	initial := states[asString(flow["initial_state"])]
	if initial == nil || asString(initial["type"]) != "trigger" {
		t.Fatalf("initial_state %v is not a trigger state", flow["initial_state"])
	}
	reached := map[string]bool{asString(flow["initial_state"]): true}
	for name, s := range states {
		for _, tr := range asList(s["transitions"]) {
			if asString(dig(tr, "event")) == "" {
				t.Errorf("state %q: a transition without event", name)
			}
			if next := asString(dig(tr, "next")); next != "" {
				if states[next] == nil {
					t.Errorf("state %q: transition %v leads to unknown state %q", name, dig(tr, "event"), next)
				}
				reached[next] = true
			}
		}
	}
	for name := range states {
		if !reached[name] {
			t.Errorf("state %q is unreachable", name)
		}
	}

	var http map[string]any
	for _, s := range states {
		if asString(s["type"]) == "make-http-request" {
			http = s
		}
	}
	if http == nil {
		t.Fatal("no make-http-request state")
	}
	events := map[string]string{}
	for _, tr := range asList(http["transitions"]) {
		events[asString(dig(tr, "event"))] = asString(dig(tr, "next"))
	}
	if events["success"] == "" || events["failed"] == "" {
		t.Errorf("HTTP request transitions %v: want success and failed", events)
	}
	u, err := url.Parse(asString(dig(http, "properties", "url")))
	if err != nil || u.Scheme != "https" || u.Path != "/check-schedule" || u.Query().Get("name") == "" {
		t.Errorf("HTTP request url %v: want https://host/check-schedule?name=...", dig(http, "properties", "url"))
	}
	if m := asString(dig(http, "properties", "method")); m != "GET" {
		t.Errorf("method %q, want GET", m)
	}
	widget := asString(http["name"])

	split := states[events["success"]]
	if asString(split["type"]) != "split-based-on" || asString(dig(split, "properties", "input")) != "{{widgets."+widget+".parsed.isOpen}}" {
		t.Errorf("after success: %v, want a split on widgets.%s.parsed.isOpen", split["name"], widget)
	}
	var closed map[string]any
	for _, tr := range asList(split["transitions"]) {
		switch asString(dig(tr, "event")) {
		case "noMatch":
			closed = states[asString(dig(tr, "next"))]
		case "match":
			if asString(dig(tr, "conditions", 0, "value")) != "true" || asString(dig(tr, "conditions", 0, "type")) != "equal_to" {
				t.Errorf("split match condition %v, want equal_to true", dig(tr, "conditions"))
			}
		}
	}
	say := asString(dig(closed, "properties", "say"))
	for _, want := range []string{"{% case widgets." + widget + ".parsed.closedReason %}", "{% when 'manual' %}", "{% when 'holiday' %}", "{% else %}", "{% endcase %}"} {
		if !strings.Contains(say, want) {
			t.Errorf("closed message lacks %q:\n%s", want, say)
		}
	}
	if flag := dig(flow, "flags", "allow_concurrent_calls"); flag != true {
		t.Errorf("flags.allow_concurrent_calls = %v", flag)
	}
}
