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

var longley = filepath.Join("testdata", "longley.csv")

// TestPreconditionLongley: at the default settings and 3,000 epochs,
// Longley (condition number 111) ends 64% above the optimum loss without
// whitening, and within 0.1% of it, every coefficient within 1e-7 of the
// closed form's, with auto (the default) and whiten; the result says it was
// whitened and the condition numbers before (111) and after (1).
func TestPreconditionLongley(t *testing.T) {
	for _, p := range []Precondition{PreconditionOff, PreconditionAuto, PreconditionWhiten} {
		t.Run(string(p), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Checkpoint, cfg.Dataset, cfg.Epochs, cfg.Precondition = "", longley, 3000, p
			res := mustTrain(t, cfg, nil)
			gap := (res.Loss - res.OptimalLoss) / res.OptimalLoss
			pc := res.Preconditioning
			if pc.Mode != p || math.Abs(pc.Before-110.5) > 0.5 || pc.Skipped != "" {
				t.Errorf("preconditioning %+v, want mode %s, condition number 111 before", pc, p)
			}
			if p == PreconditionOff {
				if pc.Whitened || pc.After != pc.Before || !(gap > 0.5) {
					t.Errorf("off: whitened %v, condition after %g, loss %.3g above the optimum; want not whitened, 111, over 50%%", pc.Whitened, pc.After, gap)
				}
				return
			}
			if !pc.Whitened || math.Abs(pc.After-1) > 1e-6 {
				t.Errorf("%s: whitened %v, condition after %g; want whitened, 1", p, pc.Whitened, pc.After)
			}
			if !(gap <= 1e-3) {
				t.Errorf("loss %.9g is %.2g above the optimum %.9g", res.Loss, gap, res.OptimalLoss)
			}
			for j, g := range res.Gaps {
				if g > 1e-7 {
					t.Errorf("coefficient %d is %.2g from the closed form's", j, g)
				}
			}
			if !res.Collinearity.Collinear() {
				t.Error("the collinearity warning is gone")
			}
		})
	}
}

// TestPreconditionAutoKeepsWellConditioned: on data whose condition number
// is under CollinearCondition, auto trains exactly as off does, bit for
// bit, every epoch's event included.
func TestPreconditionAutoKeepsWellConditioned(t *testing.T) {
	clinical := filepath.Join(t.TempDir(), "clinical.csv")
	writeClinical(t, clinical)
	for _, file := range []string{housing, clinical, filepath.Join("testdata", "cars.csv"), filepath.Join("testdata", "stackloss.csv"), filepath.Join("testdata", "norris.csv"), ""} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			run := func(p Precondition) (*Result, []float64) {
				cfg := testConfig()
				cfg.Dataset, cfg.Epochs, cfg.Precondition = file, 200, p
				var seen []float64
				res := mustTrain(t, cfg, func(e Event) { seen = append(seen, e.TrainLoss, e.ValLoss, e.Bias); seen = append(seen, e.Weights...) })
				return res, seen
			}
			auto, autoSeen := run(PreconditionAuto)
			off, offSeen := run(PreconditionOff)
			sameRun(t, auto, off)
			if !sameBits(autoSeen, offSeen) {
				t.Error("the epochs' events differ")
			}
			if auto.Preconditioning.Whitened || auto.Preconditioning.Skipped != "" {
				t.Errorf("auto on well-conditioned data: %+v", auto.Preconditioning)
			}
		})
	}
}

// TestWhitenMatchesOff: whitening changes the path, not the answer: on
// well-conditioned data a whitened run reaches the closed form as an
// unwhitened one does, and its reported weights predict as the model it
// trained (in whitened units) does.
func TestWhitenMatchesOff(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.ValFraction, cfg.Precondition = housing, 2000, 0, PreconditionWhiten
	res := mustTrain(t, cfg, nil)
	if !res.Preconditioning.Whitened || math.Abs(res.Preconditioning.After-1) > 1e-6 || res.Preconditioning.Before < 3 {
		t.Fatalf("preconditioning %+v", res.Preconditioning)
	}
	if gap := (res.Loss - res.OptimalLoss) / res.OptimalLoss; !(gap <= 1e-3) {
		t.Errorf("loss %.3g above the optimum", gap)
	}
	// The reported weights' loss on the raw rows is the run's.
	set, err := loadData(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if l := mse(set.XY, res.Weights, res.Bias); math.Abs(l-res.Loss) > 1e-9*res.Loss {
		t.Errorf("the reported weights' loss on the raw rows is %.12g, the run's %.12g", l, res.Loss)
	}
}

// TestWhitenerIdentity: the whitened training rows of collinear data are
// uncorrelated with unit variance, and the weights map back so that
// predictions are unchanged.
func TestWhitenerIdentity(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.ValFraction, cfg.Precondition = longley, 0, PreconditionWhiten
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, n := len(tr.features), len(tr.train)/tr.stride
	for j := range f {
		for k := range f {
			s := 0.0
			for _, row := range rowsOf(tr.train, tr.stride) {
				s += row[j] * row[k]
			}
			want := 0.0
			if j == k {
				want = 1
			}
			if got := s / float64(n); math.Abs(got-want) > 1e-9 {
				t.Errorf("whitened covariance [%d][%d] = %g, want %g", j, k, got, want)
			}
		}
	}
	// A model on whitened features predicts as its mapped weights do on
	// the standardized ones (z recovered as u·Lᵀ).
	v := []float64{1, -2, 3, -4, 5, -6}
	w := tr.whiten.standard(v, nil)
	l, _, _ := cholesky(context.Background(), corrOf(t, cfg), f, f, 0)
	for i, row := range rowsOf(tr.train, tr.stride) {
		if i == 3 {
			break
		}
		z := make([]float64, f)
		for k := range f { // z = u·Lᵀ: z_k = Σ_{j≤k} u_j·L[k][j]
			for j := 0; j <= k; j++ {
				z[k] += row[j] * l[k*f+j]
			}
		}
		var pu, pz float64
		for j := range f {
			pu += row[j] * v[j]
			pz += z[j] * w[j]
		}
		if math.Abs(pu-pz) > 1e-9*(1+math.Abs(pu)) {
			t.Errorf("prediction on whitened features %g, mapped weights on standardized ones %g", pu, pz)
		}
	}
}

// corrOf returns the correlation matrix of cfg's standardized training
// features (n×n).
func corrOf(t *testing.T, cfg Config) []float64 {
	t.Helper()
	cfg.Precondition = PreconditionOff
	tr, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := len(tr.features)
	_, _, cov, err := solveLeastSquares(context.Background(), tr.train, f)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]float64, f*f)
	for j := range f {
		for k := range f {
			r[j*f+k] = cov[j*(f+1)+k] / math.Sqrt(cov[j*(f+1)+j]*cov[k*(f+1)+k])
		}
	}
	return r
}

// TestResumeWhitened: a whitened run interrupted after epoch k and resumed
// from its checkpoint ends with the bits of the uninterrupted run, for
// every optimizer (their state lives in the whitened space); the transform
// is recomputed from the same rows.
func TestResumeWhitened(t *testing.T) {
	for _, o := range []struct {
		opt Optimizer
		lr  float64
	}{{OptimizerSGD, 0.05}, {OptimizerMomentum, 0.01}, {OptimizerAdam, 20}} {
		t.Run(string(o.opt), func(t *testing.T) {
			cfg := testConfig()
			cfg.Dataset, cfg.Epochs, cfg.Optimizer, cfg.LR, cfg.BatchSize = longley, 40, o.opt, o.lr, 5
			want := mustTrain(t, cfg, nil)
			if !want.Preconditioning.Whitened {
				t.Fatal("not whitened")
			}
			for _, k := range []int{1, 17, cfg.Epochs - 1} {
				second := cfg
				second.ResumeFrom = interruptAt(t, cfg, k)
				sameRun(t, mustTrain(t, second, nil), want)
			}
		})
	}
}

// TestResumePreconditionMismatch: a run cannot resume a checkpoint whose
// features were whitened differently, and auto takes the checkpoint's
// mode: off for files written before preconditioning existed.
func TestResumePreconditionMismatch(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs = longley, 10
	path := interruptAt(t, cfg, 3) // whitened (auto)

	off := cfg
	off.ResumeFrom, off.Precondition = path, PreconditionOff
	if _, err := Train(context.Background(), off, nil); !errors.Is(err, ErrResume) || !strings.Contains(err.Error(), "precondition") {
		t.Errorf("resuming a whitened run with precondition off: %v", err)
	}

	// A file from before: no precondition in its config, no whitened state.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	config, state := raw["config"].(map[string]any), raw["state"].(map[string]any)
	if config["precondition"] != "auto" || state["whitened"] != true {
		t.Fatalf("checkpoint config %v, state %v", config, state)
	}
	delete(config, "precondition")
	delete(state, "whitened")
	old, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Precondition != "" || ck.state.Whitened {
		t.Fatalf("old file loads as precondition %q, whitened %v", ck.Config.Precondition, ck.state.Whitened)
	}
	again := cfg
	again.ResumeFrom = path
	res, err := Train(context.Background(), again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Preconditioning.Whitened || res.Config.Precondition != PreconditionOff {
		t.Errorf("an old file resumed whitened (%+v, config %q)", res.Preconditioning, res.Config.Precondition)
	}
}

// TestCheckpointWhitened: a whitened run's checkpoint holds the weights in
// original units (Predict gives the run's predictions), its mode in the
// config and the whitening in the state, and re-encodes to the same bytes.
func TestCheckpointWhitened(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.ValFraction = longley, 300, 0
	cfg.Checkpoint = filepath.Join(t.TempDir(), "model.json")
	res := mustTrain(t, cfg, nil)
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Precondition != PreconditionAuto || !ck.state.Whitened || !res.Preconditioning.Whitened {
		t.Errorf("checkpoint precondition %q, whitened %v", ck.Config.Precondition, ck.state.Whitened)
	}
	if !sameBits(ck.Weights, res.Weights) || !sameFloat(ck.Bias, res.Bias) {
		t.Errorf("checkpoint weights %v %v, the run's %v %v", ck.Weights, ck.Bias, res.Weights, res.Bias)
	}
	x := []float64{83, 234289, 2356, 1590, 107608, 1947}
	want := res.Bias
	for j, w := range res.Weights {
		want += w * x[j]
	}
	if y, err := ck.Predict(x); err != nil || math.Abs(y-want) > 1e-6*math.Abs(want) || math.Abs(y-60323) > 0.01*60323 {
		t.Errorf("Predict = %v, %v; want %g, near the first row's 60323", y, err, want)
	}
	again, err := ck.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if orig, _ := os.ReadFile(cfg.Checkpoint); string(again) != string(orig) {
		t.Error("re-encoded checkpoint differs from the file")
	}
}

// TestPreconditionConfig: bad modes are refused naming the setting and the
// valid ones; whiten needs standardized features.
func TestPreconditionConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Precondition = "pca"
	if err := cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), `precondition "pca" is not one of [auto off whiten]`) {
		t.Errorf("Validate: %v", err)
	}
	cfg.Precondition = PreconditionWhiten // synthetic data: standardization auto is off
	if err := cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "standardize on") {
		t.Errorf("Validate whiten without standardization: %v", err)
	}
	cfg.Standardize = StandardizeOn
	if err := cfg.Validate(); err != nil {
		t.Errorf("whiten with standardize on: %v", err)
	}
}

// TestWhitenSkippedWithoutReference: when the closed-form reference is
// too costly to compute, so is the whitening, and the result says why.
func TestWhitenSkippedWithoutReference(t *testing.T) {
	if skipClosedForm(1, 20, 5000) == "" {
		t.Fatal("the closed form of 5,000 features is computed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "wide.csv")
	var b strings.Builder
	for i := range 20 {
		for j := range 5000 {
			b.WriteString(strings.Repeat("1", 1+(i*j)%3))
			b.WriteByte(',')
		}
		b.WriteString("1\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.ValFraction, cfg.Precondition = path, 1, 0, PreconditionWhiten
	res := mustTrain(t, cfg, nil)
	pc := res.Preconditioning
	if pc.Whitened || !strings.Contains(pc.Skipped, "not computed: 5000 features on 20 rows") || !math.IsNaN(pc.Before) {
		t.Errorf("preconditioning %+v", pc)
	}
}

// TestWhitenValidationRows: the validation rows are whitened with the
// training rows' transform, so a model's validation loss is the same on
// whitened rows as its mapped weights' on standardized ones.
func TestWhitenValidationRows(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.ValFraction, cfg.Precondition = longley, 0.25, PreconditionWhiten
	white, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Precondition = PreconditionOff
	plain, err := newTrainer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(white.val) == 0 || white.whiten == nil || plain.whiten != nil {
		t.Fatalf("%d validation values, whitened %v and %v", len(white.val), white.whiten != nil, plain.whiten != nil)
	}
	v := []float64{3, -1, 4, -1, 5, -9}
	vl := mse(white.val, v, 60000)
	zl := mse(plain.val, white.whiten.standard(v, nil), 60000)
	if math.Abs(vl-zl) > 1e-9*zl {
		t.Errorf("validation loss %.12g on whitened rows, %.12g with the mapped weights on standardized ones", vl, zl)
	}
}
