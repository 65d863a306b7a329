package agent

import (
	"math"
	"time"

	"github.com/maypok86/otter/v2"
)

// An ability's result cache is an otter cache bounded by size, whose
// entries carry their own expiry time (stamped) instead of being given to
// otter's expiry policy. otter keeps expiring entries in a timer wheel,
// which every insertion and eviction must update, and it reads its clock
// on every lookup; a call reads the clock anyway (it measures its
// latency), so a stamp compared with that reading makes expiry exact and
// costs nothing: a cache hit became about 10 ns cheaper and a miss, which
// inserts and (the cache being full) evicts, about 50 ns. It also needs no
// clock goroutine waking a hundred times a second.
//
// What otter's timer wheel did besides is the sweep: an expired entry is
// no longer served, but it would keep its memory until overwritten or
// evicted by size. A sweep removes the expired entries of an ability's
// cache every sweepInterval after a store, as long as the cache is not
// empty; an idle agent arms no timer. Sweeps run under the agent's
// lifecycle (begin/end), so Close waits for a running one and stops the
// armed timers.

// stamped is a cached result with the cache time at which it expires.
type stamped struct {
	value   any
	expires time.Duration
}

// newCache returns the cache of ability e.
func (a *Agent) newCache(e *entry) (*otter.Cache[string, stamped], error) {
	// Hits and misses are counted by the call path, which knows them
	// anyway, and evictions by OnAtomicDeletion: otter's stats.Counter
	// would add about 20 ns to every lookup (a striped adder behind a
	// panic-recovering wrapper), a tenth of a cache hit.
	return otter.New(&otter.Options[string, stamped]{
		MaximumSize: a.opts.CacheSize,
		OnAtomicDeletion: func(d otter.DeletionEvent[string, stamped]) {
			// An eviction is a removal for size, or of an expired entry
			// (by a sweep, or overwritten by a new result). Replacing a
			// live entry, which two executions of the same arguments can
			// do after an abandoned one, is not.
			if d.Cause == otter.CauseOverflow || d.Value.expires <= a.cacheNow() {
				e.cacheEvictions.Add(1)
			}
		},
	})
}

// cacheNow returns the current cache time: the monotonic time since the
// agent's epoch with the real clock, else Options.Now since the agent
// started.
func (a *Agent) cacheNow() time.Duration {
	if a.realNow {
		return a.mono()
	}
	return a.cacheAt(0)
}

// cacheAt returns the cache time of the monotonic time mono (a reading of
// a.mono); with a custom clock it reads that clock instead.
func (a *Agent) cacheAt(mono time.Duration) time.Duration {
	if a.realNow {
		return mono
	}
	return a.now().Sub(a.started)
}

// lookup returns the live cached value for key, at monotonic time now.
func (e *entry) lookup(a *Agent, key string, now time.Duration) (any, bool) {
	v, ok := e.cache.GetIfPresent(key)
	if !ok || v.expires <= a.cacheAt(now) {
		return nil, false
	}
	return v.value, true
}

// store caches value for key, produced at monotonic time at, and makes
// sure a sweep is armed.
func (e *entry) store(a *Agent, key string, value any, at time.Duration) {
	now := a.cacheAt(at)
	expires := now + e.cacheTTL
	if expires < now {
		expires = math.MaxInt64 // a TTL of "forever" overflows
	}
	e.cache.Set(key, stamped{value: value, expires: expires})
	// Set happens before this load, and a sweep clears the flag before it
	// looks at the cache's size: either this store sees the flag clear and
	// arms a sweep, or the sweep sees the entry and arms the next one.
	if !e.sweepArmed.Load() {
		a.armSweep(e)
	}
}

// sweepInterval returns how often the expired entries of a cache whose
// results live for ttl are swept: every TTL, within [1 s, 1 min], so that
// an expired entry keeps its memory at most about one TTL longer, and a
// long TTL does not leave them for hours.
func sweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl, time.Second), time.Minute)
}

// armSweep arms e's sweep unless it is armed.
func (a *Agent) armSweep(e *entry) {
	if !e.sweepArmed.CompareAndSwap(false, true) {
		return
	}
	d := sweepInterval(e.cacheTTL)
	e.sweepMu.Lock()
	defer e.sweepMu.Unlock()
	if e.sweepTimer == nil {
		e.sweepTimer = time.AfterFunc(d, func() { a.sweep(e) })
		return
	}
	e.sweepTimer.Reset(d)
}

// sweep removes the expired entries of e's cache and arms the next sweep
// if entries are left. It does nothing once the agent is closing.
func (a *Agent) sweep(e *entry) {
	if !a.begin() {
		return
	}
	defer a.end()
	e.sweepArmed.Store(false)
	now := a.cacheNow()
	for key, v := range e.cache.All() {
		if v.expires > now {
			continue
		}
		// The entry may have been overwritten since it was read.
		e.cache.ComputeIfPresent(key, func(old stamped) (stamped, otter.ComputeOp) {
			if old.expires > now {
				return old, otter.CancelOp
			}
			return old, otter.InvalidateOp
		})
	}
	if e.cache.EstimatedSize() > 0 {
		a.armSweep(e)
	}
}

// stopSweep stops e's sweep timer; Close calls it once no execution or
// sweep is running, so none can arm it again.
func (e *entry) stopSweep() {
	e.sweepMu.Lock()
	defer e.sweepMu.Unlock()
	if e.sweepTimer != nil {
		e.sweepTimer.Stop()
	}
}
