package train

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
)

// The numeric kernels work on rows stored interleaved in one []float64:
// stride = features + 1 values per row, the target last. Shuffling moves
// whole rows, so a gradient step reads each row from one place instead of
// gathering x and y through an index array.
//
// Every product that is added to something is wrapped in an explicit
// float64 conversion. The Go spec lets compilers fuse x*y + z into one
// fused multiply-add (they do on arm64, ppc64le, s390x and riscv64), which
// rounds differently; the conversion forbids that, so a run gives the same
// bits on every architecture, not only on the same machine twice.

// Random-stream numbers: one seed drives independent generators for
// different purposes.
const (
	streamSplit   = 0x5b117
	streamShuffle = 0x5ff1e
)

// mix is the SplitMix64 finalizer, used to spread small consecutive stream
// numbers (epochs) over the whole seed space.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// seedEpoch seeds rng for the shuffle before epoch e. Each epoch's
// generator depends only on (seed, e), so a resumed run can replay the
// shuffles it missed.
func seedEpoch(rng *rand.PCG, seed uint64, e int) {
	rng.Seed(seed, mix(streamShuffle+uint64(e)))
}

// bounded returns a uniform random number in [0, n) by Lemire's
// multiply-and-reject method (what math/rand/v2 does internally, inlined
// here on the concrete PCG so the shuffle makes no interface calls).
func bounded(rng *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}

// The epoch shuffle is bucketed so that it runs in cache. One
// Fisher–Yates pass over a large set swaps every row with a random row
// anywhere in it, a cache and TLB miss each time, which costs several times
// the gradient step. Instead (Rao and Sandelius' method) every row draws one
// of k buckets uniformly and independently, the rows are copied in order
// into their buckets in a second buffer (k sequential write streams), and
// each bucket, small enough for the cache, gets its own Fisher–Yates pass.
// Each bucket is then a uniform ordering of a uniformly random subset, so
// the whole is a uniform permutation, the same distribution as one pass. A
// set that fits in one bucket gets the one pass, in place. The price is the
// second buffer, as large as the rows.

// bucketValues is the size a bucket aims at, in float64s: 64 KiB, in a
// core's L2 cache. The bucket count depends on the data's size only, so a
// run shuffles the same way on every machine.
const bucketValues = 1 << 13

// maxBuckets is the most buckets a shuffle uses, so that the write streams
// of the scatter stay in cache.
const maxBuckets = 1 << 12

// bucketBits returns log2 of the number of buckets for a shuffle of values
// float64s.
func bucketBits(values int) int {
	bits := 0
	for 1<<bits < maxBuckets && values > bucketValues<<bits {
		bits++
	}
	return bits
}

// shuffler holds the second buffer of the shuffle, reused epoch after
// epoch: the rows move to it, and the buffer they left becomes the next
// epoch's.
type shuffler struct {
	spare   []float64
	ends    [maxBuckets]int
	touched float64 // keeps the reads that bring a bucket into cache
}

// shuffleRows permutes the rows of xy uniformly at random in place. It
// checks ctx every cancelRows rows or so and returns its error, leaving the
// rows a permutation of what they were, if it has ended: a shuffle of 100
// million rows takes seconds.
func shuffleRows(ctx context.Context, xy []float64, stride int, rng *rand.PCG) error {
	var s shuffler
	out, err := s.shuffle(ctx, xy, stride, rng, nil)
	copy(xy, out) // a no-op when the shuffle was in place
	return err
}

// shuffle permutes the rows of xy as shuffleRows does and returns them,
// in xy itself or in s's spare buffer, which then takes xy's place. Each
// time a stretch of rows is in its final place, it calls ready (if not nil)
// with the buffer and the end of the rows placed so far, the last time with
// the row count; an error from ready stops the shuffle and is returned. An
// epoch trains on each stretch while it is still in cache. After an error
// it returns xy, whose rows are still a permutation of what they were.
func (s *shuffler) shuffle(ctx context.Context, xy []float64, stride int, rng *rand.PCG, ready func(rows []float64, end int) error) ([]float64, error) {
	return s.shuffleBits(ctx, xy, stride, rng, bucketBits(len(xy)), ready)
}

// shuffleBits is shuffle with 1<<bits buckets.
func (s *shuffler) shuffleBits(ctx context.Context, xy []float64, stride int, rng *rand.PCG, bits int, ready func(rows []float64, end int) error) ([]float64, error) {
	n := len(xy) / stride
	if bits == 0 { // a small set, in cache already: one pass in place
		shuffleRange(xy, stride, rng, n-1, 0)
		if ready != nil {
			if err := ready(xy, n); err != nil {
				return xy, err
			}
		}
		return xy, nil
	}
	if len(s.spare) != len(xy) {
		s.spare = make([]float64, len(xy))
	}
	out, ends := s.spare, s.ends[:1<<bits]
	if err := scatter(ctx, out, xy, stride, rng, bits, ends); err != nil {
		return xy, err
	}
	start := 0
	for _, end := range ends {
		s.shuffleBucket(out[start*stride:end*stride], stride, rng)
		start = end
		if ready != nil {
			if err := ready(out, end); err != nil {
				return xy, err
			}
		}
		if ctx.Err() != nil {
			return xy, ctx.Err()
		}
	}
	s.spare = xy
	return out, nil
}

// scatter draws one of len(ends) = 1<<bits buckets for every row of src
// and copies the rows, in order, into consecutive buckets in dst, storing
// the ends of the buckets in ends.
func scatter(ctx context.Context, dst, src []float64, stride int, rng *rand.PCG, bits int, ends []int) error {
	n := len(src) / stride
	mask := uint64(len(ends) - 1)
	per := 64 / bits // bucket numbers per random number
	// Count the draws, then draw them again from the same state to copy the
	// rows; ends holds the counts, then each bucket's next free row.
	clear(ends)
	drawn := *rng
	for i := 0; i < n; i += per {
		u := rng.Uint64()
		for range min(per, n-i) {
			ends[u&mask]++
			u >>= bits
		}
	}
	at := 0
	for b, c := range ends {
		ends[b] = at
		at += c
	}
	for i := 0; i < n; i += per {
		u := drawn.Uint64()
		for r := i; r < min(i+per, n); r++ {
			p := ends[u&mask]
			ends[u&mask]++
			if stride == 2 { // copy would call memmove for two values
				dst[2*p], dst[2*p+1] = src[2*r], src[2*r+1]
			} else {
				copy(dst[p*stride:(p+1)*stride], src[r*stride:(r+1)*stride])
			}
			u >>= bits
		}
		if i%cancelRows < per && i > 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil // each bucket's next free row is now its end
}

// shuffleBucket permutes the rows of a bucket uniformly at random in place
// by one Fisher–Yates pass. It reads the bucket in order first, which
// brings it into cache far faster than the pass's random reads would; and
// it draws 32-bit numbers, two per 64-bit one, where the bucket allows:
// the draws cost as much as the swaps.
func (s *shuffler) shuffleBucket(xy []float64, stride int, rng *rand.PCG) {
	n := len(xy) / stride
	if uint64(n) > math.MaxUint32 {
		shuffleRange(xy, stride, rng, n-1, 0)
		return
	}
	sum := 0.0
	for i := 0; i < len(xy); i += 8 { // 8 float64s: a cache line
		sum += xy[i]
	}
	s.touched += sum
	// The draws are the 32-bit halves of the random numbers, low half
	// first, taken by Lemire's method as bounded does.
	var u uint64
	high := false // u's high half is the next draw
	for i := n - 1; i > 0; i-- {
		x := uint32(u >> 32)
		if !high {
			u = rng.Uint64()
			x = uint32(u)
		}
		high = !high
		m := uint64(x) * uint64(i+1)
		if uint32(m) < uint32(i+1) {
			m, u, high = reject32(rng, m, uint32(i+1), u, high)
		}
		if j := int(m >> 32); stride == 2 { // swapRows, inlined
			a, b := xy[2*i:2*i+2:2*i+2], xy[2*j:2*j+2:2*j+2]
			a[0], a[1], b[0], b[1] = b[0], b[1], a[0], a[1]
		} else {
			swapWide(xy, stride, i, j)
		}
	}
}

// reject32 finishes a 32-bit draw in [0, n) whose first product m may be
// rejected, drawing on from u and high as shuffleBucket does.
func reject32(rng *rand.PCG, m uint64, n uint32, u uint64, high bool) (uint64, uint64, bool) {
	thresh := -n % n
	for uint32(m) < thresh {
		x := uint32(u >> 32)
		if !high {
			u = rng.Uint64()
			x = uint32(u)
		}
		high = !high
		m = uint64(x) * uint64(n)
	}
	return m, u, high
}

// swapRows swaps rows i and j of xy.
func swapRows(xy []float64, stride, i, j int) {
	if stride != 2 {
		swapWide(xy, stride, i, j)
		return
	}
	a, b := xy[2*i:2*i+2:2*i+2], xy[2*j:2*j+2:2*j+2]
	a[0], a[1], b[0], b[1] = b[0], b[1], a[0], a[1]
}

func swapWide(xy []float64, stride, i, j int) {
	a, b := xy[i*stride:(i+1)*stride], xy[j*stride:(j+1)*stride]
	for k := range a {
		a[k], b[k] = b[k], a[k]
	}
}

// shuffleRange runs the Fisher–Yates steps i = hi down to lo+1.
func shuffleRange(xy []float64, stride int, rng *rand.PCG, hi, lo int) {
	for i := hi; i > lo; i-- {
		swapRows(xy, stride, i, int(bounded(rng, uint64(i+1))))
	}
}

// model is a linear model in training units: y ≈ w·x + b.
type model struct {
	w    []float64
	b    float64
	grad []float64 // scratch, len(w)
}

// sgd runs mini-batch gradient descent on the mean squared error over the
// rows of xy in order, batch rows per step, starting a new batch at row 0.
// Each step moves w and b by lr times the gradient of the batch's MSE:
// (2/m)·Σ r·x and (2/m)·Σ r with residual r = w·x + b - y.
func (m *model) sgd(xy []float64, lr float64, batch int) {
	if len(m.w) == 1 {
		m.w[0], m.b = sgd1(xy, m.w[0], m.b, lr, batch)
		return
	}
	m.sgdGeneral(xy, lr, batch)
}

// sgdGeneral is sgd for any number of features.
func (m *model) sgdGeneral(xy []float64, lr float64, batch int) {
	stride := len(m.w) + 1
	w, grad := m.w, m.grad
	n := len(xy) / stride
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		gb := m.batchGrad(xy[start*stride : end*stride])
		step := lr * 2 / float64(end-start)
		for j := range w {
			w[j] -= float64(step * grad[j])
		}
		m.b -= float64(step * gb)
	}
}

// sgd1 is sgd for one feature, without the loops over features. It does
// sgdGeneral's operations in the same order (b + w·x equals w·x + b
// exactly), so both give the same bits.
func sgd1(xy []float64, w, b, lr float64, batch int) (float64, float64) {
	for len(xy) > 0 {
		m := min(batch, len(xy)/2)
		rows := xy[:2*m]
		xy = xy[2*m:]
		gw, gb := 0.0, 0.0
		for i := 0; i+1 < len(rows); i += 2 {
			x, y := rows[i], rows[i+1]
			r := float64(w*x) + b - y
			gb += r
			gw += float64(r * x)
		}
		step := lr * 2 / float64(m)
		w -= float64(step * gw)
		b -= float64(step * gb)
	}
	return w, b
}

// rowsOf returns a sequence of the rows of xy.
func rowsOf(xy []float64, stride int) func(func(int, []float64) bool) {
	return func(yield func(int, []float64) bool) {
		for i := 0; len(xy) >= stride; i++ {
			if !yield(i, xy[:stride:stride]) {
				return
			}
			xy = xy[stride:]
		}
	}
}

// mse returns the mean squared error of the model over the rows of xy, or
// NaN if there are none.
func (m *model) mse(xy []float64) float64 {
	return mse(xy, m.w, m.b)
}

func mse(xy []float64, w []float64, b float64) float64 {
	if len(w) != 1 || len(xy) == 0 {
		return mseGeneral(xy, w, b)
	}
	// One feature: the same operations as mseGeneral, unrolled.
	sum, w0 := 0.0, w[0]
	for i := 0; i+1 < len(xy); i += 2 {
		r := float64(w0*xy[i]) + b - xy[i+1]
		sum += float64(r * r)
	}
	return sum / float64(len(xy)/2)
}

// mseGeneral is mse for any number of features.
func mseGeneral(xy []float64, w []float64, b float64) float64 {
	stride := len(w) + 1
	n := len(xy) / stride
	if n == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, row := range rowsOf(xy, stride) {
		p := b
		for j, wj := range w {
			p += float64(wj * row[j])
		}
		r := p - row[len(w)]
		sum += float64(r * r)
	}
	return sum / float64(n)
}
