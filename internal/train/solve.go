package train

import (
	"math"
)

// leastSquares returns the weights and bias minimising the mean squared
// error over the rows of xy (stride = features + 1), the closed-form
// optimum gradient descent is measured against.
//
// It solves the normal equations on centred data, C·w = c with
// C = cov(x, x) and c = cov(x, y), then b = mean(y) - w·mean(x); centring
// keeps C well conditioned when features have large means. C is symmetric
// positive semi-definite and tiny (features × features), so a Cholesky
// factorisation written here does the job; no library in our dependency
// set offers one. When C is singular (a constant feature, or one feature
// a multiple of another) the least-squares problem has many solutions; the
// fallback adds a ridge of 1e-9·trace(C)/features to the diagonal, which
// picks the solution of smallest norm to within that ridge and changes the
// loss negligibly. If every feature is constant the optimum predicts the
// mean of y.
func leastSquares(xy []float64, features int) (w []float64, b float64) {
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
	for _, row := range rowsOf(xy, stride) {
		for j, v := range row {
			d[j] = v - mean[j]
		}
		// C is symmetric: only its upper triangle (and c) is summed.
		for j := range features {
			dj := d[j]
			aj := a[j*stride : (j+1)*stride]
			for k := j; k < stride; k++ {
				aj[k] += dj * d[k]
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
		if !solveCholesky(a, features, 0, w) {
			solveCholesky(a, features, 1e-9*trace/float64(features), w)
		}
	}
	b = mean[features]
	for j := range features {
		b -= w[j] * mean[j]
	}
	return w, b
}

// solveCholesky solves (C + ridge·I)·w = c for the n×n symmetric matrix C
// stored with c as augmented rows of a (stride n+1), leaving a unchanged.
// It reports false if the matrix is not numerically positive definite.
func solveCholesky(a []float64, n int, ridge float64, w []float64) bool {
	stride := n + 1
	maxDiag := 0.0
	for j := range n {
		maxDiag = max(maxDiag, a[j*stride+j])
	}
	// L is lower triangular with C + ridge·I = L·Lᵀ.
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*stride+j]
			if i == j {
				s += ridge
			}
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if s <= 1e-12*maxDiag {
					return false
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	// Forward substitution L·z = c, then back substitution Lᵀ·w = z.
	for i := range n {
		s := a[i*stride+n]
		for k := range i {
			s -= l[i*n+k] * w[k]
		}
		w[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := w[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * w[k]
		}
		w[i] = s / l[i*n+i]
	}
	return true
}
