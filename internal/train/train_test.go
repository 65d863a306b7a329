package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/series"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// housing is the sample CSV shipped in assets: 400 rows of sqft, bedrooms,
// age_years and price_k.
const housing = "../../assets/housing.csv"

// testConfig returns the defaults without a checkpoint file.
func testConfig() Config {
	c := DefaultConfig()
	// Most tests watch the validation loss too, so they hold rows out
	// explicitly; the default holds none without early stopping.
	c.Checkpoint, c.ValFraction = "", 0.1
	return c
}

func mustTrain(t *testing.T, cfg Config, onEpoch func(Event)) *Result {
	t.Helper()
	res, err := Train(context.Background(), cfg, onEpoch)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return res
}

// interruptAt runs cfg with a checkpoint in a fresh temporary directory,
// cancels it once epoch k is reported and returns the checkpoint's path,
// failing the test unless the run stopped after exactly k epochs.
func interruptAt(t *testing.T, cfg Config, k int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.json")
	cfg.Checkpoint = path
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Train(ctx, cfg, func(e Event) {
		if e.Epoch == k {
			cancel()
		}
	})
	cancel()
	if err != nil || res.Epochs != k {
		t.Fatalf("interrupted run: %d epochs, %v", res.Epochs, err)
	}
	return path
}
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameBuckets(a, b []series.Bucket) bool {
	return slices.EqualFunc(a, b, func(x, y series.Bucket) bool {
		return x.Start == y.Start && x.Count == y.Count && x.Skipped == y.Skipped && sameFloat(x.Min, y.Min) &&
			sameFloat(x.Max, y.Max) && sameFloat(x.Sum, y.Sum) && sameFloat(x.Last, y.Last)
	})
}

// sameRun reports whether two results are bit-identical in everything a
// run computes.
func sameRun(t *testing.T, a, b *Result) {
	t.Helper()
	if a.Epochs != b.Epochs || a.StopReason != b.StopReason || a.BestEpoch != b.BestEpoch {
		t.Fatalf("runs ended differently: epoch %d %s (best %d) vs epoch %d %s (best %d)",
			a.Epochs, a.StopReason, a.BestEpoch, b.Epochs, b.StopReason, b.BestEpoch)
	}
	if !sameBits(a.Weights, b.Weights) || !sameFloat(a.Bias, b.Bias) {
		t.Fatalf("weights differ: %v %v vs %v %v", a.Weights, a.Bias, b.Weights, b.Bias)
	}
	if !sameFloat(a.Loss, b.Loss) || !sameFloat(a.ValLoss, b.ValLoss) || !sameFloat(a.BestLoss, b.BestLoss) {
		t.Fatalf("losses differ: %v %v %v vs %v %v %v", a.Loss, a.ValLoss, a.BestLoss, b.Loss, b.ValLoss, b.BestLoss)
	}
	if !sameBuckets(a.History.Buckets(), b.History.Buckets()) || !sameBuckets(a.ValHistory.Buckets(), b.ValHistory.Buckets()) {
		t.Fatal("loss histories differ")
	}
}

func TestDeterminism(t *testing.T) {
	csv := testConfig()
	csv.Dataset, csv.Epochs, csv.Schedule = housing, 20, ScheduleStep
	multi := testConfig()
	multi.Dataset, multi.Target, multi.Epochs, multi.BatchSize = housing, "bedrooms", 5, 7
	for name, cfg := range map[string]Config{"synthetic": testConfig(), "csv": csv, "csv named target": multi} {
		t.Run(name, func(t *testing.T) {
			var losses [2][]float64
			a := mustTrain(t, cfg, func(e Event) { losses[0] = append(losses[0], e.TrainLoss, e.ValLoss) })
			b := mustTrain(t, cfg, func(e Event) { losses[1] = append(losses[1], e.TrainLoss, e.ValLoss) })
			sameRun(t, a, b)
			if !sameBits(losses[0], losses[1]) || len(losses[0]) != 2*cfg.Epochs {
				t.Fatalf("event losses differ or are missing: %d vs %d", len(losses[0]), len(losses[1]))
			}
			cfg.Seed++
			c := mustTrain(t, cfg, nil)
			if sameBits(a.Weights, c.Weights) {
				t.Fatal("another seed gave the same weights")
			}
		})
	}
}

// leastSquaresOriginal fits the closed form in original units on the
// training rows the trainer used, for comparing weights.
func leastSquaresOriginal(t *testing.T, cfg Config) ([]float64, float64) {
	t.Helper()
	cfg.Standardize = StandardizeOff
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return mustSolve(t, tr.train, len(tr.features))
}

// TestConvergence trains to the closed-form optimum. Tolerance: the final
// training MSE within 0.1% of the least-squares MSE, and every weight and
// the bias within 1% of the least-squares solution (relative to its size,
// or absolute for values below 1).
func TestConvergence(t *testing.T) {
	synthetic := testConfig()
	synthetic.Epochs, synthetic.Schedule, synthetic.DecaySteps = 100, ScheduleExponential, 10
	csv := testConfig()
	csv.Dataset, csv.Epochs, csv.Schedule, csv.DecaySteps = housing, 400, ScheduleExponential, 60
	for name, cfg := range map[string]Config{"synthetic": synthetic, "housing.csv": csv} {
		t.Run(name, func(t *testing.T) {
			res := mustTrain(t, cfg, nil)
			if gap := (res.Loss - res.OptimalLoss) / res.OptimalLoss; gap < -1e-12 || gap > 1e-3 {
				t.Errorf("loss %.9g is %.3g above the optimum %.9g, want within 0.1%%", res.Loss, gap, res.OptimalLoss)
			}
			w, b := leastSquaresOriginal(t, cfg)
			close := func(got, want float64) bool { return math.Abs(got-want) <= 0.01*max(1, math.Abs(want)) }
			for j := range w {
				if !close(res.Weights[j], w[j]) {
					t.Errorf("weight %d (%s) = %g, least squares %g", j, res.Features[j], res.Weights[j], w[j])
				}
			}
			if !close(res.Bias, b) {
				t.Errorf("bias = %g, least squares %g", res.Bias, b)
			}
		})
	}
}

func TestSyntheticRecoversTruth(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs = 30
	res := mustTrain(t, cfg, nil)
	if math.Abs(res.Weights[0]-2) > 0.02 || math.Abs(res.Bias-1) > 0.02 {
		t.Fatalf("learned y = %g x + %g, want about 2x + 1", res.Weights[0], res.Bias)
	}
	if res.Samples != 900 || res.ValSamples != 100 || res.Features[0] != "x" || res.Target != "y" {
		t.Fatalf("split %d/%d, columns %v -> %s", res.Samples, res.ValSamples, res.Features, res.Target)
	}
}

func TestEarlyStopping(t *testing.T) {
	t.Run("no improvement", func(t *testing.T) {
		cfg := testConfig()
		cfg.Epochs, cfg.Patience, cfg.MinDelta = 50, 2, 1e9 // nothing improves by 1e9
		res := mustTrain(t, cfg, nil)
		if res.StopReason != StopEarlyStopped || res.Epochs != 3 || res.BestEpoch != 1 {
			t.Fatalf("stopped %s at epoch %d (best %d), want early-stopped at 3 (best 1)", res.StopReason, res.Epochs, res.BestEpoch)
		}
	})
	t.Run("plateau", func(t *testing.T) {
		cfg := testConfig()
		cfg.Epochs, cfg.Patience, cfg.MinDelta = 500, 3, 1e-5
		var monitored []float64
		res := mustTrain(t, cfg, func(e Event) { monitored = append(monitored, e.ValLoss) })
		if res.StopReason != StopEarlyStopped || res.Epochs >= 500 || res.Epochs != len(monitored) {
			t.Fatalf("stopped %s after %d epochs, want early-stopped before 500", res.StopReason, res.Epochs)
		}
		// The last Patience epochs did not beat the best by MinDelta.
		best := slices.Min(monitored[:res.BestEpoch])
		for _, l := range monitored[res.BestEpoch:] {
			if l < best-cfg.MinDelta {
				t.Fatalf("loss %g improved on best %g by more than %g but training stopped", l, best, cfg.MinDelta)
			}
		}
		if res.Epochs-res.BestEpoch != cfg.Patience || !sameFloat(res.BestLoss, monitored[res.BestEpoch-1]) {
			t.Fatalf("best epoch %d (loss %g), stopped at %d with patience %d", res.BestEpoch, res.BestLoss, res.Epochs, cfg.Patience)
		}
	})
	t.Run("monitors training loss without validation", func(t *testing.T) {
		cfg := testConfig()
		cfg.ValFraction, cfg.Epochs = 0, 5
		var best []float64
		res := mustTrain(t, cfg, func(e Event) {
			if !math.IsNaN(e.ValLoss) {
				t.Errorf("ValLoss = %g without validation, want NaN", e.ValLoss)
			}
			best = append(best, e.BestLoss)
		})
		if res.ValSamples != 0 || res.ValHistory.Len() != 0 || best[len(best)-1] > res.History.Buckets()[0].Last {
			t.Fatalf("val samples %d, val history %d, best %v", res.ValSamples, res.ValHistory.Len(), best)
		}
	})
}

func TestSchedules(t *testing.T) {
	tests := []struct {
		schedule Schedule
		rate     float64
		steps    int
		want     []float64 // epochs 1..6
	}{
		{ScheduleConstant, 0.5, 2, []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1}},
		{"", 0.5, 0, []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1}},
		{ScheduleStep, 0.5, 2, []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}},
		{ScheduleExponential, 0.25, 2, []float64{0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125}},
		{ScheduleInverseTime, 1, 1, []float64{0.1, 0.1 / 2, 0.1 / 3, 0.1 / 4, 0.1 / 5, 0.1 / 6}},
	}
	for _, tt := range tests {
		t.Run(string(tt.schedule), func(t *testing.T) {
			cfg := testConfig()
			cfg.LR, cfg.Epochs, cfg.Schedule, cfg.DecayRate, cfg.DecaySteps = 0.1, 6, tt.schedule, tt.rate, tt.steps
			var got []float64
			mustTrain(t, cfg, func(e Event) { got = append(got, e.LR) })
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-15 {
					t.Fatalf("learning rates %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		msg    string
	}{
		{"epochs", func(c *Config) { c.Epochs = 0 }, "epochs must be at least 1, got 0"},
		{"lr zero", func(c *Config) { c.LR = 0 }, "lr must be a finite number > 0"},
		{"lr NaN", func(c *Config) { c.LR = math.NaN() }, "lr must be"},
		{"lr Inf", func(c *Config) { c.LR = math.Inf(1) }, "lr must be"},
		{"batch", func(c *Config) { c.BatchSize = 0 }, "batch-size must be at least 1"},
		{"val fraction", func(c *Config) { c.ValFraction = 1 }, "val-fraction must be in [0, 1)"},
		{"too many samples", func(c *Config) { c.Synthetic.Samples = math.MaxInt }, "samples must be from 1 to 100000000"},
		{"patience", func(c *Config) { c.Patience = -1 }, "patience must be >= 0"},
		{"min delta", func(c *Config) { c.MinDelta = -1 }, "min-delta"},
		{"schedule", func(c *Config) { c.Schedule = "cosine" }, `schedule "cosine" is not one of`},
		{"decay steps", func(c *Config) { c.Schedule, c.DecaySteps = ScheduleStep, 0 }, "decay-steps"},
		{"decay rate", func(c *Config) { c.Schedule, c.DecayRate = ScheduleExponential, 1.5 }, "decay-rate"},
		{"standardize", func(c *Config) { c.Standardize = "yes" }, "standardize"},
		{"samples", func(c *Config) { c.Synthetic.Samples = 0 }, "samples must be from 1 to 100000000, got 0"},
		{"noise", func(c *Config) { c.Synthetic.Noise = -1 }, "noise"},
		{"weight", func(c *Config) { c.Synthetic.Weight = math.NaN() }, "weight and bias must be finite"},
		{"target without dataset", func(c *Config) { c.Target = "price" }, "needs a dataset"},
		{"optimizer", func(c *Config) { c.Optimizer = "rmsprop" }, `optimizer "rmsprop" is not one of [sgd momentum adam]`},
		{"momentum", func(c *Config) { c.Optimizer, c.Momentum = OptimizerMomentum, 1 }, "momentum must be in [0, 1), got 1"},
		{"momentum NaN", func(c *Config) { c.Optimizer, c.Momentum = OptimizerMomentum, math.NaN() }, "momentum must be in [0, 1)"},
		{"beta1", func(c *Config) { c.Optimizer, c.Beta1 = OptimizerAdam, -0.1 }, "beta1 must be in [0, 1), got -0.1"},
		{"beta2", func(c *Config) { c.Optimizer, c.Beta2 = OptimizerAdam, 1 }, "beta2 must be in [0, 1), got 1"},
		{"eps", func(c *Config) { c.Optimizer, c.Eps = OptimizerAdam, 0 }, "eps must be a finite number > 0, got 0"},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.modify(&cfg)
			err := cfg.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Validate() = %v, want ErrConfig with %q", err, tt.msg)
			}
			if _, err := Train(context.Background(), cfg, nil); !errors.Is(err, ErrConfig) {
				t.Fatalf("Train accepted the invalid config: %v", err)
			}
		})
	}
}

// TestDecayRateBounds: each schedule's decay rate is accepted exactly
// where the error for a refused one says it must be.
func TestDecayRateBounds(t *testing.T) {
	const unit, positive = "in (0, 1]", "a finite number > 0"
	tests := []struct {
		schedule Schedule
		rate     float64
		rule     string // "" if valid
	}{
		{ScheduleConstant, -1, ""}, // not used
		{ScheduleConstant, 7, ""},
		{ScheduleConstant, math.NaN(), ""},
	}
	for _, s := range []Schedule{ScheduleStep, ScheduleExponential} {
		tests = append(tests, []struct {
			schedule Schedule
			rate     float64
			rule     string
		}{
			{s, 0.5, ""}, {s, 1, ""}, {s, 1e-300, ""},
			{s, 0, unit}, {s, -1, unit}, {s, 1.0000001, unit}, {s, 2, unit},
			{s, math.NaN(), unit}, {s, math.Inf(1), unit},
		}...)
	}
	s := ScheduleInverseTime
	tests = append(tests, []struct {
		schedule Schedule
		rate     float64
		rule     string
	}{
		{s, 0.5, ""}, {s, 1, ""}, {s, 2, ""}, {s, 1e300, ""},
		{s, 0, positive}, {s, -1, positive}, {s, math.NaN(), positive}, {s, math.Inf(1), positive},
	}...)
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Schedule, cfg.DecayRate = tt.schedule, tt.rate
		err := cfg.Validate()
		if tt.rule == "" {
			if err != nil {
				t.Errorf("%s, rate %g: %v, want valid", tt.schedule, tt.rate, err)
			}
			continue
		}
		want := fmt.Sprintf("decay-rate for the %s schedule must be %s, got %g", tt.schedule, tt.rule, tt.rate)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s, rate %g: %v, want %q", tt.schedule, tt.rate, err, want)
		}
	}
}

func TestDataErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("x,y\n1,2\n3,oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset = bad
	if _, err := Train(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), bad+":3:3") {
		t.Fatalf("Train error = %v, want one naming %s:3:3", err, bad)
	}
	cfg.Dataset = filepath.Join(dir, "missing.csv")
	if _, err := Start(context.Background(), cfg); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start error = %v, want not-exist", err)
	}
	huge := filepath.Join(dir, "huge.csv")
	if err := os.WriteFile(huge, []byte("x,y\n1,1e200\n2,3e200\n3,5e200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Dataset = huge
	if _, err := Train(context.Background(), cfg, nil); !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), huge+`: target "y"`) {
		t.Fatalf("target whose squares overflow: %v, want ErrRange naming %s and the target", err, huge)
	}
	cfg = testConfig()
	cfg.Synthetic.Samples, cfg.ValFraction = 1, 0.5
	if _, err := Train(context.Background(), cfg, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "1 row leaves none") {
		t.Fatalf("one row with validation: %v, want ErrConfig saying 1 row leaves none", err)
	}
}

// TestStandardizationReportsOriginalUnits checks that a model trained on
// standardized features predicts like the same model trained without.
func TestStandardizationReportsOriginalUnits(t *testing.T) {
	on := testConfig()
	on.Dataset, on.Epochs, on.Schedule, on.DecaySteps = housing, 200, ScheduleExponential, 20
	res := mustTrain(t, on, nil)
	tr, err := newTrainer(context.Background(), func() Config { c := on; c.Standardize = StandardizeOff; return c }())
	if err != nil {
		t.Fatal(err)
	}
	// MSE of the reported original-unit weights on the raw training rows
	// equals the reported (standardized-space) loss.
	if raw := mse(tr.train, res.Weights, res.Bias); math.Abs(raw-res.Loss) > 1e-9*res.Loss {
		t.Fatalf("original-unit weights give MSE %.12g on raw rows, reported loss %.12g", raw, res.Loss)
	}
}

// TestStandardizationNearFloatLimit: a feature of finite values whose sums
// overflow float64 (8.2e308 in all) still trains, and the
// checkpoint it writes loads and predicts.
func TestStandardizationNearFloatLimit(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "%de306,%d\n", i, 2*i+1) // y = 2·(x/1e306) + 1
	}
	data := filepath.Join(dir, "huge.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Checkpoint = data, 300, filepath.Join(dir, "model.json")
	res := mustTrain(t, cfg, nil)
	if res.Loss > 1e-6 {
		t.Fatalf("loss %g after %d epochs, want the exact fit", res.Loss, cfg.Epochs)
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatalf("the checkpoint written does not load: %v", err)
	}
	y, err := ck.Predict([]float64{20e306})
	if err != nil || math.Abs(y-41) > 1e-3 {
		t.Fatalf("Predict(2e307) = %g, %v; want 41", y, err)
	}
}

// TestStandardizationTinyValues: a feature of values near 1e-200, whose
// squared deviations underflow float64, is not mistaken for a constant: it
// trains to the exact fit, and the checkpoint predicts.
func TestStandardizationTinyValues(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "%de-200,%d\n", i, 2*i+1) // y = 2·(x/1e-200) + 1
	}
	data := filepath.Join(dir, "tiny.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Checkpoint = data, 300, filepath.Join(dir, "model.json")
	res := mustTrain(t, cfg, nil)
	if res.Loss > 1e-6 || res.OptimalLoss > 1e-6 {
		t.Fatalf("loss %g (closed form %g) after %d epochs, want the exact fit", res.Loss, res.OptimalLoss, cfg.Epochs)
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatalf("the checkpoint written does not load: %v", err)
	}
	if y, err := ck.Predict([]float64{20e-200}); err != nil || math.Abs(y-41) > 1e-3 {
		t.Fatalf("Predict(2e-199) = %g, %v; want 41", y, err)
	}
}

func TestDivergence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	good := testConfig()
	good.Checkpoint = path
	mustTrain(t, good, nil)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*Config)
		hint   string
	}{
		{"raw features", func(c *Config) { c.Dataset, c.Standardize = housing, StandardizeOff }, "turn on standardization"},
		{"huge learning rate", func(c *Config) { c.Dataset, c.LR = housing, 10 }, "lower the learning rate"},
		{"synthetic", func(c *Config) { c.LR = 3 }, "lower the learning rate"},
		// Full batches with a learning rate a little too large: the loss
		// grows about a third each epoch, never exploding within the run.
		{"slowly rising loss", func(c *Config) { c.LR, c.BatchSize, c.Epochs = 0.8, 1<<20, 12 }, "above the all-zero model's"},
		{"rising from the first epoch", func(c *Config) { c.LR, c.BatchSize, c.Epochs = 0.8, 1<<20, 1 }, "lower the learning rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.modify(&cfg)
			var events int
			res, err := Train(context.Background(), cfg, func(Event) { events++ })
			if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("Train error = %v, want ErrDiverged suggesting %q", err, tt.hint)
			}
			if res == nil || res.StopReason != StopDiverged || res.Epochs != events || res.Checkpoint != "" {
				t.Fatalf("result %+v after %d events", res, events)
			}
			if math.IsNaN(res.Loss) || slices.ContainsFunc(res.Weights, math.IsNaN) {
				t.Fatalf("result holds the diverged model: loss %g weights %v", res.Loss, res.Weights)
			}
			after, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(before, after) {
				t.Fatalf("the last good checkpoint changed (%v)", err)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.json")
	cfg := testConfig()
	cfg.Epochs, cfg.Checkpoint = 20, path
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Train(ctx, cfg, func(e Event) {
		if e.Epoch == 3 {
			cancel()
		}
	})
	if err != nil || res.StopReason != StopCanceled || res.Epochs != 3 || res.Checkpoint != path {
		t.Fatalf("Train = %+v, %v; want canceled after epoch 3 with a checkpoint", res, err)
	}
	ck, err := LoadCheckpoint(path)
	if err != nil || ck.Epoch != 3 || ck.StopReason != StopCanceled {
		t.Fatalf("checkpoint %+v, %v", ck, err)
	}
	// Canceled before any epoch (while the data is prepared): an error,
	// and nothing is written.
	fresh := filepath.Join(t.TempDir(), "none.json")
	cfg.Checkpoint = fresh
	res, err = Train(ctx, cfg, nil)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("pre-canceled Train = %+v, %v; want context.Canceled", res, err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a checkpoint was written without any epoch: %v", err)
	}
}

// TestCancelMidEpoch cancels while an epoch runs: the partial epoch is
// discarded and the model is the one after the last complete epoch.
func TestCancelMidEpoch(t *testing.T) {
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.BatchSize = 3*cancelRows, 64
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr.m.w[0], tr.m.b = 0.5, 0.25
	if tr.step(ctx, 1) {
		t.Fatal("step completed despite cancellation")
	}
	if tr.m.w[0] != 0.5 || tr.m.b != 0.25 {
		t.Fatalf("model after canceled epoch = %v %v, want it rolled back to 0.5 0.25", tr.m.w, tr.m.b)
	}
}

// TestResume interrupts runs after epoch k and resumes them from the
// checkpoint: the result must be bit-identical to an uninterrupted run.
func TestResume(t *testing.T) {
	plain := testConfig()
	plain.Epochs = 12
	csv := testConfig()
	csv.Dataset, csv.Epochs, csv.Schedule, csv.DecaySteps, csv.BatchSize = housing, 12, ScheduleExponential, 3, 50
	stopping := testConfig()
	stopping.Epochs, stopping.Patience, stopping.MinDelta, stopping.ValFraction = 40, 4, 1e-6, 0.25
	// The auto schedule (the default) decays the rate on the way,
	// from state the checkpoint keeps.
	plateaus := DefaultConfig()
	plateaus.Checkpoint, plateaus.Dataset, plateaus.Epochs = "", filepath.Join("testdata", "cars.csv"), 120
	for name, cfg := range map[string]Config{"synthetic": plain, "csv standardized with schedule": csv, "early stopping": stopping, "plateaus": plateaus} {
		t.Run(name, func(t *testing.T) {
			var lr float64
			want := mustTrain(t, cfg, func(e Event) { lr = e.LR })
			if name == "plateaus" && lr >= cfg.LR {
				t.Fatalf("the rate ended at %g, not below %g: no plateau to resume across", lr, cfg.LR)
			}
			for _, k := range []int{1, 5, want.Epochs - 1} {
				second := cfg
				second.ResumeFrom = interruptAt(t, cfg, k)
				var epochs []int
				got := mustTrain(t, second, func(e Event) { epochs = append(epochs, e.Epoch) })
				sameRun(t, got, want)
				if len(epochs) == 0 || epochs[0] != k+1 {
					t.Fatalf("resumed run reported epochs %v, want from %d", epochs, k+1)
				}
			}
		})
	}
}

func TestResumeMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.json")
	cfg := testConfig()
	cfg.Checkpoint, cfg.Epochs = path, 4
	mustTrain(t, cfg, nil)
	tests := []struct {
		name     string
		modify   func(*Config)
		msg      string
		mismatch bool // ErrResume: the checkpoint exists but this config does not continue it
	}{
		{"learning rate", func(c *Config) { c.LR = 0.01 }, "cannot resume from " + path + ": lr differs from the checkpoint's", true},
		{"learning rate values", func(c *Config) { c.LR = 0.01 }, "lr differs from the checkpoint's (0.01 here, 0.05 there)", true},
		{"seed and batch", func(c *Config) { c.Seed, c.BatchSize = 1, 8 }, "batch_size, seed differ from the checkpoint's (batch_size 8 here, 32 there; seed 1 here", true},
		{"synthetic noise", func(c *Config) { c.Synthetic.Noise = 0.5 }, "synthetic.noise differs from the checkpoint's (0.5 here, 0.1 there)", true},
		{"standardize on, where auto meant off", func(c *Config) { c.Standardize = StandardizeOn }, "standardize differs from the checkpoint's (on here, off there)", true},
		{"data", func(c *Config) { c.Dataset = housing }, "dataset, standardize differ from the checkpoint's (dataset csv here, synthetic there; standardize on here, off there)", true},
		{"already done", func(c *Config) {}, "at epoch 4 already", true},
		{"missing", func(c *Config) { c.ResumeFrom = path + ".nope" }, "no model at", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.ResumeFrom = path
			tt.modify(&c)
			_, err := Train(context.Background(), c, nil)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Train error = %v, want one saying %q", err, tt.msg)
			}
			if errors.Is(err, ErrResume) != tt.mismatch {
				t.Errorf("Train error = %v: wraps ErrResume = %v, want %v", err, !tt.mismatch, tt.mismatch)
			}
		})
	}
	// Extending the run and changing patience is allowed.
	c := cfg
	c.ResumeFrom, c.Epochs, c.Patience = path, 6, 2
	if res := mustTrain(t, c, nil); res.Epochs != 6 {
		t.Fatalf("extended run ended at %d, want 6", res.Epochs)
	}
}

// Settings are compared by what they mean: naming the default target
// column, or "on" for the standardization "auto" gave a CSV, continues the
// run; another target does not.
func TestResumeEquivalentSettings(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Checkpoint, cfg.Epochs = housing, filepath.Join(t.TempDir(), "m.json"), 2
	cfg.Target, cfg.Standardize = "", StandardizeAuto
	mustTrain(t, cfg, nil)
	same := cfg
	same.ResumeFrom, same.Epochs, same.Target, same.Standardize = cfg.Checkpoint, 3, "price_k", StandardizeOn
	if res := mustTrain(t, same, nil); res.Epochs != 3 {
		t.Fatalf("resumed to epoch %d, want 3", res.Epochs)
	}
	other := same
	other.Epochs, other.Target = 4, "sqft"
	_, err := Train(context.Background(), other, nil)
	if !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), `target differs from the checkpoint's ("sqft" here, "price_k" there)`) {
		t.Fatalf("resume with another target: %v", err)
	}
}

func TestResumeDataChanged(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	write := func(s string) {
		if err := os.WriteFile(data, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("x,y\n1,2\n2,4\n3,6\n4,8\n")
	cfg := testConfig()
	cfg.Dataset, cfg.Checkpoint, cfg.Epochs, cfg.ValFraction = data, filepath.Join(dir, "m.json"), 2, 0
	mustTrain(t, cfg, nil)
	write("x,y\n1,2\n2,4\n3,6\n4,9\n")
	cfg.ResumeFrom, cfg.Epochs = cfg.Checkpoint, 3
	if _, err := Train(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "data differs") {
		t.Fatalf("resume on changed data: %v", err)
	}
}

func TestHistoryFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.ValFraction, cfg.BatchSize, cfg.Epochs = 4, 0.25, 4, 1_000_000
	res := mustTrain(t, cfg, nil)
	if res.History.Len() != cfg.Epochs || len(res.History.Buckets()) > HistoryBuckets {
		t.Fatalf("history holds %d epochs in %d buckets", res.History.Len(), len(res.History.Buckets()))
	}
	if res.ValHistory.Len() != cfg.Epochs {
		t.Fatalf("validation history holds %d epochs", res.ValHistory.Len())
	}
	// Allocations do not grow with the number of epochs.
	allocs := func(epochs int) float64 {
		cfg.Epochs = epochs
		return testing.AllocsPerRun(1, func() { mustTrain(t, cfg, nil) })
	}
	if few, many := allocs(10), allocs(100_000); many > few {
		t.Fatalf("%v allocations for 10 epochs, %v for 100,000", few, many)
	}
}

// Data too wide for the closed-form optimum within MaxClosedFormWork
// trains without it (OptimalLoss NaN) instead of spending the work, and
// its checkpoint loads and resumes.
func TestWideDataSkipsClosedForm(t *testing.T) {
	const rows, features = 300, 2000
	if float64(rows)*features*(features+1)/2 <= MaxClosedFormWork {
		t.Fatal("the data is not wide enough for the test")
	}
	csv := wideCSV(t, rows, features)
	cfg := testConfig()
	cfg.Dataset, cfg.Checkpoint, cfg.Epochs, cfg.LR = csv, filepath.Join(t.TempDir(), "m.json"), 4, 1e-4
	res := mustTrain(t, cfg, func(e Event) {
		if !math.IsNaN(e.OptimalLoss) {
			t.Fatalf("epoch %d: OptimalLoss %g, want NaN (not computed)", e.Epoch, e.OptimalLoss)
		}
	})
	if !math.IsNaN(res.OptimalLoss) || len(res.Weights) != features {
		t.Fatalf("result: OptimalLoss %g, %d weights", res.OptimalLoss, len(res.Weights))
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatalf("the checkpoint does not load: %v", err)
	}
	if !math.IsNaN(ck.OptimalLoss) {
		t.Errorf("checkpoint OptimalLoss %g, want NaN", ck.OptimalLoss)
	}
	cfg.ResumeFrom, cfg.Epochs = cfg.Checkpoint, 6
	if res := mustTrain(t, cfg, nil); res.Epochs != 6 {
		t.Errorf("resumed to epoch %d, want 6", res.Epochs)
	}
}

// After early stopping, the model returned and saved is the best epoch's,
// not the last one's: its validation loss is the best one.
func TestEarlyStoppingReturnsBestModel(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Patience, cfg.Schedule, cfg.DecaySteps = housing, 300, 20, ScheduleStep, 50
	cfg.Checkpoint = filepath.Join(t.TempDir(), "m.json")
	var atBest Event
	var last Event
	res := mustTrain(t, cfg, func(e Event) {
		last = e
		last.Weights = slices.Clone(e.Weights)
		if e.Epoch == e.BestEpoch {
			atBest = last
		}
	})
	if res.StopReason != StopEarlyStopped || res.BestEpoch >= res.Epochs {
		t.Fatalf("run stopped %s at epoch %d, best %d: the test needs an early stop after the best epoch", res.StopReason, res.Epochs, res.BestEpoch)
	}
	if !sameBits(res.Weights, atBest.Weights) || !sameFloat(res.Bias, atBest.Bias) {
		t.Errorf("weights %v %v, want the best epoch's %v %v (the last epoch had %v %v)",
			res.Weights, res.Bias, atBest.Weights, atBest.Bias, last.Weights, last.Bias)
	}
	if !sameFloat(res.ValLoss, res.BestLoss) || !sameFloat(res.Loss, atBest.TrainLoss) {
		t.Errorf("losses %g / val %g, want the best epoch's %g / %g", res.Loss, res.ValLoss, atBest.TrainLoss, res.BestLoss)
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(ck.Weights, res.Weights) || !sameFloat(ck.ValLoss, res.BestLoss) || ck.Epoch != res.Epochs {
		t.Errorf("checkpoint: weights %v val %g epoch %d; want the best model, and the epochs run", ck.Weights, ck.ValLoss, ck.Epoch)
	}
	// A file written before the best model was kept still loads and
	// resumes (the last model stands in for the best).
	data, _ := os.ReadFile(cfg.Checkpoint)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["state"].(map[string]any), "best_weights")
	old, _ := json.Marshal(doc)
	if _, err := ParseCheckpoint(old); err != nil {
		t.Fatalf("a checkpoint without best_weights: %v", err)
	}
	oldPath := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	more := cfg
	more.ResumeFrom, more.Checkpoint, more.Epochs, more.Patience = oldPath, oldPath, res.Epochs+5, 100
	if r := mustTrain(t, more, nil); r.Epochs != res.Epochs+5 {
		t.Fatalf("resumed from a checkpoint without best_weights to epoch %d, want %d", r.Epochs, res.Epochs+5)
	}
}

// Config.Features picks the feature columns in the order given; a resumed
// run must name the same ones.
func TestFeatureSelection(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Features, cfg.Epochs = housing, []string{"bedrooms", "sqft"}, 3
	cfg.Checkpoint = filepath.Join(t.TempDir(), "m.json")
	res := mustTrain(t, cfg, nil)
	if !slices.Equal(res.Features, []string{"bedrooms", "sqft"}) || len(res.Weights) != 2 || res.Target != "price_k" {
		t.Fatalf("features %q (%d weights) -> %q", res.Features, len(res.Weights), res.Target)
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ck.Predict([]float64{3, 2000}); err != nil {
		t.Fatalf("predict with the selected features: %v", err)
	}
	other := cfg
	other.ResumeFrom, other.Epochs, other.Features = cfg.Checkpoint, 5, []string{"sqft", "bedrooms"}
	if _, err := Train(context.Background(), other, nil); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "features") {
		t.Fatalf("resume with other features: %v, want ErrResume about the features", err)
	}
	same := cfg
	same.ResumeFrom, same.Epochs = cfg.Checkpoint, 5
	if r := mustTrain(t, same, nil); r.Epochs != 5 {
		t.Fatalf("resume with the same features ended at %d", r.Epochs)
	}
	for _, bad := range []Config{
		func() Config { c := testConfig(); c.Features = []string{"x"}; return c }(),
		func() Config { c := testConfig(); c.Dataset, c.Features = housing, []string{}; return c }(),
	} {
		if err := bad.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "features") {
			t.Errorf("Validate(%v) = %v, want ErrConfig about features", bad.Features, err)
		}
	}
}

// Training a CSV with a canceled context stops before any epoch, with an
// error (the data was not read).
func TestTrainCanceledWhileLoading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := testConfig()
	cfg.Dataset = housing
	epochs := 0
	if _, err := Train(ctx, cfg, func(Event) { epochs++ }); !errors.Is(err, context.Canceled) || epochs != 0 {
		t.Fatalf("Train = %v after %d epochs, want context.Canceled before any", err, epochs)
	}
}

// TestRangeWhicheverSplit: a target whose square overflows float64 is
// refused up front whichever split its row lands in, and so is a feature
// value out of range in training units (raw without standardization; with
// it, one in a validation row far from the training rows' spread).
func TestRangeWhicheverSplit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	hugeY := write("hy.csv", "x,y\n1,1e200\n2,4\n3,6\n4,8\n5,10\n6,12\n7,14\n8,16\n")
	hugeX := write("hx.csv", "x,y\n1e200,2\n2,4\n3,6\n4,8\n5,10\n6,12\n7,14\n8,16\n")
	for _, frac := range []float64{0, 0.125, 0.25, 0.5, 0.75} {
		for seed := range uint64(8) {
			cfg := testConfig()
			cfg.ValFraction, cfg.Seed = frac, seed
			cfg.Dataset = hugeY
			if _, err := newTrainer(context.Background(), cfg); !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), `target "y"`) {
				t.Errorf("target 1e200, val-fraction %g, seed %d: %v, want ErrRange naming the target", frac, seed, err)
			}
			cfg.Dataset, cfg.Standardize = hugeX, StandardizeOff
			if _, err := newTrainer(context.Background(), cfg); !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), `feature "x": values up to 1e+200`) {
				t.Errorf("raw feature 1e200, val-fraction %g, seed %d: %v, want ErrRange naming the feature", frac, seed, err)
			}
		}
	}
	// Standardized, the value is in range in the training rows (the scale
	// takes it in) and out of range in a validation row.
	var inTrain, inVal int
	for seed := range uint64(16) {
		cfg := testConfig()
		cfg.Dataset, cfg.ValFraction, cfg.Seed = hugeX, 0.25, seed
		tr, err := newTrainer(context.Background(), cfg)
		switch {
		case err == nil && tr.scaler.Scale[0] > 1e199:
			inTrain++
		case errors.Is(err, ErrRange) && strings.Contains(err.Error(), `feature "x": a value of 1e+200 is out of range`):
			inVal++
		default:
			t.Errorf("standardized feature 1e200, seed %d: %v", seed, err)
		}
	}
	if inTrain == 0 || inVal == 0 {
		t.Errorf("the huge row was in the training rows for %d seeds, in the validation rows for %d: want both", inTrain, inVal)
	}
}

// TestSkipClosedForm: the closed-form reference is computed when cheap in
// absolute terms or next to the training, never past MaxClosedFormWork.
func TestSkipClosedForm(t *testing.T) {
	tests := []struct {
		epochs, rows, features int
		want                   string // "" when computed, else part of the reason
	}{
		{8, 900, 1, ""},
		{1, 100_000, 10, ""},  // 5.5e6: below MinClosedFormWork
		{1, 1000, 300, ""},    // 5.4e7: below MinClosedFormWork
		{1000, 5000, 300, ""}, // 2.4e8, training 4.5e9
		{1, 5000, 300, "more than the training itself (4.5e+06)"}, // 2.4e8, training 4.5e6
		{1, 20, 5000, "5000 features on 20 rows would take about 4.2e+10 multiply-adds, over the limit"},
		{10_000, 40, 1200, "over the limit"}, // cubic: 5.8e8 to factorise 1200 features
		{100, 1_000_000, 40, "over the limit"},
	}
	for _, tt := range tests {
		got := skipClosedForm(tt.epochs, tt.rows, tt.features)
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("skipClosedForm(%d epochs, %d rows, %d features) = %q, want %q", tt.epochs, tt.rows, tt.features, got, tt.want)
		}
	}
}

// wideCSV writes rows rows of features random features and a target made
// of the first three.
func wideCSV(t *testing.T, rows, features int) string {
	t.Helper()
	var b strings.Builder
	for j := range features {
		fmt.Fprintf(&b, "f%d,", j)
	}
	b.WriteString("y\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for range rows {
		y := 0.0
		for j := range features {
			x := rng.NormFloat64()
			if j < 3 {
				y += float64(j+1) * x
			}
			fmt.Fprintf(&b, "%.3f,", x)
		}
		fmt.Fprintf(&b, "%.3f\n", y)
	}
	path := filepath.Join(t.TempDir(), "wide.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWideDataReference: 1,200 features on 40 rows fit the covariance
// budget but not the cubic factorisation: the reference is skipped, saying
// why, instead of being computed before the first epoch.
func TestWideDataReference(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.LR = wideCSV(t, 40, 1200), 1, 1e-4
	var phases []Phase
	res, err := Train(context.Background(), cfg, nil, WithPhases(func(p Phase) { phases = append(phases, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(res.OptimalLoss) || !strings.Contains(res.OptimalSkipped, "1200 features on 36 rows") {
		t.Errorf("OptimalLoss %g, OptimalSkipped %q: want NaN and why", res.OptimalLoss, res.OptimalSkipped)
	}
	if want := []Phase{PhaseLoading, PhasePreparing, PhaseTraining}; !slices.Equal(phases, want) {
		t.Errorf("phases %q, want %q", phases, want)
	}
}

// TestPhases: a run reports each phase as it begins, and a context
// canceled in any of them ends the run: before training with the context's
// error, during it as a canceled run.
func TestPhases(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Checkpoint = housing, 3, filepath.Join(dir, "m.json")
	var phases []Phase
	res, err := Train(context.Background(), cfg, nil, WithPhases(func(p Phase) { phases = append(phases, p) }))
	if err != nil || math.IsNaN(res.OptimalLoss) || res.OptimalSkipped != "" {
		t.Fatalf("Train: %v; OptimalLoss %g, skipped %q", err, res.OptimalLoss, res.OptimalSkipped)
	}
	if want := []Phase{PhaseLoading, PhasePreparing, PhaseReference, PhaseTraining, PhaseSaving}; !slices.Equal(phases, want) {
		t.Errorf("phases %q, want %q", phases, want)
	}
	resumed := cfg
	resumed.ResumeFrom, resumed.Epochs, resumed.Checkpoint = cfg.Checkpoint, 5, filepath.Join(dir, "resumed.json")
	phases = nil
	if _, err := Train(context.Background(), resumed, nil, WithPhases(func(p Phase) { phases = append(phases, p) })); err != nil {
		t.Fatal(err)
	}
	if want := []Phase{PhaseLoading, PhasePreparing, PhaseReference, PhaseReplaying, PhaseTraining, PhaseSaving}; !slices.Equal(phases, want) {
		t.Errorf("resumed: phases %q, want %q", phases, want)
	}
	for _, at := range []Phase{PhaseLoading, PhasePreparing, PhaseReference, PhaseReplaying, PhaseTraining} {
		ctx, cancel := context.WithCancel(context.Background())
		res, err := Train(ctx, resumed, nil, WithPhases(func(p Phase) {
			if p == at {
				cancel()
			}
		}))
		cancel()
		if at == PhaseTraining {
			if err != nil || res.StopReason != StopCanceled || res.Epochs != 3 {
				t.Errorf("canceled at %q: %v, %+v", at, err, res)
			}
			continue
		}
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Errorf("canceled at %q: %v, want context.Canceled", at, err)
		}
	}
}

// TestLeastSquaresCanceled: the closed-form solve stops when its context
// is canceled, in the covariances and in the factorisation, instead of
// finishing work cubic in the features.
func TestLeastSquaresCanceled(t *testing.T) {
	const rows, features = 4, 3000
	xy := make([]float64, rows*(features+1))
	for i := range xy {
		xy[i] = float64(i % 7)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := leastSquares(ctx, xy, features); !errors.Is(err, context.Canceled) {
		t.Errorf("leastSquares on a canceled context: %v", err)
	}
	a := make([]float64, features*(features+1))
	for j := range features {
		a[j*(features+1)+j] = 1
	}
	if _, err := solveCholesky(ctx, a, features, 0, make([]float64, features)); !errors.Is(err, context.Canceled) {
		t.Errorf("solveCholesky on a canceled context: %v", err)
	}
}

// By default rows are held out for validation only when early stopping
// watches them (sklearn's validation_fraction with early_stopping); an
// explicit share holds them out either way.
func TestValFractionAuto(t *testing.T) {
	tests := []struct {
		name      string
		frac      float64
		patience  int
		wantTrain int
		wantVal   int
	}{
		{"default: every row trains", ValFractionAuto, 0, 1000, 0},
		{"early stopping: 10% held out", ValFractionAuto, 3, 900, 100},
		{"explicit share without early stopping", 0.2, 0, 800, 200},
		{"explicit 0 with early stopping", 0, 3, 1000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Checkpoint, cfg.Epochs, cfg.ValFraction, cfg.Patience = "", 2, tt.frac, tt.patience
			res := mustTrain(t, cfg, nil)
			if res.Samples != tt.wantTrain || res.ValSamples != tt.wantVal {
				t.Fatalf("split %d/%d, want %d/%d", res.Samples, res.ValSamples, tt.wantTrain, tt.wantVal)
			}
			if got := cfg.EffectiveValFraction(); got != float64(tt.wantVal)/1000 {
				t.Errorf("EffectiveValFraction() = %g", got)
			}
		})
	}
	if DefaultConfig().ValFraction != ValFractionAuto {
		t.Errorf("default val fraction %g, want auto", DefaultConfig().ValFraction)
	}
}

// A run saved with the automatic share resumes with early stopping turned
// on and keeps its rows (none held out), and a checkpoint of an explicit
// share (as every file written before "auto" holds) resumes with the
// default config.
func TestResumeValFractionAuto(t *testing.T) {
	for _, saved := range []float64{ValFractionAuto, 0.1} {
		t.Run(fmt.Sprint(saved), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			cfg := DefaultConfig()
			cfg.Checkpoint, cfg.Epochs, cfg.ValFraction = path, 3, saved
			first := mustTrain(t, cfg, nil)
			next := DefaultConfig()
			next.Checkpoint, next.ResumeFrom, next.Epochs, next.Patience = path, path, 5, 2
			res := mustTrain(t, next, nil)
			if res.Epochs <= 3 || res.ValSamples != first.ValSamples {
				t.Fatalf("resumed to epoch %d with %d validation rows, want past 3 with %d", res.Epochs, res.ValSamples, first.ValSamples)
			}
			ck, err := LoadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(first.ValSamples) / 1000; ck.Config.ValFraction != want {
				t.Fatalf("saved val fraction %g, want the explicit %g so that a later resume keeps the split", ck.Config.ValFraction, want)
			}
		})
	}
}

// The auto schedule's window doubles with every decay, up to a bound and
// without overflowing however long decay-steps is.
func TestPlateauWindow(t *testing.T) {
	for _, tt := range []struct{ steps, decays, want int }{
		{10, 0, 10}, {10, 1, 20}, {10, 3, 80}, {1, 100, 1 << maxWindowDoublings}, {math.MaxInt / 3, 5, math.MaxInt / 3 * 2},
	} {
		p := plateau{decays: tt.decays}
		if got := p.window(tt.steps); got != tt.want {
			t.Errorf("window(%d) after %d decays = %d, want %d", tt.steps, tt.decays, got, tt.want)
		}
	}
	// A window whose mean loss does not fall is a plateau; one that falls is not.
	var p plateau
	for _, loss := range []float64{4, 4, 3, 3, 3, 3} { // windows of 2: means 4, 3, 3
		p.update(loss, 2)
	}
	if p.decays != 1 {
		t.Fatalf("%d decays after windows of mean 4, 3, 3; want 1", p.decays)
	}
}
