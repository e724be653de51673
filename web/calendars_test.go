package web_test

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"github.com/schedule-manager/schedule-manager/engine"
	"github.com/schedule-manager/schedule-manager/web"
)

// The UI hard-codes the holiday calendars (the API does not list them), so
// the list must follow the engine's.
func TestHolidayCalendarsMatchEngine(t *testing.T) {
	src, err := fs.ReadFile(web.Files(), "assets/calendars.js")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`code: '([A-Z-]+)'`).FindAllStringSubmatch(string(src), -1) {
		got = append(got, m[1])
	}
	want := engine.HolidayCalendars()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("assets/calendars.js lists %v\nengine.HolidayCalendars() is %v", got, want)
	}
}
