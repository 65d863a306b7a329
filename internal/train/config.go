package train

import (
	"errors"
	"fmt"
	"github.com/agentdash/agentdash/internal/dataset"
	"math"
	"path/filepath"
)

// Schedule names a learning-rate schedule. The rate for epoch e (1-based)
// is, with r = DecayRate and s = DecaySteps:
//
//	constant      LR
//	step          LR · r^⌊(e-1)/s⌋           (drop by r every s epochs)
//	exponential   LR · r^((e-1)/s)           (smooth version of step)
//	inverse-time  LR / (1 + r·(e-1)/s)       (Keras InverseTimeDecay; sklearn's "invscaling" in spirit)
//	auto          LR · r^k, k = the plateaus so far (Keras ReduceLROnPlateau)
//
// For auto, the default, the k-th plateau is a window of s·2^k epochs
// whose mean training loss is not PlateauThreshold (relatively) below the
// previous window's (see plateau); the rate never goes below
// MinLRFactor·LR. A resumed run given auto takes the schedule of the
// checkpoint it resumes, so that files written when constant was the
// default resume as they were.
//
// The rate is constant within an epoch, so a schedule depends only on the
// epoch number (and plateau on the losses so far, which a checkpoint keeps)
// and resuming from a checkpoint continues it exactly.
type Schedule string

// The learning-rate schedules. The empty Schedule means ScheduleConstant.
const (
	ScheduleConstant    Schedule = "constant"
	ScheduleStep        Schedule = "step"
	ScheduleExponential Schedule = "exponential"
	ScheduleInverseTime Schedule = "inverse-time"
	ScheduleAuto        Schedule = "auto"
)

// PlateauThreshold is the relative decrease of a window's mean training
// loss below the previous window's that counts as progress for the auto
// schedule (as PyTorch's ReduceLROnPlateau threshold); any
// decrease counts, so that descent that still makes progress, however
// slowly (along the flat directions of collinear data), keeps its rate.
const PlateauThreshold = 0

// MinLRFactor bounds the auto schedule's decay: the rate stays at or
// above MinLRFactor·LR.
const MinLRFactor = 1e-6

// effective returns the schedule s means: the empty one is constant.
func (s Schedule) effective() Schedule {
	if s == "" {
		return ScheduleConstant
	}
	return s
}

// decayBounds returns the open lower and closed upper bound of the decay
// rate of a decaying schedule, and the rule in words. A step or exponential
// rate multiplies the learning rate, so above 1 it grows (1 keeps it
// constant); an inverse-time rate divides it by 1 + r·k, which decays for
// any r > 0, as Keras's InverseTimeDecay allows.
func (s Schedule) decayBounds() (lo, hi float64, rule string) {
	if s == ScheduleInverseTime {
		return 0, math.MaxFloat64, "a finite number > 0"
	}
	return 0, 1, "in (0, 1]"
}

// Schedules lists the valid schedules, for help texts and forms.
func Schedules() []Schedule {
	return []Schedule{ScheduleAuto, ScheduleConstant, ScheduleStep, ScheduleExponential, ScheduleInverseTime}
}

// Standardize says whether features are scaled to zero mean and unit
// variance (on the training rows) before training. Weights are always
// reported and saved in the original units.
type Standardize string

// The standardization modes. The empty Standardize means StandardizeAuto.
const (
	StandardizeAuto Standardize = "auto" // on for CSV data, off for synthetic data
	StandardizeOn   Standardize = "on"
	StandardizeOff  Standardize = "off"
)

// Precondition says whether gradient descent runs on decorrelated
// features: gradient descent on a design of condition number κ progresses
// along its weakest direction about κ² times slower than along its
// strongest, and whitening the standardized features makes κ about 1.
type Precondition string

// The preconditioning modes. The empty Precondition means PreconditionOff,
// as in checkpoints written before it existed.
const (
	// PreconditionAuto whitens when the standardized design's condition
	// number is over CollinearCondition, and leaves well-conditioned data
	// on the trajectory they have without it.
	PreconditionAuto Precondition = "auto"
	// PreconditionOff trains on the standardized features as they are.
	PreconditionOff Precondition = "off"
	// PreconditionWhiten trains on u = z·L⁻ᵀ, where z are the standardized
	// features and L·Lᵀ their correlation matrix (see whitener).
	PreconditionWhiten Precondition = "whiten"
)

// Preconditions lists the valid preconditioning modes, for help texts and
// forms.
func Preconditions() []Precondition {
	return []Precondition{PreconditionAuto, PreconditionOff, PreconditionWhiten}
}

// effective returns the mode p means: the empty one is off.
func (p Precondition) effective() Precondition {
	if p == "" {
		return PreconditionOff
	}
	return p
}

// Synthetic describes generated data: Samples rows of
// y = Weight·x + Bias + noise with x uniform on [-2, 2) and noise of
// standard deviation Noise (see dataset.Synthetic).
type Synthetic struct {
	Samples int     `json:"samples"` // rows, 1 to dataset.MaxSyntheticSamples
	Weight  float64 `json:"weight"`  // the true weight
	Bias    float64 `json:"bias"`    // the true bias
	Noise   float64 `json:"noise"`   // standard deviation of the noise, >= 0
}

// Config configures a training run. Start from [DefaultConfig]; the zero
// value is not valid. Names in error messages are the CLI flag names.
type Config struct {
	Epochs    int     `json:"epochs"`     // passes over the training rows; >= 1
	LR        float64 `json:"lr"`         // initial learning rate; > 0
	BatchSize int     `json:"batch_size"` // rows per gradient step; >= 1 (larger than the data means full batch)
	Seed      uint64  `json:"seed"`       // seeds the data, the split and every epoch's shuffle

	Dataset string `json:"dataset,omitempty"` // CSV path; "" trains on Synthetic data
	Target  string `json:"target,omitempty"`  // CSV target column; "" means the last column
	// Features names the CSV feature columns, in the order the weights
	// take them; nil means every column but the target. Columns named by
	// neither are skipped unparsed, so they may hold text (IDs, labels).
	Features   []string `json:"features,omitempty"`
	Checkpoint string   `json:"checkpoint,omitempty"` // where to save the model; "" saves nothing
	// ResumeFrom names a checkpoint to continue from, along the trajectory
	// the saved run would have taken uninterrupted. Every other setting must
	// equal the checkpoint's except Epochs (the new total, above the saved
	// epoch), Checkpoint, Patience and MinDelta, and Dataset may be another
	// path to the same bytes; start from the saved Checkpoint.Config.
	// ValFractionAuto and ScheduleAuto take the checkpoint's split and
	// schedule.
	ResumeFrom string `json:"resume_from,omitempty"`

	// ValFraction is the share of rows held out for validation, in
	// [0, 1), or ValFractionAuto: rows are held out only when something
	// uses them, as sklearn's validation_fraction applies only with
	// early_stopping (see EffectiveValFraction).
	ValFraction float64 `json:"val_fraction"`
	Patience    int     `json:"patience"`  // stop after this many epochs without improvement; 0 = never
	MinDelta    float64 `json:"min_delta"` // least loss decrease that counts as improvement; >= 0

	Schedule   Schedule `json:"schedule"`
	DecayRate  float64  `json:"decay_rate"`  // r in the schedules; in (0, 1] for auto, step and exponential, > 0 for inverse-time
	DecaySteps int      `json:"decay_steps"` // s in the schedules, in epochs; >= 1

	// Optimizer is the update rule of the gradient steps (see Optimizer);
	// "" means OptimizerSGD, as in checkpoints written before it existed.
	// Momentum applies to OptimizerMomentum only; Beta1, Beta2 and Eps
	// to OptimizerAdam only.
	Optimizer Optimizer `json:"optimizer,omitempty"`
	Momentum  float64   `json:"momentum,omitempty"` // μ, in [0, 1)
	Beta1     float64   `json:"beta1,omitempty"`    // β₁, in [0, 1)
	Beta2     float64   `json:"beta2,omitempty"`    // β₂, in [0, 1)
	Eps       float64   `json:"eps,omitempty"`      // ε, a finite number > 0

	Standardize Standardize `json:"standardize"`
	// Precondition says whether the standardized features are whitened
	// for training (see Precondition); "" means PreconditionOff, as in
	// checkpoints written before it existed. A resumed run given auto
	// takes the checkpoint's.
	Precondition Precondition `json:"precondition,omitempty"`
	Synthetic    Synthetic    `json:"synthetic"` // used when Dataset is ""

	// Shuffle is the version of the epoch shuffle of data too large for
	// one bucket (ShuffleInPlace or ShuffleFromFile); 0 means
	// CurrentShuffle. A resumed run takes its checkpoint's, ShuffleInPlace
	// for files written before it was recorded, so that it stays on the
	// saved run's trajectory.
	Shuffle int `json:"shuffle,omitempty"`
}

// shuffle returns the shuffle version c means.
func (c Config) shuffle() int {
	if c.Shuffle == 0 {
		return CurrentShuffle
	}
	return c.Shuffle
}

// ValFractionAuto is the ValFraction that holds rows out for validation
// only when early stopping watches them: AutoValFraction of them with a
// Patience, none without. It is -1 in the JSON of a config.
const ValFractionAuto = -1

// AutoValFraction is the share of rows ValFractionAuto holds out for early
// stopping, as sklearn's SGDRegressor's validation_fraction.
const AutoValFraction = 0.1

// EffectiveValFraction returns the share of rows held out for validation:
// ValFraction, or for ValFractionAuto AutoValFraction with early stopping
// (Patience > 0) and 0 without, so that every row reaches the model unless
// something uses the held-out ones.
func (c Config) EffectiveValFraction() float64 {
	if c.ValFraction != ValFractionAuto {
		return c.ValFraction
	}
	if c.Patience > 0 {
		return AutoValFraction
	}
	return 0
}

// DefaultConfig returns the defaults, which match the original runner's
// parameters (-Epochs 8 -Lr 0.05 -BatchSize 32 -Seed 123) and add:
// synthetic data of 1000 rows of y = 2x + 1 + noise (sd 0.1), rows held
// out for validation only with early stopping (ValFractionAuto), no early
// stopping, the auto schedule: the learning rate halves after every 10
// epochs without progress (decay rate 0.5 and steps 10 for the decaying
// schedules), automatic standardization, whitening of collinear
// features (PreconditionAuto), plain SGD (with PyTorch's
// defaults for the other optimizers' parameters), and the
// checkpoint checkpoints/model.json under the working directory.
func DefaultConfig() Config {
	return Config{
		Epochs:       8,
		LR:           0.05,
		BatchSize:    32,
		Seed:         123,
		Checkpoint:   filepath.Join("checkpoints", "model.json"),
		ValFraction:  ValFractionAuto,
		Schedule:     ScheduleAuto,
		DecayRate:    0.5,
		DecaySteps:   10,
		Standardize:  StandardizeAuto,
		Precondition: PreconditionAuto,
		Synthetic:    Synthetic{Samples: 1000, Weight: 2, Bias: 1, Noise: 0.1},
		Optimizer:    OptimizerSGD,
		Momentum:     DefaultMomentum,
		Beta1:        DefaultBeta1,
		Beta2:        DefaultBeta2,
		Eps:          DefaultEps,
	}
}

// ErrConfig is wrapped, with [ErrInput], by every error from
// [Config.Validate].
var ErrConfig = errors.New("invalid training config")

// Validate reports the first invalid setting, naming its flag.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return input(fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...)))
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Epochs < 1:
		return bad("epochs must be at least 1, got %d", c.Epochs)
	case !finite(c.LR) || c.LR <= 0:
		return bad("lr must be a finite number > 0, got %g", c.LR)
	case c.BatchSize < 1:
		return bad("batch-size must be at least 1, got %d", c.BatchSize)
	case c.ValFraction != ValFractionAuto && (!finite(c.ValFraction) || c.ValFraction < 0 || c.ValFraction >= 1):
		return bad("val-fraction must be in [0, 1) or auto, got %g", c.ValFraction)
	case c.Patience < 0:
		return bad("patience must be >= 0 (0 disables early stopping), got %d", c.Patience)
	case !finite(c.MinDelta) || c.MinDelta < 0:
		return bad("min-delta must be a finite number >= 0, got %g", c.MinDelta)
	case c.Target != "" && c.Dataset == "":
		return bad("target %q needs a dataset", c.Target)
	case c.Features != nil && c.Dataset == "":
		return bad("features need a dataset")
	case c.Features != nil && len(c.Features) == 0:
		return bad("features names no column (leave it out for every column but the target)")
	case c.Shuffle < 0 || c.Shuffle > CurrentShuffle:
		return bad("shuffle version must be from 1 to %d (0 for %d), got %d", CurrentShuffle, CurrentShuffle, c.Shuffle)
	}
	switch c.Schedule {
	case "", ScheduleConstant:
	case ScheduleStep, ScheduleExponential, ScheduleInverseTime, ScheduleAuto:
		if c.DecaySteps < 1 {
			return bad("decay-steps must be at least 1, got %d", c.DecaySteps)
		}
		lo, hi, bounds := c.Schedule.decayBounds()
		if !finite(c.DecayRate) || c.DecayRate <= lo || c.DecayRate > hi {
			return bad("decay-rate for the %s schedule must be %s, got %g", c.Schedule, bounds, c.DecayRate)
		}
	default:
		return bad("schedule %q is not one of %v", c.Schedule, Schedules())
	}
	if err := c.validateOptimizer(bad); err != nil {
		return err
	}
	switch c.Standardize {
	case "", StandardizeAuto, StandardizeOn, StandardizeOff:
	default:
		return bad("standardize %q is not one of auto, on, off", c.Standardize)
	}
	switch c.Precondition {
	case "", PreconditionAuto, PreconditionOff:
	case PreconditionWhiten:
		if !c.standardized() {
			return bad("precondition whiten needs standardized features: give standardize on (auto is off for synthetic data)")
		}
	default:
		return bad("precondition %q is not one of %v", c.Precondition, Preconditions())
	}
	if c.Dataset == "" {
		s := c.Synthetic
		switch {
		case s.Samples < 1 || s.Samples > dataset.MaxSyntheticSamples:
			return bad("samples must be from 1 to %d, got %d", dataset.MaxSyntheticSamples, s.Samples)
		case !finite(s.Weight) || !finite(s.Bias):
			return bad("weight and bias must be finite, got %g and %g", s.Weight, s.Bias)
		case !finite(s.Noise) || s.Noise < 0:
			return bad("noise must be a finite number >= 0, got %g", s.Noise)
		}
	}
	return nil
}

// lrAt returns the learning rate for epoch e (1-based) after decays
// plateaus (which only the auto schedule counts).
func (c Config) lrAt(e, decays int) float64 {
	k := float64(e-1) / float64(c.DecaySteps)
	switch c.Schedule.effective() {
	case ScheduleAuto:
		return c.LR * max(math.Pow(c.DecayRate, float64(decays)), MinLRFactor)
	case ScheduleStep:
		return c.LR * math.Pow(c.DecayRate, math.Floor(k))
	case ScheduleExponential:
		return c.LR * math.Pow(c.DecayRate, k)
	case ScheduleInverseTime:
		return c.LR / (1 + c.DecayRate*k)
	}
	return c.LR
}

// standardized reports whether features are standardized for this config.
func (c Config) standardized() bool {
	switch c.Standardize {
	case StandardizeOn:
		return true
	case StandardizeOff:
		return false
	}
	return c.Dataset != ""
}
