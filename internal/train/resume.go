package train

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/agentdash/agentdash/internal/series"
)

// canContinue reports whether cfg continues the run saved in c: every
// setting that shapes the trajectory must match. Epochs (which must exceed
// the checkpoint's epoch), Checkpoint, ResumeFrom, Patience and MinDelta
// may change; Dataset may name another path to the same bytes.
func (c *Checkpoint) canContinue(cfg Config) error {
	old := c.Config
	norm := func(x Config) Config {
		x.ValFraction = x.EffectiveValFraction() // before Patience is cleared
		x.Epochs, x.Checkpoint, x.ResumeFrom, x.Patience, x.MinDelta, x.Shuffle = 0, "", "", 0, 0, 0
		// Settings are compared by what they do: "auto" standardization
		// as the on or off it means for the data (decided before Dataset
		// is rewritten below), and the target and the features as the
		// columns they name, which restore checks once the data is read.
		std := StandardizeOff
		if x.standardized() {
			std = StandardizeOn
		}
		x.Standardize = std
		x.Target, x.Features = "", nil
		if x.Dataset != "" {
			x.Dataset, x.Synthetic = "csv", Synthetic{}
		} else {
			x.Dataset = "synthetic"
		}
		x.Optimizer = x.Optimizer.effective()
		if x.Optimizer != OptimizerMomentum {
			x.Momentum = 0
		}
		if x.Optimizer != OptimizerAdam {
			x.Beta1, x.Beta2, x.Eps = 0, 0, 0
		}
		x.Schedule = x.Schedule.effective()
		x.Precondition = x.Precondition.effective()
		if x.Schedule == ScheduleConstant {
			x.DecayRate, x.DecaySteps = 0, 0
		}
		return x
	}
	diff := differingFields(norm(cfg), norm(old), "")
	if slices.ContainsFunc(diff, func(d fieldDiff) bool { return d.name == "dataset" }) {
		// A CSV run has no synthetic settings: listing them would report
		// values nobody set.
		diff = slices.DeleteFunc(diff, func(d fieldDiff) bool { return strings.HasPrefix(d.name, "synthetic.") })
	}
	if slices.ContainsFunc(diff, func(d fieldDiff) bool { return d.name == "optimizer" }) {
		// Likewise the parameters of the optimizer not used on one side.
		diff = slices.DeleteFunc(diff, func(d fieldDiff) bool {
			return slices.Contains([]string{"momentum", "beta1", "beta2", "eps"}, d.name)
		})
	}
	if len(diff) > 0 {
		names, details := make([]string, len(diff)), make([]string, len(diff))
		for i, d := range diff {
			names[i] = d.name
			details[i] = fmt.Sprintf("%s %v here, %v there", d.name, d.here, d.there)
		}
		verb := "differ"
		if len(diff) == 1 {
			verb = "differs"
			details[0] = fmt.Sprintf("%v here, %v there", diff[0].here, diff[0].there)
		}
		return fmt.Errorf("%s %s from the checkpoint's (%s); a resumed run must keep the settings that shape it",
			strings.Join(names, ", "), verb, strings.Join(details, "; "))
	}
	if cfg.Epochs <= c.Epoch {
		return fmt.Errorf("the checkpoint is at epoch %d already; set epochs above it to continue", c.Epoch)
	}
	return nil
}

// restore loads the checkpoint's state into a freshly prepared trainer and
// replays the shuffles of the completed epochs, so the next epoch sees the
// rows in the order an uninterrupted run would.
func (t *trainer) restore(ctx context.Context, c *Checkpoint) error {
	if c.Data.SHA256 != t.fp.SHA256 || c.Data.Rows != t.fp.Rows || c.Data.TrainRows != t.fp.TrainRows {
		return fmt.Errorf("the data differs from the checkpoint's (%d rows, sha256 %q; checkpoint %d rows, sha256 %q)",
			t.fp.Rows, t.fp.SHA256, c.Data.Rows, c.Data.SHA256)
	}
	if t.target != c.Target {
		return fmt.Errorf("target differs from the checkpoint's (%q here, %q there)", t.target, c.Target)
	}
	if !slices.Equal(c.Features, t.features) {
		return fmt.Errorf("the features %q differ from the checkpoint's %q", t.features, c.Features)
	}
	if c.state.Whitened != (t.whiten != nil) {
		return fmt.Errorf("the checkpoint's run trained on %s features, this one would on %s ones (precondition %s)",
			whitenedWord(c.state.Whitened), whitenedWord(t.whiten != nil), t.cfg.Precondition.effective())
	}
	hist, err := series.Restore(HistoryBuckets, c.History)
	if err != nil {
		return err
	}
	vhist, err := series.Restore(HistoryBuckets, c.ValHistory)
	if err != nil {
		return err
	}
	t.hist, t.vhist = hist, vhist
	copy(t.m.w, jfloats[jfloat, float64](c.state.Weights))
	t.m.b = float64(c.state.Bias)
	t.epoch, t.best, t.bestEpoch, t.wait = c.Epoch, float64(c.state.Best), c.BestEpoch, c.state.Wait
	t.resumed = c.Epoch
	for e := 1; e <= t.epoch && t.replays(); e++ {
		seedEpoch(&t.rng, t.cfg.Seed, e)
		if err := shuffleRows(ctx, t.train, t.stride, &t.rng); err != nil {
			return err
		}
	}
	t.loss, t.vloss = t.lossesAt()
	if len(c.state.BestWeights) == len(t.m.w) {
		copy(t.bestM.w, jfloats[jfloat, float64](c.state.BestWeights))
		t.bestM.b, t.bestLoss, t.bestVloss = float64(c.state.BestBias), float64(c.state.BestTrain), float64(c.state.BestVal)
	} else { // an older file: the best model was not kept, the last one stands in
		t.keepBest()
	}
	t.opt.restoreJSON(c.state.Optimizer)
	t.plateau = plateau{sum: float64(c.state.PlateauSum), n: c.state.PlateauN, prev: float64(c.state.PlateauPrev), decays: c.state.LRDecays}
	return nil
}

// replays reports whether each epoch's shuffle permutes the rows the
// previous one left, so a resumed run replays them: unless the rows are
// shuffled from file order every epoch (ShuffleFromFile).
func (t *trainer) replays() bool {
	return bucketBits(len(t.train)) == 0 || t.cfg.shuffle() != ShuffleFromFile
}

// fieldDiff is a setting whose value here (the config given) differs from
// the one there (the checkpoint's).
type fieldDiff struct {
	name        string
	here, there any
}

// differingFields lists the fields of the structs a and b (of one type)
// that differ, by JSON name, prefixed with prefix; struct fields are
// compared field by field ("synthetic.noise").
func differingFields(a, b any, prefix string) []fieldDiff {
	var diff []fieldDiff
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		name, _, _ := strings.Cut(va.Type().Field(i).Tag.Get("json"), ",")
		name = prefix + name
		if fa.Kind() == reflect.Struct {
			diff = append(diff, differingFields(fa.Interface(), fb.Interface(), name+".")...)
			continue
		}
		diff = append(diff, fieldDiff{name, fa.Interface(), fb.Interface()})
	}
	return diff
}

func whitenedWord(whitened bool) string {
	if whitened {
		return "whitened"
	}
	return "standardized"
}
