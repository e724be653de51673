package engine

import (
	"fmt"
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
	// label names what the memo expands, as a document path
	// ("rules[3].dateRRule"), for an ExpansionPanic.
	label string
	mu    sync.Mutex
	table atomic.Pointer[yearTable[T]]
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
	info := c.run(year)
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

// ExpansionPanic is the value an evaluation panics with when expanding a
// rule's dates for a year panicked (the RRULE library has panicked on
// inputs that validated). It names the rule, so that the service can
// contain the failure to the schedules using it, and Config.Probe reports
// it as a validation error.
type ExpansionPanic struct {
	// Path is the document path of the rule field: "rules[3].dateRRule".
	Path  string
	Year  int
	Value any // what the library panicked with
}

func (p *ExpansionPanic) Error() string {
	return fmt.Sprintf("%s: expanding its dates for %d failed: %v", p.Path, p.Year, p.Value)
}

// run computes a year, turning a panic into an *ExpansionPanic that names
// the rule. Nothing is kept for that year.
func (c *yearMemo[T]) run(year int) T {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(*ExpansionPanic); ok {
				panic(v)
			}
			panic(&ExpansionPanic{Path: c.label, Year: year, Value: v})
		}
	}()
	return c.compute(year)
}

// dayOfYear returns the year of d and its zero-based day in that year.
func dayOfYear(d date) (int, int) {
	y, _, _ := d.ymd()
	return y, int(d - civil(y, 1, 1))
}
