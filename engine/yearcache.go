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

// yearCache memoises a per-year computation (RRULE expansion, holiday lists).
// Readers never block: they load an immutable table; a miss computes the
// year under a mutex and publishes a new table (copy on write). The cache is
// an implementation detail of an otherwise pure computation.
type yearCache struct {
	compute func(year int) *yearInfo
	mu      sync.Mutex
	table   atomic.Pointer[yearTable]
}

type yearTable struct {
	lo    int
	years []*yearInfo
}

func newYearCache(compute func(year int) *yearInfo) *yearCache {
	return &yearCache{compute: compute}
}

func (c *yearCache) get(year int) *yearInfo {
	if t := c.table.Load(); t != nil {
		if i := year - t.lo; i >= 0 && i < len(t.years) && t.years[i] != nil {
			return t.years[i]
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.table.Load()
	if old != nil {
		if i := year - old.lo; i >= 0 && i < len(old.years) && old.years[i] != nil {
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
	nt := &yearTable{lo: lo, years: make([]*yearInfo, hi-lo+1)}
	if old != nil {
		copy(nt.years[old.lo-lo:], old.years)
	}
	nt.years[year-lo] = info
	c.table.Store(nt)
	return info
}

// dayOfYear returns the year of d and its zero-based day in that year.
func dayOfYear(d date) (int, int) {
	y, _, _ := d.ymd()
	return y, int(d - civil(y, 1, 1))
}
