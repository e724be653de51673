// Command schedule-manager answers "is this schedule open, and if not, why?"
// for Twilio Flex Schedule Manager config files. Run it with --help.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
