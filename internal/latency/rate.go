package latency

import (
	"sync/atomic"
	"time"
)

const (
	rateSlots  = 64 // >= 60 complete seconds + the current one; a power of two
	rateWindow = 10 // seconds averaged by PerSecond
	seriesLen  = 60 // seconds reported by Series
	countBits  = 32
	countMask  = 1<<countBits - 1
)

// Rate counts events per second over the last minute. It is safe for
// concurrent use; Add is lock-free and does not allocate. Create one with
// [NewRate].
type Rate struct {
	now  func() time.Time
	base time.Time // second 0 starts here
	// slots[s%rateSlots] holds second<<32 | count for second s. Packing
	// both in one word lets Add move a slot to a new second with a single
	// compare-and-swap, so no count is ever lost to a reset.
	slots [rateSlots]atomic.Uint64
}

// NewRate returns a Rate that reads time from now (nil means time.Now).
func NewRate(now func() time.Time) *Rate {
	if now == nil {
		now = time.Now
	}
	return &Rate{now: now, base: now()}
}

// elapsed returns the time since base, never negative.
func (r *Rate) elapsed(t time.Time) time.Duration { return max(t.Sub(r.base), 0) }

// Add counts n events now. n <= 0 is ignored; a second's count saturates
// at 2^32-1.
func (r *Rate) Add(n int) {
	if n > 0 {
		r.AddAt(n, r.now())
	}
}

// AddAt counts n events at at, a time read from the Rate's clock. It saves
// a clock read on call paths that already have the time.
func (r *Rate) AddAt(n int, at time.Time) {
	if n <= 0 {
		return
	}
	sec := uint64(r.elapsed(at) / time.Second)
	s := &r.slots[sec%rateSlots]
	for {
		old := s.Load()
		var c uint64 // count already in the slot for sec
		switch osec := old >> countBits; {
		case osec == sec:
			c = old & countMask
		case osec > sec:
			return // this Add was delayed past the slot's reuse; drop it
		}
		c = min(c+uint64(n), countMask)
		if s.CompareAndSwap(old, sec<<countBits|c) {
			return
		}
	}
}

// count returns the events counted in second sec.
func (r *Rate) count(sec int64) uint64 {
	if sec < 0 {
		return 0
	}
	v := r.slots[uint64(sec)%rateSlots].Load()
	if int64(v>>countBits) != sec {
		return 0
	}
	return v & countMask
}

// PerSecond returns the average events per second over the last 10 s: the
// current, partly elapsed second plus the 9 before it, divided by the time
// they span (or by the Rate's age, if it is younger, but at least 1 s).
func (r *Rate) PerSecond() float64 {
	el := r.elapsed(r.now())
	cur := int64(el / time.Second)
	var n uint64
	for s := cur - rateWindow + 1; s <= cur; s++ {
		n += r.count(s)
	}
	span := time.Duration(rateWindow-1)*time.Second + el%time.Second
	span = max(min(span, el), time.Second)
	return float64(n) / span.Seconds()
}

// Series appends the per-second counts of the last 60 complete seconds to
// dst, oldest first, and returns the extended slice (for a sparkline).
func (r *Rate) Series(dst []float64) []float64 {
	cur := int64(r.elapsed(r.now()) / time.Second)
	for s := cur - seriesLen; s < cur; s++ {
		dst = append(dst, float64(r.count(s)))
	}
	return dst
}
