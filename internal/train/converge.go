package train

import "math"

// ModelKind says which model a run saved and returned.
type ModelKind string

// The models a run can return: after early stopping the best epoch's
// (by the monitored loss); otherwise the last epoch's, unless, without
// validation rows, an earlier epoch had a lower training loss, as Keras'
// restore_best_weights does. Mini-batch SGD's loss jitters around the
// optimum until the auto schedule has brought the rate down, and the
// epoch it came closest is worth more than the one it stopped at; with
// validation rows the best epoch is the best on them, which only early
// stopping asks for.
const (
	ModelLast ModelKind = "last" // the last epoch's
	ModelBest ModelKind = "best" // the best epoch's (BestEpoch), as Keras' restore_best_weights
)

// chosen is the model a run returns, with its losses.
type chosen struct {
	m           *model
	loss, vloss float64
	kind        ModelKind
}

// choose picks the model a run that stopped for stop returns: the best
// epoch's after early stopping, the last one after divergence (rolled back
// to the last good epoch), else the last one unless, without validation
// rows, the best epoch's training loss is lower.
func (t *trainer) choose(stop StopReason) chosen {
	if stop == StopEarlyStopped {
		return chosen{&t.bestM, t.bestLoss, t.bestVloss, ModelBest}
	}
	if stop != StopDiverged && len(t.val) == 0 && t.bestEpoch > 0 && t.bestEpoch < t.epoch && t.bestLoss < t.loss {
		return chosen{&t.bestM, t.bestLoss, t.bestVloss, ModelBest}
	}
	return chosen{&t.m, t.loss, t.vloss, ModelLast}
}

// chosen returns the model run picked when it ended, or the one it would
// pick for stop.
func (t *trainer) chosen(stop StopReason) chosen {
	if t.pick.m != nil {
		return t.pick
	}
	return t.choose(stop)
}

// gaps returns, per coefficient (the weights, then the bias), how far w
// and b lie from the closed-form optimum ow and ob, relative to the
// optimum's magnitude; nil without an optimum.
func gaps(w []float64, b float64, ow []float64, ob float64) []float64 {
	if ow == nil {
		return nil
	}
	rel := func(x, opt float64) float64 {
		if opt == 0 {
			return math.Abs(x)
		}
		return math.Abs(x-opt) / math.Abs(opt)
	}
	out := make([]float64, 0, len(w)+1)
	for j, x := range w {
		out = append(out, rel(x, ow[j]))
	}
	return append(out, rel(b, ob))
}

// plateau is the state of the auto schedule (see Schedule). The
// training loss of mini-batch SGD jitters from epoch to epoch, and its
// lowest value so far is a lucky draw that later epochs rarely beat while
// they still improve on average, so progress is judged on windows of
// DecaySteps epochs: a window whose mean loss is not below the previous
// window's is a plateau. Full-batch descent improves every epoch and never
// plateaus; a window shorter than the time SGD takes to settle after a
// decay keeps improving until it has settled, so the rate decays only as
// fast as the iterates follow it.
type plateau struct {
	sum    float64 // the training losses of the current window
	n      int     // the epochs in the current window
	prev   float64 // the mean loss of the previous window; 0 before the first
	decays int
}

// maxWindowDoublings bounds the doubling of the plateau window (about a
// million times DecaySteps epochs).
const maxWindowDoublings = 20

// window returns the length of the current window: steps doubled once
// per decay, up to maxWindowDoublings times and without overflowing.
func (p *plateau) window(steps int) int {
	w := steps
	for range min(p.decays, maxWindowDoublings) {
		if w > math.MaxInt/2 {
			break
		}
		w *= 2
	}
	return w
}

// update counts the epoch that ended with training loss loss.
func (p *plateau) update(loss float64, steps int) {
	p.sum += loss
	if p.n++; p.n < p.window(steps) {
		return
	}
	mean := p.sum / float64(p.n)
	if p.prev > 0 && !(mean < p.prev*(1-PlateauThreshold)) {
		p.decays++
	}
	p.prev, p.sum, p.n = mean, 0, 0
}

// lrAt returns the learning rate of epoch e: the auto schedule's
// after the decays counted when epoch e-1 ended, the others' by e alone.
func (t *trainer) lrAt(e int) float64 {
	return t.cfg.lrAt(e, t.plateau.decays)
}
