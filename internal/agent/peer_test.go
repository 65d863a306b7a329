package agent

// Comparison benchmarks: the same no-op ability behind other compositions,
// measured in the same run as BenchmarkCallCacheHit/Miss/MissNewKeys. They
// follow the same rules (see bench_test.go): argument maps made outside the
// timed loop; a miss either repeats the same arguments, whose result lives
// for 1 ns (Miss), or uses arguments never seen before, whose result lives
// for an hour (MissNewKeys); the function runs on every miss and its result
// is stored in an otter cache of the same size as an ability's.
//
//   - Failsafe: a failsafe-go executor composing a cache policy, a circuit
//     breaker and a bulkhead, over an otter cache; the key is built from
//     the arguments in every iteration, as Call does.
//   - Hand: x/sync/semaphore + sony/gobreaker/v2 + otter composed by hand
//     with a prebuilt key: the floor of what the pipeline's parts cost
//     without validation, key building, timeouts, panic recovery, duplicate
//     suppression, metrics or events.
//
// The peers' caches expire entries as a user of otter would set them up:
// with otter's own expiry (ExpiryWriting). An hour's TTL is read on
// otter's coarse clock, which ticks every 10 ms so that lookups do not read
// the precise time; 1 ns needs the precise clock, or entries would live
// for up to 10 ms. (An ability's cache stamps its entries instead and
// compares the stamp with the clock reading the call makes anyway; see
// cache.go.)

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/failsafe-go/failsafe-go/cachepolicy"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/maypok86/otter/v2"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/semaphore"

	"github.com/agentdash/agentdash/internal/schema"
)

// peerCache returns an otter cache of an ability's size whose entries
// live for ttl (see above for its clock).
func peerCache(b *testing.B, ttl time.Duration) *otter.Cache[string, any] {
	b.Helper()
	o := &otter.Options[string, any]{
		MaximumSize:      DefaultCacheSize,
		ExpiryCalculator: otter.ExpiryWriting[string, any](ttl),
	}
	if ttl >= time.Second {
		clock := otter.NewCoarseClock(10 * time.Millisecond)
		b.Cleanup(clock.Stop)
		o.Clock = clock
	}
	c, err := otter.New(o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.StopAllGoroutines() })
	return c
}

// otterAdapter lets failsafe-go's cache policy use otter.
type otterAdapter struct{ c *otter.Cache[string, any] }

func (o otterAdapter) Get(key string) (any, bool) { return o.c.GetIfPresent(key) }
func (o otterAdapter) Set(key string, v any)      { o.c.Set(key, v) }

// failsafePeer is a failsafe-go executor whose cache keeps results for
// ttl, with a count of the function's runs (to check that misses miss).
type failsafePeer struct {
	ex   failsafe.Executor[any]
	buf  []byte
	runs int
}

func newFailsafePeer(b *testing.B, ttl time.Duration) *failsafePeer {
	cache := cachepolicy.NewBuilder[any](otterAdapter{peerCache(b, ttl)}).Build()
	// The breaker mirrors breaker.Settings' defaults: half of a 20-call
	// window, 5 s cooldown, 2 successes to close.
	breaker := circuitbreaker.NewBuilder[any]().
		WithFailureThresholdRatio(10, 20).
		WithSuccessThreshold(2).
		WithDelay(5 * time.Second).
		Build()
	bh := bulkhead.NewBuilder[any](64).WithMaxWaitTime(DefaultMaxWait).Build()
	return &failsafePeer{ex: failsafe.With[any](cache, breaker, bh)}
}

func (p *failsafePeer) call(b *testing.B, args map[string]any) {
	buf, err := schema.AppendCanonical(p.buf[:0], args)
	if err != nil {
		b.Fatal(err)
	}
	p.buf = buf
	ctx := cachepolicy.ContextWithCacheKey(context.Background(), "noop:"+string(buf))
	if _, err := p.ex.WithContext(ctx).Get(func() (any, error) {
		p.runs++
		return noop(ctx, args)
	}); err != nil {
		b.Fatal(err)
	}
}

// checkRuns fails b unless the function ran runs times, as it must for
// every miss and only for them.
func checkRuns(b *testing.B, got, want int) {
	b.Helper()
	if got != want {
		b.Fatalf("the function ran %d times, want %d", got, want)
	}
}

func BenchmarkPeerFailsafeHit(b *testing.B) {
	p := newFailsafePeer(b, time.Hour)
	args := map[string]any{"text": "orfeas"}
	p.call(b, args)
	b.ReportAllocs()
	for b.Loop() {
		p.call(b, args)
	}
	checkRuns(b, p.runs, 1)
}

func BenchmarkPeerFailsafeMiss(b *testing.B) {
	p := newFailsafePeer(b, expiredTTL)
	args := map[string]any{"text": "orfeas"}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		p.call(b, args)
		n++
	}
	checkRuns(b, p.runs, n)
}

func BenchmarkPeerFailsafeMissNewKeys(b *testing.B) {
	p := newFailsafePeer(b, time.Hour)
	n := 0
	b.ReportAllocs()
	eachUnique(b, func(args map[string]any, _ string) {
		p.call(b, args)
		n++
	})
	checkRuns(b, p.runs, n)
}

type handPeer struct {
	sem   *semaphore.Weighted
	cb    *gobreaker.CircuitBreaker[any]
	cache *otter.Cache[string, any]
	runs  int
}

func newHandPeer(b *testing.B, ttl time.Duration) *handPeer {
	return &handPeer{
		sem:   semaphore.NewWeighted(64),
		cb:    gobreaker.NewCircuitBreaker[any](gobreaker.Settings{Name: "noop", Timeout: 5 * time.Second}),
		cache: peerCache(b, ttl),
	}
}

func (h *handPeer) call(ctx context.Context, key string, args map[string]any) (any, error) {
	if v, ok := h.cache.GetIfPresent(key); ok {
		return v, nil
	}
	v, err := h.cb.Execute(func() (any, error) {
		if err := h.sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		defer h.sem.Release(1)
		h.runs++
		return noop(ctx, args)
	})
	if err == nil {
		h.cache.Set(key, v)
	}
	return v, err
}

// benchHandSameKey calls the hand-made peer with the same prebuilt key
// every time, its results living for ttl, and returns the calls made.
func benchHandSameKey(b *testing.B, h *handPeer) int {
	ctx := context.Background()
	args := map[string]any{"text": "orfeas"}
	const key = `{"text":"orfeas"}`
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.call(ctx, key, args); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return n
}

func BenchmarkPeerHandHit(b *testing.B) {
	h := newHandPeer(b, time.Hour)
	if _, err := h.call(context.Background(), `{"text":"orfeas"}`, map[string]any{"text": "orfeas"}); err != nil {
		b.Fatal(err)
	}
	benchHandSameKey(b, h)
	checkRuns(b, h.runs, 1)
}

func BenchmarkPeerHandMiss(b *testing.B) {
	h := newHandPeer(b, expiredTTL)
	n := benchHandSameKey(b, h)
	checkRuns(b, h.runs, n)
}

func BenchmarkPeerHandMissNewKeys(b *testing.B) {
	h := newHandPeer(b, time.Hour)
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	eachUnique(b, func(args map[string]any, key string) {
		if _, err := h.call(ctx, key, args); err != nil {
			b.Fatal(err)
		}
		n++
	})
	checkRuns(b, h.runs, n)
}
