package train

import (
	"context"
	"fmt"
	"math"
)

// Preconditioning reports whether a run trained on whitened features (see
// [Precondition]) and the condition numbers of its design.
type Preconditioning struct {
	Mode     Precondition // the mode asked for (auto, off or whiten)
	Whitened bool         // whether the features were whitened
	// Before and After are the condition numbers of the standardized
	// design and of the one gradient descent saw (equal unless Whitened);
	// NaN when not computed (without the closed-form reference).
	Before, After float64
	// Skipped says why the features were not whitened although the mode
	// asked for it (whiten, or auto without the condition number to decide
	// on); "" otherwise.
	Skipped string
}

// whitener decorrelates standardized features: u = z·L⁻ᵀ, where L·Lᵀ = R is
// the correlation matrix of the training rows' features, so that u's
// covariance is about the identity and gradient descent progresses at one
// rate in every direction. A model v on u is the model w = L⁻ᵀ·v on z.
type whitener struct {
	n   int
	inv []float64 // L⁻¹, lower triangular, n×n row-major
}

// newWhitener builds the whitener of the features whose augmented
// covariance matrix (of solveLeastSquares: n × (n+1), row-major) is cov. A
// constant feature (zero variance) is left as it is. It reports false when
// the correlation matrix is not numerically positive definite (linearly
// dependent features).
func newWhitener(ctx context.Context, cov []float64, n int) (*whitener, bool, error) {
	stride := n + 1
	r := make([]float64, n*n)
	for j := range n {
		for k := range n {
			cjj, ckk := cov[j*stride+j], cov[k*stride+k]
			switch {
			case j == k:
				r[j*n+k] = 1
			case cjj > 0 && ckk > 0:
				r[j*n+k] = cov[j*stride+k] / math.Sqrt(float64(cjj*ckk))
			}
		}
	}
	l, ok, err := cholesky(ctx, r, n, n, 0)
	if !ok || err != nil {
		return nil, false, err
	}
	// L⁻¹ column by column: L·m = e_c by forward substitution.
	inv := make([]float64, n*n)
	for c := range n {
		for i := c; i < n; i++ {
			s := 0.0
			if i == c {
				s = 1
			}
			for k := c; k < i; k++ {
				s -= float64(l[i*n+k] * inv[k*n+c])
			}
			inv[i*n+c] = s / l[i*n+i]
		}
	}
	return &whitener{n: n, inv: inv}, true, nil
}

// apply whitens the features of every row of xy (stride n+1) in place:
// u_j = Σ_{k≤j} z_k·L⁻¹[j][k]. Going from the last feature down, each u_j
// reads only features not yet overwritten. ctx is checked every cancelRows
// rows.
func (wh *whitener) apply(ctx context.Context, xy []float64) error {
	n := wh.n
	for i, row := range rowsOf(xy, n+1) {
		if i%cancelRows == 0 && i > 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for j := n - 1; j >= 0; j-- {
			s := 0.0
			for k := 0; k <= j; k++ {
				s += float64(row[k] * wh.inv[j*n+k])
			}
			row[j] = s
		}
	}
	return nil
}

// standard maps weights v on the whitened features to weights on the
// standardized ones, w = L⁻ᵀ·v, into dst (reused if large enough).
func (wh *whitener) standard(v, dst []float64) []float64 {
	n := wh.n
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for k := range n {
		s := 0.0
		for j := k; j < n; j++ {
			s += float64(wh.inv[j*n+k] * v[j])
		}
		dst[k] = s
	}
	return dst
}

// covariance returns the augmented covariance matrix (n × (n+1), the last
// column 0) of the whitened features, L⁻¹·C·L⁻ᵀ, from that of the
// standardized ones, cov, for its condition number.
func (wh *whitener) covariance(cov []float64) []float64 {
	n, stride := wh.n, wh.n+1
	tmp := make([]float64, n*n) // L⁻¹·C
	for i := range n {
		for k := range n {
			s := 0.0
			for j := 0; j <= i; j++ {
				s += float64(wh.inv[i*n+j] * cov[j*stride+k])
			}
			tmp[i*n+k] = s
		}
	}
	out := make([]float64, n*stride)
	for i := range n {
		for k := range n {
			s := 0.0
			for j := 0; j <= k; j++ {
				s += float64(tmp[i*n+j] * wh.inv[k*n+j])
			}
			out[i*stride+k] = s
		}
	}
	return out
}

// precondition decides whether to whiten the features, as the config's
// Precondition and the design's condition number say, and if so whitens the
// training and validation rows in place. It runs after reference, whose
// covariance matrix cov (nil when it was skipped) it reuses, and on a
// resumed run on the same rows in the same order, so the transform is the
// same bits as the saved run's.
func (t *trainer) precondition(ctx context.Context, cov []float64) error {
	mode := t.cfg.Precondition.effective()
	p := Preconditioning{Mode: mode, Before: math.NaN(), After: math.NaN()}
	if t.collinear != nil {
		p.Before, p.After = t.collinear.Condition, t.collinear.Condition
	}
	defer func() { t.precond = p }()
	switch {
	case mode == PreconditionOff:
		return nil
	case t.scaler == nil:
		if mode == PreconditionWhiten { // Validate refuses it; kept for safety
			p.Skipped = "the features are not standardized"
		}
		return nil
	case cov == nil:
		p.Skipped = "the closed-form reference, whose covariance matrix it needs, was not computed: " + t.skipped
		return nil
	case mode == PreconditionAuto && !t.collinear.Collinear():
		return nil
	}
	f := len(t.features)
	wh, ok, err := newWhitener(ctx, cov, f)
	if err != nil {
		return err
	}
	if !ok {
		p.Skipped = fmt.Sprintf("the features are linearly dependent (condition number %.3g): their correlation matrix has no Cholesky factor", p.Before)
		return nil
	}
	for _, xy := range [][]float64{t.train, t.val} {
		if err := wh.apply(ctx, xy); err != nil {
			return err
		}
	}
	t.whiten, p.Whitened = wh, true
	p.After = collinearity(wh.covariance(cov), t.features).Condition
	return nil
}
