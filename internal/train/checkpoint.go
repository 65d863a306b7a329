package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdash/agentdash/internal/buildinfo"
	"github.com/agentdash/agentdash/internal/series"
)

// The checkpoint file format: JSON with these format and version fields.
// Readers accept versions up to CheckpointVersion; fields may be added
// within a version.
const (
	CheckpointFormat  = "agentdash-linear-regression"
	CheckpointVersion = 1
)

// Errors from [LoadCheckpoint], besides those wrapping fs.ErrNotExist for a
// missing file.
var (
	ErrNotCheckpoint = errors.New("not an agentdash checkpoint")
	ErrCorrupt       = errors.New("corrupt checkpoint")
	ErrVersion       = errors.New("unsupported checkpoint version")
)

// Fingerprint identifies the data a model was trained on.
type Fingerprint struct {
	Source    string `json:"source"`           // CSV path, or "synthetic"
	SHA256    string `json:"sha256,omitempty"` // hex SHA-256 of the CSV file
	Bytes     int64  `json:"bytes,omitempty"`  // size of the CSV file
	Rows      int    `json:"rows"`
	TrainRows int    `json:"train_rows"`
	ValRows   int    `json:"val_rows"`
}

// Scaler is the standardization applied to the features before training:
// z = (x - Mean) / Scale, computed on the training rows.
type Scaler struct {
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// Checkpoint is a saved model with everything needed to explain, serve and
// resume it. Weights and Bias are in original units: y = Weights·x + Bias.
// The model is the one Model names: after early stopping the best epoch's
// (BestEpoch), the one whose monitored loss made the run stop waiting for
// better; else the last epoch's or, without validation rows, the best
// epoch's if its training loss is lower (see ModelKind). Loss and ValLoss
// are that model's.
type Checkpoint struct {
	Format      string      // CheckpointFormat
	Version     int         // schema version
	Created     time.Time   // when the file was written
	Software    string      // program version that wrote it
	Config      Config      // the full training config
	Data        Fingerprint // the training data
	Features    []string    // feature names, one per weight
	Target      string      // target name
	Scaler      *Scaler     // nil when the features were not standardized
	Weights     []float64
	Bias        float64
	Model       ModelKind // which model Weights and Bias are; "" in files written before it was recorded
	Epoch       int       // epochs completed
	BestEpoch   int
	Loss        float64 // training MSE of the model
	ValLoss     float64 // validation MSE of the model; NaN without validation
	BestLoss    float64 // lowest monitored loss
	OptimalLoss float64 // closed-form least-squares MSE on the training rows; NaN if not computed (see MaxClosedFormWork)
	StopReason  StopReason
	History     []series.Bucket // training loss per epoch, downsampled
	ValHistory  []series.Bucket // validation loss per epoch, downsampled

	state resumeState
}

// resumeState is the exact optimizer state, in training units: the last
// epoch's model, which a resumed run continues from, and the best epoch's,
// with its losses, which early stopping returns.
type resumeState struct {
	Weights     []jfloat `json:"weights"`
	Bias        jfloat   `json:"bias"`
	Best        jfloat   `json:"best"`
	Wait        int      `json:"wait"`
	BestWeights []jfloat `json:"best_weights,omitempty"` // absent in files written before it existed
	BestBias    jfloat   `json:"best_bias"`
	BestTrain   jfloat   `json:"best_train_loss"`
	BestVal     jfloat   `json:"best_val_loss"`
	// The auto schedule's plateaus; absent before it existed.
	PlateauSum  jfloat `json:"plateau_sum,omitempty"`
	PlateauN    int    `json:"plateau_n,omitempty"`
	PlateauPrev jfloat `json:"plateau_prev,omitempty"`
	LRDecays    int    `json:"lr_decays,omitempty"`
	// The optimizer's state; absent for sgd and before it existed.
	Optimizer *optimizerJSON `json:"optimizer,omitempty"`
	// Whitened says the weights above are on whitened features (see
	// Precondition), whose transform a resumed run recomputes from the
	// same rows.
	Whitened bool `json:"whitened,omitempty"`
}

// checkpointFile is the JSON form of a Checkpoint.
type checkpointFile struct {
	Format      *string     `json:"format"`
	Version     *int        `json:"version"`
	Created     time.Time   `json:"created"`
	Software    string      `json:"software"`
	Config      Config      `json:"config"`
	Data        Fingerprint `json:"data"`
	Features    []string    `json:"features"`
	Target      string      `json:"target"`
	Scaler      *scalerJSON `json:"scaler"`
	Weights     []jfloat    `json:"weights"`
	Bias        jfloat      `json:"bias"`
	Model       ModelKind   `json:"model,omitempty"`
	Epoch       int         `json:"epoch"`
	BestEpoch   int         `json:"best_epoch"`
	Loss        jfloat      `json:"loss"`
	ValLoss     jfloat      `json:"val_loss"`
	BestLoss    jfloat      `json:"best_loss"`
	OptimalLoss jfloat      `json:"optimal_loss"`
	StopReason  StopReason  `json:"stop_reason"`
	History     historyJSON `json:"history"`
	State       resumeState `json:"state"`
}

// scalerJSON is the JSON form of a Scaler.
type scalerJSON struct {
	Mean  []jfloat `json:"mean"`
	Scale []jfloat `json:"scale"`
}

// jfloats converts between []float64 and []jfloat.
func jfloats[T, U ~float64](xs []T) []U {
	if xs == nil {
		return nil
	}
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = U(x)
	}
	return out
}

// historyJSON holds the loss histories as bucket lists.
type historyJSON struct {
	Capacity int          `json:"capacity"`
	Train    []bucketJSON `json:"train"`
	Val      []bucketJSON `json:"val"`
}

type bucketJSON struct {
	Start   int    `json:"start"`
	Count   int    `json:"count"`
	Skipped int    `json:"skipped,omitempty"`
	Min     jfloat `json:"min"`
	Max     jfloat `json:"max"`
	Sum     jfloat `json:"sum"`
	Last    jfloat `json:"last"`
}

// jfloat is a float64 that encodes NaN and infinities as JSON null (and
// decodes null as NaN), since JSON has no such numbers.
type jfloat float64

func (f jfloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if !finite(x) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

func (f *jfloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jfloat(math.NaN())
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("number %s: %w", b, err)
	}
	*f = jfloat(x)
	return nil
}

func toBucketsJSON(src []series.Bucket) []bucketJSON {
	out := make([]bucketJSON, len(src))
	for i, k := range src {
		out[i] = bucketJSON{k.Start, k.Count, k.Skipped, jfloat(k.Min), jfloat(k.Max), jfloat(k.Sum), jfloat(k.Last)}
	}
	return out
}

func fromBucketsJSON(src []bucketJSON) []series.Bucket {
	out := make([]series.Bucket, len(src))
	for i, k := range src {
		out[i] = series.Bucket{Start: k.Start, Count: k.Count, Skipped: k.Skipped,
			Min: float64(k.Min), Max: float64(k.Max), Sum: float64(k.Sum), Last: float64(k.Last)}
	}
	return out
}

// softwareVersion names the running program for the checkpoint.
func softwareVersion() string { return "agentdash " + buildinfo.Version() }

// checkpoint snapshots the trainer's state.
func (t *trainer) checkpoint(stop StopReason) *Checkpoint {
	p := t.chosen(stop)
	m, loss, vloss := p.m, p.loss, p.vloss
	w, b := t.original(m.w, m.b, nil)
	cfg := t.cfg
	cfg.Shuffle = cfg.shuffle()
	t.mu.Lock()
	hist, vhist := t.hist.Buckets(), t.vhist.Buckets()
	t.mu.Unlock()
	return &Checkpoint{
		Format: CheckpointFormat, Version: CheckpointVersion,
		Created: time.Now().UTC().Truncate(time.Millisecond), Software: softwareVersion(),
		Config: cfg, Data: t.fp, Features: slices.Clone(t.features), Target: t.target, Scaler: t.scaler,
		Weights: w, Bias: b, Model: p.kind, Epoch: t.epoch, BestEpoch: t.bestEpoch,
		Loss: loss, ValLoss: vloss, BestLoss: t.best, OptimalLoss: t.optimal,
		StopReason: stop, History: hist, ValHistory: vhist,
		state: resumeState{Weights: jfloats[float64, jfloat](t.m.w), Bias: jfloat(t.m.b), Best: jfloat(t.best), Wait: t.wait,
			BestWeights: jfloats[float64, jfloat](t.bestM.w), BestBias: jfloat(t.bestM.b),
			BestTrain: jfloat(t.bestLoss), BestVal: jfloat(t.bestVloss),
			PlateauSum: jfloat(t.plateau.sum), PlateauN: t.plateau.n, PlateauPrev: jfloat(t.plateau.prev), LRDecays: t.plateau.decays,
			Optimizer: t.opt.stateJSON(), Whitened: t.whiten != nil},
	}
}

// save writes the trainer's checkpoint to path atomically. It refuses to
// write one that LoadCheckpoint would reject, so that a file on disk is
// never replaced by one that cannot be loaded.
func (t *trainer) save(path string, stop StopReason) error {
	ck := t.checkpoint(stop)
	if err := ck.check(); err != nil {
		return fmt.Errorf("save checkpoint %s: the model is not fit to save: %w", path, err)
	}
	data, err := ck.MarshalJSON()
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		err = fmt.Errorf("save checkpoint: %w", err)
		if errors.Is(err, ErrPath) { // the path given no longer takes a file
			return input(err)
		}
		return err
	}
	return nil
}

// MarshalJSON encodes the checkpoint in the file format, indented.
func (c *Checkpoint) MarshalJSON() ([]byte, error) {
	f := checkpointFile{
		Format: &c.Format, Version: &c.Version, Created: c.Created, Software: c.Software,
		Config: c.Config, Data: c.Data, Features: c.Features, Target: c.Target,
		Weights: jfloats[float64, jfloat](c.Weights), Bias: jfloat(c.Bias), Model: c.Model, Epoch: c.Epoch, BestEpoch: c.BestEpoch,
		Loss: jfloat(c.Loss), ValLoss: jfloat(c.ValLoss), BestLoss: jfloat(c.BestLoss), OptimalLoss: jfloat(c.OptimalLoss),
		StopReason: c.StopReason,
		History:    historyJSON{Capacity: HistoryBuckets, Train: toBucketsJSON(c.History), Val: toBucketsJSON(c.ValHistory)},
		State:      c.state,
	}
	if c.Scaler != nil {
		f.Scaler = &scalerJSON{Mean: jfloats[float64, jfloat](c.Scaler.Mean), Scale: jfloats[float64, jfloat](c.Scaler.Scale)}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// MaxCheckpointBytes bounds the file LoadCheckpoint reads. A checkpoint
// holds a weight per feature and two loss histories of HistoryBuckets
// buckets: a few MiB even for wide data.
const MaxCheckpointBytes = 256 << 20

// LoadCheckpoint reads and validates the checkpoint at path. A missing file
// gives an error wrapping fs.ErrNotExist; an empty, truncated or otherwise
// malformed file one wrapping [ErrCorrupt]; a directory or a JSON file of
// another kind one wrapping [ErrNotCheckpoint]; a newer schema one
// wrapping [ErrVersion].
func LoadCheckpoint(path string) (*Checkpoint, error) {
	switch fi, err := os.Stat(path); {
	case err != nil:
		return nil, loadError(path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("load checkpoint %s: it is a directory: %w", path, ErrNotCheckpoint)
	case !fi.Mode().IsRegular():
		// A device or a pipe could be read forever.
		return nil, fmt.Errorf("load checkpoint %s: not a regular file: %w", path, ErrNotCheckpoint)
	case fi.Size() > MaxCheckpointBytes:
		return nil, fmt.Errorf("load checkpoint %s: %d bytes, over the %d MiB a checkpoint can be: %w",
			path, fi.Size(), MaxCheckpointBytes>>20, ErrNotCheckpoint)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, loadError(path, err)
	}
	c, err := ParseCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	return c, nil
}

// loadError describes err, from finding or reading the checkpoint at
// path; a missing file means that no model was trained there yet.
func loadError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("load checkpoint: no model at %s (train one first): %w", path, err)
	}
	return fmt.Errorf("load checkpoint: %w", err)
}

// ParseCheckpoint decodes and validates checkpoint JSON; see
// [LoadCheckpoint].
func ParseCheckpoint(data []byte) (*Checkpoint, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrCorrupt)
	}
	var f checkpointFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%w: truncated: the JSON ends early", ErrCorrupt)
		case errors.As(err, &syn):
			return nil, fmt.Errorf("%w: invalid JSON at byte %d: %v", ErrCorrupt, syn.Offset, err)
		case errors.As(err, &typ) && typ.Field == "":
			return nil, fmt.Errorf("%w: the JSON holds %s, not an object", ErrNotCheckpoint, typ.Value)
		case f.Format == nil || *f.Format != CheckpointFormat:
			return nil, fmt.Errorf("%w (format %s, want %q)", ErrNotCheckpoint, describe(f.Format), CheckpointFormat)
		case errors.As(err, &typ):
			return nil, fmt.Errorf("%w: field %s holds %s, want %s", ErrCorrupt, typ.Field, typ.Value, typ.Type)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON object at byte %d", ErrCorrupt, dec.InputOffset())
	}
	if f.Format == nil || *f.Format != CheckpointFormat {
		return nil, fmt.Errorf("%w (format %s, want %q)", ErrNotCheckpoint, describe(f.Format), CheckpointFormat)
	}
	switch {
	case f.Version == nil:
		return nil, fmt.Errorf("%w: no version field", ErrCorrupt)
	case *f.Version > CheckpointVersion:
		return nil, fmt.Errorf("%w: version %d is newer than this program reads (up to %d)", ErrVersion, *f.Version, CheckpointVersion)
	case *f.Version < 1:
		return nil, fmt.Errorf("%w: version %d", ErrVersion, *f.Version)
	}
	c := &Checkpoint{
		Format: *f.Format, Version: *f.Version, Created: f.Created, Software: f.Software,
		Config: f.Config, Data: f.Data, Features: f.Features, Target: f.Target,
		Weights: jfloats[jfloat, float64](f.Weights), Bias: float64(f.Bias), Model: f.Model, Epoch: f.Epoch, BestEpoch: f.BestEpoch,
		Loss: float64(f.Loss), ValLoss: float64(f.ValLoss), BestLoss: float64(f.BestLoss), OptimalLoss: float64(f.OptimalLoss),
		StopReason: f.StopReason,
		History:    fromBucketsJSON(f.History.Train), ValHistory: fromBucketsJSON(f.History.Val),
		state: f.State,
	}
	if f.Scaler != nil {
		c.Scaler = &Scaler{Mean: jfloats[jfloat, float64](f.Scaler.Mean), Scale: jfloats[jfloat, float64](f.Scaler.Scale)}
	}
	if c.Config.Optimizer == "" {
		// Written before the optimizers existed: plain SGD, whose
		// config then reads as a new one's does.
		d := DefaultConfig()
		c.Config.Optimizer, c.Config.Momentum, c.Config.Beta1, c.Config.Beta2, c.Config.Eps = d.Optimizer, d.Momentum, d.Beta1, d.Beta2, d.Eps
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return c, nil
}

func describe(s *string) string {
	if s == nil {
		return "missing"
	}
	return strconv.Quote(*s)
}

// check verifies that the checkpoint is internally consistent.
func (c *Checkpoint) check() error {
	nf := len(c.Features)
	switch {
	case nf == 0:
		return errors.New("no features")
	case len(c.Weights) != nf:
		return fmt.Errorf("%d weights for %d features", len(c.Weights), nf)
	case !finite(c.Weights...) || !finite(c.Bias):
		return errors.New("weights or bias are not finite numbers")
	case len(c.state.Weights) != nf || !finite(jfloats[jfloat, float64](c.state.Weights)...) || !finite(float64(c.state.Bias)):
		return fmt.Errorf("resume state has %d weights for %d features, or non-finite values", len(c.state.Weights), nf)
	case len(c.state.BestWeights) > 0 && (len(c.state.BestWeights) != nf ||
		!finite(jfloats[jfloat, float64](c.state.BestWeights)...) || !finite(float64(c.state.BestBias), float64(c.state.BestTrain))):
		return fmt.Errorf("resume state has %d best weights for %d features, or non-finite values", len(c.state.BestWeights), nf)
	case c.Scaler != nil && (len(c.Scaler.Mean) != nf || len(c.Scaler.Scale) != nf):
		return fmt.Errorf("scaler has %d means and %d scales for %d features", len(c.Scaler.Mean), len(c.Scaler.Scale), nf)
	case c.Epoch < 1 || c.Epoch > c.Config.Epochs:
		return fmt.Errorf("epoch %d is outside 1..%d", c.Epoch, c.Config.Epochs)
	case c.BestEpoch < 1 || c.BestEpoch > c.Epoch:
		return fmt.Errorf("best epoch %d is outside 1..%d", c.BestEpoch, c.Epoch)
	case !finite(c.Loss, c.BestLoss, float64(c.state.Best)) || math.IsInf(c.OptimalLoss, 0):
		return errors.New("loss, best loss or optimal loss is not a finite number")
	case c.state.PlateauN < 0 || c.state.LRDecays < 0 || c.state.PlateauN > c.Epoch || c.state.LRDecays > c.Epoch ||
		!finite(float64(c.state.PlateauSum), float64(c.state.PlateauPrev)):
		return fmt.Errorf("resume state has a plateau window of %d epochs, %d decays and window losses %g and %g after %d epochs",
			c.state.PlateauN, c.state.LRDecays, float64(c.state.PlateauSum), float64(c.state.PlateauPrev), c.Epoch)
	case c.state.Wait < 0 || c.state.Wait > c.Epoch:
		return fmt.Errorf("resume state waited %d epochs of %d", c.state.Wait, c.Epoch)
	case c.Data.Rows < 1 || c.Data.TrainRows < 1 || c.Data.TrainRows+c.Data.ValRows != c.Data.Rows:
		return fmt.Errorf("data rows %d do not split into %d training and %d validation rows", c.Data.Rows, c.Data.TrainRows, c.Data.ValRows)
	}
	if c.Scaler != nil {
		if !finite(c.Scaler.Mean...) || !finite(c.Scaler.Scale...) || slices.ContainsFunc(c.Scaler.Scale, func(s float64) bool { return s <= 0 }) {
			return errors.New("scaler means must be finite and scales finite and positive")
		}
	}
	switch c.StopReason {
	case StopCompleted, StopEarlyStopped, StopCanceled:
	default:
		return fmt.Errorf("stop reason %q", c.StopReason)
	}
	switch c.Model {
	case "", ModelLast, ModelBest:
	default:
		return fmt.Errorf("model %q is not one of last, best", c.Model)
	}
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if err := checkOptimizer(c.Config.Optimizer.effective(), c.state.Optimizer, nf); err != nil {
		return err
	}
	for _, h := range []struct {
		name  string
		b     []series.Bucket
		count int
	}{{"training", c.History, c.Epoch}, {"validation", c.ValHistory, c.Epoch}} {
		if h.name == "validation" && c.Data.ValRows == 0 {
			h.count = 0
		}
		s, err := series.Restore(HistoryBuckets, h.b)
		if err != nil {
			return fmt.Errorf("%s history: %w", h.name, err)
		}
		if s.Len() != h.count {
			return fmt.Errorf("%s history holds %d epochs, want %d", h.name, s.Len(), h.count)
		}
	}
	return nil
}

// Predict returns Weights·x + Bias for one row of features in original
// units, in the order of Features.
func (c *Checkpoint) Predict(x []float64) (float64, error) {
	if len(x) != len(c.Weights) {
		return 0, fmt.Errorf("the model takes %d feature(s) (%s), got %d value(s)",
			len(c.Weights), strings.Join(c.Features, ", "), len(x))
	}
	y := c.Bias
	for j, v := range x {
		if !finite(v) {
			return 0, fmt.Errorf("feature %q is %g; want a finite number", c.Features[j], v)
		}
		y += c.Weights[j] * v
	}
	if !finite(y) {
		return 0, fmt.Errorf("the prediction for %v overflows float64", x)
	}
	return y, nil
}
