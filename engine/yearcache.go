package engine

import (
	"sync"
	"sync/atomic"
)

// yearInfo holds the matching days of one year: a bit per day of the year,
// and for holiday calendars the name of each holiday.
type yearInfo struct {
	bits  [6]uint64 // 366 days
	names map[int]string
}

func (y *yearInfo) set(doy int, name string) {
	y.bits[doy>>6] |= 1 << (doy & 63)
	if name != "" {
		if y.names == nil {
			y.names = make(map[int]string)
		}
		if old, ok := y.names[doy]; ok && old != name {
			name = old + ", " + name
		}
		y.names[doy] = name
	}
}

func (y *yearInfo) has(doy int) bool { return y.bits[doy>>6]&(1<<(doy&63)) != 0 }

// maxCachedYears bounds the memo: evaluation of far-apart years is still
// correct, it is just computed each time instead of kept.
const maxCachedYears = 128

// yearCache memoises a per-year table of matching days (RRULE expansion,
// holiday lists).
type yearCache = yearMemo[*yearInfo]

func newYearCache(compute func(year int) *yearInfo) *yearCache {
	return newYearMemo(compute)
}

// yearMemo memoises a per-year computation (yearInfo tables, calendar
// expansions). Readers never block: they load an immutable table; a miss
// computes the year under a mutex and publishes a new table (copy on
// write). The cache is an implementation detail of an otherwise pure
// computation.
type yearMemo[T any] struct {
	compute func(year int) T
	mu      sync.Mutex
	table   atomic.Pointer[yearTable[T]]
}

type yearTable[T any] struct {
	lo    int
	years []T
	have  []bool
}

func newYearMemo[T any](compute func(year int) T) *yearMemo[T] {
	return &yearMemo[T]{compute: compute}
}

func (c *yearMemo[T]) get(year int) T {
	if t := c.table.Load(); t != nil {
		if i := year - t.lo; i >= 0 && i < len(t.years) && t.have[i] {
			return t.years[i]
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.table.Load()
	if old != nil {
		if i := year - old.lo; i >= 0 && i < len(old.years) && old.have[i] {
			return old.years[i]
		}
	}
	info := c.compute(year)
	lo, hi := year, year
	if old != nil {
		lo, hi = min(old.lo, year), max(old.lo+len(old.years)-1, year)
	}
	if hi-lo+1 > maxCachedYears {
		return info
	}
	nt := &yearTable[T]{lo: lo, years: make([]T, hi-lo+1), have: make([]bool, hi-lo+1)}
	if old != nil {
		copy(nt.years[old.lo-lo:], old.years)
		copy(nt.have[old.lo-lo:], old.have)
	}
	nt.years[year-lo] = info
	nt.have[year-lo] = true
	c.table.Store(nt)
	return info
}

// dayOfYear returns the year of d and its zero-based day in that year.
func dayOfYear(d date) (int, int) {
	y, _, _ := d.ymd()
	return y, int(d - civil(y, 1, 1))
}
