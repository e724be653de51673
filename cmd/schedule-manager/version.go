package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/schedule-manager
//
// Otherwise it comes from the module version (go install …@v1.2.3) or is "dev".
var version = ""

func newVersionCmd(c *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Long: `Version prints the program version, the VCS commit it was built from (when
known) and the Go toolchain and platform. "schedule-manager --version" prints
the same line. With --json it prints them as one JSON object:
{"version", "commit" (in full; "" when unknown), "modified", "go", "platform"}.`,
		Example: `  schedule-manager version
  schedule-manager dev (commit ff12f46, modified) go1.26.8 linux/amd64

  schedule-manager version --json | jq -r .commit`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				return writeJSON(c.stdout, readBuildInfo())
			}
			_, err := fmt.Fprintln(c.stdout, versionString())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the version as JSON")
	return cmd
}

// buildInfo is what version prints.
type buildInfo struct {
	Version  string `json:"version"`  // v1.2.3, or "dev"
	Commit   string `json:"commit"`   // the full VCS revision; "" when unknown
	Modified bool   `json:"modified"` // built from a work tree with changes
	Go       string `json:"go"`       // go1.26.8
	Platform string `json:"platform"` // linux/amd64
}

// readBuildInfo returns the version set at build time (or the module
// version) and what the Go toolchain recorded in the binary.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// versionString is "schedule-manager VERSION (commit REV[, modified]) GO OS/ARCH".
func versionString() string {
	b := readBuildInfo()
	out := "schedule-manager " + b.Version
	if rev := b.Commit; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " (commit " + rev
		if b.Modified {
			out += ", modified"
		}
		out += ")"
	}
	return fmt.Sprintf("%s %s %s", out, b.Go, b.Platform)
}
