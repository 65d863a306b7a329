package latency

import (
	"testing"
	"time"
)

// BenchmarkObserve is one observation on the hot call path.
func BenchmarkObserve(b *testing.B) {
	h := NewHistogram(nil)
	b.ReportAllocs()
	d := time.Duration(0)
	for b.Loop() {
		d += 7919 * time.Nanosecond // walk across buckets
		if d > time.Second {
			d = 0
		}
		h.Observe(d)
	}
}

// BenchmarkObserveAt is Observe with the end time supplied by the caller.
func BenchmarkObserveAt(b *testing.B) {
	h := NewHistogram(nil)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		h.ObserveAt(3*time.Millisecond, now)
	}
}

// BenchmarkObserveParallel is Observe from all Ps on one histogram.
func BenchmarkObserveParallel(b *testing.B) {
	h := NewHistogram(nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := time.Duration(0)
		for pb.Next() {
			d += 7919 * time.Nanosecond
			if d > time.Second {
				d = 0
			}
			h.Observe(d)
		}
	})
}

func filled() *Histogram {
	h := NewHistogram(nil)
	for i := range 100_000 {
		h.Observe(time.Duration(i) * 997 * time.Nanosecond)
	}
	return h
}

// BenchmarkSummary is the all-time read done per ability at 10 Hz.
func BenchmarkSummary(b *testing.B) {
	h := filled()
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Summary()
	}
}

// BenchmarkRecent is the rolling-window read done per ability at 10 Hz.
func BenchmarkRecent(b *testing.B) {
	h := filled()
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Recent()
	}
}

// BenchmarkBuckets is the Prometheus export of one histogram.
func BenchmarkBuckets(b *testing.B) {
	h := filled()
	dst := make([]Bucket, 0, 32)
	b.ReportAllocs()
	for b.Loop() {
		dst = h.Buckets(dst[:0])
	}
}

// BenchmarkRateAdd is one event on the hot call path.
func BenchmarkRateAdd(b *testing.B) {
	r := NewRate(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Add(1)
	}
}
