// Package series keeps long float series in bounded memory for plotting.
//
// A [Bounded] holds at most a fixed number of buckets. Each bucket
// summarises a run of consecutive samples by their count, minimum, maximum,
// sum and last value. When every bucket is in use, adjacent pairs merge and
// the bucket width doubles, so memory stays flat however many samples arrive
// (a million epochs of training loss fit in the same few kilobytes as ten).
// [Resample] then reduces a range of buckets to a plot width, merging whole
// buckets so the extremes of the range are kept exactly rather than sampled
// away.
//
// No library in our dependency set offers a mergeable min/max/sum summary of
// this shape, so it is written here.
package series

import (
	"fmt"
	"math"
	"sort"
)

// Bucket summarises the samples with indices [Start, Start+Count).
//
// Non-finite samples (NaN, ±Inf) are counted in Count and Skipped but left
// out of Min, Max and Sum, so one bad value does not hide the rest of the
// curve. Min and Max are NaN when the bucket holds no finite sample.
type Bucket struct {
	Start   int     // index of the first sample
	Count   int     // number of samples, finite or not
	Skipped int     // number of NaN or ±Inf samples among Count
	Min     float64 // smallest finite sample, NaN if none
	Max     float64 // largest finite sample, NaN if none
	Sum     float64 // sum of the finite samples
	Last    float64 // the most recent sample, finite or not
}

// End returns the index one past the bucket's last sample.
func (k Bucket) End() int { return k.Start + k.Count }

// Mean returns the mean of the finite samples, or NaN if there are none.
func (k Bucket) Mean() float64 {
	n := k.Count - k.Skipped
	if n == 0 {
		return math.NaN()
	}
	return k.Sum / float64(n)
}

// add folds one sample into the bucket.
func (k *Bucket) add(x float64) {
	k.Count++
	k.Last = x
	if x-x != 0 { // NaN or ±Inf
		k.Skipped++
		return
	}
	if k.Count-k.Skipped == 1 {
		k.Min, k.Max, k.Sum = x, x, x
		return
	}
	k.Min = min(k.Min, x)
	k.Max = max(k.Max, x)
	k.Sum += x
}

// merge folds next, which must directly follow k, into k.
func (k *Bucket) merge(next Bucket) {
	switch {
	case next.Count == next.Skipped: // nothing finite to merge
	case k.Count == k.Skipped:
		k.Min, k.Max, k.Sum = next.Min, next.Max, next.Sum
	default:
		k.Min = min(k.Min, next.Min)
		k.Max = max(k.Max, next.Max)
		k.Sum += next.Sum
	}
	k.Count += next.Count
	k.Skipped += next.Skipped
	k.Last = next.Last
}

func emptyBucket(start int) Bucket {
	return Bucket{Start: start, Min: math.NaN(), Max: math.NaN()}
}

// Bounded is a growing series kept in at most a fixed number of buckets.
// Every bucket but the last holds exactly Width samples; the last holds
// between one and Width. Add never allocates.
//
// A Bounded is not safe for concurrent use.
type Bounded struct {
	buckets []Bucket // len <= cap(buckets), which is the capacity
	width   int      // samples per full bucket, a power of two
	n       int      // samples added
}

// NewBounded returns an empty series that keeps at most capacity buckets.
// The capacity is rounded up to an even number of at least 2.
func NewBounded(capacity int) *Bounded {
	capacity = max(capacity, 2)
	capacity += capacity & 1
	return &Bounded{buckets: make([]Bucket, 0, capacity), width: 1}
}

// Cap returns the maximum number of buckets.
func (b *Bounded) Cap() int { return cap(b.buckets) }

// Width returns the number of samples in each full bucket (a power of two).
func (b *Bounded) Width() int { return b.width }

// Len returns the number of samples added.
func (b *Bounded) Len() int { return b.n }

// Add appends a sample. NaN and ±Inf are counted but skipped for Min, Max
// and Sum (see [Bucket]).
func (b *Bounded) Add(x float64) {
	k := len(b.buckets)
	if k == 0 || b.buckets[k-1].Count == b.width {
		if k == cap(b.buckets) {
			b.halve()
			k = len(b.buckets)
		}
		b.buckets = append(b.buckets, emptyBucket(b.n))
		k++
	}
	b.buckets[k-1].add(x)
	b.n++
}

// halve merges adjacent pairs of a full series and doubles the width.
func (b *Bounded) halve() {
	half := len(b.buckets) / 2
	for i := range half {
		m := b.buckets[2*i]
		m.merge(b.buckets[2*i+1])
		b.buckets[i] = m
	}
	b.buckets = b.buckets[:half]
	b.width *= 2
}

// Buckets returns a copy of the buckets, oldest first.
func (b *Bounded) Buckets() []Bucket {
	return b.AppendBuckets(make([]Bucket, 0, len(b.buckets)))
}

// AppendBuckets appends the buckets, oldest first, to dst and returns the
// extended slice. Passing a reused dst avoids allocation.
func (b *Bounded) AppendBuckets(dst []Bucket) []Bucket {
	return append(dst, b.buckets...)
}

// Last returns the most recent sample, or false if the series is empty.
func (b *Bounded) Last() (float64, bool) {
	if len(b.buckets) == 0 {
		return 0, false
	}
	return b.buckets[len(b.buckets)-1].Last, true
}

// Reset empties the series, keeping its capacity.
func (b *Bounded) Reset() {
	b.buckets = b.buckets[:0]
	b.width = 1
	b.n = 0
}

// Restore returns a series with the given capacity holding buckets
// previously obtained from [Bounded.Buckets] (for example, read back from a
// file), so that further Adds continue exactly as the original series would
// have. It fails if the buckets do not have the shape a Bounded produces:
// contiguous from sample 0, all but the last of one power-of-two width, the
// last no wider, and no more of them than the capacity.
func Restore(capacity int, buckets []Bucket) (*Bounded, error) {
	b := NewBounded(capacity)
	if len(buckets) > b.Cap() {
		return nil, fmt.Errorf("restore series: %d buckets exceed capacity %d", len(buckets), b.Cap())
	}
	if len(buckets) == 0 {
		return b, nil
	}
	width := 1
	if len(buckets) > 1 {
		width = buckets[0].Count
	}
	if width < 1 || width&(width-1) != 0 {
		return nil, fmt.Errorf("restore series: bucket width %d is not a power of two", width)
	}
	next := 0
	for i, k := range buckets {
		switch {
		case k.Start != next:
			return nil, fmt.Errorf("restore series: bucket %d starts at %d, want %d", i, k.Start, next)
		case k.Count < 1 || k.Count > width || (i < len(buckets)-1 && k.Count != width):
			return nil, fmt.Errorf("restore series: bucket %d holds %d samples, want %d", i, k.Count, width)
		case k.Skipped < 0 || k.Skipped > k.Count:
			return nil, fmt.Errorf("restore series: bucket %d skips %d of %d samples", i, k.Skipped, k.Count)
		case k.Skipped < k.Count && !(k.Min <= k.Max):
			return nil, fmt.Errorf("restore series: bucket %d has min %g > max %g", i, k.Min, k.Max)
		}
		next = k.End()
	}
	b.buckets = append(b.buckets, buckets...)
	for i := range b.buckets {
		if k := &b.buckets[i]; k.Skipped == k.Count {
			k.Min, k.Max, k.Sum = math.NaN(), math.NaN(), 0
		}
	}
	b.width = width
	b.n = next
	return b, nil
}

// Resample reduces the buckets of src that overlap the sample range
// [from, to) to at most width buckets, for drawing a plot width columns
// wide. src must be ordered and contiguous, as [Bounded.Buckets] returns it.
//
// Buckets are merged whole, never split or sampled: the result's minimum,
// maximum and sum over any run of output buckets equal those of the source
// buckets they cover, so a spike in the data is never lost. Each output
// bucket spans whole source buckets; it may therefore start before from or
// end after to when a source bucket straddles the boundary. If no more than
// width source buckets overlap the range they are returned unchanged.
func Resample(src []Bucket, from, to, width int) []Bucket {
	return AppendResample(nil, src, from, to, width)
}

// AppendResample is [Resample] appending to dst, so a caller redrawing at a
// steady rate can reuse one slice.
func AppendResample(dst, src []Bucket, from, to, width int) []Bucket {
	if width <= 0 || from >= to {
		return dst
	}
	lo, hi := overlap(src, from, to)
	if hi-lo <= width {
		return append(dst, src[lo:hi]...)
	}
	span := uint64(to - from)
	col := -1
	for _, k := range src[lo:hi] {
		// Column of the bucket's first in-range sample.
		c := int(uint64(max(k.Start, from)-from) * uint64(width) / span)
		if c != col {
			dst = append(dst, k)
			col = c
			continue
		}
		dst[len(dst)-1].merge(k)
	}
	return dst
}

// overlap returns the index range of the buckets in src overlapping
// [from, to).
func overlap(src []Bucket, from, to int) (lo, hi int) {
	lo = sort.Search(len(src), func(i int) bool { return src[i].End() > from })
	hi = sort.Search(len(src), func(i int) bool { return src[i].Start >= to })
	return lo, max(lo, hi)
}
