package train

import (
	"context"
	"math"
	"math/rand/v2"
)

// The epoch shuffle of data too large for one bucket has had two
// versions. Both give a uniform permutation per epoch drawn from the seed
// and the epoch number alone, but they draw it differently, so a run's
// trajectory depends on the version; a checkpoint records it (Config.Shuffle)
// and a resumed run keeps its file's. Data that fits in one bucket is
// shuffled by one Fisher–Yates pass in place in both.
const (
	// ShuffleInPlace (1) permutes the rows the previous epoch left, moving
	// them back and forth between two buffers (shuffler.shuffle).
	ShuffleInPlace = 1
	// ShuffleFromFile (2) leaves the training rows in file order and
	// permutes them anew each epoch into a second buffer, where the epoch
	// trains on them (bucketShuffle).
	ShuffleFromFile = 2
	// CurrentShuffle is the version new runs use.
	CurrentShuffle = ShuffleFromFile
)

// streamPlace is the random stream of the Fisher–Yates passes over the
// buckets of ShuffleFromFile; its bucket draws use streamShuffle.
const streamPlace = 0x91ace

// bucketShuffle is ShuffleFromFile. Each row draws one of k buckets
// (Rao and Sandelius' method, as shuffler), and the rows are copied in
// order into their buckets in a second buffer. Each bucket gets room for
// its expected count and 8 standard deviations more, so the copy needs no
// counting pass first; should a bucket overflow anyway, the draws are
// counted and the copy made again into exact places, which gives the same
// permutation. Then a forward Fisher–Yates pass over each bucket, in cache,
// moves each row to its final place right behind the rows placed before it,
// so that the placed rows are contiguous, and the epoch trains on them a
// few hundred at a time while they are still in the first-level cache
// (place); with one feature, the common case, the epoch trains on each row
// in the same step instead (placeTrain1). The training rows themselves are never written: the loss pass reads them
// in file order, and a resumed run has no shuffles to replay.
type bucketShuffle struct {
	spare   []float64 // k buckets of room rows each
	room    int       // rows per bucket
	slots   [maxBuckets]slot
	start   [maxBuckets]int // where each bucket's rows begin in spare
	stretch int             // rows placed between calls of ready; a field so tests can vary it
	touched float64         // keeps the reads that bring a bucket into cache
	ready   int             // the epoch whose bucket draws spare holds, 0 if none
}

// slot is a bucket's next free row and the end of its room.
type slot struct{ at, limit int }

// placeRows is how many rows a bucket's pass places before the epoch
// trains on them: 4 KiB of two-value rows, well within the first-level
// cache.
const placeRows = 256

// bucketRoom returns the rows a bucket of the shuffle of n rows into k
// buckets has room for: the expected count and 8 standard deviations
// (a chance of overflow below 10⁻¹⁵ per bucket).
func bucketRoom(n, k int) int {
	per := (n + k - 1) / k
	return per + 8*int(math.Ceil(math.Sqrt(float64(per)))) + 8
}

// shuffle permutes the rows of xy (of stride values each) uniformly at
// random with 1<<bits buckets, the bucket draws from scatter and the
// passes from place, calling ready as shuffler.shuffle does with the
// buffer of the placed rows and the number placed so far. xy is not
// written.
func (s *bucketShuffle) shuffle(ctx context.Context, xy []float64, stride, bits int, scatter, place *rand.PCG, ready func(rows []float64, end int) error) error {
	if err := s.scatter(ctx, xy, stride, bits, scatter); err != nil {
		return err
	}
	return s.place(ctx, stride, bits, place, ready)
}

// prepare sets s up to scatter n rows into 1<<bits buckets.
func (s *bucketShuffle) prepare(n, stride, bits int) []slot {
	k := 1 << bits
	if s.room == 0 {
		s.room = bucketRoom(n, k)
	}
	if len(s.spare) != k*s.room*stride {
		s.spare = make([]float64, k*s.room*stride)
	}
	slots := s.slots[:k]
	for b := range slots {
		s.start[b] = b * s.room
		slots[b] = slot{b * s.room, (b + 1) * s.room}
	}
	s.ready = 0
	return slots
}

// scatterLoss scatters the rows of src as scatter does, drawing from rng,
// and returns the mean squared error of the model (w, b) over them,
// computed as mse does, to the bit: one pass over the rows for both. It
// returns false, with the loss still right, if a bucket overflowed and the
// rows were not scattered; it does not check a context, as the loss pass
// alone does not.
func (s *bucketShuffle) scatterLoss(src []float64, stride, bits int, rng *rand.PCG, w []float64, b float64) (float64, bool) {
	slots := s.prepare(len(src)/stride, stride, bits)
	n := len(src) / stride
	if stride != 2 {
		ok, _ := scatterSlots(context.Background(), s.spare, src, stride, rng, bits, slots)
		return mseGeneral(src, w, b), ok
	}
	mask, per := uint64(len(slots)-1), 64/bits
	dst, w0, sum := s.spare, w[0], 0.0
	for i := 0; i < n; i += per {
		u := rng.Uint64()
		for r := i; r < min(i+per, n); r++ {
			x, y := src[2*r], src[2*r+1]
			e := float64(w0*x) + b - y
			sum += float64(e * e)
			sl := &slots[u&mask]
			p := sl.at
			if p == sl.limit {
				return mse(src, w, b), false
			}
			sl.at = p + 1
			dst[2*p], dst[2*p+1] = x, y
			u >>= bits
		}
	}
	return sum / float64(n), true
}

// scatter copies each row of src into the bucket it draws.
func (s *bucketShuffle) scatter(ctx context.Context, src []float64, stride, bits int, rng *rand.PCG) error {
	n := len(src) / stride
	slots := s.prepare(n, stride, bits)
	drawn := *rng
	ok, err := scatterSlots(ctx, s.spare, src, stride, rng, bits, slots)
	if ok || err != nil {
		return err
	}
	// A bucket is full: count the draws and copy again into exact places.
	*rng = drawn
	for b := range slots {
		slots[b] = slot{}
	}
	countDraws(n, rng, bits, slots)
	at := 0
	for b := range slots {
		c := slots[b].at
		s.start[b], slots[b] = at, slot{at, at + c}
		at += c
	}
	*rng = drawn
	_, err = scatterSlots(ctx, s.spare, src, stride, rng, bits, slots)
	return err
}

// countDraws adds to slots[b].at the number of rows that draw bucket b.
func countDraws(n int, rng *rand.PCG, bits int, slots []slot) {
	mask, per := uint64(len(slots)-1), 64/bits
	for i := 0; i < n; i += per {
		u := rng.Uint64()
		for range min(per, n-i) {
			slots[u&mask].at++
			u >>= bits
		}
	}
}

// scatterSlots copies the rows of src, in order, each into the next free
// row of the bucket it draws (bits bits of a random number each, so a
// 64-bit number serves 64/bits rows). It returns false, having copied only
// some, if a bucket's room runs out.
func scatterSlots(ctx context.Context, dst, src []float64, stride int, rng *rand.PCG, bits int, slots []slot) (bool, error) {
	n := len(src) / stride
	mask, per := uint64(len(slots)-1), 64/bits
	for i := 0; i < n; i += per {
		u := rng.Uint64()
		for r := i; r < min(i+per, n); r++ {
			sl := &slots[u&mask]
			p := sl.at
			if p == sl.limit {
				return false, nil
			}
			sl.at = p + 1
			if stride == 2 { // copy would call memmove for two values
				dst[2*p], dst[2*p+1] = src[2*r], src[2*r+1]
			} else {
				copy(dst[p*stride:(p+1)*stride], src[r*stride:(r+1)*stride])
			}
			u >>= bits
		}
		if i%cancelRows < per && i > 0 && ctx.Err() != nil {
			return true, ctx.Err()
		}
	}
	return true, nil
}

// drawBits is the width of the draws of place: three from each 64-bit
// random number. A bucket of c rows rejects a draw with probability below
// c/2²¹, a few in a thousand for the usual 4,096 rows.
const drawBits = 21

// place runs a forward Fisher–Yates pass over each bucket in turn: step i
// of a bucket of c rows swaps its row i with a uniformly drawn row of i to
// c-1, so row i is final, and moves that row to the end of the rows placed
// so far (it is never ahead of row i: every bucket before has room for at
// least its rows). After every stretch of rows, and at the end of each
// bucket, it calls ready with spare and the number of rows placed.
func (s *bucketShuffle) place(ctx context.Context, stride, bits int, rng *rand.PCG, ready func(rows []float64, end int) error) error {
	xy, done := s.spare, 0
	stretch := s.stretch
	if stretch == 0 {
		stretch = placeRows
	}
	var u uint64
	left := 0 // draws left in u
	for b := range 1 << bits {
		lo, c := s.start[b], s.slots[b].at-s.start[b]
		// Read the bucket in order first: that brings it into cache far
		// faster than the pass's random reads would.
		touch(xy, lo*stride, (lo+c)*stride, &s.touched)
		if c > 1<<drawBits {
			// Only for data of billions of rows: 64-bit draws.
			for i := range c {
				j := i
				if i < c-1 {
					j += int(bounded(rng, uint64(c-i)))
				}
				moveRow(xy, stride, lo+i, lo+j, done)
				done++
			}
			if err := ready(xy, done); err != nil {
				return err
			}
			continue
		}
		for i := 0; i < c; {
			end := min(c, i+stretch)
			for ; i < end; i++ {
				j := i
				if i < c-1 {
					// Lemire's multiply-and-reject on a 21-bit draw.
					if left == 0 {
						u, left = rng.Uint64(), 3
					}
					span := uint64(c - i)
					m := (u & (1<<drawBits - 1)) * span
					u >>= drawBits
					left--
					if m&(1<<drawBits-1) < span {
						m, u, left = reject21(rng, m, span, u, left)
					}
					j = i + int(m>>drawBits)
				}
				if stride == 2 { // moveRow, inlined
					a, r, d := 2*(lo+i), 2*(lo+j), 2*done
					x, y := xy[r], xy[r+1]
					xy[r], xy[r+1] = xy[a], xy[a+1]
					xy[d], xy[d+1] = x, y
				} else {
					moveRow(xy, stride, lo+i, lo+j, done)
				}
				done++
			}
			if err := ready(xy, done); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// touch reads one value of every cache line of xy[from:to] into sum.
func touch(xy []float64, from, to int, sum *float64) {
	t := 0.0
	for i := from; i < to; i += 8 { // 8 float64s: a cache line
		t += xy[i]
	}
	*sum += t
}

// placeTrain1 is place fused with the epoch's gradient steps for data of
// one feature: each row is trained on as its Fisher–Yates step makes it
// final, while it is in registers, so it is neither written to its place
// nor read again, and the additions of the gradient overlap the draws and
// moves. It takes the same steps as descend over the rows in the order
// place gives them, to the bit (the same operations in the same order).
func (s *bucketShuffle) placeTrain1(ctx context.Context, bits int, rng *rand.PCG, md *model, lr float64, batch int, o *optState) error {
	xy := s.spare
	w, b := md.w[0], md.b
	gw, gb, rows := 0.0, 0.0, 0
	var u uint64
	left := 0 // draws left in u
	for k := range 1 << bits {
		lo, c := s.start[k], s.slots[k].at-s.start[k]
		touch(xy, 2*lo, 2*(lo+c), &s.touched)
		bk := xy[2*lo : 2*(lo+c)]
		for i := range c {
			j := i
			if i < c-1 && c > 1<<drawBits {
				j += int(bounded(rng, uint64(c-i)))
			} else if i < c-1 {
				if left == 0 {
					u, left = rng.Uint64(), 3
				}
				span := uint64(c - i)
				m := (u & (1<<drawBits - 1)) * span
				u >>= drawBits
				left--
				if m&(1<<drawBits-1) < span {
					m, u, left = reject21(rng, m, span, u, left)
				}
				j += int(m >> drawBits)
			}
			x, y := bk[2*j], bk[2*j+1]
			bk[2*j], bk[2*j+1] = bk[2*i], bk[2*i+1]
			r := float64(w*x) + b - y
			gb += r
			gw += float64(r * x)
			if rows++; rows == batch {
				w, b = o.step1(w, b, gw, gb, rows, lr)
				gw, gb, rows = 0, 0, 0
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if rows > 0 {
		w, b = o.step1(w, b, gw, gb, rows, lr)
	}
	md.w[0], md.b = w, b
	return nil
}

// reject21 finishes a 21-bit draw in [0, span) whose first product m may
// be rejected, drawing on from u as place does.
func reject21(rng *rand.PCG, m, span, u uint64, left int) (uint64, uint64, int) {
	const mask = 1<<drawBits - 1
	thresh := (1<<drawBits - span) % span
	for m&mask < thresh {
		if left == 0 {
			u, left = rng.Uint64(), 3
		}
		m = (u & mask) * span
		u >>= drawBits
		left--
	}
	return m, u, left
}

// moveRow swaps rows i and j of xy and then moves row i to row to, which
// is i or a row already placed.
func moveRow(xy []float64, stride, i, j, to int) {
	swapRows(xy, stride, i, j)
	if to != i {
		copy(xy[to*stride:(to+1)*stride], xy[i*stride:(i+1)*stride])
	}
}
