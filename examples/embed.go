// Package examples holds ready-to-use schedule configs (see README.md) and
// embeds them, so the service can seed a new store with Default() and tests
// can load every example without knowing where the repository is.
package examples

import "embed"

// FS holds every example config file (*.json) of this directory.
//
//go:embed *.json
var FS embed.FS

// DefaultFile is the name, in FS, of the config a new service seeds on its
// first start.
const DefaultFile = "default.json"

// Default returns the contents of default.json: a few schedules (US support
// with US holidays, London sales with UK holidays and lunch, an overnight
// desk, a 24x7 operation with monthly maintenance). Each call returns a new
// slice that the caller may modify.
func Default() []byte {
	data, err := FS.ReadFile(DefaultFile)
	if err != nil {
		panic("examples: " + DefaultFile + " is not embedded: " + err.Error())
	}
	return data
}
