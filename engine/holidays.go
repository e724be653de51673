package engine

import (
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/us"
)

// holidayLists returns the holiday calendars the engine knows, by code.
// A function rather than a package variable, so nothing global is mutable.
func holidayLists() map[string][]*cal.Holiday {
	return map[string][]*cal.Holiday{
		"US":    us.Holidays,
		"CA":    ca.Holidays,
		"GB":    gb.Holidays,
		"IE":    ie.Holidays,
		"FR":    fr.Holidays,
		"NL":    nl.Holidays,
		"NZ":    nz.Holidays,
		"DE":    de.Holidays,
		"DE-BW": de.HolidaysBW, "DE-BY": de.HolidaysBY, "DE-BE": de.HolidaysBE,
		"DE-BB": de.HolidaysBB, "DE-HB": de.HolidaysHB, "DE-HH": de.HolidaysHH,
		"DE-HE": de.HolidaysHE, "DE-MV": de.HolidaysMV, "DE-NI": de.HolidaysNI,
		"DE-NW": de.HolidaysNW, "DE-RP": de.HolidaysRP, "DE-SL": de.HolidaysSL,
		"DE-SN": de.HolidaysSN, "DE-ST": de.HolidaysST, "DE-SH": de.HolidaysSH,
		"DE-TH":  de.HolidaysTH,
		"AU-ACT": au.HolidaysACT, "AU-NSW": au.HolidaysNSW, "AU-NT": au.HolidaysNT,
		"AU-QLD": au.HolidaysQLD, "AU-SA": au.HolidaysSA, "AU-TAS": au.HolidaysTAS,
		"AU-VIC": au.HolidaysVIC, "AU-WA": au.HolidaysWA,
	}
}

// HolidayCalendars lists the holiday calendar codes accepted in a rule's
// "holidays" field, sorted.
func HolidayCalendars() []string {
	lists := holidayLists()
	codes := make([]string, 0, len(lists))
	for c := range lists {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// newHolidayCache builds the per-year table of one calendar. A holiday
// matches on its actual date and, where the country moves it off a weekend,
// on its observed date too (named "… (observed)").
func newHolidayCache(list []*cal.Holiday) *yearCache {
	return newYearCache(func(year int) *yearInfo {
		info := &yearInfo{}
		jan1 := civil(year, 1, 1)
		next := civil(year+1, 1, 1)
		add := func(t time.Time, name string) {
			if t.IsZero() {
				return
			}
			d := civil(t.Year(), t.Month(), t.Day())
			if d >= jan1 && d < next {
				info.set(int(d-jan1), name)
			}
		}
		// Observed dates can cross a year boundary (1 January on a Saturday
		// observed on 31 December), so look at the neighbouring years too.
		for y := year - 1; y <= year+1; y++ {
			for _, h := range list {
				actual, observed := h.Calc(y)
				add(actual, h.Name)
				if !observed.Equal(actual) {
					add(observed, h.Name+" (observed)")
				}
			}
		}
		return info
	})
}

// normalizeCalendarCode accepts "us", "au-nsw", "AU_NSW".
func normalizeCalendarCode(s string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(s)), "_", "-")
}

// holidayName reports whether d is a holiday of the calendar, and its name.
func holidayName(c *yearCache, d date) (bool, string) {
	y, doy := dayOfYear(d)
	info := c.get(y)
	if !info.has(doy) {
		return false, ""
	}
	return true, info.names[doy]
}
