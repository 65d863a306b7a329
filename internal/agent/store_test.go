package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heldWriter returns a real-clock agent whose writer waits an hour before
// storing (until flushNow), with room for max pending results, and a
// cached uppercase ability "up" counting its executions.
func heldWriter(t *testing.T, max int) (*Agent, *atomic.Int64) {
	t.Helper()
	a := newAgent(t, Options{})
	a.writer.delay, a.writer.max = time.Hour, max
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Hour,
		Func: func(ctx context.Context, args map[string]any) (any, error) {
			runs.Add(1)
			return upper(ctx, args)
		}})
	return a, &runs
}

// flushNow fires the writer's timer and waits for the flush.
func flushNow(t *testing.T, a *Agent) {
	t.Helper()
	a.writer.mu.Lock()
	a.writer.timer.Reset(0)
	a.writer.mu.Unlock()
	settle(t, a)
}

// landed counts the flights waiting in an ability's in-flight table.
func landed(a *Agent, name string) int {
	e := a.registry.Load().byName[name]
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	return e.flights.n
}

func callUp(t *testing.T, a *Agent, text string) Result {
	t.Helper()
	res, err := a.Call(t.Context(), "up", map[string]any{"text": text})
	if err != nil || res.Value != strings.ToUpper(text) {
		t.Fatalf("Call(up, %q) = %+v, %v", text, res, err)
	}
	return res
}

// TestStoreBehind: a result waiting for the writer is served from the
// in-flight table as a cache hit, and is in the cache after the flush.
func TestStoreBehind(t *testing.T) {
	a, runs := heldWriter(t, maxPending)
	if res := callUp(t, a, "orfeas"); res.Cached {
		t.Fatalf("first call: %+v, want a miss", res)
	}
	cache := a.registry.Load().byName["up"].cache
	if n := cache.EstimatedSize(); n != 0 || landed(a, "up") != 1 {
		t.Fatalf("before the flush: %d cached, %d landed; want 0 and 1", n, landed(a, "up"))
	}
	if res := callUp(t, a, "orfeas"); !res.Cached || res.Shared {
		t.Fatalf("second call: %+v, want a hit from the landed flight", res)
	}
	flushNow(t, a)
	if n := cache.EstimatedSize(); n != 1 || landed(a, "up") != 0 {
		t.Fatalf("after the flush: %d cached, %d landed; want 1 and 0", n, landed(a, "up"))
	}
	if res := callUp(t, a, "orfeas"); !res.Cached {
		t.Fatalf("third call: %+v, want a hit from the cache", res)
	}
	st := statsOf(t, a, "up")
	if runs.Load() != 1 || st.CacheHits != 2 || st.CacheMisses != 1 || st.Outcomes[OutcomeSuccess] != 3 {
		t.Fatalf("runs %d, stats %+v; want 1 run, 2 hits, 1 miss, 3 successes", runs.Load(), st)
	}
}

// TestStoreBehindFull: when the writer is behind by its limit, a landing
// call stores its own result, and nothing is lost either way.
func TestStoreBehindFull(t *testing.T) {
	a, runs := heldWriter(t, 2)
	for i := range 5 {
		callUp(t, a, fmt.Sprint("k", i))
	}
	cache := a.registry.Load().byName["up"].cache
	if n := cache.EstimatedSize(); n != 3 || landed(a, "up") != 2 {
		t.Fatalf("%d cached, %d landed; want 3 stored by their callers and 2 pending", n, landed(a, "up"))
	}
	for i := range 5 {
		if res := callUp(t, a, fmt.Sprint("k", i)); !res.Cached {
			t.Fatalf("k%d: %+v, want a hit", i, res)
		}
	}
	flushNow(t, a)
	if n := cache.EstimatedSize(); n != 5 || landed(a, "up") != 0 || runs.Load() != 5 {
		t.Fatalf("%d cached, %d landed, %d runs; want 5, 0, 5", n, landed(a, "up"), runs.Load())
	}
}

// TestStoreBehindFailure: failures are never cached, so they do not wait
// in the table: the next identical call runs the ability again.
func TestStoreBehindFailure(t *testing.T) {
	a := newAgent(t, Options{})
	a.writer.delay = time.Hour
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "fail", CacheTTL: time.Hour, Func: func(context.Context, map[string]any) (any, error) {
		runs.Add(1)
		return nil, fmt.Errorf("no")
	}})
	for range 2 {
		if res, err := a.Call(t.Context(), "fail", nil); err == nil || res.Cached {
			t.Fatalf("Call = %+v, %v; want a failure", res, err)
		}
	}
	if runs.Load() != 2 || landed(a, "fail") != 0 {
		t.Fatalf("%d runs, %d landed; want 2 and 0", runs.Load(), landed(a, "fail"))
	}
}

// TestStoreBehindClose: Close with results still pending returns, stops
// the writer's timer (goleak checks for its goroutine) and refuses calls.
func TestStoreBehindClose(t *testing.T) {
	a, _ := heldWriter(t, maxPending)
	callUp(t, a, "orfeas")
	a.Close()
	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "orfeas"}); err == nil {
		t.Fatal("Call after Close succeeded")
	}
}

// TestStoreBehindConcurrent runs callers of overlapping keys against the
// real writer (under -race in CI): every call gets its own key's value,
// every call is counted once, and once the writer has caught up every key
// is in the cache and the in-flight table is empty.
func TestStoreBehindConcurrent(t *testing.T) {
	a, runs := heldWriter(t, 64)
	a.writer.delay = 50 * time.Microsecond
	const callers, calls, keys = 8, 400, 37
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range calls {
				text := fmt.Sprint("k", (c*7+i)%keys)
				res, err := a.Call(context.Background(), "up", map[string]any{"text": text})
				if err != nil || res.Value != strings.ToUpper(text) {
					t.Errorf("Call(up, %q) = %+v, %v", text, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	settle(t, a)
	st := statsOf(t, a, "up")
	if st.Calls != callers*calls || st.Outcomes[OutcomeSuccess] != callers*calls ||
		st.CacheHits+st.CacheMisses != callers*calls {
		t.Fatalf("stats %+v; want %d successful calls, each a hit or a miss", st, callers*calls)
	}
	if n := a.registry.Load().byName["up"].cache.EstimatedSize(); n != keys || landed(a, "up") != 0 {
		t.Fatalf("%d cached, %d landed; want %d and 0", n, landed(a, "up"), keys)
	}
	if r := runs.Load(); r < keys || r > int64(st.CacheMisses) {
		t.Fatalf("%d runs for %d keys and %d misses", r, keys, st.CacheMisses)
	}
}
