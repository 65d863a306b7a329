package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/agentdash/agentdash/internal/dataset"
)

// TestSGDOneFeatureMatchesGeneral: the unrolled one-feature kernel and the
// general loop compute the same bits.
func TestSGDOneFeatureMatchesGeneral(t *testing.T) {
	set, err := dataset.Synthetic(context.Background(), 1000, 2, 1, 0.3, 9)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 7, 32, 1000, 5000} {
		w, b := sgd1(set.XY, 0.25, -0.5, 0.05, batch)
		m := model{w: []float64{0.25}, b: -0.5, grad: make([]float64, 1)}
		m.sgdGeneral(set.XY, 0.05, batch)
		if !sameFloat(w, m.w[0]) || !sameFloat(b, m.b) {
			t.Fatalf("batch %d: one-feature kernel %v %v, general %v %v", batch, w, b, m.w[0], m.b)
		}
		if got, want := mse(set.XY, []float64{w}, b), mseGeneral(set.XY, []float64{w}, b); !sameFloat(got, want) {
			t.Fatalf("mse %v, general %v", got, want)
		}
	}
}

// TestSGDStep checks one full-batch step against the formula.
func TestSGDStep(t *testing.T) {
	xy := []float64{1, 2, 10, 3, 4, 5} // rows (1,2 -> 10), (3,4 -> 5)
	m := model{w: []float64{1, 1}, b: 1, grad: make([]float64, 2)}
	m.sgd(xy, 0.1, 2)
	// Residuals: 1+2+1-10 = -6, 3+4+1-5 = 3. Gradient (2/2)Σr·x: w1 -6+9 = 3,
	// w2 -12+12 = 0, b -6+3 = -3.
	if want := []float64{1 - 0.1*3, 1}; !slices.Equal(m.w, want) || m.b != 1+0.1*3 {
		t.Fatalf("after one step w = %v b = %v, want %v %v", m.w, m.b, want, 1.3)
	}
	if got := mse(xy, []float64{1, 1}, 1); got != (36+9)/2.0 {
		t.Fatalf("mse = %v, want 22.5", got)
	}
	if got := mse(nil, []float64{1}, 0); !math.IsNaN(got) {
		t.Fatalf("mse of no rows = %v, want NaN", got)
	}
}

// TestShuffleRows: a permutation of whole rows, uniform, and fixed by the
// seed.
func TestShuffleRows(t *testing.T) {
	for _, stride := range []int{2, 3} {
		const n = 5
		counts := make([][n]int, n) // counts[row][position]
		const trials = 50_000
		var rng rand.PCG
		for trial := range trials {
			xy := make([]float64, n*stride)
			for i := range n {
				for k := range stride {
					xy[i*stride+k] = float64(i*10 + k)
				}
			}
			rng.Seed(uint64(trial), 1)
			if err := shuffleRows(context.Background(), xy, stride, &rng); err != nil {
				t.Fatal(err)
			}
			seen := map[int]bool{}
			for pos := range n {
				row := int(xy[pos*stride]) / 10
				for k := range stride {
					if xy[pos*stride+k] != float64(row*10+k) {
						t.Fatalf("row %d was torn apart: %v", row, xy)
					}
				}
				seen[row] = true
				counts[row][pos]++
			}
			if len(seen) != n {
				t.Fatalf("not a permutation: %v", xy)
			}
		}
		// Each row lands in each position with probability 1/n: a chi-square
		// test with a generous bound (p < 1e-6 of a false failure).
		chi := 0.0
		exp := float64(trials) / n
		for _, c := range counts {
			for _, k := range c {
				chi += (float64(k) - exp) * (float64(k) - exp) / exp
			}
		}
		if chi > 70 { // 16 degrees of freedom
			t.Fatalf("stride %d: chi-square %.1f, positions are not uniform: %v", stride, chi, counts)
		}
	}
}

func TestBounded(t *testing.T) {
	var rng rand.PCG
	rng.Seed(1, 2)
	for _, n := range []uint64{1, 2, 3, 10, 1 << 40, math.MaxUint64} {
		for range 1000 {
			if v := bounded(&rng, n); v >= n {
				t.Fatalf("bounded(%d) = %d", n, v)
			}
		}
	}
}

func mustSolve(t *testing.T, xy []float64, features int) ([]float64, float64) {
	t.Helper()
	w, b, err := leastSquares(context.Background(), xy, features)
	if err != nil {
		t.Fatal(err)
	}
	return w, b
}

func TestLeastSquares(t *testing.T) {
	// Exact data y = 3a - 2b + 5 is fitted exactly.
	var xy []float64
	for i := range 50 {
		a, b := float64(i%7), float64(i*i%11)
		xy = append(xy, a, b, 3*a-2*b+5)
	}
	w, b := mustSolve(t, xy, 2)
	if math.Abs(w[0]-3) > 1e-9 || math.Abs(w[1]+2) > 1e-9 || math.Abs(b-5) > 1e-9 {
		t.Fatalf("exact fit: w %v b %v, want [3 -2] 5", w, b)
	}
	// A duplicated column makes the normal equations singular: the ridge
	// fallback splits the weight evenly and still reaches the minimum loss.
	xy = xy[:0]
	for i := range 50 {
		a := float64(i)
		xy = append(xy, a, a, 4*a+1)
	}
	w, b = mustSolve(t, xy, 2)
	if math.Abs(w[0]-2) > 1e-6 || math.Abs(w[1]-2) > 1e-6 || math.Abs(b-1) > 1e-6 || mse(xy, w, b) > 1e-9 {
		t.Fatalf("duplicate column: w %v b %v loss %g, want [2 2] 1 and loss 0", w, b, mse(xy, w, b))
	}
	// All features constant: the optimum predicts the mean.
	xy = []float64{7, 1, 7, 2, 7, 6}
	w, b = mustSolve(t, xy, 1)
	if w[0] != 0 || b != 3 {
		t.Fatalf("constant feature: w %v b %v, want [0] 3", w, b)
	}
}

// TestEpochAllocations: an epoch allocates nothing.
func TestEpochAllocations(t *testing.T) {
	for _, samples := range []int{1000, 3 * cancelRows} {
		cfg := testConfig()
		cfg.Synthetic.Samples = samples
		tr, err := newTrainer(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		e := 0
		ctx := t.Context()
		if allocs := testing.AllocsPerRun(5, func() { e++; tr.step(ctx, e) }); allocs != 0 {
			t.Fatalf("%d samples: %v allocations per epoch, want 0", samples, allocs)
		}
	}
	cfg := testConfig()
	cfg.Dataset = housing
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := 0
	if allocs := testing.AllocsPerRun(5, func() { e++; tr.step(t.Context(), e) }); allocs != 0 {
		t.Fatalf("three features: %v allocations per epoch, want 0", allocs)
	}
}

// TestShuffleRowsChunked: shuffling in chunks between cancellation checks
// draws the same permutation as one Fisher–Yates pass (seeded runs and
// resumed checkpoints depend on it), and a canceled context stops it.
func TestShuffleRowsChunked(t *testing.T) {
	for _, stride := range []int{2, 3} {
		n := 2*cancelRows + 3
		xy := make([]float64, n*stride)
		for i := range xy {
			xy[i] = float64(i)
		}
		want := slices.Clone(xy)
		var rng rand.PCG
		rng.Seed(7, 8)
		for i := n - 1; i > 0; i-- { // the textbook pass, row by row
			j := int(bounded(&rng, uint64(i+1)))
			for k := range stride {
				want[i*stride+k], want[j*stride+k] = want[j*stride+k], want[i*stride+k]
			}
		}
		rng.Seed(7, 8)
		if err := shuffleRows(t.Context(), xy, stride, &rng); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(xy, want) {
			t.Fatalf("stride %d: the chunked shuffle differs from one pass", stride)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := shuffleRows(ctx, xy, stride, &rng); !errors.Is(err, context.Canceled) {
			t.Fatalf("stride %d: shuffle with a canceled context = %v, want context.Canceled", stride, err)
		}
	}
}
