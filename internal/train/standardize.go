package train

import (
	"context"
	"math"
)

// standardize scales every feature to zero mean and unit variance over the
// training rows, in place for all rows. A constant feature is only
// centred. The passes go row by row, every column at once, so that each
// row is read from memory once per pass; ctx is checked every cancelRows
// rows and its error returned (the rows may then be partly scaled).
func (t *trainer) standardize(ctx context.Context) error {
	f, k := len(t.features), t.stride
	first, varies, peak, err := scanColumns(ctx, t.train, k, f)
	if err != nil {
		return err
	}
	sc := &Scaler{Mean: make([]float64, f), Scale: make([]float64, f)}
	unit := make([]float64, f) // 0 skips the column
	for j := range f {
		if varies[j] {
			unit[j] = 1
		} else {
			// Its mean may differ from the value in the last bit, and its
			// standard deviation be that rounding error: exact values give
			// exact zeros.
			sc.Mean[j], sc.Scale[j] = first[j], 1
		}
	}
	if err := columnMoments(ctx, t.train, k, unit, sc.Mean, sc.Scale); err != nil {
		return err
	}
	redo := false
	for j := range f {
		unit[j] = 0
		mean, scale := sc.Mean[j], sc.Scale[j]
		if varies[j] && (!finite(mean) || !finite(scale) || scale < minPlainScale) && peak[j] > 0 {
			// The sums overflowed or the squared deviations underflowed;
			// the values divided by the column's largest magnitude do neither.
			unit[j], redo = peak[j], true
		}
	}
	if redo {
		if err := columnMoments(ctx, t.train, k, unit, sc.Mean, sc.Scale); err != nil {
			return err
		}
	}
	for j := range f {
		if sc.Scale[j] == 0 {
			sc.Scale[j] = 1
		}
	}
	for _, xy := range [][]float64{t.train, t.val} {
		for i, row := range rowsOf(xy, k) {
			if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			for j := range f {
				row[j] = (row[j] - sc.Mean[j]) / sc.Scale[j]
			}
		}
	}
	t.scaler = sc
	return nil
}

// scanColumns returns, for each of the first f columns of the rows in xy,
// its value on the first row, whether any row holds another value, and its
// largest magnitude.
func scanColumns(ctx context.Context, xy []float64, stride, f int) (first []float64, varies []bool, peak []float64, err error) {
	first, varies, peak = make([]float64, f), make([]bool, f), make([]float64, f)
	if len(xy) < stride {
		// No rows: no column is known to be constant.
		for j := range varies {
			varies[j] = true
		}
		return first, varies, peak, nil
	}
	copy(first, xy[:f])
	for i, row := range rowsOf(xy, stride) {
		if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		for j, v := range row[:f] {
			if v != first[j] {
				varies[j] = true
			}
			peak[j] = max(peak[j], math.Abs(v))
		}
	}
	return first, varies, peak, nil
}

// columnMoments sets mean[j] and sd[j] to the mean and the standard
// deviation of column j of the rows in xy, computed on the values divided
// by unit[j] and scaled back, for every column whose unit is not 0. Each
// column's sums add its values in row order, as a pass over that column
// alone would.
func columnMoments(ctx context.Context, xy []float64, stride int, unit, mean, sd []float64) error {
	n := float64(len(xy) / stride)
	cols := make([]int, 0, len(unit))
	sum := make([]float64, len(unit))
	for j, u := range unit {
		if u != 0 {
			cols = append(cols, j)
		}
	}
	for i, row := range rowsOf(xy, stride) {
		if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for _, j := range cols {
			sum[j] += row[j] / unit[j]
		}
	}
	m := make([]float64, len(unit))
	for _, j := range cols {
		m[j] = sum[j] / n
		sum[j] = 0
	}
	for i, row := range rowsOf(xy, stride) {
		if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for _, j := range cols {
			d := row[j]/unit[j] - m[j]
			sum[j] += float64(d * d)
		}
	}
	for _, j := range cols {
		mean[j], sd[j] = m[j]*unit[j], math.Sqrt(sum[j]/n)*unit[j]
	}
	return nil
}
