package breaker_test

import (
	"testing"

	"github.com/sony/gobreaker/v2"

	"github.com/agentdash/agentdash/internal/breaker"
)

func newBench(b *testing.B) *breaker.Breaker {
	br, err := breaker.New("bench", breaker.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	return br
}

// BenchmarkAllowClosed measures the closed-state fast path (one atomic load).
func BenchmarkAllowClosed(b *testing.B) {
	br := newBench(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := br.Allow(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllowClosedParallel is the fast path from all Ps at once.
func BenchmarkAllowClosedParallel(b *testing.B) {
	br := newBench(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := br.Allow(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAllowDoneSuccess is a full closed-state call: Allow plus
// Done(Success), which records into the window under a short mutex.
func BenchmarkAllowDoneSuccess(b *testing.B) {
	br := newBench(b)
	b.ReportAllocs()
	for b.Loop() {
		p, _ := br.Allow()
		br.Done(p, breaker.Success)
	}
}

// BenchmarkAllowForcedOpen is a rejected call.
func BenchmarkAllowForcedOpen(b *testing.B) {
	br := newBench(b)
	br.Trip()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := br.Allow(); err == nil {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkGobreakerTwoStep is the closest sony/gobreaker equivalent of
// Allow+Done (its two-step breaker), for comparison.
func BenchmarkGobreakerTwoStep(b *testing.B) {
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{Name: "bench"})
	b.ReportAllocs()
	for b.Loop() {
		done, err := cb.Allow()
		if err != nil {
			b.Fatal(err)
		}
		done(nil)
	}
}
