package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandardizationConstantColumns: columns that hold one value on every
// row are constants whatever that value, also one such as 0.1 that float64
// cannot hold exactly (its mean then differs from it in the last bit). They
// get weight 0 and leave the fit to the varying column; scaled by the
// rounding error of their mean instead, ten of them drove training to NaN.
func TestStandardizationConstantColumns(t *testing.T) {
	const constants = 10
	var b strings.Builder
	for j := range constants {
		fmt.Fprintf(&b, "c%d,", j)
	}
	b.WriteString("x,y\n")
	for i := range 200 {
		for j := range constants {
			fmt.Fprintf(&b, "%g,", 0.1*float64(j+1))
		}
		fmt.Fprintf(&b, "%d,%d\n", i%10, 2*(i%10)+1)
	}
	data := filepath.Join(t.TempDir(), "constants.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Standardize = data, 50, StandardizeOn
	res := mustTrain(t, cfg, nil)
	for j, w := range res.Weights[:constants] {
		if w != 0 {
			t.Errorf("constant column %s: weight %g, want 0", res.Features[j], w)
		}
	}
	if w := res.Weights[constants]; math.Abs(w-2) > 1e-3 || math.Abs(res.Bias-1) > 1e-2 {
		t.Errorf("x weight %g, bias %g; want 2 and 1", w, res.Bias)
	}
}

// countdownCtx is a context whose Err reports context.Canceled from its
// calls-th call on: a cancellation that arrives midway through a pass.
type countdownCtx struct {
	context.Context
	calls int
}

func (c *countdownCtx) Err() error {
	if c.calls--; c.calls <= 0 {
		return context.Canceled
	}
	return nil
}

// standardizeTrainer is a trainer over rows rows of f features (and a
// target) whose column j is constant for j == 0, huge for j == 1, tiny for
// j == 2 and ordinary otherwise.
func standardizeTrainer(rows, f int) *trainer {
	rng := rand.New(rand.NewPCG(1, 2))
	k := f + 1
	xy := make([]float64, rows*k)
	for i := range rows {
		row := xy[i*k : (i+1)*k]
		for j := range f {
			v := rng.NormFloat64()*3 + float64(j)
			switch j {
			case 0:
				v = 0.1
			case 1:
				v *= 1e300
			case 2:
				v *= 1e-160
			}
			row[j] = v
		}
		row[f] = rng.Float64()
	}
	cut := rows * 3 / 4 * k
	return &trainer{features: make([]string, f), stride: k, train: xy[:cut:cut], val: xy[cut:]}
}

// TestStandardizeCanceled: a context canceled before or while the features
// are standardized ends standardize with its error, whichever pass it
// interrupts, instead of after reading every row of every column.
func TestStandardizeCanceled(t *testing.T) {
	for _, calls := range []int{1, 2, 3, 5, 8} {
		tr := standardizeTrainer(3*cancelRows, 4)
		ctx := &countdownCtx{Context: context.Background(), calls: calls}
		if err := tr.standardize(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("canceled at check %d: err %v, want context.Canceled", calls, err)
		}
		if tr.scaler != nil {
			t.Errorf("canceled at check %d: scaler set", calls)
		}
	}
}

// TestStandardizeColumnOrder: the row-by-row passes give every column the
// bits a pass over that column alone, in row order, gives.
func TestStandardizeColumnOrder(t *testing.T) {
	tr := standardizeTrainer(5000, 6)
	k, rows := tr.stride, len(tr.train)/tr.stride
	moments := func(j int, unit float64) (float64, float64) {
		var mean, ss float64
		for i := range rows {
			mean += tr.train[i*k+j] / unit
		}
		mean /= float64(rows)
		for i := range rows {
			d := tr.train[i*k+j]/unit - mean
			ss += float64(d * d)
		}
		return mean * unit, math.Sqrt(ss/float64(rows)) * unit
	}
	want := &Scaler{Mean: []float64{0.1}, Scale: []float64{1}}
	for j := 1; j < 6; j++ {
		mean, sd := moments(j, 1)
		if !finite(mean, sd) || sd < minPlainScale {
			peak := 0.0
			for i := range rows {
				peak = max(peak, math.Abs(tr.train[i*k+j]))
			}
			mean, sd = moments(j, peak)
		}
		want.Mean, want.Scale = append(want.Mean, mean), append(want.Scale, sd)
	}
	if err := tr.standardize(context.Background()); err != nil {
		t.Fatal(err)
	}
	for j := range 6 {
		if math.Float64bits(tr.scaler.Mean[j]) != math.Float64bits(want.Mean[j]) ||
			math.Float64bits(tr.scaler.Scale[j]) != math.Float64bits(want.Scale[j]) {
			t.Errorf("column %d: mean %v scale %v, want %v %v", j, tr.scaler.Mean[j], tr.scaler.Scale[j], want.Mean[j], want.Scale[j])
		}
	}
}
