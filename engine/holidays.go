package engine

import (
	"sort"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// HolidayCalendar describes one code accepted in a rule's "holidays" field:
// a country (ISO 3166-1 alpha-2, "JP") or a region of one (ISO 3166-2,
// "CH-ZH"). Australia has regions only: its holidays are set per state.
type HolidayCalendar struct {
	Code        string `json:"code"`                 // "CH-ZH", "JP"
	Country     string `json:"country"`              // ISO 3166-1 alpha-2: "CH"
	CountryName string `json:"countryName"`          // English short name: "Switzerland"
	Region      string `json:"region,omitempty"`     // ISO 3166-2 subdivision: "ZH"; empty for a national list
	RegionName  string `json:"regionName,omitempty"` // "Zürich"
}

// holidaySource is one entry of the catalogue: its description and the
// library's list of holidays.
type holidaySource struct {
	HolidayCalendar
	list []*cal.Holiday
}

// holidaySources returns every calendar of github.com/rickar/cal/v2 the
// engine offers. A function rather than a package variable, so nothing
// global is mutable; it is called once per compiled rule set, not per
// evaluation.
func holidaySources() []holidaySource {
	nat := func(code, name string, list []*cal.Holiday) holidaySource {
		return holidaySource{HolidayCalendar{Code: code, Country: code, CountryName: name}, list}
	}
	reg := func(country, countryName, region, regionName string, list []*cal.Holiday) holidaySource {
		return holidaySource{HolidayCalendar{Code: country + "-" + region, Country: country, CountryName: countryName, Region: region, RegionName: regionName}, list}
	}
	const auN, chN, deN = "Australia", "Switzerland", "Germany"
	return []holidaySource{
		nat("AR", "Argentina", arHolidays()),
		nat("AT", "Austria", at.Holidays),
		reg("AU", auN, "ACT", "Australian Capital Territory", au.HolidaysACT),
		reg("AU", auN, "NSW", "New South Wales", au.HolidaysNSW),
		reg("AU", auN, "NT", "Northern Territory", au.HolidaysNT),
		reg("AU", auN, "QLD", "Queensland", au.HolidaysQLD),
		reg("AU", auN, "SA", "South Australia", au.HolidaysSA),
		reg("AU", auN, "TAS", "Tasmania", au.HolidaysTAS),
		reg("AU", auN, "VIC", "Victoria", au.HolidaysVIC),
		reg("AU", auN, "WA", "Western Australia", au.HolidaysWA),
		nat("BE", "Belgium", be.Holidays),
		nat("BG", "Bulgaria", bg.Holidays),
		nat("BR", "Brazil", brHolidays()),
		nat("CA", "Canada", ca.Holidays),
		nat("CH", chN, ch.Holidays),
		reg("CH", chN, "AG", "Aargau", ch.HolidaysAG),
		reg("CH", chN, "AI", "Appenzell Innerrhoden", ch.HolidaysAI),
		reg("CH", chN, "AR", "Appenzell Ausserrhoden", ch.HolidaysAR),
		reg("CH", chN, "BE", "Bern", ch.HolidaysBE),
		reg("CH", chN, "BL", "Basel-Landschaft", ch.HolidaysBL),
		reg("CH", chN, "BS", "Basel-Stadt", ch.HolidaysBS),
		reg("CH", chN, "FR", "Fribourg", ch.HolidaysFR),
		reg("CH", chN, "GE", "Geneva", ch.HolidaysGE),
		reg("CH", chN, "GL", "Glarus", ch.HolidaysGL),
		reg("CH", chN, "GR", "Graubünden", ch.HolidaysGR),
		reg("CH", chN, "JU", "Jura", ch.HolidaysJU),
		reg("CH", chN, "LU", "Lucerne", ch.HolidaysLU),
		reg("CH", chN, "NE", "Neuchâtel", ch.HolidaysNE),
		reg("CH", chN, "NW", "Nidwalden", ch.HolidaysNW),
		reg("CH", chN, "OW", "Obwalden", ch.HolidaysOW),
		reg("CH", chN, "SG", "St. Gallen", ch.HolidaysSG),
		reg("CH", chN, "SH", "Schaffhausen", ch.HolidaysSH),
		reg("CH", chN, "SO", "Solothurn", ch.HolidaysSO),
		reg("CH", chN, "SZ", "Schwyz", ch.HolidaysSZ),
		reg("CH", chN, "TG", "Thurgau", ch.HolidaysTG),
		reg("CH", chN, "TI", "Ticino", ch.HolidaysTI),
		reg("CH", chN, "UR", "Uri", ch.HolidaysUR),
		reg("CH", chN, "VD", "Vaud", ch.HolidaysVD),
		reg("CH", chN, "VS", "Valais", ch.HolidaysVS),
		reg("CH", chN, "ZG", "Zug", ch.HolidaysZG),
		reg("CH", chN, "ZH", "Zürich", ch.HolidaysZH),
		nat("CZ", "Czechia", cz.Holidays),
		nat("DE", deN, de.Holidays),
		reg("DE", deN, "BB", "Brandenburg", de.HolidaysBB),
		reg("DE", deN, "BE", "Berlin", de.HolidaysBE),
		reg("DE", deN, "BW", "Baden-Württemberg", de.HolidaysBW),
		reg("DE", deN, "BY", "Bavaria", de.HolidaysBY),
		reg("DE", deN, "HB", "Bremen", de.HolidaysHB),
		reg("DE", deN, "HE", "Hesse", de.HolidaysHE),
		reg("DE", deN, "HH", "Hamburg", de.HolidaysHH),
		reg("DE", deN, "MV", "Mecklenburg-Vorpommern", de.HolidaysMV),
		reg("DE", deN, "NI", "Lower Saxony", de.HolidaysNI),
		reg("DE", deN, "NW", "North Rhine-Westphalia", de.HolidaysNW),
		reg("DE", deN, "RP", "Rhineland-Palatinate", de.HolidaysRP),
		reg("DE", deN, "SH", "Schleswig-Holstein", de.HolidaysSH),
		reg("DE", deN, "SL", "Saarland", de.HolidaysSL),
		reg("DE", deN, "SN", "Saxony", de.HolidaysSN),
		reg("DE", deN, "ST", "Saxony-Anhalt", de.HolidaysST),
		reg("DE", deN, "TH", "Thuringia", de.HolidaysTH),
		nat("DK", "Denmark", dk.Holidays),
		nat("ES", "Spain", es.Holidays),
		nat("FR", "France", fr.Holidays),
		nat("GB", "United Kingdom", gb.Holidays),
		nat("GR", "Greece", gr.Holidays),
		nat("HR", "Croatia", hr.Holidays),
		nat("IE", "Ireland", ie.Holidays),
		nat("IT", "Italy", it.Holidays),
		nat("JP", "Japan", jp.Holidays),
		nat("LT", "Lithuania", lt.Holidays),
		nat("LV", "Latvia", lv.Holidays),
		nat("MW", "Malawi", mw.Holidays),
		nat("NC", "New Caledonia", nc.Holidays),
		nat("NL", "Netherlands", nl.Holidays),
		nat("NO", "Norway", no.Holidays),
		nat("NZ", "New Zealand", nzHolidays()),
		nat("PL", "Poland", pl.Holidays),
		nat("RO", "Romania", ro.Holidays),
		nat("RU", "Russia", ru.Holidays),
		nat("SE", "Sweden", se.Holidays),
		nat("SI", "Slovenia", si.Holidays),
		nat("SK", "Slovakia", sk.Holidays),
		nat("UA", "Ukraine", ua.Holidays),
		nat("US", "United States", us.Holidays),
		nat("ZA", "South Africa", za.Holidays),
	}
}

// holidayList returns the library's list for a normalised code.
func holidayList(code string) ([]*cal.Holiday, bool) {
	for _, s := range holidaySources() {
		if s.Code == code {
			return s.list, true
		}
	}
	return nil, false
}

// HolidayCatalog describes every holiday calendar code the engine accepts,
// sorted by code, for pickers and documentation.
func HolidayCatalog() []HolidayCalendar {
	srcs := holidaySources()
	out := make([]HolidayCalendar, len(srcs))
	for i, s := range srcs {
		out[i] = s.HolidayCalendar
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// HolidayCalendars lists the holiday calendar codes accepted in a rule's
// "holidays" field, sorted.
func HolidayCalendars() []string {
	cat := HolidayCatalog()
	codes := make([]string, len(cat))
	for i, c := range cat {
		codes[i] = c.Code
	}
	return codes
}

// HolidaysOn returns the names of the holidays of calendar code on the
// given civil date (actual or observed, as a rule matches them), and
// whether the code is known. For documentation, pickers and golden tests.
func HolidaysOn(code string, year int, month time.Month, day int) (string, bool) {
	list, ok := holidayList(normalizeCalendarCode(code))
	if !ok {
		return "", false
	}
	_, name := holidayName(newHolidayCache(list), civil(year, month, day))
	return name, true
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
