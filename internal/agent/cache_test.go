package agent

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestExpiredEntriesMakeRoom: in a full cache, results that have expired
// give way to new ones, even when they were used often. (With expiry
// checked only on lookup, otter's size policy kept popular expired results
// and refused new ones, and the hit ratio fell by half.)
func TestExpiredEntriesMakeRoom(t *testing.T) {
	clk := newFakeClock()
	const size, ttl = 200, 10 * time.Second
	a := newAgent(t, Options{Now: clk.Now, CacheSize: size})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: ttl, Func: upper})
	for range 20 {
		for i := range size {
			callText(t, a, "up", fmt.Sprint("hot", i))
		}
	}
	clk.Advance(ttl + time.Second)
	cache := a.registry.Load().byName["up"].cache
	hits := 0
	const rounds = 5
	for range rounds {
		for i := range size / 2 {
			if callText(t, a, "up", fmt.Sprint("new", i)).Cached {
				hits++
			}
		}
		// otter's maintenance (which applies its size policy) may run on a
		// goroutine of its own, later on a loaded machine: wait for it.
		cache.CleanUp()
	}
	// Every call of a new key but its first can hit: allow for a few
	// results refused while otter's maintenance catches up.
	if ideal := (rounds - 1) * size / 2; hits < ideal*9/10 {
		t.Fatalf("%d of %d possible hits on new keys after the popular ones expired", hits, ideal)
	}
}

// TestExpiredResultReplaced: a result whose TTL has passed is not served,
// even before otter's coarser expiry removes it; the new result replaces
// it in place, and the expired one counts as an eviction.
func TestExpiredResultReplaced(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	const ttl = 10 * time.Second
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: ttl, Func: upper})
	callText(t, a, "up", "a")
	clk.Advance(ttl) // expired by its stamp; otter keeps it for cacheClockResolution more
	if res := callText(t, a, "up", "a"); res.Cached {
		t.Fatal("a result was served at the end of its TTL")
	}
	a.registry.Load().byName["up"].cache.CleanUp()
	if st := statsOf(t, a, "up"); st.CacheEntries != 1 || st.CacheEvictions != 1 {
		t.Fatalf("after replacing an expired result: %d entries, %d evictions; want 1, 1", st.CacheEntries, st.CacheEvictions)
	}
	if res := callText(t, a, "up", "a"); !res.Cached {
		t.Fatal("the new result was not served")
	}
}

// TestExpiryIsExact: with the real clock, an entry is served for its TTL
// and not a moment longer, to the precision of the clock (otter's own
// expiry, on its coarse clock, is up to 10 ms off).
func TestExpiryIsExact(t *testing.T) {
	a := newAgent(t, Options{})
	const ttl = 20 * time.Millisecond
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: ttl, Func: upper})
	args := map[string]any{"text": "a"}
	t0 := time.Now()
	if _, err := a.Call(t.Context(), "up", args); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now() // the entry was stored between t0 and t1: it expires between t0+ttl and t1+ttl
	for {
		before := time.Now()
		res, err := a.Call(t.Context(), "up", args)
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Cached && before.After(t1.Add(ttl)):
			t.Fatalf("served %v after it expired", before.Sub(t1.Add(ttl)))
		case !res.Cached && after.Before(t0.Add(ttl)):
			t.Fatalf("not served %v before it expired", t0.Add(ttl).Sub(after))
		case !res.Cached:
			return // expired, and stored again
		}
	}
}

// TestCacheOvershootIsBounded: under a storm of new keys from many
// goroutines, a cache may hold more than CacheSize entries while otter's
// maintenance catches up, but no more than Options.CacheSize documents;
// once maintenance has run, no more than CacheSize.
func TestCacheOvershootIsBounded(t *testing.T) {
	const size, writers, perWriter = 1000, 8, 4000
	a := newAgent(t, Options{CacheSize: size})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Hour, Func: upper})
	e := a.registry.Load().byName["up"]
	p := 1
	for p < min(runtime.GOMAXPROCS(0), runtime.NumCPU()) {
		p *= 2
	}
	// The documented bound, plus a few for EstimatedSize, a sum of
	// striped counters read while evictions go on.
	bound := size + 2*128*p + 2 + writers + 16
	var most atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e.store(a, fmt.Sprint(w, "/", i), i, a.mono())
				if n := int64(e.cache.EstimatedSize()); n > most.Load() {
					most.Store(n) // a racy maximum: the samples are what matters
				}
			}
		})
	}
	wg.Wait()
	t.Logf("at most %d entries seen at CacheSize %d (documented bound %d)", most.Load(), size, bound)
	if most.Load() > int64(bound) {
		t.Fatalf("%d entries seen at CacheSize %d, more than the documented %d", most.Load(), size, bound)
	}
	e.cache.CleanUp()
	if n := e.cache.EstimatedSize(); n > size {
		t.Fatalf("%d entries after maintenance at CacheSize %d", n, size)
	}
}
