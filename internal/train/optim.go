package train

import (
	"fmt"
	"math"
)

// Optimizer names the update rule of the gradient steps. With g the
// gradient of the batch's mean squared error at the parameters θ (the
// weights and the bias, each updated on its own) and η the epoch's
// learning rate (after the schedule):
//
//	sgd       θ ← θ − η·g
//	momentum  v ← μ·v + g;  θ ← θ − η·v
//	adam      t ← t + 1
//	          m ← β₁·m + (1 − β₁)·g
//	          v ← β₂·v + (1 − β₂)·g²
//	          θ ← θ − (η / (1 − β₁ᵗ)) · (m / (√v / √(1 − β₂ᵗ) + ε))
//
// as PyTorch's torch.optim.SGD (momentum μ, dampening 0, no Nesterov; the
// velocity v starts at 0, so the first step is plain SGD's) and
// torch.optim.Adam (no weight decay, no AMSGrad; m and v start at 0, t
// counts the steps of the whole run) compute them, in that order of
// operations. Every product is rounded on its own (never fused into a
// multiply-add) and β₁ᵗ, β₂ᵗ are running products, not math.Pow, so a run
// gives the same bits on every platform. The state (v; m, v, t) is saved
// in the checkpoint, and a resumed run continues it.
type Optimizer string

// The optimizers. The empty Optimizer means OptimizerSGD.
const (
	OptimizerSGD      Optimizer = "sgd"
	OptimizerMomentum Optimizer = "momentum"
	OptimizerAdam     Optimizer = "adam"
)

// PyTorch's defaults for the optimizers' parameters (momentum has none in
// PyTorch; 0.9 is Keras' and the usual choice).
const (
	DefaultMomentum = 0.9
	DefaultBeta1    = 0.9
	DefaultBeta2    = 0.999
	DefaultEps      = 1e-8
)

// Optimizers lists the valid optimizers, for help texts and forms.
func Optimizers() []Optimizer {
	return []Optimizer{OptimizerSGD, OptimizerMomentum, OptimizerAdam}
}

// effective returns the optimizer o means: the empty one is sgd.
func (o Optimizer) effective() Optimizer {
	if o == "" {
		return OptimizerSGD
	}
	return o
}

// validateOptimizer checks the optimizer and the parameters it uses.
func (c Config) validateOptimizer(bad func(string, ...any) error) error {
	unit := func(x float64) bool { return finite(x) && x >= 0 && x < 1 }
	switch c.Optimizer.effective() {
	case OptimizerSGD:
	case OptimizerMomentum:
		if !unit(c.Momentum) {
			return bad("momentum must be in [0, 1), got %g", c.Momentum)
		}
	case OptimizerAdam:
		switch {
		case !unit(c.Beta1):
			return bad("beta1 must be in [0, 1), got %g", c.Beta1)
		case !unit(c.Beta2):
			return bad("beta2 must be in [0, 1), got %g", c.Beta2)
		case !finite(c.Eps) || c.Eps <= 0:
			// ε = 0 would divide 0 by 0 for a parameter whose gradient
			// has been 0 so far.
			return bad("eps must be a finite number > 0, got %g", c.Eps)
		}
	default:
		return bad("optimizer %q is not one of %v", c.Optimizer, Optimizers())
	}
	return nil
}

// optState is an optimizer's state, in training units.
type optState struct {
	kind                  Optimizer // effective
	mu, beta1, beta2, eps float64
	m                     []float64 // momentum's velocity or Adam's first moment, per weight
	mb                    float64   // the same for the bias
	v                     []float64 // Adam's second moment, per weight
	vb                    float64
	steps                 int64   // Adam's t
	p1, p2                float64 // β₁ᵗ and β₂ᵗ
}

// newOptState returns cfg's optimizer at its start for features weights.
func newOptState(cfg Config, features int) optState {
	o := optState{kind: cfg.Optimizer.effective(), mu: cfg.Momentum, beta1: cfg.Beta1, beta2: cfg.Beta2, eps: cfg.Eps, p1: 1, p2: 1}
	if o.kind != OptimizerSGD {
		o.m = make([]float64, features)
	}
	if o.kind == OptimizerAdam {
		o.v = make([]float64, features)
	}
	return o
}

// copyFrom makes o a copy of src (of the same shape) without allocating.
func (o *optState) copyFrom(src *optState) {
	m, v := o.m, o.v
	*o = *src
	o.m, o.v = m, v
	copy(o.m, src.m)
	copy(o.v, src.v)
}

// descend runs one pass of mini-batch steps over the rows of xy in order,
// batch rows per step, with o's update rule. It dispatches once per call,
// so that plain SGD's loop is the one it always was.
func (m *model) descend(xy []float64, lr float64, batch int, o *optState) {
	switch o.kind {
	case OptimizerMomentum:
		if len(m.w) == 1 {
			momentum1(xy, m, lr, batch, o)
			return
		}
		m.stepGeneral(xy, lr, batch, o)
	case OptimizerAdam:
		if len(m.w) == 1 {
			adam1(xy, m, lr, batch, o)
			return
		}
		m.stepGeneral(xy, lr, batch, o)
	default:
		m.sgd(xy, lr, batch)
	}
}

// step1 is one step of o's update rule for one feature: from w and b,
// with the sums gw = Σ r·x and gb = Σ r of a batch of n rows, as sgd1,
// momentum1 and adam1 take it, to the bit.
func (o *optState) step1(w, b, gw, gb float64, n int, lr float64) (float64, float64) {
	switch o.kind {
	case OptimizerMomentum:
		scale := 2 / float64(n)
		o.m[0] = float64(o.mu*o.m[0]) + float64(scale*gw)
		o.mb = float64(o.mu*o.mb) + float64(scale*gb)
		return w - float64(lr*o.m[0]), b - float64(lr*o.mb)
	case OptimizerAdam:
		scale := 2 / float64(n)
		step, root := o.tick(lr)
		w, o.m[0], o.v[0] = o.adam(w, float64(scale*gw), o.m[0], o.v[0], step, root)
		b, o.mb, o.vb = o.adam(b, float64(scale*gb), o.mb, o.vb, step, root)
		return w, b
	default:
		step := lr * 2 / float64(n)
		return w - float64(step*gw), b - float64(step*gb)
	}
}

// grad1 returns the sums Σ r·x and Σ r of the residuals r = w·x + b − y
// over the rows of a one-feature batch, in sgd1's order.
func grad1(rows []float64, w, b float64) (gw, gb float64) {
	for i := 0; i+1 < len(rows); i += 2 {
		x, y := rows[i], rows[i+1]
		r := float64(w*x) + b - y
		gb += r
		gw += float64(r * x)
	}
	return gw, gb
}

// momentum1 is the momentum pass for one feature.
func momentum1(xy []float64, md *model, lr float64, batch int, o *optState) {
	w, b, vw, vb, mu := md.w[0], md.b, o.m[0], o.mb, o.mu
	for len(xy) > 0 {
		n := min(batch, len(xy)/2)
		gw, gb := grad1(xy[:2*n], w, b)
		xy = xy[2*n:]
		scale := 2 / float64(n)
		vw = float64(mu*vw) + float64(scale*gw)
		vb = float64(mu*vb) + float64(scale*gb)
		w -= float64(lr * vw)
		b -= float64(lr * vb)
	}
	md.w[0], md.b, o.m[0], o.mb = w, b, vw, vb
}

// adam1 is the Adam pass for one feature.
func adam1(xy []float64, md *model, lr float64, batch int, o *optState) {
	w, b := md.w[0], md.b
	mw, mb, vw, vb := o.m[0], o.mb, o.v[0], o.vb
	for len(xy) > 0 {
		n := min(batch, len(xy)/2)
		gw, gb := grad1(xy[:2*n], w, b)
		xy = xy[2*n:]
		scale := 2 / float64(n)
		step, root := o.tick(lr)
		w, mw, vw = o.adam(w, float64(scale*gw), mw, vw, step, root)
		b, mb, vb = o.adam(b, float64(scale*gb), mb, vb, step, root)
	}
	md.w[0], md.b = w, b
	o.m[0], o.mb, o.v[0], o.vb = mw, mb, vw, vb
}

// tick counts an Adam step and returns its step size η/(1 − β₁ᵗ) and
// √(1 − β₂ᵗ).
func (o *optState) tick(lr float64) (step, root float64) {
	o.steps++
	o.p1 = float64(o.p1 * o.beta1)
	o.p2 = float64(o.p2 * o.beta2)
	return lr / (1 - o.p1), math.Sqrt(1 - o.p2)
}

// adam updates one parameter theta with gradient g and moments m and v,
// returning all three.
func (o *optState) adam(theta, g, m, v, step, root float64) (float64, float64, float64) {
	m = float64(o.beta1*m) + float64((1-o.beta1)*g)
	v = float64(o.beta2*v) + float64(float64((1-o.beta2)*g)*g)
	denom := math.Sqrt(v)/root + o.eps
	return theta - float64(step*(m/denom)), m, v
}

// stepGeneral is the momentum or Adam pass for any number of features.
func (m *model) stepGeneral(xy []float64, lr float64, batch int, o *optState) {
	stride := len(m.w) + 1
	w, grad := m.w, m.grad
	n := len(xy) / stride
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		gb := m.batchGrad(xy[start*stride : end*stride])
		scale := 2 / float64(end-start)
		if o.kind == OptimizerMomentum {
			for j := range w {
				o.m[j] = float64(o.mu*o.m[j]) + float64(scale*grad[j])
				w[j] -= float64(lr * o.m[j])
			}
			o.mb = float64(o.mu*o.mb) + float64(scale*gb)
			m.b -= float64(lr * o.mb)
			continue
		}
		step, root := o.tick(lr)
		for j := range w {
			w[j], o.m[j], o.v[j] = o.adam(w[j], float64(scale*grad[j]), o.m[j], o.v[j], step, root)
		}
		m.b, o.mb, o.vb = o.adam(m.b, float64(scale*gb), o.mb, o.vb, step, root)
	}
}

// batchGrad sets m.grad to Σ r·x over the rows of xy and returns Σ r:
// one batch's gradient, for sgdGeneral and the adaptive optimizers alike.
func (m *model) batchGrad(xy []float64) float64 {
	w, grad := m.w, m.grad
	clear(grad)
	gb := 0.0
	for _, row := range rowsOf(xy, len(w)+1) {
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
	return gb
}

// optimizerJSON is the optimizer state in a checkpoint: absent for sgd
// and in files written before the optimizers existed.
type optimizerJSON struct {
	M     []jfloat `json:"m"` // momentum's velocity or Adam's first moment, per weight
	MBias jfloat   `json:"m_bias"`
	V     []jfloat `json:"v,omitempty"` // Adam's second moment
	VBias jfloat   `json:"v_bias,omitempty"`
	Steps int64    `json:"steps,omitempty"`   // Adam's t
	Beta1 jfloat   `json:"beta1_t,omitempty"` // β₁ᵗ
	Beta2 jfloat   `json:"beta2_t,omitempty"` // β₂ᵗ
}

// stateJSON returns o's state for a checkpoint, nil for sgd.
func (o *optState) stateJSON() *optimizerJSON {
	if o.kind == OptimizerSGD {
		return nil
	}
	s := &optimizerJSON{M: jfloats[float64, jfloat](o.m), MBias: jfloat(o.mb)}
	if o.kind == OptimizerAdam {
		s.V, s.VBias, s.Steps, s.Beta1, s.Beta2 = jfloats[float64, jfloat](o.v), jfloat(o.vb), o.steps, jfloat(o.p1), jfloat(o.p2)
	}
	return s
}

// checkOptimizer verifies that s is the state of optimizer kind for nf
// weights.
func checkOptimizer(kind Optimizer, s *optimizerJSON, nf int) error {
	if kind == OptimizerSGD {
		if s != nil {
			return fmt.Errorf("resume state has optimizer state for %s", kind)
		}
		return nil
	}
	if s == nil {
		return fmt.Errorf("resume state has no %s optimizer state", kind)
	}
	if len(s.M) != nf || !finite(jfloats[jfloat, float64](s.M)...) || !finite(float64(s.MBias)) {
		return fmt.Errorf("%s optimizer state has %d first moments for %d features, or non-finite values", kind, len(s.M), nf)
	}
	if kind != OptimizerAdam {
		return nil
	}
	v := append(jfloats[jfloat, float64](s.V), float64(s.VBias))
	for _, x := range v {
		if !finite(x) || x < 0 {
			return fmt.Errorf("adam optimizer state has a second moment of %g; want finite numbers >= 0", x)
		}
	}
	switch {
	case len(s.V) != nf:
		return fmt.Errorf("adam optimizer state has %d second moments for %d features", len(s.V), nf)
	case s.Steps < 0 || !(s.Beta1 >= 0 && s.Beta1 <= 1) || !(s.Beta2 >= 0 && s.Beta2 <= 1):
		return fmt.Errorf("adam optimizer state has %d steps and powers %g, %g of the betas", s.Steps, float64(s.Beta1), float64(s.Beta2))
	}
	return nil
}

// restoreJSON loads the checkpoint state s, checked by checkOptimizer,
// into o.
func (o *optState) restoreJSON(s *optimizerJSON) {
	if s == nil {
		return
	}
	copy(o.m, jfloats[jfloat, float64](s.M))
	o.mb = float64(s.MBias)
	if o.kind == OptimizerAdam {
		copy(o.v, jfloats[jfloat, float64](s.V))
		o.vb, o.steps, o.p1, o.p2 = float64(s.VBias), s.Steps, float64(s.Beta1), float64(s.Beta2)
	}
}
