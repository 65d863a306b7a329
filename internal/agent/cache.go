package agent

import (
	"math"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
)

// An ability's result cache is an otter cache bounded by size, whose
// entries also carry their own expiry time (stamped). otter's expiry
// removes expired entries (so that they neither hold memory nor take the
// place of live ones: its size policy keeps frequently used entries, and
// would otherwise refuse new results in favour of popular expired ones).
// It reads a coarse clock that ticks every cacheClockResolution, so it is
// given the TTL plus that resolution, and the stamp, compared with the
// clock reading the call makes anyway, decides exactly whether a result is
// still served. A result found expired is replaced in place by the next
// one, without a new entry.

// cacheClockResolution is the precision of otter's clock with the real
// clock. A cache with expiry reads its clock on every lookup, and reading
// the precise time is a large part of a cache hit (about 40 ns of it on our
// 2-core VMs); otter's CoarseClock reads it once per resolution in one
// goroutine shared by all the agent's caches, stopped by Close.
const cacheClockResolution = 10 * time.Millisecond

// clock adapts Options.Now to otter's Clock. It has no ticks, so the cache
// starts no clean-up goroutine: with a fake clock, ticks of real time would
// be meaningless anyway (expired entries are removed by the maintenance
// that writes trigger).
type clock struct{ now func() time.Time }

func (c clock) NowNano() int64                      { return c.now().UnixNano() }
func (c clock) Tick(time.Duration) <-chan time.Time { return nil }

// stamped is a cached result with the cache time at which it expires.
type stamped struct {
	value   any
	expires time.Duration
}

// newCache returns the cache of ability e, whose results live for ttl.
func (a *Agent) newCache(e *entry, ttl time.Duration) (*otter.Cache[string, stamped], error) {
	// Hits and misses are counted by the call path, which knows them
	// anyway, and evictions by OnAtomicDeletion: otter's stats.Counter
	// would add about 20 ns to every lookup (a striped adder behind a
	// panic-recovering wrapper), a tenth of a cache hit.
	o := &otter.Options[string, stamped]{
		MaximumSize:      a.opts.CacheSize,
		ExpiryCalculator: otter.ExpiryWriting[string, stamped](addSat(ttl, cacheClockResolution)),
		OnAtomicDeletion: func(d otter.DeletionEvent[string, stamped]) {
			// Removals for size or by otter's expiry; store counts the
			// results it replaces after their stamp expired.
			if d.WasEvicted() {
				e.cacheEvictions.Add(1)
			}
		},
	}
	if a.realNow {
		o.Clock = a.cacheClock
	} else {
		o.Clock = clock{a.now}
	}
	return otter.New(o)
}

// cacheAt returns the cache time of the monotonic time mono (a reading of
// a.mono): mono itself with the real clock; with a custom clock it reads
// that clock instead, as an offset from the agent's start.
func (a *Agent) cacheAt(mono time.Duration) time.Duration {
	if a.realNow {
		return mono
	}
	return a.now().Sub(a.started)
}

// cached returns the live cached value for key at monotonic time now, and
// counts a miss; an uncached ability always misses.
func (e *entry) cached(a *Agent, key []byte, now time.Duration) (any, bool) {
	if e.cache == nil {
		return nil, false
	}
	// The lookup key aliases key's buffer (on the caller's stack) instead
	// of copying it into a new string, which would be the hit path's only
	// allocation: GetIfPresent only hashes and compares the key.
	v, ok := e.cache.GetIfPresent(unsafe.String(unsafe.SliceData(key), len(key)))
	if !ok || v.expires <= a.cacheAt(now) {
		e.cacheMisses.Add(1)
		return nil, false
	}
	return v.value, true
}

// store caches value for key, produced at monotonic time at.
func (e *entry) store(a *Agent, key string, value any, at time.Duration) {
	now := a.cacheAt(at)
	expires := now + e.cacheTTL
	if expires < now {
		expires = math.MaxInt64 // a TTL of "forever" overflows
	}
	// A result replaced after its stamp expired, before otter's coarser
	// expiry removed it, is evicted by expiry too. Replacing a live one,
	// which two executions of the same arguments can do after an
	// abandoned one, is not an eviction.
	if old, inserted := e.cache.Set(key, stamped{value: value, expires: expires}); !inserted && old.expires <= now {
		e.cacheEvictions.Add(1)
	}
}
