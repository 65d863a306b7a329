package agent

import (
	"fmt"
	"testing"
	"time"
)

func TestSweepInterval(t *testing.T) {
	tests := []struct{ ttl, want time.Duration }{
		{time.Millisecond, time.Second},
		{time.Second, time.Second},
		{5 * time.Second, 5 * time.Second},
		{time.Minute, time.Minute},
		{time.Hour, time.Minute},
		{1<<63 - 1, time.Minute},
	}
	for _, tt := range tests {
		if got := sweepInterval(tt.ttl); got != tt.want {
			t.Errorf("sweepInterval(%v) = %v, want %v", tt.ttl, got, tt.want)
		}
	}
}

// TestSweepRemovesExpiredEntries: an expired entry is not served, and a
// sweep frees it (counted as an eviction) while the live ones stay.
func TestSweepRemovesExpiredEntries(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: 10 * time.Second, Func: upper})
	e := a.registry.Load().byName["up"]
	call := func(text string) Result { return callText(t, a, "up", text) }
	for i := range 5 {
		call(fmt.Sprint("old", i))
	}
	clk.Advance(6 * time.Second)
	for i := range 3 {
		call(fmt.Sprint("new", i))
	}
	if !e.sweepArmed.Load() {
		t.Fatal("no sweep armed after storing results")
	}
	clk.Advance(5 * time.Second) // old* expired 1 s ago, new* live for 4 s more
	if res := call("old0"); res.Cached {
		t.Fatal("an expired entry was served")
	}
	// old0 was stored again, overwriting its expired entry: one eviction.
	a.sweep(e)
	st := statsOf(t, a, "up")
	if st.CacheEntries != 4 || st.CacheEvictions != 5 {
		t.Fatalf("after the sweep: %d entries, %d evictions; want 4 (new0-2, old0), 5 (old0-4)", st.CacheEntries, st.CacheEvictions)
	}
	for _, text := range []string{"new0", "new1", "new2", "old0"} {
		if res := call(text); !res.Cached {
			t.Fatalf("live entry %q was swept", text)
		}
	}
	if !e.sweepArmed.Load() {
		t.Fatal("the sweep did not arm the next one while entries are left")
	}
	clk.Advance(time.Hour)
	a.sweep(e)
	if st := statsOf(t, a, "up"); st.CacheEntries != 0 || st.CacheEvictions != 9 {
		t.Fatalf("after everything expired: %d entries, %d evictions; want 0, 9", st.CacheEntries, st.CacheEvictions)
	}
	if e.sweepArmed.Load() {
		t.Fatal("a sweep is armed for an empty cache")
	}
}

// TestSweepRunsOnItsOwn: with the real clock, the armed sweep frees an
// expired entry about one sweep interval (1 s for a short TTL) after it
// was stored, without any call.
func TestSweepRunsOnItsOwn(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Millisecond, Func: upper})
	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "a"}); err != nil {
		t.Fatal(err)
	}
	if st := statsOf(t, a, "up"); st.CacheEntries != 1 {
		t.Fatalf("%d entries after one call, want 1", st.CacheEntries)
	}
	waitFor(t, "the sweep to free the expired entry", func() bool {
		st := statsOf(t, a, "up")
		return st.CacheEntries == 0 && st.CacheEvictions == 1
	})
	waitFor(t, "the sweep to disarm itself", func() bool { return !a.registry.Load().byName["up"].sweepArmed.Load() })
}

// TestExpiryIsExact: with the real clock, an entry is served for its TTL
// and not a moment longer, to the precision of the clock (otter's own
// expiry, on its coarse clock, served entries up to 10 ms late).
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

// TestCloseStopsSweep: Close stops an armed sweep (goleak, in TestMain,
// checks that no timer goroutine is left), and a sweep that fires after
// Close does nothing.
func TestCloseStopsSweep(t *testing.T) {
	clk := newFakeClock()
	a, err := New(Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Second, Func: upper})
	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "a"}); err != nil {
		t.Fatal(err)
	}
	e := a.registry.Load().byName["up"]
	if !e.sweepArmed.Load() {
		t.Fatal("no sweep armed")
	}
	a.Close()
	e.sweepMu.Lock()
	stopped := !e.sweepTimer.Stop()
	e.sweepMu.Unlock()
	if !stopped {
		t.Fatal("the sweep timer was still armed after Close")
	}
	clk.Advance(time.Hour)
	a.sweep(e) // as if it fired at Close
	if st := statsOf(t, a, "up"); st.CacheEntries != 1 {
		t.Fatalf("a sweep after Close changed the cache: %d entries", st.CacheEntries)
	}
}
