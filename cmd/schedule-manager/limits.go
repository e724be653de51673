package main

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/schedule-manager/schedule-manager/engine"
)

// addLimitFlags defines serve's document limits on a command that checks
// a document as serve would (validate, import), so that a service whose
// limits were raised can be fed from the command line.
func addLimitFlags(fs *pflag.FlagSet) {
	fs.Int("max-schedules", engine.DefaultMaxSchedules, "most schedules a config document may have (as serve's setting)")
	fs.Int("max-rules", engine.DefaultMaxRules, "most rules a config document may have (as serve's setting)")
	fs.Int("max-document-bytes", engine.DefaultMaxDocumentBytes, "largest config document, in bytes (as serve's setting)")
}

// limitsFromFlags reads the flags of addLimitFlags (a flag set without
// them gives the defaults).
func limitsFromFlags(fs *pflag.FlagSet) engine.Limits {
	get := func(name string) int { v, _ := fs.GetInt(name); return v }
	return engine.Limits{Schedules: get("max-schedules"), Rules: get("max-rules"), DocumentBytes: get("max-document-bytes")}
}

// limitHint names the flag that raises the limit err exceeds ("" when err
// is over no configurable limit).
func limitHint(err error) string {
	var le *engine.LimitError
	if !errors.As(err, &le) {
		return ""
	}
	flag := map[engine.Limit]string{engine.LimitSchedules: "max-schedules", engine.LimitRules: "max-rules",
		engine.LimitDocumentBytes: "max-document-bytes"}[le.Limit]
	if flag == "" {
		return ""
	}
	return "raise the limit with --" + flag + " (serve's setting " + flag + ")"
}
