package engine

import (
	"slices"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/nz"
)

// Corrections to github.com/rickar/cal/v2 v2.1.13, found by comparing
// 2027–2031 with the date-holidays data set (see holidays_golden_test.go).
// Each builds a new list: the library's shared values are never changed.

// arHolidays: the library's "Viernes Santo" is three days before Easter
// (Holy Thursday, not a national public holiday); Good Friday, two days
// before Easter, is (Ley 27.399).
func arHolidays() []*cal.Holiday {
	list := slices.DeleteFunc(slices.Clone(ar.Holidays), func(h *cal.Holiday) bool { return h == ar.EasternsDay })
	return append(list, &cal.Holiday{Name: "Viernes Santo", Type: cal.ObservancePublic, Offset: -2, Func: cal.CalcEasterOffset})
}

// brHolidays adds the Dia Nacional de Zumbi e da Consciência Negra,
// 20 November, a national public holiday since 2024 (Lei 14.759/2023).
func brHolidays() []*cal.Holiday {
	return append(slices.Clone(br.Holidays), &cal.Holiday{
		Name: "Dia Nacional de Zumbi e da Consciência Negra", Type: cal.ObservancePublic,
		Month: time.November, Day: 20, StartYear: 2024, Func: cal.CalcDayOfMonth,
	})
}

// nzHolidays adds Matariki, a public holiday since 2022 whose dates follow
// the Māori lunar calendar and are fixed in advance by the Te Kāhui o
// Matariki Public Holiday Act 2022 (Schedule 1, 2022–2052).
func nzHolidays() []*cal.Holiday {
	return append(slices.Clone(nz.Holidays), &cal.Holiday{
		Name: "Matariki", Type: cal.ObservancePublic, StartYear: 2022, EndYear: 2052, Func: matarikiDate,
	})
}

// matarikiDate returns Matariki's date in year, or the zero time outside
// the years the Act lists.
func matarikiDate(_ *cal.Holiday, year int) time.Time {
	// Month and day for 2022, 2023, …, 2052.
	dates := [...][2]int{
		{6, 24}, {7, 14}, {6, 28}, {6, 20}, {7, 10}, {6, 25}, {7, 14}, {7, 6}, {6, 21}, {7, 11},
		{7, 2}, {6, 24}, {7, 7}, {6, 29}, {7, 18}, {7, 10}, {6, 25}, {7, 15}, {7, 6}, {7, 19},
		{7, 11}, {7, 3}, {6, 24}, {7, 7}, {6, 29}, {7, 19}, {7, 3}, {6, 25}, {7, 15}, {6, 30},
		{6, 21},
	}
	i := year - 2022
	if i < 0 || i >= len(dates) {
		return time.Time{}
	}
	return time.Date(year, time.Month(dates[i][0]), dates[i][1], 0, 0, 0, 0, time.UTC)
}
