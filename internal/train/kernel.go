package train

import (
	"context"
	"math"
	"math/bits"
	"math/rand/v2"
)

// The numeric kernels work on rows stored interleaved in one []float64:
// stride = features + 1 values per row, the target last. Shuffling moves
// whole rows in place, so a gradient step reads each row from one place
// instead of gathering x and y through an index array.
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

// shuffleRows permutes the rows of xy uniformly at random in place
// (Fisher–Yates). It checks ctx every cancelRows rows and returns its
// error, leaving the rows partly shuffled, if it has ended: a shuffle of
// 100 million rows takes seconds.
func shuffleRows(ctx context.Context, xy []float64, stride int, rng *rand.PCG) error {
	for hi := len(xy)/stride - 1; hi > 0; {
		lo := max(hi-cancelRows, 0)
		shuffleRange(xy, stride, rng, hi, lo)
		hi = lo
		if hi > 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// shuffleRange runs the Fisher–Yates steps i = hi down to lo+1.
func shuffleRange(xy []float64, stride int, rng *rand.PCG, hi, lo int) {
	if stride == 2 {
		for i := hi; i > lo; i-- {
			j := int(bounded(rng, uint64(i+1)))
			a, b := xy[2*i:2*i+2:2*i+2], xy[2*j:2*j+2:2*j+2]
			a[0], a[1], b[0], b[1] = b[0], b[1], a[0], a[1]
		}
		return
	}
	for i := hi; i > lo; i-- {
		j := int(bounded(rng, uint64(i+1)))
		a, b := xy[i*stride:(i+1)*stride], xy[j*stride:(j+1)*stride]
		for k := range a {
			a[k], b[k] = b[k], a[k]
		}
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
		clear(grad)
		gb := 0.0
		for _, row := range rowsOf(xy[start*stride:end*stride], stride) {
			p := m.b
			for j, wj := range w {
				p += float64(wj * row[j])
			}
			r := p - row[len(w)]
			gb += r
			for j := range grad {
				grad[j] += float64(r * row[j])
			}
		}
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
