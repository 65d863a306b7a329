// Package train fits linear regression models by mini-batch gradient
// descent, deterministically: the same [Config] and seed give the same loss
// history and weights, bit for bit.
//
// [Train] runs synchronously and calls back once per epoch; [Start] runs in
// the background and publishes progress a consumer can read at its own pace
// without ever slowing the loop. Models are saved to JSON checkpoints
// ([Checkpoint]) that [LoadCheckpoint] validates and serves predictions
// from, and a run can resume from a checkpoint along the exact trajectory it
// would have taken uninterrupted.
package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/agentdash/agentdash/internal/dataset"
	"github.com/agentdash/agentdash/internal/series"
)

// HistoryBuckets is the number of buckets kept for each loss history; with
// pairwise merging, memory stays flat however many epochs run.
const HistoryBuckets = 1024

// divergeFactor: a training loss this many times that of the all-zero
// model (where training starts) counts as divergence at once. A run that
// ends with a loss above the all-zero model's, however slowly it got
// there, diverged too (see run).
const divergeFactor = 100

// minPlainScale: a standard deviation below it may come from squared
// deviations that lost precision to underflow (below about 1e-154 they are
// under the smallest normal float64), so it is computed again on scaled
// values.
const minPlainScale = 1e-150

// MaxClosedFormWork bounds the work (multiply-adds, see closedFormWork:
// rows × features × (features+1) / 2 for the covariances and features³ / 3
// for the factorisations) spent before training on the closed-form optimum
// that losses are compared with (OptimalLoss, the "gap"): about half a
// second. Beyond MinClosedFormWork it is also not computed when it costs
// more than the training it is compared with (3 × epochs × rows ×
// (features+1)): see Result.OptimalSkipped. Wider data (1,000,000 rows with
// more than 31 features, 10,000 rows with more than 312, any data with more
// than 1,144) trains without it rather than waiting for it, and its
// features × features matrix stays small.
const MaxClosedFormWork = 5e8

// cancelRows is how many rows an epoch processes between checks for
// cancellation.
const cancelRows = 1 << 16

// StopReason says why a run ended.
type StopReason string

// The reasons a run stops.
const (
	StopCompleted    StopReason = "completed"     // ran all epochs
	StopEarlyStopped StopReason = "early-stopped" // no improvement for Patience epochs
	StopCanceled     StopReason = "canceled"      // context canceled or Run.Stop
	StopDiverged     StopReason = "diverged"      // loss became NaN, infinite or exploded
)

// ErrDiverged is wrapped by the error returned when training diverges.
var ErrDiverged = errors.New("training diverged")

// ErrResume is wrapped, with [ErrInput], by the error returned when a
// checkpoint cannot be resumed with the config given: settings that shape
// the run differ from the checkpoint's, epochs do not go beyond it, or the
// data is not the same.
var ErrResume = errors.New("cannot resume")

// ErrRange is wrapped, with [ErrInput], by the error returned when the
// data's values are too large for the squared error to be computed in
// float64.
var ErrRange = errors.New("out of range")

// ErrInput is wrapped, alongside the cause, by every error about a run's
// inputs rather than the run itself: the config, the data, the checkpoint
// path, and the checkpoint to resume and whether it can be resumed. A
// caller tells input errors from failures with errors.Is(err, ErrInput).
var ErrInput = errors.New("bad training input")

// inputError marks err as wrapping ErrInput without changing its text.
type inputError struct{ err error }

func (e inputError) Error() string   { return e.err.Error() }
func (e inputError) Unwrap() []error { return []error{e.err, ErrInput} }

// input marks err, if any, as an input error.
func input(err error) error {
	if err == nil {
		return nil
	}
	return inputError{err}
}

// Phase names what a run is doing before and around its epochs, as
// reported to [WithPhases]; all but PhaseTraining can take seconds on large
// data, and every one of them stops soon after the context is canceled.
type Phase string

// The phases of a run, in order. PhaseReference is skipped when the
// closed-form reference is not computed (see MaxClosedFormWork), and
// PhaseReplaying without a resume.
const (
	PhaseLoading   Phase = "loading the data"                     // reading the CSV file or generating the synthetic rows
	PhasePreparing Phase = "preparing the data"                   // split, standardization, range checks
	PhaseReference Phase = "computing the closed-form reference"  // the optimum losses are compared with
	PhaseReplaying Phase = "replaying the resumed run's shuffles" // so the next epoch sees the rows in the saved run's order
	PhaseTraining  Phase = "training"                             // the epochs
	PhaseSaving    Phase = "saving the checkpoint"                // after the last epoch
)

// Option adjusts how [Train] and [Start] report on a run.
type Option func(*options)

type options struct {
	onPhase func(Phase)
}

// WithPhases calls fn as each phase of the run begins, on the goroutine
// that runs it (for [Start], PhaseLoading to PhaseReplaying on the caller's
// and the rest on the run's). fn must return quickly.
func WithPhases(fn func(Phase)) Option {
	return func(o *options) { o.onPhase = fn }
}

func (o *options) phase(p Phase) {
	if o.onPhase != nil {
		o.onPhase(p)
	}
}

// Event reports the state after an epoch.
type Event struct {
	Epoch         int           // epochs completed, counting those before a resume
	Epochs        int           // total epochs configured
	TrainLoss     float64       // MSE on the training rows after this epoch
	ValLoss       float64       // MSE on the validation rows; NaN without validation
	BestLoss      float64       // lowest monitored loss so far (validation if any, else training)
	BestEpoch     int           // epoch of BestLoss
	OptimalLoss   float64       // closed-form least-squares MSE on the training rows; NaN if not computed (see MaxClosedFormWork)
	LR            float64       // learning rate used in this epoch
	SamplesPerSec float64       // training rows per second in this epoch
	Elapsed       time.Duration // training time in this run, pauses excluded
	Weights       []float64     // current weights in original units (see Train for ownership)
	Bias          float64       // current bias in original units
}

// Result describes a finished run.
type Result struct {
	Config      Config          // the run's configuration, as given
	Features    []string        // feature names; len(Weights)
	Target      string          // the target column's name
	Epochs      int             // epochs completed, counting those before a resume
	Resumed     int             // epochs completed before this run, by the run resumed (0 without a resume)
	BestEpoch   int             // epoch of BestLoss
	Loss        float64         // training MSE of the model returned (see Weights)
	ValLoss     float64         // validation MSE of the model returned, NaN without validation
	BestLoss    float64         // lowest monitored loss (validation if any, else training)
	OptimalLoss float64         // closed-form least-squares MSE on the training rows; NaN if not computed (see MaxClosedFormWork)
	Weights     []float64       // the model in original units: the best epoch's after early stopping, else the one Model names
	Bias        float64         // of the same model
	Model       ModelKind       // which model Weights and Bias are: the last, the best or the averaged one (see ModelKind)
	StopReason  StopReason      // why the run ended
	Checkpoint  string          // path written, "" if none was
	History     *series.Bounded // training loss per epoch
	ValHistory  *series.Bounded // validation loss per epoch; empty without validation
	Elapsed     time.Duration   // training time of the epochs completed in this run, pauses excluded
	Samples     int             // training rows
	ValSamples  int             // validation rows

	// OptimalSkipped says why OptimalLoss was not computed (its estimated
	// work and the limit that is over); "" when it was.
	OptimalSkipped string

	// OptimalWeights and OptimalBias are the closed-form least-squares
	// model in original units; nil and 0 when it was not computed.
	OptimalWeights []float64
	OptimalBias    float64
	// Collinearity is how close the features are to linearly dependent;
	// nil when the closed form was not computed (it shares its cost).
	Collinearity *Collinearity

	// Preconditioning says whether the run trained on whitened features
	// and the condition numbers before and after.
	Preconditioning Preconditioning

	// Gaps is, for each weight and then the bias, its distance from the
	// closed-form one relative to that one's magnitude (absolute where it
	// is 0); nil without the closed form.
	Gaps []float64
}

// Train runs training to completion, cancellation, early stop or
// divergence, calling onEpoch (if not nil) after every epoch on the calling
// goroutine; opts can ask for the steps of the run ([WithPhases]).
// Event.Weights is reused between calls: copy it to keep it.
//
// Cancellation is a normal stop: Train returns the result so far with
// StopReason "canceled" and a nil error, and saves the checkpoint (an
// epoch interrupted by the cancellation is discarded). On divergence Train
// returns the result at the last good epoch and an error wrapping
// [ErrDiverged], and does not touch the checkpoint file. A checkpoint is
// saved only when at least one epoch completed in this run. A ctx canceled
// before the first epoch starts (while the data is read or generated, or
// prepared: split, standardized, a resumed run's order replayed) ends
// Train with an error wrapping its cause.
//
// The checkpoint is locked for the run (see [LockCheckpoint]): while
// another run writes it, Train returns a *[LockedError] at once.
func Train(ctx context.Context, cfg Config, onEpoch func(Event), opts ...Option) (*Result, error) {
	unlock, err := lockRun(cfg)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := newTrainer(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	return t.run(ctx, onEpoch, nil)
}

// trainer holds a prepared run.
type trainer struct {
	cfg      Config
	opts     options
	features []string
	target   string
	fp       Fingerprint
	stride   int
	train    []float64 // training rows, in training units
	val      []float64 // validation rows, in training units
	scaler   *Scaler   // nil when not standardized
	whiten   *whitener // nil when the features are not whitened
	precond  Preconditioning
	rng      rand.PCG
	placeRng rand.PCG      // the passes of ShuffleFromFile
	shuf     shuffler      // the epoch shuffle's scratch (ShuffleInPlace and data in one bucket)
	buck     bucketShuffle // the epoch shuffle's buffer (ShuffleFromFile)

	m           model         // current model in training units
	prev        model         // model before the current epoch, for rollback
	opt         optState      // the optimizer's state
	prevOpt     optState      // the optimizer's state before the current epoch, for rollback
	bestM       model         // model of the best epoch, returned after early stopping
	bestLoss    float64       // training loss of bestM
	bestVloss   float64       // validation loss of bestM
	plateau     plateau       // the auto schedule's plateaus
	lr          float64       // the learning rate of the last epoch run
	pick        chosen        // the model the run returns, set when it ends
	optW        []float64     // closed-form weights in standardized units; nil if not computed
	optB        float64       // closed-form bias in standardized units
	collinear   *Collinearity // nil if the closed form was not computed
	out         []float64     // weights in original units, reused for events
	optimal     float64       // closed-form loss
	skipped     string        // why optimal was not computed
	zeroLoss    float64       // loss of the all-zero model, for divergence
	epoch       int           // epochs completed
	resumed     int           // epochs completed before this run (the checkpoint's)
	loss, vloss float64
	best        float64 // best monitored loss
	bestEpoch   int
	wait        int // epochs since the best

	mu      sync.Mutex // guards hist and vhist, read by Run.History
	hist    *series.Bounded
	vhist   *series.Bounded
	elapsed time.Duration
}

// newTrainer validates cfg, loads and prepares the data, and restores the
// state of the checkpoint to resume from, if any.
func newTrainer(ctx context.Context, cfg Config, opts ...Option) (*trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Checkpoint != "" {
		if err := checkWritable(cfg.Checkpoint); err != nil {
			return nil, input(err)
		}
	}
	resume, cfg, err := loadResume(cfg)
	if err != nil {
		return nil, err
	}
	o.phase(PhaseLoading)
	set, err := loadData(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, input(err)
	}
	o.phase(PhasePreparing)
	t := &trainer{
		cfg:      cfg,
		opts:     o,
		features: set.Features,
		target:   set.Target,
		stride:   set.Stride(),
		hist:     series.NewBounded(HistoryBuckets),
		vhist:    series.NewBounded(HistoryBuckets),
		loss:     math.NaN(),
		vloss:    math.NaN(),
		best:     math.Inf(1),
	}
	if err := t.split(ctx, set); err != nil {
		return nil, err
	}
	// The passes over the rows below take a fraction of a second each for
	// the largest data; ctx is checked between them.
	if cfg.standardized() {
		if err := t.standardize(ctx); err != nil {
			return nil, err
		}
	}
	f := len(t.features)
	t.m = model{w: make([]float64, f), grad: make([]float64, f)}
	t.prev = model{w: make([]float64, f)}
	t.bestM = model{w: make([]float64, f)}
	t.opt, t.prevOpt = newOptState(cfg, f), newOptState(cfg, f)
	t.out = make([]float64, f)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := t.checkRange(); err != nil {
		return nil, input(err)
	}
	t.zeroLoss = t.m.mse(t.train)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cov, err := t.reference(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.precondition(ctx, cov); err != nil {
		return nil, err
	}
	if resume != nil {
		o.phase(PhaseReplaying)
		if err := t.restore(ctx, resume); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, input(fmt.Errorf("%w from %s: %w", ErrResume, cfg.ResumeFrom, err))
		}
		if err := ctx.Err(); err != nil { // the replay checks it only on long data
			return nil, err
		}
	}
	return t, nil
}

// maxUnit is the largest magnitude a value may have in training units:
// its square, the least a squared error involving it reaches with a weight
// of order 1, must be a finite float64.
var maxUnit = math.Sqrt(math.MaxFloat64)

// checkRange refuses data whose squared errors overflow float64, over the
// training and the validation rows alike, so that the same file is refused
// up front whichever split its rows land in: a target whose squares sum to
// more than float64 holds (the all-zero model's loss, where training
// starts), or a feature value beyond maxUnit in training units. Standardized
// training rows are always in range (within √rows standard deviations of
// their mean); a validation row is not if its value is that far from them.
func (t *trainer) checkRange() error {
	f, k := len(t.features), t.stride
	var sum, peakY float64
	peakX := make([]float64, f) // largest magnitude in training units
	for _, xy := range [][]float64{t.train, t.val} {
		for _, row := range rowsOf(xy, k) {
			y := row[f]
			sum += y * y
			peakY = max(peakY, math.Abs(y))
			for j, x := range row[:f] {
				peakX[j] = max(peakX[j], math.Abs(x))
			}
		}
	}
	if !finite(sum) {
		hint := "rescale the column"
		if t.cfg.Dataset == "" {
			hint = "lower the synthetic weight, bias or noise"
		}
		return fmt.Errorf("%s: target %q: values up to %.3g are %w: their squared error overflows float64; %s",
			t.fp.Source, t.target, peakY, ErrRange, hint)
	}
	for j, peak := range peakX {
		if peak <= maxUnit {
			continue
		}
		if t.scaler == nil {
			return fmt.Errorf("%s: feature %q: values up to %.3g are %w: their square overflows float64; rescale the column or turn on standardization (standardize on)",
				t.fp.Source, t.features[j], peak, ErrRange)
		}
		return fmt.Errorf("%s: feature %q: a value of %.3g is %w: it lies %.3g standard deviations from the mean of the training rows, and its square overflows float64; rescale the column or remove the row",
			t.fp.Source, t.features[j], t.rawPeak(j), ErrRange, peak)
	}
	return nil
}

// rawPeak returns the value, in original units, of the largest magnitude
// feature j has in training units over all rows.
func (t *trainer) rawPeak(j int) float64 {
	z := 0.0
	for _, xy := range [][]float64{t.train, t.val} {
		for _, row := range rowsOf(xy, t.stride) {
			if math.Abs(row[j]) > math.Abs(z) {
				z = row[j]
			}
		}
	}
	return z*t.scaler.Scale[j] + t.scaler.Mean[j]
}

// loadData reads the CSV or generates the synthetic rows.
func loadData(ctx context.Context, cfg Config) (*dataset.Set, error) {
	if cfg.Dataset != "" {
		return dataset.LoadCSV(ctx, cfg.Dataset, dataset.Columns{Target: cfg.Target, Features: cfg.Features})
	}
	s := cfg.Synthetic
	return dataset.Synthetic(ctx, s.Samples, s.Weight, s.Bias, s.Noise, cfg.Seed)
}

// split shuffles the rows once with the split stream and holds out the
// last EffectiveValFraction of them for validation.
func (t *trainer) split(ctx context.Context, set *dataset.Set) error {
	n := set.Rows()
	frac := t.cfg.EffectiveValFraction()
	nVal := int(math.Floor(frac * float64(n)))
	if frac > 0 {
		nVal = max(nVal, 1)
		t.rng.Seed(t.cfg.Seed, streamSplit)
		if err := shuffleRows(ctx, set.XY, t.stride, &t.rng); err != nil {
			return err
		}
	}
	if n-nVal < 1 {
		rows := "rows leave"
		if n == 1 {
			rows = "row leaves"
		}
		return input(fmt.Errorf("%w: %d %s none for training with val-fraction %g", ErrConfig, n, rows, frac))
	}
	cut := (n - nVal) * t.stride
	t.train, t.val = set.XY[:cut:cut], set.XY[cut:]
	t.fp = Fingerprint{Source: set.Path, SHA256: set.SHA256, Bytes: set.Bytes, Rows: n, TrainRows: n - nVal, ValRows: nVal}
	if set.Path == "" {
		t.fp.Source = "synthetic"
	}
	return nil
}

// finite reports whether every x is a finite number (not NaN or ±Inf).
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// original converts training-unit weights to original units, into dst
// (reused if large enough): whitened weights to standardized ones (see
// whitener), then those as unstandardize does.
func (t *trainer) original(w []float64, b float64, dst []float64) ([]float64, float64) {
	if t.whiten != nil {
		dst = t.whiten.standard(w, dst)
	} else {
		dst = append(dst[:0], w...)
	}
	return t.unstandardize(dst, b)
}

// unstandardize converts standardized weights w to original units in
// place: with z = (x - mean)/scale, w·z + b = (w/scale)·x + (b - Σ
// w·mean/scale).
func (t *trainer) unstandardize(w []float64, b float64) ([]float64, float64) {
	if t.scaler == nil {
		return w, b
	}
	for j := range w {
		w[j] /= t.scaler.Scale[j]
		b -= float64(w[j] * t.scaler.Mean[j])
	}
	return w, b
}

// step runs epoch e: shuffle, gradient descent, evaluation. It returns
// false, leaving the model as it was, if ctx is canceled midway.
func (t *trainer) step(ctx context.Context, e int) bool {
	copy(t.prev.w, t.m.w)
	t.prev.b = t.m.b
	t.prevOpt.copyFrom(&t.opt)
	seedEpoch(&t.rng, t.cfg.Seed, e)
	lr := t.lrAt(e)
	t.lr = lr
	n, done := len(t.train)/t.stride, 0
	// Train on the rows the shuffle has placed, while they are in cache,
	// in whole batches counted from row 0 (the last may be short): the
	// same steps as a pass over the shuffled rows.
	ready := func(rows []float64, end int) error {
		if end < n {
			end -= (end - done) % t.cfg.BatchSize
		}
		t.m.descend(rows[done*t.stride:end*t.stride], lr, t.cfg.BatchSize, &t.opt)
		done = end
		return ctx.Err()
	}
	var err error
	if bits := bucketBits(len(t.train)); bits > 0 && t.cfg.shuffle() == ShuffleFromFile {
		if t.buck.ready != e {
			err = t.buck.scatter(ctx, t.train, t.stride, bits, &t.rng)
		}
		t.buck.ready = 0 // the passes below move the rows
		if err == nil {
			t.placeRng.Seed(t.cfg.Seed, mix(streamPlace+uint64(e)))
			if t.stride == 2 {
				err = t.buck.placeTrain1(ctx, bits, &t.placeRng, &t.m, lr, t.cfg.BatchSize, &t.opt)
			} else {
				err = t.buck.place(ctx, t.stride, bits, &t.placeRng, ready)
			}
		}
	} else {
		t.train, err = t.shuf.shuffle(ctx, t.train, t.stride, &t.rng, ready)
	}
	if err != nil {
		t.rollback() // the row order is replayed on resume
		return false
	}
	t.loss = t.trainLoss(e)
	t.vloss = t.m.mse(t.val)
	return true
}

// trainLoss returns the training loss of the model after epoch e. With
// ShuffleFromFile the same pass over the rows scatters
// them into the buckets of epoch e+1: the bucket draws depend on the seed
// and the epoch alone, and the loss on the model alone, so neither changes,
// and the rows are read once where they were read twice. (After a run's
// last epoch that scatter is not used: one pass of the run's thousands.)
func (t *trainer) trainLoss(e int) float64 {
	bits := bucketBits(len(t.train))
	if bits == 0 || t.cfg.shuffle() != ShuffleFromFile {
		return t.m.mse(t.train)
	}
	seedEpoch(&t.rng, t.cfg.Seed, e+1)
	loss, ok := t.buck.scatterLoss(t.train, t.stride, bits, &t.rng, t.m.w, t.m.b)
	if ok {
		t.buck.ready = e + 1
	}
	return loss
}

func (t *trainer) rollback() {
	copy(t.m.w, t.prev.w)
	t.m.b = t.prev.b
	t.opt.copyFrom(&t.prevOpt)
}

// diverged reports whether the last epoch's loss shows divergence.
func (t *trainer) diverged() bool {
	l := t.loss
	return !finite(l) || t.zeroLoss > 0 && l > divergeFactor*t.zeroLoss
}

// run trains from the current state. onEpoch may be nil; pause, if not
// nil, is waited on before every epoch.
func (t *trainer) run(ctx context.Context, onEpoch func(Event), pause *pauser) (*Result, error) {
	stop := StopCompleted
	var runErr error
	start := t.epoch
	t.opts.phase(PhaseTraining)
	for e := t.epoch + 1; e <= t.cfg.Epochs; e++ {
		if pause != nil {
			pause.wait(ctx)
		}
		if ctx.Err() != nil {
			stop = StopCanceled
			break
		}
		began := time.Now()
		if !t.step(ctx, e) {
			stop = StopCanceled
			break
		}
		if t.diverged() {
			stop = StopDiverged
			runErr = t.divergedError(e)
			t.rollback()
			t.loss, t.vloss = t.lossesAt()
			break
		}
		took := time.Since(began)
		t.epoch = e
		monitored := t.loss
		if len(t.val) > 0 {
			monitored = t.vloss
		}
		if monitored < t.best-t.cfg.MinDelta {
			t.best, t.bestEpoch, t.wait = monitored, e, 0
			t.keepBest()
		} else {
			t.wait++
		}
		t.plateau.update(t.loss, t.cfg.DecaySteps)
		t.mu.Lock()
		t.hist.Add(t.loss)
		if len(t.val) > 0 {
			t.vhist.Add(t.vloss)
		}
		t.elapsed += took
		t.mu.Unlock()
		if onEpoch != nil {
			onEpoch(t.event(took))
		}
		if t.cfg.Patience > 0 && t.wait >= t.cfg.Patience {
			stop = StopEarlyStopped
			break
		}
	}
	if (stop == StopCompleted || stop == StopEarlyStopped) && t.epoch > start && t.zeroLoss > 0 && t.loss > t.zeroLoss {
		// Training starts from the all-zero model: ending worse than it
		// means the steps made the model worse, as a learning rate slightly
		// too large does, growing the loss a little every epoch.
		stop = StopDiverged
		runErr = t.worseError()
	}
	t.pick = t.choose(stop)
	res := t.result(stop)
	if t.cfg.Checkpoint != "" && stop != StopDiverged && t.epoch > start {
		t.opts.phase(PhaseSaving)
		if err := t.save(t.cfg.Checkpoint, stop); err != nil {
			return res, err
		}
		res.Checkpoint = t.cfg.Checkpoint
	}
	return res, runErr
}

// keepBest records the current model as the best one.
func (t *trainer) keepBest() {
	copy(t.bestM.w, t.m.w)
	t.bestM.b, t.bestLoss, t.bestVloss = t.m.b, t.loss, t.vloss
}

// lossesAt recomputes the losses of the current model.
func (t *trainer) lossesAt() (float64, float64) {
	return t.m.mse(t.train), t.m.mse(t.val)
}

func (t *trainer) divergedError(e int) error {
	return fmt.Errorf("%w at epoch %d with learning rate %g: training loss %.6g against %.6g for the all-zero model; %s",
		ErrDiverged, e, t.lrAt(e), t.loss, t.zeroLoss, t.divergedHint())
}

// loadResume loads the checkpoint cfg resumes from, if any, and returns
// cfg with the settings left to "auto" taken from it.
func loadResume(cfg Config) (*Checkpoint, Config, error) {
	if cfg.ResumeFrom == "" {
		return nil, cfg, nil
	}
	ck, err := LoadCheckpoint(cfg.ResumeFrom)
	if err != nil {
		return nil, cfg, input(fmt.Errorf("resume: %w", err))
	}
	if cfg.ValFraction == ValFractionAuto {
		// The rows held out are the saved run's, whatever Patience
		// is now; the explicit share keeps them so on a later resume.
		cfg.ValFraction = ck.Config.EffectiveValFraction()
	}
	if cfg.Schedule == ScheduleAuto {
		// Likewise the schedule: constant was the default before auto.
		cfg.Schedule = ck.Config.Schedule
	}
	if cfg.Precondition == PreconditionAuto {
		// And the preconditioning, off in files written before it existed.
		cfg.Precondition = ck.Config.Precondition.effective()
	}
	// And the shuffle, which files written before it was recorded did in
	// place.
	cfg.Shuffle = cmp.Or(ck.Config.Shuffle, ShuffleInPlace)
	if err := ck.canContinue(cfg); err != nil {
		return nil, cfg, input(fmt.Errorf("%w from %s: %w", ErrResume, cfg.ResumeFrom, err))
	}
	return ck, cfg, nil
}

// reference computes the closed-form least-squares fit the run is measured
// against, unless skipClosedForm says it would cost too much, and returns
// the augmented covariance matrix it solved (nil when skipped).
func (t *trainer) reference(ctx context.Context) ([]float64, error) {
	t.optimal = math.NaN()
	f := len(t.features)
	if t.skipped = skipClosedForm(t.cfg.Epochs, len(t.train)/t.stride, f); t.skipped != "" {
		return nil, nil
	}
	t.opts.phase(PhaseReference)
	w, b, cov, err := solveLeastSquares(ctx, t.train, f)
	if err != nil {
		return nil, err
	}
	t.optimal, t.optW, t.optB = mse(t.train, w, b), w, b
	t.collinear = collinearity(cov, t.features)
	return cov, nil
}

// worseError is the error of a run that ended with a model worse than the
// all-zero one it started from.
func (t *trainer) worseError() error {
	epochs := "epochs"
	if t.epoch == 1 {
		epochs = "epoch"
	}
	return fmt.Errorf("%w: after %d %s with learning rate %g the training loss %.6g is above the all-zero model's %.6g; %s",
		ErrDiverged, t.epoch, epochs, t.lr, t.loss, t.zeroLoss, t.divergedHint())
}

func (t *trainer) divergedHint() string {
	hint := "lower the learning rate"
	if t.scaler == nil {
		hint += " or turn on standardization (standardize on)"
	}
	return hint
}

// event builds the event for the epoch just completed; Weights is t.out.
func (t *trainer) event(took time.Duration) Event {
	var b float64
	t.out, b = t.original(t.m.w, t.m.b, t.out)
	// A clock too coarse to see the epoch counts it as 1ns, keeping the
	// rate finite (and JSON-encodable).
	rate := float64(len(t.train)/t.stride) / max(took, time.Nanosecond).Seconds()
	return Event{
		Epoch: t.epoch, Epochs: t.cfg.Epochs,
		TrainLoss: t.loss, ValLoss: t.vloss,
		BestLoss: t.best, BestEpoch: t.bestEpoch, OptimalLoss: t.optimal,
		LR: t.lr, SamplesPerSec: rate, Elapsed: t.elapsed,
		Weights: t.out, Bias: b,
	}
}

func (t *trainer) result(stop StopReason) *Result {
	p := t.chosen(stop)
	loss, vloss := p.loss, p.vloss
	w, b := t.original(p.m.w, p.m.b, nil)
	var ow []float64
	var ob float64
	if t.optW != nil {
		ow, ob = t.unstandardize(slices.Clone(t.optW), t.optB)
	}
	return &Result{
		Config:   t.cfg,
		Features: slices.Clone(t.features), Target: t.target,
		Epochs: t.epoch, Resumed: t.resumed, BestEpoch: t.bestEpoch,
		Loss: loss, ValLoss: vloss, BestLoss: t.best, OptimalLoss: t.optimal, OptimalSkipped: t.skipped,
		Weights: w, Bias: b, Model: p.kind,
		OptimalWeights: ow, OptimalBias: ob, Gaps: gaps(w, b, ow, ob), Collinearity: t.collinear,
		Preconditioning: t.precond,
		StopReason:      stop,
		History:         t.hist, ValHistory: t.vhist,
		Elapsed: t.elapsed,
		Samples: len(t.train) / t.stride, ValSamples: len(t.val) / t.stride,
	}
}
