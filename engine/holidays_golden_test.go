package engine_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/schedule-manager/schedule-manager/engine"
)

// TestHolidaysGolden2027to2031 checks every holiday of 15 calendars over
// 2027–2031 (Easter-based feasts, Nth-weekday holidays, Japan's equinox
// days, New Zealand's lunar Matariki, observed days) against
// testdata/holidays-2027-2031.tsv, whose dates were checked one by one
// against an independent data set (date-holidays 3.37.0; see its header).
// Both ways: no golden date missing, no extra date.
func TestHolidaysGolden2027to2031(t *testing.T) {
	f, err := os.Open("testdata/holidays-2027-2031.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]map[string]string{} // code → date → name
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 4 {
			t.Fatalf("bad line %q", line)
		}
		if want[p[0]] == nil {
			want[p[0]] = map[string]string{}
		}
		want[p[0]][p[1]] = p[3]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("golden file has %d calendars, want at least 10", len(want))
	}
	for code, dates := range want {
		got := 0
		for d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2032; d = d.AddDate(0, 0, 1) {
			name, ok := engine.HolidaysOn(code, d.Year(), d.Month(), d.Day())
			if !ok {
				t.Fatalf("%s: unknown calendar", code)
			}
			key := d.Format("2006-01-02")
			switch w, isGolden := dates[key]; {
			case isGolden && name != w:
				t.Errorf("%s %s: %q, want %q", code, key, name, w)
			case !isGolden && name != "":
				t.Errorf("%s %s: %q is not a golden holiday", code, key, name)
			}
			if name != "" {
				got++
			}
		}
		if got != len(dates) {
			t.Errorf("%s: %d holidays, golden %d", code, got, len(dates))
		}
	}
}

func TestHolidayCatalog(t *testing.T) {
	cat := engine.HolidayCatalog()
	countries := map[string]bool{}
	regions := map[string]int{}
	for _, c := range cat {
		countries[c.Country] = true
		if c.Region != "" {
			regions[c.Country]++
			if c.Code != c.Country+"-"+c.Region || c.RegionName == "" {
				t.Errorf("region entry %+v", c)
			}
		}
		if c.CountryName == "" {
			t.Errorf("no country name: %+v", c)
		}
	}
	// rickar/cal v2.1.13: 35 countries; regions for AU (8), CH (26), DE (16).
	if len(countries) != 35 || regions["AU"] != 8 || regions["CH"] != 26 || regions["DE"] != 16 {
		t.Errorf("%d countries, regions %v", len(countries), regions)
	}
	for _, code := range []string{"JP", "BR", "ES", "IT", "ZA", "CH-ZH", "ch_zh", "mw"} {
		if _, ok := engine.HolidaysOn(code, 2027, 1, 1); !ok {
			t.Errorf("%s not accepted", code)
		}
	}
}
