package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestShuffleSmallIsOnePass: a set that fits in one bucket is shuffled by
// the textbook Fisher–Yates pass, draw for draw, so small runs and their
// checkpoints keep the row order they always had.
func TestShuffleSmallIsOnePass(t *testing.T) {
	for _, stride := range []int{2, 3} {
		n := bucketValues / stride
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
			t.Fatalf("stride %d: the shuffle of %d rows differs from one pass", stride, n)
		}
	}
}

// TestShuffleCanceled: a canceled context stops a large shuffle, and the
// rows are still a permutation of the original ones.
func TestShuffleCanceled(t *testing.T) {
	n := 2*cancelRows + 3
	xy := make([]float64, 2*n)
	for i := range n {
		xy[2*i], xy[2*i+1] = float64(i), float64(-i)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var rng rand.PCG
	if err := shuffleRows(ctx, xy, 2, &rng); !errors.Is(err, context.Canceled) {
		t.Fatalf("shuffle with a canceled context = %v, want context.Canceled", err)
	}
	checkPermutation(t, xy, n)
}

// checkPermutation fails unless the rows of xy, made as row i = (i, -i),
// are a permutation of the n original rows.
func checkPermutation(t *testing.T, xy []float64, n int) {
	t.Helper()
	seen := make([]bool, n)
	for pos := range n {
		i := int(xy[2*pos])
		if i < 0 || i >= n || xy[2*pos+1] != float64(-i) || seen[i] {
			t.Fatalf("row %d is (%v, %v): not a permutation of the rows", pos, xy[2*pos], xy[2*pos+1])
		}
		seen[i] = true
	}
}

// TestBucketedShuffleUniform: with any number of buckets, all 24
// orderings of 4 rows are equally likely (a chi-square test over the
// orderings), and rows stay whole.
func TestBucketedShuffleUniform(t *testing.T) {
	const n, trials = 4, 48_000
	for _, stride := range []int{2, 3} {
		for _, bits := range []int{0, 1, 2, 5} {
			var s shuffler
			var rng rand.PCG
			counts := map[[n]int]int{}
			xy := make([]float64, n*stride)
			for trial := range trials {
				for i := range xy {
					xy[i] = float64(i)
				}
				rng.Seed(uint64(trial), uint64(bits))
				out, err := s.shuffleBits(t.Context(), xy, stride, &rng, bits, nil)
				if err != nil {
					t.Fatal(err)
				}
				xy = out // the spare buffer takes turns with xy
				counts[rowOrder(t, out, stride, bits)]++
			}
			checkUniformOrderings(t, counts, trials, stride, bits)
		}
	}
}

// TestBucketedShuffleLarge checks the shuffle of a set large enough for
// buckets over many seeds: a permutation each time; every tenth of the rows
// spread evenly over every tenth of the positions (chi-square); and
// neighbouring rows in either order equally often, which a bucket left in
// the order the scatter fills it would not give.
func TestBucketedShuffleLarge(t *testing.T) {
	const n, trials = 20_000, 60
	if bucketBits(2*n) == 0 {
		t.Fatalf("%d rows fit in one bucket; the test needs more", n)
	}
	xy := make([]float64, 2*n)
	var s shuffler
	var rng rand.PCG
	var counts [10][10]int // counts[row tenth][position tenth]
	pos := make([]int, n)
	before := 0 // neighbours i, i+1 with i placed first
	for trial := range trials {
		for i := range n {
			xy[2*i], xy[2*i+1] = float64(i), float64(-i)
		}
		seedEpoch(&rng, uint64(trial), 1)
		out, err := s.shuffle(t.Context(), xy, 2, &rng, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkPermutation(t, out, n)
		for p := range n {
			i := int(out[2*p])
			pos[i] = p
			counts[i*10/n][p*10/n]++
		}
		for i := range n - 1 {
			if pos[i] < pos[i+1] {
				before++
			}
		}
		xy = out
	}
	chi, exp := 0.0, float64(n*trials)/100
	for _, row := range counts {
		for _, k := range row {
			chi += (float64(k) - exp) * (float64(k) - exp) / exp
		}
	}
	if chi > 165 { // 81 degrees of freedom: p < 1e-6 of a false failure
		t.Fatalf("chi-square %.1f: rows are not spread evenly over positions: %v", chi, counts)
	}
	// Each pair is in order with probability 1/2; over 1.2 million pairs the
	// share's standard deviation is below 0.0003, so 0.005 is 15 of them.
	if share := float64(before) / float64((n-1)*trials); math.Abs(share-0.5) > 0.005 {
		t.Fatalf("neighbouring rows are in order %.4f of the time, want 0.5", share)
	}
}

// TestStepTrainsAsItShuffles: an epoch that trains on each stretch of
// rows as soon as it is shuffled takes the same steps, to the bit, as
// shuffling all rows and then training on them in order, for batches that
// do and do not divide the buckets and the stretches, one and several
// features, with either shuffle: in place (the rows left in the new order,
// as a resumed run replays them) and from file order (the rows left as
// they were, the loss over them computed in the pass that scatters the
// next epoch's rows as the loss pass alone computes it).
func TestStepTrainsAsItShuffles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.csv")
	var csv strings.Builder
	csv.WriteString("a,b,y\n")
	for i := range 12_000 {
		a, b := float64(i%97)/10, float64(i*i%89)/10
		fmt.Fprintf(&csv, "%g,%g,%g\n", a, b, 3*a-2*b+1+float64(i%7)/10)
	}
	if err := os.WriteFile(path, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		shuffle int
		opt     Optimizer
	}{{ShuffleInPlace, OptimizerSGD}, {ShuffleFromFile, OptimizerSGD}, {ShuffleFromFile, OptimizerMomentum}, {ShuffleFromFile, OptimizerAdam}} {
		shuffle := c.shuffle
		for _, batch := range []int{1, 7, 32, 1000, 50_000} {
			for _, dataset := range []string{"", path} {
				cfg := testConfig()
				cfg.Synthetic.Samples, cfg.Dataset, cfg.Target, cfg.BatchSize, cfg.Shuffle = 12_000, dataset, "", batch, shuffle
				cfg.Optimizer, cfg.LR = c.opt, 0.01
				tr, err := newTrainer(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				bits := bucketBits(len(tr.train))
				if bits == 0 {
					t.Fatalf("%d rows fit in one bucket; the test needs more", len(tr.train)/tr.stride)
				}
				tr.buck.stretch = batch%5 + 3 // stretches that do not divide the batches
				file := slices.Clone(tr.train)
				rows := slices.Clone(tr.train)
				m := model{w: slices.Clone(tr.m.w), b: tr.m.b, grad: make([]float64, len(tr.m.w))}
				opt := newOptState(cfg, len(m.w))
				var rng rand.PCG
				var s bucketShuffle
				for e := 1; e <= 3; e++ {
					if !tr.step(t.Context(), e) {
						t.Fatal("epoch canceled")
					}
					if shuffle == ShuffleInPlace {
						seedEpoch(&rng, cfg.Seed, e)
						if err := shuffleRows(t.Context(), rows, tr.stride, &rng); err != nil {
							t.Fatal(err)
						}
					} else {
						rows = fromFile(t, &s, file, tr.stride, bits, cfg.Seed, e)
					}
					m.descend(rows, tr.lr, batch, &opt) // the rate step used
					left := rows                        // the rows as the epoch leaves them
					if shuffle == ShuffleFromFile {
						left = file
					}
					if !slices.Equal(tr.train, left) || !sameBits(tr.m.w, m.w) || !sameFloat(tr.m.b, m.b) {
						t.Fatalf("shuffle %d, %s, batch %d, %d features, epoch %d: trained while shuffling to w %v b %v, after shuffling to w %v b %v (rows as expected: %v)",
							shuffle, c.opt, batch, len(m.w), e, tr.m.w, tr.m.b, m.w, m.b, slices.Equal(tr.train, left))
					}
					if want := m.mse(tr.train); !sameFloat(tr.loss, want) {
						t.Fatalf("shuffle %d, batch %d, %d features, epoch %d: training loss %v, want %v", shuffle, batch, len(m.w), e, tr.loss, want)
					}
				}
			}
		}
	}
}

// TestResumeBucketed: a run on data large enough for the bucketed shuffle,
// split for validation by it too, resumes on the same trajectory, to the
// bit, from a checkpoint after any epoch.
func TestResumeBucketed(t *testing.T) {
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.Epochs, cfg.BatchSize = 20_000, 6, 16
	if bucketBits(2*cfg.Synthetic.Samples) == 0 {
		t.Fatal("the data fits in one bucket; the test needs more")
	}
	want := mustTrain(t, cfg, nil)
	for _, k := range []int{1, 3, 5} {
		second := cfg
		second.ResumeFrom = interruptAt(t, cfg, k)
		sameRun(t, mustTrain(t, second, nil), want)
	}
}
