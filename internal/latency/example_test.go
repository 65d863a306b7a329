package latency_test

import (
	"fmt"
	"time"

	"github.com/agentdash/agentdash/internal/latency"
)

func Example() {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	h := latency.NewHistogram(clock)
	r := latency.NewRate(clock)

	for i := 1; i <= 100; i++ { // 1ms, 2ms, ... 100ms over 10 s
		h.Observe(time.Duration(i) * time.Millisecond)
		r.Add(1)
		now = now.Add(100 * time.Millisecond)
	}
	s := h.Summary()
	fmt.Println("count", s.Count, "max", s.Max, "mean", s.Mean())
	// Quantiles are within 3.125% of the exact 50ms, 95ms and 99ms.
	fmt.Println("p50", s.P50, "p95", s.P95, "p99", s.P99)
	fmt.Printf("%.0f calls/s\n", r.PerSecond())

	now = now.Add(2 * time.Minute)
	fmt.Println("recent count", h.Recent().Count)
	// Export buckets are derived from the fine buckets: 25ms, 50ms, 99ms
	// and 100ms share a fine bucket with the bound just below them and
	// whose midpoint is above it, so they are counted above it.
	for _, b := range h.Buckets(nil) {
		if b.UpperBound >= 0.01 && b.UpperBound <= 0.1 {
			fmt.Printf("le=%g %d\n", b.UpperBound, b.Count)
		}
	}
	// Output:
	// count 100 max 100ms mean 50.5ms
	// p50 50.176ms p95 96.256ms p99 100ms
	// 10 calls/s
	// recent count 0
	// le=0.01 10
	// le=0.025 24
	// le=0.05 49
	// le=0.1 98
}
