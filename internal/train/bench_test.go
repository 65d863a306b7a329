package train

import (
	"context"
	"fmt"
	"testing"
)

// benchSamples is the training set size of the epoch benchmarks.
const benchSamples = 1_000_000

// benchTrainer prepares 1,000,000 synthetic rows, all for training.
func benchTrainer(b *testing.B, batch int) *trainer {
	return benchTrainerWith(b, batch, OptimizerSGD)
}

// benchTrainerWith is benchTrainer with optimizer opt.
func benchTrainerWith(b *testing.B, batch int, opt Optimizer) *trainer {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Optimizer = opt
	cfg.Synthetic.Samples = benchSamples
	cfg.ValFraction = 0
	cfg.BatchSize = batch
	cfg.LR = 0.01
	cfg.Checkpoint = ""
	t, err := newTrainer(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkEpoch measures one training epoch over 1,000,000 rows as Train
// runs it: the seeded shuffle, mini-batch gradient descent and the
// training-loss evaluation. A first epoch before the timed ones allocates
// the shuffle's second buffer, as a run's first epoch does. The runs
// named by batch alone are plain SGD's; the others name their optimizer.
func BenchmarkEpoch(b *testing.B) {
	for _, c := range []struct {
		batch int
		opt   Optimizer
	}{{32, OptimizerSGD}, {1024, OptimizerSGD}, {32, OptimizerMomentum}, {32, OptimizerAdam}} {
		name := fmt.Sprintf("batch=%d", c.batch)
		if c.opt != OptimizerSGD {
			name += ",optimizer=" + string(c.opt)
		}
		b.Run(name, func(b *testing.B) {
			t := benchTrainerWith(b, c.batch, c.opt)
			ctx := context.Background()
			if !t.step(ctx, 1) {
				b.Fatal("epoch canceled")
			}
			b.ReportAllocs()
			e := 1
			for b.Loop() {
				e++
				if !t.step(ctx, e) {
					b.Fatal("epoch canceled")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64((e-1)*benchSamples), "ns/sample")
		})
	}
}

// BenchmarkEpochPlainLoop is the baseline the issue on the epoch's speed
// measured against, kept as it was then: the same gradient steps and loss
// evaluation as BenchmarkEpoch at batch 32, written as a plain loop over x
// and y slices in file order, with no shuffle, in the b.Loop body. The
// compiler keeps every variable a b.Loop body assigns alive at each
// assignment, which makes this loop several times slower than the same
// loop in a function of its own: BenchmarkEpochPlainLoopTight, beside it.
func BenchmarkEpochPlainLoop(b *testing.B) {
	xs, ys := plainRows(b)
	const batch, lr = 32, 0.01
	w, bias := 0.0, 0.0
	b.ReportAllocs()
	for b.Loop() {
		for start := 0; start < benchSamples; start += batch {
			end := min(start+batch, benchSamples)
			gw, gb := 0.0, 0.0
			for i := start; i < end; i++ {
				r := w*xs[i] + bias - ys[i]
				gw += r * xs[i]
				gb += r
			}
			step := lr * 2 / float64(end-start)
			w -= step * gw
			bias -= step * gb
		}
		loss := 0.0
		for i := range xs {
			r := w*xs[i] + bias - ys[i]
			loss += r * r
		}
		sink = loss / benchSamples
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSamples), "ns/sample")
}

// BenchmarkEpochPlainLoopTight is BenchmarkEpochPlainLoop's loop in a
// function of its own (plainEpoch), compiled as tightly as Go allows: the
// floor of an epoch's arithmetic.
func BenchmarkEpochPlainLoopTight(b *testing.B) {
	xs, ys := plainRows(b)
	w, bias := 0.0, 0.0
	b.ReportAllocs()
	for b.Loop() {
		w, bias = plainEpoch(xs, ys, w, bias)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSamples), "ns/sample")
}

// plainRows returns the x and y columns of the benchmarks' rows.
func plainRows(b *testing.B) (xs, ys []float64) {
	t := benchTrainer(b, 32)
	xs, ys = make([]float64, benchSamples), make([]float64, benchSamples)
	for i := range benchSamples {
		xs[i], ys[i] = t.train[2*i], t.train[2*i+1]
	}
	return xs, ys
}

// plainEpoch is BenchmarkEpochPlainLoopTight's epoch.
func plainEpoch(xs, ys []float64, w, bias float64) (float64, float64) {
	const batch, lr = 32, 0.01
	for start := 0; start < len(xs); start += batch {
		end := min(start+batch, len(xs))
		gw, gb := 0.0, 0.0
		for i := start; i < end; i++ {
			r := w*xs[i] + bias - ys[i]
			gw += r * xs[i]
			gb += r
		}
		step := lr * 2 / float64(end-start)
		w -= step * gw
		bias -= step * gb
	}
	loss := 0.0
	for i := range xs {
		r := w*xs[i] + bias - ys[i]
		loss += r * r
	}
	sink = loss / float64(len(xs))
	return w, bias
}

var sink float64

// BenchmarkEpochParts measures the parts of BenchmarkEpoch/batch=32 on
// its 1,000,000 rows one by one, to show where an epoch's time goes: the
// pass that computes the loss and scatters the rows into their buckets
// for the next epoch, the passes over the buckets that place the rows
// without training and with it (as an epoch of one feature does), the
// gradient steps over rows in order, and the loss pass alone.
func BenchmarkEpochParts(b *testing.B) {
	t := benchTrainer(b, 32)
	bits := bucketBits(len(t.train))
	ctx := context.Background()
	if !t.step(ctx, 1) {
		b.Fatal("epoch canceled")
	}
	perSample := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSamples), "ns/sample")
	}
	b.Run("scatter+loss", func(b *testing.B) {
		e := 1
		for b.Loop() {
			e++
			seedEpoch(&t.rng, t.cfg.Seed, e)
			t.buck.scatterLoss(t.train, t.stride, bits, &t.rng, t.m.w, t.m.b)
		}
		perSample(b)
	})
	b.Run("place", func(b *testing.B) {
		skip := func([]float64, int) error { return nil }
		e := 1
		for b.Loop() {
			e++
			b.StopTimer()
			seedEpoch(&t.rng, t.cfg.Seed, e)
			if err := t.buck.scatter(ctx, t.train, t.stride, bits, &t.rng); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t.placeRng.Seed(t.cfg.Seed, mix(streamPlace+uint64(e)))
			if err := t.buck.place(ctx, t.stride, bits, &t.placeRng, skip); err != nil {
				b.Fatal(err)
			}
		}
		perSample(b)
	})
	b.Run("place+train", func(b *testing.B) {
		e := 1
		for b.Loop() {
			e++
			b.StopTimer()
			seedEpoch(&t.rng, t.cfg.Seed, e)
			if err := t.buck.scatter(ctx, t.train, t.stride, bits, &t.rng); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t.placeRng.Seed(t.cfg.Seed, mix(streamPlace+uint64(e)))
			if err := t.buck.placeTrain1(ctx, bits, &t.placeRng, &t.m, 0.01, 32, &t.opt); err != nil {
				b.Fatal(err)
			}
		}
		perSample(b)
	})
	b.Run("sgd", func(b *testing.B) {
		for b.Loop() {
			t.m.descend(t.train, 0.01, 32, &t.opt)
		}
		perSample(b)
	})
	b.Run("loss", func(b *testing.B) {
		for b.Loop() {
			sink = t.m.mse(t.train)
		}
		perSample(b)
	})
}
