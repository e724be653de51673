// Package engine evaluates Twilio-compatible opening-hours schedules.
//
// It is pure: no I/O, no clock, no package-level mutable state. Callers pass
// the instant to evaluate, which keeps every answer reproducible in tests.
//
//	cfg, err := engine.Load(data) // parse and validate a config document
//	if err != nil { ... }          // *engine.ValidationError lists every problem
//	s, _ := cfg.Schedule("Support")
//	st := s.At(time.Now())         // isOpen, closedReason, deciding rule, holiday
//	segs := s.Timeline(from, to)   // exact across DST changes
//	next, ok := s.NextTransition(time.Now())
//
// Lint warns about what validates but is probably wrong (dates in the
// past, impossible dates, unused or hidden rules, schedules never open,
// holiday lists a calendar would replace, unknown fields); warnings never
// make a document invalid. Diff says what a draft changes, schedule by
// schedule, over a range:
//
//	draft, warnings, err := engine.LoadWithWarnings(data, now)
//	for _, w := range warnings { fmt.Println(w) } // rules[2].holiday: unknown field, ignored (did you mean "holidays"?) ...
//	diffs := engine.Diff(published, draft, now, now.Add(14*24*time.Hour))
//
// A rule's date condition can come from a holiday calendar ("holidays":
// "JP", "CH-ZH"; HolidayCatalog lists every code) or from an iCalendar
// (RFC 5545) calendar carried in the document ("calendars", and the rule's
// "calendar": its id). The engine reads calendars only from the document:
// fetching one from its URL is package calendar/fetch's work, and
// PutCalendar writes a new text into a document:
//
//	out, changed, err := engine.PutCalendar(data, engine.CalendarDoc{ID: "closures", ICS: text})
//
// SetManualClose edits one schedule's manualClose flag in a document's
// bytes and leaves the rest of the file as it was:
//
//	out, changed, err := engine.SetManualClose(data, "Support", true)
//	if errors.Is(err, engine.ErrUnknownSchedule) { ... }
package engine
