// Package latency records call latencies and call rates for the dashboard
// and the Prometheus exporter.
//
// [Histogram] keeps an all-time distribution and a rolling one-minute
// distribution and answers count, sum, max and the 50th, 95th and 99th
// percentiles for both. [Rate] counts events per second for a calls/s
// figure and a 60-second sparkline.
//
// # Why hand-written
//
// No well-kept Go library does what the call path and the dashboard need
// together: Prometheus histograms only export bucket counts and cannot
// answer quantiles in-process; HdrHistogram-go is not safe for concurrent
// writers (every record needs an external lock), and its WindowedHistogram
// must be rotated by hand under that same lock. We need an
// all-time and a rolling 60 s view that can be read cheaply ten times a
// second while Observe stays lock-free and allocation-free on the hot path.
//
// # Buckets and accuracy
//
// Durations are counted in log-linear buckets: every power of two from
// 1 µs to 2^27 µs (about 134 s) is split into 16 equal sub-buckets, plus an
// underflow bucket [0, 1 µs) and an overflow bucket [2^27 µs, ∞): 434
// buckets in all. A quantile is reported as the midpoint of the bucket
// holding the exact nearest-rank quantile, clamped to the observed
// minimum and maximum, so for values between 1 µs and 134 s it is within
// 1/32 (3.125 %) of the exact value. Below 1 µs the error is under 1 µs;
// in the overflow bucket the maximum is reported.
//
// # Concurrency
//
// Observe uses atomic adds only (and a compare-and-swap when it raises the
// maximum or lowers the minimum), on one distribution: the rolling window
// is a ring of twelve 5-second slots keyed by the slot's epoch, and the
// all-time distribution is not counted separately but is the slots plus
// what they held before: a slot left over from an earlier minute is
// folded into a retired total and cleared lazily by the first Observe that
// lands in it, under a mutex taken only for that rotation (once per slot
// per 5 s). Every observation is in exactly one place, a slot or the
// retired total, so nothing is lost or counted twice. Readers of the
// window never block writers; readers of the all-time view take the
// rotation mutex for the few microseconds of their copy, which delays
// only an Observe that rotates a slot at that moment. A read that
// overlaps writes sees each counter at some instant, so Count, Sum and the
// quantiles may disagree by the few observations that raced with the read.
package latency

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

const (
	subBits    = 4
	subBuckets = 1 << subBits // sub-buckets per power of two
	powers     = 27           // 1 µs · 2^27 ≈ 134 s
	numBuckets = 1 + powers*subBuckets + 1
	overflow   = numBuckets - 1
	unitNanos  = 1000 // the smallest bucketed unit: 1 µs
	topNanos   = int64(unitNanos) << powers

	slotDur  = 5 * time.Second
	numSlots = 12 // window = 60 s
)

// bucketIndex maps a duration in nanoseconds to its bucket.
func bucketIndex(ns int64) int {
	switch {
	case ns < unitNanos:
		return 0
	case ns >= topNanos:
		return overflow
	}
	y := uint64(ns) * subBuckets / unitNanos // in units of 62.5 ns; >= 16
	k := bits.Len64(y) - 1 - subBits         // power of two above 1 µs
	sub := int(y>>k) - subBuckets            // 0..15
	return 1 + k*subBuckets + sub
}

// bucketLower returns the lower bound of bucket i in nanoseconds.
func bucketLower(i int) float64 {
	switch {
	case i <= 0:
		return 0
	case i >= overflow:
		return float64(topNanos)
	}
	k, sub := (i-1)/subBuckets, (i-1)%subBuckets
	return float64(uint64(subBuckets+sub)<<k) * unitNanos / subBuckets
}

// bucketMid returns the value reported for bucket i in nanoseconds: the
// midpoint, or +Inf for the overflow bucket (callers clamp to the max).
func bucketMid(i int) float64 {
	if i >= overflow {
		return math.Inf(1)
	}
	return (bucketLower(i) + bucketLower(i+1)) / 2
}

// Summary describes a distribution of durations.
type Summary struct {
	Count         uint64
	Sum           time.Duration
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// Mean returns Sum/Count, or 0 when Count is 0.
func (s Summary) Mean() time.Duration {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / time.Duration(s.Count)
}

// Bucket is one cumulative bucket for Prometheus export.
type Bucket struct {
	UpperBound float64 // seconds; +Inf for the last bucket
	Count      uint64  // observations <= UpperBound
}

// counts is one distribution: bucket counters plus sum, min and max.
type counts struct {
	buckets [numBuckets]atomic.Uint64
	sum     atomic.Int64 // nanoseconds
	min     atomic.Int64 // nanoseconds; math.MaxInt64 when empty
	max     atomic.Int64 // nanoseconds
}

func (c *counts) init() { c.min.Store(math.MaxInt64) }

func (c *counts) add(i int, ns int64) {
	c.buckets[i].Add(1)
	c.sum.Add(ns)
	for m := c.max.Load(); ns > m && !c.max.CompareAndSwap(m, ns); m = c.max.Load() {
	}
	for m := c.min.Load(); ns < m && !c.min.CompareAndSwap(m, ns); m = c.min.Load() {
	}
}

// snapshot is a plain copy of counts that can be merged and queried.
type snapshot struct {
	buckets  [numBuckets]uint64
	total    uint64
	sum      int64
	min, max int64
}

func (s *snapshot) clear() {
	*s = snapshot{min: math.MaxInt64}
}

// fold moves c into s, leaving c empty; an add that races with it is
// either moved or left in c, never lost. Callers serialize folds.
func (s *snapshot) fold(c *counts) {
	for i := range c.buckets {
		n := c.buckets[i].Swap(0)
		s.buckets[i] += n
		s.total += n
	}
	s.sum += c.sum.Swap(0)
	s.min = min(s.min, c.min.Swap(math.MaxInt64))
	s.max = max(s.max, c.max.Swap(0))
}

// add adds o into s.
func (s *snapshot) add(o *snapshot) {
	for i, n := range o.buckets {
		s.buckets[i] += n
	}
	s.total += o.total
	s.sum += o.sum
	s.min = min(s.min, o.min)
	s.max = max(s.max, o.max)
}

// merge adds c into s.
func (s *snapshot) merge(c *counts) {
	for i := range c.buckets {
		n := c.buckets[i].Load()
		s.buckets[i] += n
		s.total += n
	}
	s.sum += c.sum.Load()
	s.min = min(s.min, c.min.Load())
	s.max = max(s.max, c.max.Load())
}

// quantile returns the estimated nearest-rank q-quantile in nanoseconds.
func (s *snapshot) quantile(q float64) int64 {
	if s.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.total)))
	rank = min(max(rank, 1), s.total)
	var cum uint64
	i := 0
	for ; i < overflow; i++ {
		if cum += s.buckets[i]; cum >= rank {
			break
		}
	}
	v := bucketMid(i)
	if s.max >= s.min { // both set by at least one observation
		v = min(max(v, float64(s.min)), float64(s.max))
	}
	if math.IsInf(v, 1) {
		return math.MaxInt64
	}
	return int64(v)
}

func (s *snapshot) summary() Summary {
	if s.total == 0 {
		return Summary{}
	}
	return Summary{
		Count: s.total,
		Sum:   time.Duration(s.sum),
		P50:   time.Duration(s.quantile(0.50)),
		P95:   time.Duration(s.quantile(0.95)),
		P99:   time.Duration(s.quantile(0.99)),
		Max:   time.Duration(s.max),
	}
}

// slot is one rolling-window slot: the distribution of one 5 s epoch.
type slot struct {
	epoch atomic.Int64 // epoch the counts belong to; -1 = unused
	counts
}

// Histogram records durations. It is safe for concurrent use; Observe is
// lock-free and does not allocate. Create one with [NewHistogram]; each
// takes about 46 KB (13 distributions of 434 counters).
type Histogram struct {
	now  func() time.Time
	base time.Time // epoch 0 starts here

	// rotate serializes slot rotations, and reads of the all-time view
	// against them.
	rotate  sync.Mutex
	retired snapshot // under rotate: what rotated slots held
	slots   [numSlots]slot
}

// NewHistogram returns an empty histogram that reads time from now (nil
// means time.Now) to place observations in the rolling window.
func NewHistogram(now func() time.Time) *Histogram {
	if now == nil {
		now = time.Now
	}
	h := &Histogram{now: now, base: now()}
	h.retired.clear()
	for i := range h.slots {
		h.slots[i].epoch.Store(-1)
		h.slots[i].init()
	}
	return h
}

// epoch returns the rolling-window epoch of t (never negative).
func (h *Histogram) epoch(t time.Time) int64 {
	return int64(max(t.Sub(h.base), 0) / slotDur)
}

// Observe records one duration, reading the clock to place it in the
// rolling window. Negative durations count as 0.
func (h *Histogram) Observe(d time.Duration) { h.ObserveAt(d, h.now()) }

// ObserveAt is Observe for a call that ended at at, a time read from the
// histogram's clock. It saves a clock read (about 40 ns) on call paths
// that already have the end time.
func (h *Histogram) ObserveAt(d time.Duration, at time.Time) {
	ns := max(int64(d), 0)
	i := bucketIndex(ns)
	e := h.epoch(at)
	s := &h.slots[e%numSlots]
	if s.epoch.Load() < e {
		h.rotateSlot(s, e)
	}
	// A slot that already moved past e (this observer was delayed across
	// a rotation) takes the observation too: it is at most seconds late.
	s.add(i, ns)
}

// rotateSlot moves what s holds into the retired total and gives s to
// epoch e, unless another observer already did.
func (h *Histogram) rotateSlot(s *slot, e int64) {
	h.rotate.Lock()
	defer h.rotate.Unlock()
	if s.epoch.Load() < e {
		h.retired.fold(&s.counts)
		s.epoch.Store(e)
	}
}

// allTime sets s to the all-time distribution: the retired total and
// every slot, whatever its epoch.
func (h *Histogram) allTime(s *snapshot) {
	h.rotate.Lock()
	defer h.rotate.Unlock()
	*s = h.retired
	for i := range h.slots {
		s.merge(&h.slots[i].counts)
	}
}

// Summary returns the all-time distribution.
func (h *Histogram) Summary() Summary {
	var s snapshot
	h.allTime(&s)
	return s.summary()
}

// Recent returns the distribution of the last minute: the current 5 s slot
// (partly elapsed) and the 11 before it, so between 55 and 60 s of data.
func (h *Histogram) Recent() Summary {
	var s, one snapshot
	s.clear()
	cur := h.epoch(h.now())
	for i := range h.slots {
		sl := &h.slots[i]
		e := sl.epoch.Load()
		if e <= cur-numSlots || e > cur {
			continue // stale, unused, or (clock skew) from the future
		}
		one.clear()
		one.merge(&sl.counts)
		if sl.epoch.Load() != e {
			continue // rotated while we read it: its data are not from e
		}
		s.add(&one)
	}
	return s.summary()
}

// exportBounds are the Prometheus bucket upper bounds in seconds: a
// 1-2.5-5 series from 5 µs to 10 s, then 30 s and 60 s. The lowest ones
// matter: a cache hit takes a few microseconds, and a histogram whose
// first bound is 100 µs would report its quantiles as fractions of 100 µs.
var exportBounds = [...]float64{
	0.000005,
	0.00001, 0.000025, 0.00005,
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5,
	10, 30, 60,
}

// ExportBounds returns the finite upper bounds, in seconds, that Buckets
// reports (22 bounds from 5 µs to 60 s).
func ExportBounds() []float64 {
	b := exportBounds
	return b[:]
}

// Buckets appends the all-time distribution as cumulative Prometheus
// buckets to dst and returns the extended slice: one bucket per
// [ExportBounds] entry, then a final bucket with UpperBound +Inf whose
// Count is the total number of observations (use it as the histogram's
// count so that count and buckets agree).
//
// The export buckets are computed from the fine buckets: all observations
// in a fine bucket are counted under the smallest bound that is >= the fine
// bucket's midpoint. An observation is therefore on the correct side of
// every bound unless it shares a fine bucket with that bound, that is,
// unless it lies within 1/16 (6.25 %) of it.
func (h *Histogram) Buckets(dst []Bucket) []Bucket {
	var s snapshot
	h.allTime(&s)
	return s.appendBuckets(dst)
}

// SummaryAndBuckets returns Summary and Buckets(dst) computed from one
// reading of the all-time distribution: half the work of calling both, and
// the two always agree (the +Inf bucket's Count equals the Summary's).
func (h *Histogram) SummaryAndBuckets(dst []Bucket) (Summary, []Bucket) {
	var s snapshot
	h.allTime(&s)
	return s.summary(), s.appendBuckets(dst)
}

// appendBuckets appends s as cumulative export buckets (see Buckets).
func (s *snapshot) appendBuckets(dst []Bucket) []Bucket {
	var cum uint64
	j := 0
	for i := range s.buckets {
		mid := bucketMid(i) / 1e9
		for j < len(exportBounds) && mid > exportBounds[j] {
			dst = append(dst, Bucket{UpperBound: exportBounds[j], Count: cum})
			j++
		}
		cum += s.buckets[i]
	}
	for ; j < len(exportBounds); j++ {
		dst = append(dst, Bucket{UpperBound: exportBounds[j], Count: cum})
	}
	return append(dst, Bucket{UpperBound: math.Inf(1), Count: cum})
}
