package dataset

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// sqrt3 scales the Irwin–Hall noise to unit variance. It is a constant, so
// the compiler rounds it once, identically for every target.
const sqrt3 = 1.7320508075688772935274463415058723669428052538103806280558069794519330169088

// Stream numbers keep the generators for different purposes independent
// for one seed.
const (
	// StreamData seeds the synthetic rows.
	StreamData = 0x5eed_da7a
)

// MaxSyntheticSamples is the most rows Synthetic makes: 100 million rows
// of two float64s are 1.6 GB.
const MaxSyntheticSamples = 100_000_000

// cancelRows is how many rows Synthetic makes between checks of its
// context.
const cancelRows = 1 << 20

// Synthetic returns n rows of y = weight·x + bias + noise·ε with one feature
// x drawn uniformly from [-2, 2) and ε approximately standard normal, from
// the PCG generator of math/rand/v2 seeded with (seed, [StreamData]).
//
// The rows are bit-identical for the same arguments on every OS and
// architecture: PCG is integer arithmetic, and the conversion to floats uses
// only exactly specified IEEE operations (+, -, ×) with explicit float64
// conversions that forbid fused multiply-add. ε is therefore not drawn with
// math.Log or math.Cos (as Box–Muller or rand.NormFloat64 would), whose
// results may differ in the last bit between platforms; it is the
// Irwin–Hall sum of four uniforms, centred and scaled to unit variance,
// which is bell-shaped and bounded by ±2√3.
//
// Making the largest sets takes seconds; Synthetic checks ctx every
// million rows and returns its error if it has ended.
func Synthetic(ctx context.Context, n int, weight, bias, noise float64, seed uint64) (*Set, error) {
	switch {
	case n < 1 || n > MaxSyntheticSamples:
		return nil, fmt.Errorf("synthetic data: %d samples, want 1 to %d", n, MaxSyntheticSamples)
	case !finite(weight) || !finite(bias):
		return nil, fmt.Errorf("synthetic data: weight %g and bias %g must be finite", weight, bias)
	case !finite(noise) || noise < 0:
		return nil, fmt.Errorf("synthetic data: noise %g must be finite and >= 0", noise)
	}
	rng := rand.NewPCG(seed, StreamData)
	unit := func() float64 { return float64(rng.Uint64()>>11) * 0x1p-53 } // exact, in [0, 1)
	xy := make([]float64, 2*n)
	for i := range n {
		if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("synthetic data: %w", ctx.Err())
		}
		x := float64(unit()*4) - 2
		eps := float64((unit() + unit() + unit() + unit() - 2) * sqrt3)
		xy[2*i] = x
		xy[2*i+1] = float64(weight*x) + bias + float64(noise*eps)
	}
	return &Set{Features: []string{"x"}, Target: "y", XY: xy}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
