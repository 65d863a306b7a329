package agent

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The benchmarks run the full pipeline on a no-op ability called with
// {"text": "orfeas"}. The argument map is made once, outside the loop (a
// map literal passed to Call escapes and would add the caller's own two
// allocations); everything derived from it, the validation and the
// canonical cache key, is computed by Call in every iteration. The peer
// benchmarks in peer_test.go follow the same rules.
//
// A miss comes in two kinds, each measured:
//
//   - BenchmarkCallCacheMiss calls with the same {"text": "orfeas"} every
//     time, as the other benchmarks do, on an ability whose results live
//     for 1 ns: every call finds its previous result expired, runs the
//     ability and stores the new result over the old one. This is the
//     miss of repeated identical calls after their TTL.
//   - BenchmarkCallCacheMissNewKeys calls with arguments never seen before
//     ({"text": "orfeas-<i>"}) on an ability whose results live for an
//     hour: every call inserts a new entry into the full cache, which
//     evicts another. This is a storm of unique calls.

func noop(context.Context, map[string]any) (any, error) { return "ok", nil }

// benchAgent returns an agent with the no-op ability cached for ttl.
func benchAgent(b *testing.B, ttl time.Duration) *Agent {
	b.Helper()
	a, err := New(Options{MaxConcurrent: 64})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if err := a.Register(Ability{Name: "noop", Schema: textSchema(), CacheTTL: ttl, Func: noop}); err != nil {
		b.Fatal(err)
	}
	return a
}

// expiredTTL makes every call of the same arguments a miss: the result
// has expired by the time the next call starts.
const expiredTTL = time.Nanosecond

func BenchmarkCallCacheHit(b *testing.B) {
	a := benchAgent(b, time.Hour)
	ctx := context.Background()
	if _, err := a.Call(ctx, "noop", map[string]any{"text": "orfeas"}); err != nil {
		b.Fatal(err)
	}
	args := map[string]any{"text": "orfeas"}
	b.ReportAllocs()
	for b.Loop() {
		res, err := a.Call(ctx, "noop", args)
		if err != nil || !res.Cached {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

func BenchmarkCallCacheMiss(b *testing.B) {
	benchMissExpired(b, context.Background())
}

// benchMissExpired calls with the same arguments, whose result has
// always expired, from ctx.
func benchMissExpired(b *testing.B, ctx context.Context) {
	a := benchAgent(b, expiredTTL)
	args := map[string]any{"text": "orfeas"}
	b.ReportAllocs()
	for b.Loop() {
		res, err := a.Call(ctx, "noop", args)
		if err != nil || res.Cached {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

func BenchmarkCallCacheMissNewKeys(b *testing.B) {
	a := benchAgent(b, time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	eachUnique(b, func(args map[string]any, _ string) {
		res, err := a.Call(ctx, "noop", args)
		if err != nil || res.Cached {
			b.Fatalf("%+v, %v", res, err)
		}
	})
}

func BenchmarkCallParallel(b *testing.B) {
	a := benchAgent(b, time.Hour)
	ctx := context.Background()
	if _, err := a.Call(ctx, "noop", map[string]any{"text": "orfeas"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		args := map[string]any{"text": "orfeas"}
		for pb.Next() {
			if _, err := a.Call(ctx, "noop", args); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCallCacheMissCancelable is BenchmarkCallCacheMiss from a
// caller whose context can be canceled, as the CLI's and the dashboard's
// can: the leader of an execution watches that context (context.AfterFunc)
// to abandon the execution if it ends with no follower waiting.
func BenchmarkCallCacheMissCancelable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	benchMissExpired(b, ctx)
}

// eachUnique calls call b.N times with unique arguments
// {"text": "orfeas-<i>"} and their canonical key (for the hand-made peer,
// which takes a prebuilt key). They are made in batches with the timer
// stopped, so that only the calls are measured and memory stays bounded.
func eachUnique(b *testing.B, call func(args map[string]any, key string)) {
	const batch = 4096
	args := make([]map[string]any, batch)
	keys := make([]string, batch)
	b.ResetTimer()
	for i := range b.N {
		if i%batch == 0 {
			b.StopTimer()
			for j := range args {
				text := "orfeas-" + strconv.Itoa(i+j)
				args[j] = map[string]any{"text": text}
				keys[j] = `{"text":"` + text + `"}`
			}
			b.StartTimer()
		}
		call(args[i%batch], keys[i%batch])
	}
}

// TestCacheHitAllocations pins the hit path's allocation budget (at most
// one; the design needs none) outside of the benchmarks.
func TestCacheHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "noop", Schema: textSchema(), CacheTTL: time.Hour, Func: noop})
	args := map[string]any{"text": "orfeas"}
	if _, err := a.Call(t.Context(), "noop", args); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if res, err := a.Call(t.Context(), "noop", args); err != nil || !res.Cached {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	if allocs > 1 {
		t.Fatalf("cache hit allocates %v times, budget is 1", allocs)
	}
}

// BenchmarkCallUncached is the same call on an ability without a cache
// (CacheTTL 0): every call runs the pipeline's execution path (slot and
// the ability inline under its deadline), without the cache store and
// duplicate suppression that BenchmarkCallCacheMiss adds.
func BenchmarkCallUncached(b *testing.B) { benchUncached(b, 0) }

// BenchmarkCallUncachedLimited is BenchmarkCallUncached on an ability with
// a concurrency limit of its own (Ability.MaxConcurrent): the cost of
// taking and releasing its slot besides the global one.
func BenchmarkCallUncachedLimited(b *testing.B) { benchUncached(b, 4) }

func benchUncached(b *testing.B, limit int) {
	a, err := New(Options{MaxConcurrent: 64})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	if err := a.Register(Ability{Name: "noop", Schema: textSchema(), Func: noop, MaxConcurrent: limit}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	args := map[string]any{"text": "orfeas"}
	b.ReportAllocs()
	for b.Loop() {
		if res, err := a.Call(ctx, "noop", args); err != nil || res.Cached {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}
