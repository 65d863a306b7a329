package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOptimizerStep runs one step of each optimizer on a batch of two
// rows, (x, y) = (1, 3) and (2, 5), from w = b = 0 with lr 0.1, against
// values worked out by hand. The residuals are -3 and -5, so the gradient
// of the batch's MSE is g_w = (2/2)·(-3·1 - 5·2) = -13 and g_b = -8.
// Each case runs on one feature (momentum1, adam1) and on two, the second
// always 0 (stepGeneral), whose weight must not move.
func TestOptimizerStep(t *testing.T) {
	tests := []struct {
		name  string
		opt   Optimizer
		state func(o *optState) // the state before the step
		w, b  float64
		check func(t *testing.T, o *optState)
	}{
		// θ ← θ − 0.1·g
		{name: "sgd", opt: OptimizerSGD, w: 1.3, b: 0.8},
		// The velocity starts at 0: the first step is SGD's.
		{name: "momentum first step", opt: OptimizerMomentum, w: 1.3, b: 0.8,
			check: func(t *testing.T, o *optState) { near(t, "velocity", []float64{o.m[0], o.mb}, []float64{-13, -8}) }},
		// v_w = 0.9·1 - 13 = -12.1, v_b = 0.9·0.5 - 8 = -7.55; θ ← θ − 0.1·v.
		{name: "momentum with velocity", opt: OptimizerMomentum, w: 1.21, b: 0.755,
			state: func(o *optState) { o.m[0], o.mb = 1, 0.5 },
			check: func(t *testing.T, o *optState) { near(t, "velocity", []float64{o.m[0], o.mb}, []float64{-12.1, -7.55}) }},
		// t = 1: m = 0.1·g, v = 0.001·g², so m/(1-β₁) = g and
		// √(v/(1-β₂)) = |g|: θ ← θ + 0.1·|g|/(|g| + 1e-8).
		{name: "adam first step", opt: OptimizerAdam, w: 0.1 * 13 / (13 + 1e-8), b: 0.1 * 8 / (8 + 1e-8),
			check: func(t *testing.T, o *optState) {
				near(t, "moments", []float64{o.m[0], o.mb, o.v[0], o.vb}, []float64{-1.3, -0.8, 0.169, 0.064})
				if o.steps != 1 {
					t.Errorf("steps = %d, want 1", o.steps)
				}
			}},
		// From t = 1, m = (1, 0.5), v = (4, 1): m = 0.9·m + 0.1·g =
		// (-0.4, -0.35), v = 0.999·v + 0.001·g² = (4.165, 1.063); t = 2,
		// 1-β₁² = 0.19, 1-β₂² = 0.001999; θ ← θ − (0.1/0.19)·m/(√v/√0.001999 + 1e-8).
		{name: "adam second step", opt: OptimizerAdam, w: 0.004612169765164035, b: 0.007988297086529454,
			state: func(o *optState) {
				o.m[0], o.mb, o.v[0], o.vb, o.steps, o.p1, o.p2 = 1, 0.5, 4, 1, 1, 0.9, 0.999
			},
			check: func(t *testing.T, o *optState) {
				near(t, "moments", []float64{o.m[0], o.mb, o.v[0], o.vb}, []float64{-0.4, -0.35, 4.165, 1.063})
				near(t, "powers of the betas", []float64{o.p1, o.p2}, []float64{0.81, 0.998001})
			}},
	}
	for _, tt := range tests {
		for _, features := range []int{1, 2} {
			t.Run(tt.name+map[int]string{1: "/one feature", 2: "/two features"}[features], func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.Optimizer = tt.opt
				m := model{w: make([]float64, features), grad: make([]float64, features)}
				o := newOptState(cfg, features)
				if tt.state != nil {
					tt.state(&o)
				}
				xy := []float64{1, 3, 2, 5}
				if features == 2 {
					xy = []float64{1, 0, 3, 2, 0, 5}
				}
				m.descend(xy, 0.1, 2, &o)
				near(t, "w, b", []float64{m.w[0], m.b}, []float64{tt.w, tt.b})
				if features == 2 && m.w[1] != 0 {
					t.Errorf("the weight of the all-zero feature moved to %g", m.w[1])
				}
				if tt.check != nil {
					tt.check(t, &o)
				}
			})
		}
	}
}

// near fails t unless got and want agree to 1e-12 relative.
func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

// optimizerConfigs are runs of each optimizer on one feature and on three
// (the two kernels of each).
func optimizerConfigs() map[string]Config {
	out := map[string]Config{}
	for _, o := range []struct {
		opt   Optimizer
		lr    float64
		csvLR float64
	}{{OptimizerSGD, 0.05, 0.05}, {OptimizerMomentum, 0.02, 0.01}, {OptimizerAdam, 0.05, 20}} {
		syn := testConfig()
		syn.Epochs, syn.Optimizer, syn.LR = 12, o.opt, o.lr
		csv := testConfig()
		csv.Dataset, csv.Epochs, csv.BatchSize, csv.Optimizer, csv.LR = housing, 12, 50, o.opt, o.csvLR
		out[string(o.opt)+"/synthetic"], out[string(o.opt)+"/csv"] = syn, csv
	}
	return out
}

// TestResumeOptimizers interrupts runs of every optimizer after epoch k
// and resumes them from the checkpoint, which keeps the optimizer's
// state: the result must be bit-identical to the uninterrupted run's.
func TestResumeOptimizers(t *testing.T) {
	for name, cfg := range optimizerConfigs() {
		t.Run(name, func(t *testing.T) {
			want := mustTrain(t, cfg, nil)
			if want.StopReason != StopCompleted || !(want.Loss < 2*want.OptimalLoss) {
				t.Fatalf("the run did not train: %s, loss %g against the optimum's %g", want.StopReason, want.Loss, want.OptimalLoss)
			}
			for _, k := range []int{1, 5, cfg.Epochs - 1} {
				second := cfg
				second.ResumeFrom = interruptAt(t, cfg, k)
				sameRun(t, mustTrain(t, second, nil), want)
			}
		})
	}
}

// TestOptimizersDiffer: each optimizer takes its own path, and the same
// config gives the same bits twice.
func TestOptimizersDiffer(t *testing.T) {
	seen := map[float64]string{}
	for name, cfg := range optimizerConfigs() {
		if !strings.HasSuffix(name, "/synthetic") {
			continue
		}
		cfg.LR = 0.02
		a, b := mustTrain(t, cfg, nil), mustTrain(t, cfg, nil)
		sameRun(t, a, b)
		if other, ok := seen[a.Weights[0]]; ok {
			t.Errorf("%s and %s ended at the same weight %v", name, other, a.Weights[0])
		}
		seen[a.Weights[0]] = name
	}
}

// TestCancelMidEpochOptimizer: a canceled epoch leaves the optimizer's
// state as the last complete epoch left it.
func TestCancelMidEpochOptimizer(t *testing.T) {
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.BatchSize, cfg.Optimizer = 3*cancelRows, 64, OptimizerAdam
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.step(context.Background(), 1) {
		t.Fatal("epoch 1 canceled")
	}
	before := tr.opt.stateJSON()
	// Canceled once the epoch has trained on part of its rows: the
	// shuffle checks the context twice while it scatters them into
	// buckets, then once after training on each bucket.
	ctx := &countdown{Context: context.Background(), left: 2}
	if tr.step(ctx, 2) {
		t.Fatal("step completed despite cancellation")
	}
	if ctx.left >= 0 {
		t.Fatal("the epoch ended before it trained")
	}
	after := tr.opt.stateJSON()
	a, _ := json.Marshal(before)
	b, _ := json.Marshal(after)
	if string(a) != string(b) || before.Steps == 0 {
		t.Fatalf("optimizer state after the canceled epoch = %s, want it rolled back to %s", b, a)
	}
}

// TestOldCheckpointIsSGD: a checkpoint written before the optimizers
// existed (no optimizer in its config or state) loads as plain SGD and
// resumes on the uninterrupted run's trajectory.
func TestOldCheckpointIsSGD(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs = 6
	want := mustTrain(t, cfg, nil)
	path := filepath.Join(t.TempDir(), "model.json")
	first := cfg
	first.Checkpoint, first.Epochs = path, 3
	mustTrain(t, first, nil)
	editCheckpoint(t, path, func(f map[string]any) {
		c := f["config"].(map[string]any)
		for _, k := range []string{"optimizer", "momentum", "beta1", "beta2", "eps"} {
			if _, ok := c[k]; !ok && k == "optimizer" {
				t.Fatalf("the checkpoint's config has no %s", k)
			}
			delete(c, k)
		}
	})
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Optimizer != OptimizerSGD || ck.Config.Momentum != DefaultMomentum || ck.Config.Eps != DefaultEps {
		t.Fatalf("old checkpoint's config: optimizer %q momentum %g eps %g, want sgd with the defaults",
			ck.Config.Optimizer, ck.Config.Momentum, ck.Config.Eps)
	}
	second := cfg
	second.ResumeFrom = path
	sameRun(t, mustTrain(t, second, nil), want)
}

// TestCheckpointOptimizerState: the optimizer's state must be there, and
// sound, for a checkpoint of momentum or Adam to load, and a resume must
// keep the optimizer and its parameters.
func TestCheckpointOptimizerState(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs, cfg.Optimizer = 3, OptimizerAdam
	dir := t.TempDir()
	tests := []struct {
		name string
		edit func(f map[string]any)
		msg  string
	}{
		{"no state", func(f map[string]any) { delete(f["state"].(map[string]any), "optimizer") }, "no adam optimizer state"},
		{"negative second moment", func(f map[string]any) {
			f["state"].(map[string]any)["optimizer"].(map[string]any)["v_bias"] = -1
		}, "second moment of -1"},
		{"short", func(f map[string]any) {
			f["state"].(map[string]any)["optimizer"].(map[string]any)["m"] = []any{}
		}, "0 first moments for 1 features"},
		{"sgd with state", func(f map[string]any) { f["config"].(map[string]any)["optimizer"] = "sgd" }, "optimizer state for sgd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			c := cfg
			c.Checkpoint = path
			mustTrain(t, c, nil)
			editCheckpoint(t, path, tt.edit)
			_, err := LoadCheckpoint(path)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("LoadCheckpoint = %v, want ErrCorrupt saying %q", err, tt.msg)
			}
		})
	}
	path := filepath.Join(dir, "resume.json")
	c := cfg
	c.Checkpoint = path
	mustTrain(t, c, nil)
	for _, mod := range []struct {
		edit func(*Config)
		msg  string
	}{
		{func(c *Config) { c.Optimizer = OptimizerSGD }, "optimizer differs from the checkpoint's (sgd here, adam there)"},
		{func(c *Config) { c.Beta2 = 0.99 }, "beta2 differs from the checkpoint's (0.99 here, 0.999 there)"},
	} {
		c := cfg
		c.ResumeFrom, c.Epochs = path, 5
		mod.edit(&c)
		if _, err := Train(context.Background(), c, nil); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), mod.msg) {
			t.Errorf("Train = %v, want ErrResume saying %q", err, mod.msg)
		}
	}
	// A parameter the optimizer does not use may differ.
	c = cfg
	c.ResumeFrom, c.Epochs, c.Momentum = path, 5, 0.5
	mustTrain(t, c, nil)
}

// editCheckpoint rewrites the checkpoint JSON at path with edit.
func editCheckpoint(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	edit(f)
	if data, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// countdown is a context that is canceled after left calls of Err.
type countdown struct {
	context.Context
	left int
}

func (c *countdown) Err() error {
	if c.left--; c.left < 0 {
		return context.Canceled
	}
	return nil
}
