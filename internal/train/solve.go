package train

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MinClosedFormWork is the work (multiply-adds, see closedFormWork) up to
// which the closed-form reference is always computed, whatever the
// training costs: about a tenth of a second, too little to notice.
const MinClosedFormWork = 1e8

// closedFormWork estimates the multiply-adds leastSquares spends on rows
// rows of features features: the covariance matrix's upper triangle
// (rows·f·(f+1)/2), then up to two Cholesky factorisations (f³/6 each, the
// second one if the first finds the matrix singular).
func closedFormWork(rows, features int) float64 {
	r, f := float64(rows), float64(features)
	return r*f*(f+1)/2 + f*f*f/3
}

// trainingWork estimates the multiply-adds of epochs epochs of training on
// rows rows of features features: per row and epoch, a prediction and a
// gradient in the step and a prediction for the loss.
func trainingWork(epochs, rows, features int) float64 {
	return 3 * float64(epochs) * float64(rows) * float64(features+1)
}

// skipClosedForm says why the closed-form reference is not worth computing
// for a run of epochs epochs on rows rows of features features, or "" if it
// is: it is computed when it costs at most MinClosedFormWork, or at most
// both MaxClosedFormWork and the training it is compared with. Its cost is
// cubic in the features, the training's linear, so wide data skips it: 20
// rows of 5,000 features would take about 4e10 multiply-adds and 400 MB,
// where an epoch takes 3e5.
func skipClosedForm(epochs, rows, features int) string {
	work, train := closedFormWork(rows, features), trainingWork(epochs, rows, features)
	switch {
	case work <= MinClosedFormWork || work <= MaxClosedFormWork && work <= train:
		return ""
	case work > MaxClosedFormWork:
		return fmt.Sprintf("%d features on %d rows would take about %.2g multiply-adds, over the limit of %.2g (about half a second)",
			features, rows, work, float64(MaxClosedFormWork))
	}
	return fmt.Sprintf("%d features on %d rows would take about %.2g multiply-adds, more than the training itself (%.2g)",
		features, rows, work, train)
}

// leastSquares returns the weights and bias minimising the mean squared
// error over the rows of xy (stride = features + 1), the closed-form
// optimum gradient descent is measured against.
//
// It solves the normal equations on centred data, C·w = c with
// C = cov(x, x) and c = cov(x, y), then b = mean(y) - w·mean(x); centring
// keeps C well conditioned when features have large means. C is symmetric
// positive semi-definite and tiny (features × features): its Cholesky
// factorisation (see cholesky for why it is not gonum's) does the job. When C is singular (a constant feature, or one feature
// a multiple of another) the least-squares problem has many solutions; the
// fallback adds a ridge of 1e-9·trace(C)/features to the diagonal, which
// picks the solution of smallest norm to within that ridge and changes the
// loss negligibly. If every feature is constant the optimum predicts the
// mean of y. It returns ctx's error if ctx is canceled midway, checked
// every few million multiply-adds.
func leastSquares(ctx context.Context, xy []float64, features int) (w []float64, b float64, err error) {
	w, b, _, err = solveLeastSquares(ctx, xy, features)
	return w, b, err
}

// solveLeastSquares is leastSquares that also returns the augmented
// covariance matrix [C | c] (features × (features+1), row-major) it
// solved, for collinearity.
func solveLeastSquares(ctx context.Context, xy []float64, features int) (w []float64, b float64, cov []float64, err error) {
	stride := features + 1
	n := len(xy) / stride
	mean := make([]float64, stride)
	for _, row := range rowsOf(xy, stride) {
		for j, v := range row {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	// a is the augmented matrix [C | c], row-major, features × stride.
	a := make([]float64, features*stride)
	d := make([]float64, stride)
	every := max(1, cancelWork/(features*stride)) // rows between checks
	for i, row := range rowsOf(xy, stride) {
		if i%every == 0 && ctx.Err() != nil {
			return nil, 0, nil, ctx.Err()
		}
		for j, v := range row {
			d[j] = v - mean[j]
		}
		// C is symmetric: only its upper triangle (and c) is summed.
		for j := range features {
			dj := d[j]
			aj := a[j*stride : (j+1)*stride]
			for k := j; k < stride; k++ {
				aj[k] += float64(dj * d[k]) // rounded on its own: whitening trains on these sums
			}
		}
	}
	for j := range features {
		for k := range j {
			a[j*stride+k] = a[k*stride+j]
		}
	}
	w = make([]float64, features)
	trace := 0.0
	for j := range features {
		trace += a[j*stride+j]
	}
	if trace > 0 {
		ok, err := solveCholesky(ctx, a, features, 0, w)
		if err == nil && !ok {
			_, err = solveCholesky(ctx, a, features, 1e-9*trace/float64(features), w)
		}
		if err != nil {
			return nil, 0, nil, err
		}
	}
	b = mean[features]
	for j := range features {
		b -= w[j] * mean[j]
	}
	return w, b, a, nil
}

// cancelWork is about how many multiply-adds leastSquares does between
// checks of its context: a few milliseconds.
const cancelWork = 1 << 22

// solveCholesky solves (C + ridge·I)·w = c for the n×n symmetric matrix C
// stored with c as augmented rows of a (stride n+1), leaving a unchanged.
// It reports false if the matrix is not numerically positive definite, and
// returns ctx's error if ctx is canceled midway.
func solveCholesky(ctx context.Context, a []float64, n int, ridge float64, w []float64) (bool, error) {
	stride := n + 1
	l, ok, err := cholesky(ctx, a, stride, n, ridge)
	if !ok || err != nil {
		return false, err
	}
	// Forward substitution L·z = c, then back substitution Lᵀ·w = z.
	for i := range n {
		s := a[i*stride+n]
		for k := range i {
			s -= float64(l[i*n+k] * w[k])
		}
		w[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := w[i]
		for k := i + 1; k < n; k++ {
			s -= float64(l[k*n+i] * w[k])
		}
		w[i] = s / l[i*n+i]
	}
	return true, nil
}

// cholesky returns the lower triangular L (n×n, row-major) with
// C + ridge·I = L·Lᵀ, for the n×n symmetric matrix C stored in the first n
// columns of the rows of a (of stride stride). It reports false if the
// matrix is not numerically positive definite, and returns ctx's error if
// ctx is canceled midway. It is written here rather than taken from gonum
// because whitening trains on its result: every product is rounded on its
// own (the float64 conversions forbid fused multiply-adds, which gonum's
// pure-Go kernels get on arm64), so L is the same bits on every
// architecture.
func cholesky(ctx context.Context, a []float64, stride, n int, ridge float64) ([]float64, bool, error) {
	maxDiag := 0.0
	for j := range n {
		maxDiag = max(maxDiag, a[j*stride+j])
	}
	l := make([]float64, n*n)
	work := 0 // multiply-adds since the last check of ctx
	for i := range n {
		if work += i * i / 2; work >= cancelWork {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
			work = 0
		}
		for j := 0; j <= i; j++ {
			s := a[i*stride+j]
			if i == j {
				s += ridge
			}
			for k := range j {
				s -= float64(l[i*n+k] * l[j*n+k])
			}
			if i == j {
				if s <= 1e-12*maxDiag {
					return nil, false, nil
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	return l, true, nil
}

// CollinearCondition is the condition number of the standardized features
// above which a run warns of collinearity. Belsley, Kuh and Welsch (1980)
// read condition indices of scaled data above 30 as strong dependence;
// gradient descent's progress along the weakest direction is then about
// cond² times slower than along the strongest, so the loss can look done
// while some weights are far off.
const CollinearCondition = 30

// Collinearity describes how close the features come to being linearly
// dependent, on the training rows.
type Collinearity struct {
	// Condition is the condition number of the standardized design (the
	// features centred and scaled to unit variance, constant ones left
	// out): √(λmax/λmin) of their correlation matrix; +Inf when they are
	// linearly dependent, 1 for a single feature.
	Condition float64
	// Pair names the two features with the largest |correlation|, R;
	// empty with fewer than two non-constant features.
	Pair [2]string
	R    float64
}

// Collinear reports whether the condition number is over
// CollinearCondition.
func (c *Collinearity) Collinear() bool { return c != nil && c.Condition > CollinearCondition }

// collinearity computes the Collinearity of the features named from the
// augmented covariance matrix cov of solveLeastSquares. The eigenvalues
// come from gonum's symmetric eigensolver.
func collinearity(cov []float64, names []string) *Collinearity {
	f := len(names)
	stride := f + 1
	var keep []int // non-constant features
	for j := range f {
		if cov[j*stride+j] > 0 {
			keep = append(keep, j)
		}
	}
	c := &Collinearity{Condition: 1}
	if len(keep) < 2 {
		return c
	}
	n := len(keep)
	r := mat.NewSymDense(n, nil)
	best := -1.0
	for a, j := range keep {
		for b, k := range keep[:a+1] {
			v := cov[j*stride+k] / math.Sqrt(cov[j*stride+j]*cov[k*stride+k])
			r.SetSym(a, b, v)
			if a != b && math.Abs(v) > best {
				best, c.Pair, c.R = math.Abs(v), [2]string{names[k], names[j]}, v
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(r, false) {
		c.Condition = math.Inf(1)
		return c
	}
	vals := eig.Values(nil) // ascending
	lo, hi := vals[0], vals[n-1]
	if lo <= hi*1e-15 {
		c.Condition = math.Inf(1)
		return c
	}
	c.Condition = math.Sqrt(hi / lo)
	return c
}
