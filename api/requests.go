package api

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/schedule-manager/schedule-manager/engine"
)

// Request counting: how many check-schedule requests named each schedule in
// the last 24 hours, as seen by this replica. A preview shows it next to a
// removed or renamed schedule, whose callers will get 404 (and fail open).

// maxOtherNames bounds the names counted that the served config does not
// have (typos, removed schedules, hostile callers), so that random names
// cannot grow memory: beyond it a new name is not counted.
const maxOtherNames = 1024

// requestCounts counts requests per name in hourly buckets. The names of
// the served config are in an immutable map swapped whole when the config
// changes, so counting a request for one of them is a map lookup and an
// atomic add: no lock, no allocation, on the check-schedule hot path.
type requestCounts struct {
	served func() (*engine.Config, uint64) // the config this replica serves
	known  atomic.Pointer[countIndex]

	mu      sync.Mutex
	other   map[string]*hourlyCount // names not in known, at most maxOtherNames
	swept   int64                   // hour of the last sweep of other
	dropped uint64                  // requests for names that found no room
}

// countIndex holds the counters of the names of one config version.
type countIndex struct {
	version uint64
	byName  map[string]*hourlyCount
}

func newRequestCounts(served func() (*engine.Config, uint64)) *requestCounts {
	return &requestCounts{served: served, other: map[string]*hourlyCount{}}
}

// hourlyCount is 24 hourly buckets, each the hour it counts (hours since
// the Unix epoch) in its upper 32 bits and the count in its lower 32. A
// bucket is reused, and reset, when its hour comes round again a day later.
type hourlyCount [24]atomic.Uint64

const countMask = 1<<32 - 1

func hourOf(t time.Time) int64 { return max(t.Unix(), 0) / 3600 }

func (h *hourlyCount) add(hour int64) {
	b := &h[hour%24]
	for {
		old := b.Load()
		switch bh := int64(old >> 32); {
		case bh == hour:
			if old&countMask == countMask || b.CompareAndSwap(old, old+1) {
				return // counted (or saturated at 4 billion an hour)
			}
		case bh < hour:
			if b.CompareAndSwap(old, uint64(hour)<<32|1) {
				return // a new hour: the bucket's old day is over
			}
		default:
			return // the bucket already counts a later hour (a clock step back)
		}
	}
}

// total is the count of the 24 hours ending with hour.
func (h *hourlyCount) total(hour int64) uint64 {
	var n uint64
	for i := range h {
		v := h[i].Load()
		if bh := int64(v >> 32); bh <= hour && bh > hour-24 {
			n += v & countMask
		}
	}
	return n
}

// add counts one request for name at instant at.
func (c *requestCounts) add(name string, at time.Time) {
	hour := hourOf(at)
	if idx := c.known.Load(); idx != nil {
		if h := idx.byName[name]; h != nil {
			h.add(hour)
			return
		}
	}
	c.addSlow(name, hour)
}

// addSlow counts a name the index does not have: one of a newer config
// (the index is rebuilt), or another name (kept while there is room).
func (c *requestCounts) addSlow(name string, hour int64) {
	if len(name) > 4*engine.MaxNameLength || utf8.RuneCountInString(name) > engine.MaxNameLength {
		return // no schedule can have it: not worth a slot
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.refreshLocked(hour).byName[name]; h != nil {
		h.add(hour)
		return
	}
	h := c.other[name]
	if h == nil {
		if len(c.other) >= maxOtherNames && c.swept != hour {
			c.sweepLocked(hour)
		}
		if len(c.other) >= maxOtherNames {
			c.dropped++
			return
		}
		h = new(hourlyCount)
		c.other[strings.Clone(name)] = h // name may point into a request's buffer
	}
	h.add(hour)
}

// sweepLocked forgets the other names without a request in 24 hours.
func (c *requestCounts) sweepLocked(hour int64) {
	c.swept = hour
	for n, h := range c.other {
		if h.total(hour) == 0 {
			delete(c.other, n)
		}
	}
}

// refreshLocked returns the index of the served config, rebuilding it when
// the config changed. A name's counter moves with it: into the new index if
// the new config still has the name, else into other (a removed schedule's
// count is what a preview of the removal shows), making room by dropping
// the quietest other name if needed.
func (c *requestCounts) refreshLocked(hour int64) *countIndex {
	cfg, version := c.served()
	old := c.known.Load()
	if old != nil && old.version == version {
		return old
	}
	idx := &countIndex{version: version, byName: map[string]*hourlyCount{}}
	if cfg != nil {
		idx.byName = make(map[string]*hourlyCount, len(cfg.Schedules()))
		for _, s := range cfg.Schedules() {
			n := s.Name()
			h := c.other[n]
			if h != nil {
				delete(c.other, n)
			} else if old != nil {
				h = old.byName[n]
			}
			if h == nil {
				h = new(hourlyCount)
			}
			idx.byName[n] = h
		}
	}
	if old != nil {
		for n, h := range old.byName {
			if _, kept := idx.byName[n]; !kept {
				c.keepLocked(n, h, hour)
			}
		}
	}
	c.known.Store(idx)
	return idx
}

// keepLocked puts the counter of a name the served config no longer has
// into other, if it counted anything lately and there is room or a quieter
// name to drop.
func (c *requestCounts) keepLocked(name string, h *hourlyCount, hour int64) {
	n := h.total(hour)
	if n == 0 {
		return
	}
	if len(c.other) >= maxOtherNames {
		quietest, least := "", n
		for on, oh := range c.other {
			if t := oh.total(hour); t < least {
				quietest, least = on, t
			}
		}
		if quietest == "" {
			return
		}
		delete(c.other, quietest)
	}
	c.other[name] = h
}

// recent returns the requests for each name in the 24 hours up to now.
func (c *requestCounts) recent(now time.Time, names []string) []uint64 {
	hour := hourOf(now)
	out := make([]uint64, len(names))
	c.mu.Lock()
	defer c.mu.Unlock()
	idx := c.refreshLocked(hour)
	for i, n := range names {
		h := idx.byName[n]
		if h == nil {
			h = c.other[n]
		}
		if h != nil {
			out[i] = h.total(hour)
		}
	}
	return out
}
