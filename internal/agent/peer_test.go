package agent

// Comparison benchmarks: the same no-op ability behind other compositions,
// measured in the same run as BenchmarkCallCacheHit/Miss. They follow the
// same rules: argument maps made outside the timed loop; a miss is a call
// with arguments never seen before (unique per iteration), which runs the
// function and stores its result in an otter cache of the same size, TTL
// and clock as an ability's.
//
//   - Failsafe: a failsafe-go executor composing a cache policy, a circuit
//     breaker and a bulkhead, over an otter cache; the key is built from
//     the arguments in every iteration, as Call does.
//   - Hand: x/sync/semaphore + sony/gobreaker/v2 + otter composed by hand
//     with a prebuilt key: the floor of what the pipeline's parts cost
//     without validation, key building, timeouts, panic recovery, duplicate
//     suppression, metrics or events.

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

// peerCache is an otter cache of an ability's size and TTL, with expiry
// as a user of failsafe-go or otter would set it up: otter's own
// (ExpiryWriting), with its coarse clock ticking every 10 ms so that
// lookups do not read the precise time. (An ability's cache stamps its
// entries instead; see cache.go.)
func peerCache(b *testing.B) *otter.Cache[string, any] {
	b.Helper()
	clock := otter.NewCoarseClock(10 * time.Millisecond)
	c, err := otter.New(&otter.Options[string, any]{
		MaximumSize:      DefaultCacheSize,
		ExpiryCalculator: otter.ExpiryWriting[string, any](time.Hour),
		Clock:            clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.StopAllGoroutines()
		clock.Stop()
	})
	return c
}

// otterAdapter lets failsafe-go's cache policy use otter.
type otterAdapter struct{ c *otter.Cache[string, any] }

func (o otterAdapter) Get(key string) (any, bool) { return o.c.GetIfPresent(key) }
func (o otterAdapter) Set(key string, v any)      { o.c.Set(key, v) }

func failsafeExecutor(b *testing.B) failsafe.Executor[any] {
	cache := cachepolicy.NewBuilder[any](otterAdapter{peerCache(b)}).Build()
	// The breaker mirrors breaker.Settings' defaults: half of a 20-call
	// window, 5 s cooldown, 2 successes to close.
	breaker := circuitbreaker.NewBuilder[any]().
		WithFailureThresholdRatio(10, 20).
		WithSuccessThreshold(2).
		WithDelay(5 * time.Second).
		Build()
	bh := bulkhead.NewBuilder[any](64).WithMaxWaitTime(DefaultMaxWait).Build()
	return failsafe.With[any](cache, breaker, bh)
}

func failsafeCall(b *testing.B, ex failsafe.Executor[any], buf []byte, args map[string]any) []byte {
	buf, err := schema.AppendCanonical(buf[:0], args)
	if err != nil {
		b.Fatal(err)
	}
	ctx := cachepolicy.ContextWithCacheKey(context.Background(), "noop:"+string(buf))
	if _, err := ex.WithContext(ctx).Get(func() (any, error) { return noop(ctx, args) }); err != nil {
		b.Fatal(err)
	}
	return buf
}

func BenchmarkPeerFailsafeHit(b *testing.B) {
	ex := failsafeExecutor(b)
	args := map[string]any{"text": "orfeas"}
	buf := failsafeCall(b, ex, nil, args)
	b.ReportAllocs()
	for b.Loop() {
		buf = failsafeCall(b, ex, buf, args)
	}
}

func BenchmarkPeerFailsafeMiss(b *testing.B) {
	ex := failsafeExecutor(b)
	var buf []byte
	b.ReportAllocs()
	eachUnique(b, func(args map[string]any, _ string) {
		buf = failsafeCall(b, ex, buf, args)
	})
}

type handPeer struct {
	sem   *semaphore.Weighted
	cb    *gobreaker.CircuitBreaker[any]
	cache *otter.Cache[string, any]
}

func newHandPeer(b *testing.B) *handPeer {
	return &handPeer{
		sem:   semaphore.NewWeighted(64),
		cb:    gobreaker.NewCircuitBreaker[any](gobreaker.Settings{Name: "noop", Timeout: 5 * time.Second}),
		cache: peerCache(b),
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
		return noop(ctx, args)
	})
	if err == nil {
		h.cache.Set(key, v)
	}
	return v, err
}

func BenchmarkPeerHandHit(b *testing.B) {
	h := newHandPeer(b)
	ctx := context.Background()
	args := map[string]any{"text": "orfeas"}
	const key = `{"text":"orfeas"}`
	if _, err := h.call(ctx, key, args); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.call(ctx, key, args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPeerHandMiss(b *testing.B) {
	h := newHandPeer(b)
	ctx := context.Background()
	b.ReportAllocs()
	eachUnique(b, func(args map[string]any, key string) {
		if _, err := h.call(ctx, key, args); err != nil {
			b.Fatal(err)
		}
	})
}
