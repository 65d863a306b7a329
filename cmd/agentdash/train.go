package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/guptarohit/asciigraph"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/training"
)

// maxEpochLines is how many per-epoch lines a long run prints at most (in
// text mode); a run of more epochs prints every k-th epoch and the last.
const maxEpochLines = 100

// aliveEvery: a run whose epoch lines are thinned out also prints the line
// of an epoch that ends this long after the last line, so that a log
// without the terminal's progress bar shows it is alive.
const aliveEvery = 10 * time.Second

// statusAfter is how long a phase before or after the epochs (loading,
// preparing, the closed-form reference, a resume's replay, saving) runs
// before the command says on stderr what it is doing.
const statusAfter = time.Second

// trainFlags binds the trainer's config to flags named as in the original
// PowerShell runner (-Epochs -Lr -BatchSize -Seed -Dataset -Checkpoint).
type trainFlags struct {
	cfg          train.Config
	schedule     string
	optimizer    string
	standardize  string
	precondition string
	plot         bool
	compare      []string       // checkpoints to draw with the run (--compare)
	compared     []training.Run // the runs loaded from them
	asJSON       bool
	quiet        bool
	now          func() time.Time // the clock; tests set it
}

func (f *trainFlags) register(fs *pflag.FlagSet) {
	d := train.DefaultConfig()
	f.cfg = d
	f.now = time.Now
	intVar(fs, &f.cfg.Epochs, "epochs", d.Epochs, "passes over the training data")
	fs.Float64Var(&f.cfg.LR, "lr", d.LR, "learning rate (initial, with a decaying --schedule)")
	intVar(fs, &f.cfg.BatchSize, "batch-size", d.BatchSize, "rows per gradient step")
	uintVar(fs, &f.cfg.Seed, "seed", d.Seed, "seed for the synthetic data, the validation split and the shuffles")
	fs.StringVar(&f.cfg.Dataset, "dataset", "", "CSV file (features then target per line, header optional); empty = synthetic data")
	fs.StringVar(&f.cfg.Target, "target", "", "CSV target column name (default: the last column)")
	fs.StringSliceVar(&f.cfg.Features, "features", nil,
		"CSV feature columns, comma-separated, in the order the weights take them (default: every column but the target; columns left out are skipped and may hold text)")
	fs.StringVar(&f.cfg.Checkpoint, "checkpoint", d.Checkpoint, "where to write the model (JSON, written atomically; \"\" saves nothing; with --resume, default: the checkpoint resumed)")
	fs.StringVar(&f.cfg.ResumeFrom, "resume", "", "continue training from this checkpoint, on the same trajectory, and save to it (unless --checkpoint is given)")
	f.cfg.ValFraction = d.ValFraction
	fs.Var(fraction{&f.cfg.ValFraction}, "val-fraction",
		"share of rows held out for validation, in [0, 1); auto = 0.1 with --patience (early stopping watches them), else 0: every row trains the model")
	intVar(fs, &f.cfg.Patience, "patience", d.Patience, "early stopping: stop after this many epochs without improvement (0 = off)")
	fs.Float64Var(&f.cfg.MinDelta, "min-delta", d.MinDelta, "early stopping: least loss decrease that counts as improvement")
	fs.StringVar(&f.schedule, "schedule", string(d.Schedule), "learning-rate schedule: "+joinSchedules()+
		"; auto multiplies the rate by --decay-rate after each plateau of the training loss (a window of --decay-steps epochs, doubling with each decay, whose mean did not fall); with --resume, auto is the checkpoint's schedule")
	fs.Float64Var(&f.cfg.DecayRate, "decay-rate", d.DecayRate, "decay rate of the schedule: the factor per decay step for auto, step and exponential, in (0, 1]; > 0 for inverse-time")
	intVar(fs, &f.cfg.DecaySteps, "decay-steps", d.DecaySteps, "epochs per decay step of the schedule (auto: of its first plateau window)")
	fs.StringVar(&f.optimizer, "optimizer", string(d.Optimizer), "update rule of the gradient steps: "+joinOptimizers()+
		" (as PyTorch's SGD, SGD with momentum, Adam); with --resume, the checkpoint's must be given")
	fs.Float64Var(&f.cfg.Momentum, "momentum", d.Momentum, "--optimizer momentum: the velocity's decay μ, in [0, 1)")
	fs.Float64Var(&f.cfg.Beta1, "beta1", d.Beta1, "--optimizer adam: decay β₁ of the first moment, in [0, 1)")
	fs.Float64Var(&f.cfg.Beta2, "beta2", d.Beta2, "--optimizer adam: decay β₂ of the second moment, in [0, 1)")
	fs.Float64Var(&f.cfg.Eps, "eps", d.Eps, "--optimizer adam: ε added to the denominator, > 0")
	fs.StringVar(&f.standardize, "standardize", string(d.Standardize), "feature standardization: auto (on for CSV), on or off")
	fs.StringVar(&f.precondition, "precondition", string(d.Precondition), "train on decorrelated features: "+joinPreconditions()+
		fmt.Sprintf("; auto whitens when the standardized features' condition number is over %d, whiten always (needs standardization), off never; with --resume, auto is the checkpoint's", train.CollinearCondition))
	intVar(fs, &f.cfg.Synthetic.Samples, "samples", d.Synthetic.Samples, "synthetic data: number of rows")
	fs.Float64Var(&f.cfg.Synthetic.Weight, "weight", d.Synthetic.Weight, "synthetic data: true weight")
	fs.Float64Var(&f.cfg.Synthetic.Bias, "bias", d.Synthetic.Bias, "synthetic data: true bias")
	fs.Float64Var(&f.cfg.Synthetic.Noise, "noise", d.Synthetic.Noise, "synthetic data: standard deviation of the noise")
	fs.BoolVar(&f.plot, "plot", false, "draw the loss curve when done")
	fs.StringSliceVar(&f.compare, "compare", nil,
		"checkpoints to compare the run with (comma-separated, up to 3): draws their losses and gaps to the optimum with the run's (implies --plot)")
	fs.BoolVar(&f.asJSON, "json", false, "write one JSON object per epoch, then a final summary object")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the final summary")
}

// syntheticFlags shape the synthetic data, which a --dataset replaces.
var syntheticFlags = []string{"samples", "weight", "bias", "noise"}

// optimizerFlags are the parameters of each optimizer, which the others
// do not use.
var optimizerFlags = []struct {
	opt   train.Optimizer
	flags []string
}{
	{train.OptimizerMomentum, []string{"momentum"}},
	{train.OptimizerAdam, []string{"beta1", "beta2", "eps"}},
}

// checkOptimizerFlags refuses parameters of an optimizer other than the
// one chosen, which would be ignored.
func checkOptimizerFlags(fs *pflag.FlagSet, opt train.Optimizer) error {
	if !slices.Contains(train.Optimizers(), opt) {
		return nil // Config.Validate names the valid ones
	}
	for _, o := range optimizerFlags {
		if o.opt == opt {
			continue
		}
		for _, name := range o.flags {
			if fs.Changed(name) {
				return fmt.Errorf("--%s applies to --optimizer %s only, not %s: leave it out or give --optimizer %s", name, o.opt, opt, o.opt)
			}
		}
	}
	return nil
}

// check completes and checks the flags beyond what Config.Validate does:
// --resume without --checkpoint writes the checkpoint it resumes; blanks
// around column names ("sqft, bedrooms") are trimmed; synthetic-data flags
// given with --dataset, which would be ignored, are refused, as --target
// without a dataset is, and so are the parameters of another optimizer.
func (f *trainFlags) check(fs *pflag.FlagSet) error {
	if err := checkOptimizerFlags(fs, f.cfg.Optimizer); err != nil {
		return err
	}
	if f.cfg.ResumeFrom != "" && !fs.Changed("checkpoint") {
		// A resumed run continues its own file, not the default one.
		f.cfg.Checkpoint = f.cfg.ResumeFrom
	}
	f.cfg.Target = strings.TrimSpace(f.cfg.Target)
	for i, name := range f.cfg.Features {
		f.cfg.Features[i] = strings.TrimSpace(name)
	}
	if f.cfg.Dataset == "" {
		return nil
	}
	var given []string
	for _, name := range syntheticFlags {
		if fs.Changed(name) {
			given = append(given, "--"+name)
		}
	}
	switch len(given) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s applies to synthetic data only and is not used with --dataset: leave it out", given[0])
	}
	return fmt.Errorf("%s apply to synthetic data only and are not used with --dataset: leave them out", strings.Join(given, ", "))
}

func joinOptimizers() string {
	var s []string
	for _, o := range train.Optimizers() {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

func joinPreconditions() string {
	var s []string
	for _, p := range train.Preconditions() {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}

func joinSchedules() string {
	var s []string
	for _, sc := range train.Schedules() {
		s = append(s, string(sc))
	}
	return strings.Join(s, ", ")
}

func newTrainCmd(env *environment) *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a linear regression model and write a checkpoint",
		Long: `Train a linear regression model by mini-batch gradient descent on seeded
synthetic data or a CSV file, deterministically: the same flags give the same
loss history and weights, bit for bit. Prints one line per epoch (on long runs
every k-th epoch, and without a terminal one at least every 10 s), a progress
bar when stdout is a terminal, and a summary. A step other than the epochs
that takes over a second (loading, the closed-form reference, …) is named on
stderr.
The checkpoint is served by the predict ability:

  agentdash train && agentdash call predict '{"x": 4}'

Interrupting (Ctrl-C) stops at once and saves the model as of the last
complete epoch.`,
		Example: `  agentdash train --epochs 8 --lr 0.05 --batch-size 32 --seed 123
  agentdash train --dataset assets/housing.csv --epochs 200 --patience 10 --plot
  agentdash train --json | jq -c 'select(.stop_reason)'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.cfg.Schedule = train.Schedule(f.schedule)
			f.cfg.Optimizer = train.Optimizer(f.optimizer)
			f.cfg.Standardize = train.Standardize(f.standardize)
			f.cfg.Precondition = train.Precondition(f.precondition)
			if err := f.check(cmd.Flags()); err != nil {
				return usage(err)
			}
			if err := f.cfg.Validate(); err != nil {
				return usage(err)
			}
			if err := f.loadCompared(); err != nil {
				return usage(err)
			}
			return runTrain(cmd.Context(), env, &f)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// epochJSON is one line of `train --json` per epoch.
type epochJSON struct {
	Epoch         int       `json:"epoch"`
	Epochs        int       `json:"epochs"`
	Loss          jsonFloat `json:"loss"`
	ValLoss       jsonFloat `json:"val_loss"`
	BestLoss      jsonFloat `json:"best_loss"`
	LR            float64   `json:"lr"`
	SamplesPerSec float64   `json:"samples_per_sec"`
	Weights       []float64 `json:"weights"`
	Bias          float64   `json:"bias"`
}

// summaryJSON is the last line of `train --json`.
type summaryJSON struct {
	Weights        []float64 `json:"weights"`
	Features       []string  `json:"features"`
	Bias           float64   `json:"bias"`
	Loss           jsonFloat `json:"loss"`
	ValLoss        jsonFloat `json:"val_loss"`
	BestLoss       jsonFloat `json:"best_loss"`
	BestEpoch      int       `json:"best_epoch"`
	OptimalLoss    jsonFloat `json:"optimal_loss"`
	OptimalSkipped string    `json:"optimal_skipped,omitempty"` // why optimal_loss is null
	Model          string    `json:"model"`                     // which model weights and bias are: last or best
	OptimalWeights []float64 `json:"optimal_weights"`           // closed form; null when not computed
	OptimalBias    jsonFloat `json:"optimal_bias"`
	Gaps           []float64 `json:"gaps"`                           // per weight, then the bias: distance from the closed form relative to it
	Condition      jsonFloat `json:"condition_number"`               // of the standardized features; null when not computed or infinite
	Collinear      bool      `json:"collinear"`                      // condition number over train.CollinearCondition
	MostCorrelated []string  `json:"most_correlated,omitempty"`      // the pair of features with the largest |r|
	Correlation    jsonFloat `json:"correlation"`                    // their r; null without a pair
	Precondition   string    `json:"precondition"`                   // the mode asked for: auto, off or whiten
	Whitened       bool      `json:"whitened"`                       // whether the run trained on whitened features
	ConditionAfter jsonFloat `json:"condition_number_trained"`       // of the features the optimizer saw; null when not computed
	WhitenSkipped  string    `json:"precondition_skipped,omitempty"` // why the features were not whitened although asked
	Epochs         int       `json:"epochs"`
	ResumedEpochs  int       `json:"resumed_epochs"`
	StopReason     string    `json:"stop_reason"`
	Checkpoint     string    `json:"checkpoint"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	Error          string    `json:"error,omitempty"`
}

// jsonFloat marshals NaN and ±Inf as null, which JSON cannot otherwise
// carry (validation loss is NaN without a validation split).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return []byte(fmt.Sprint(float64(f))), nil
}

// runTrain trains as f says, printing the epochs and a summary, and
// returns the error that gives the exit status.
func runTrain(ctx context.Context, env *environment, f *trainFlags) error {
	p := newEpochPrinter(env, f)
	if f.cfg.Checkpoint != "" {
		// A second interrupt during the checkpoint write ends the process
		// before the write can clean up after itself.
		defer env.aborts.add(func() { _ = train.RemoveTemporaryFiles(f.cfg.Checkpoint) })()
	}
	var opts []train.Option
	if !f.quiet {
		status := &phaseStatus{w: env.stderr, now: f.now}
		defer status.watch()()
		opts = append(opts, train.WithPhases(status.set))
	}
	res, err := train.Train(ctx, f.cfg, p.epoch, opts...)
	p.finish()
	if err != nil && res == nil {
		return trainError(err)
	}
	if p.err != nil {
		return p.err
	}
	// The summary is written also after a failure (divergence, a
	// checkpoint that could not be written), so that the weights are not
	// lost with the file.
	if werr := writeTrainResult(env, f, res, err); werr != nil {
		return werr
	}
	if err != nil {
		return trainError(err)
	}
	if res.StopReason == train.StopCanceled {
		// The model so far is saved, but the job did not finish: scripts
		// chaining on success must not go on.
		saved := "nothing saved"
		if res.Checkpoint != "" {
			saved = "model saved to " + res.Checkpoint
		}
		return fmt.Errorf("training interrupted after %d of %d epochs; %s", res.Epochs, f.cfg.Epochs, saved)
	}
	return nil
}

// epochPrinter prints the epochs of a run as train.Train reports them: a
// JSON object each, or a line each (every k-th on long runs), under a
// progress bar when stdout is a terminal.
type epochPrinter struct {
	w             io.Writer
	asJSON, quiet bool
	now           func() time.Time
	bar           *progressbar.ProgressBar // nil without a terminal
	every         int                      // print every k-th epoch's line
	alive         bool                     // also print a line aliveEvery after the last one
	lastLine      time.Time                // when the last epoch line was printed
	lastDraw      time.Time                // when the bar was last drawn
	err           error                    // the first write error; nothing is printed after it
}

func newEpochPrinter(env *environment, f *trainFlags) *epochPrinter {
	p := &epochPrinter{w: env.stdout, asJSON: f.asJSON, quiet: f.quiet, now: f.now, every: 1, lastLine: f.now()}
	if !f.asJSON && isTerminal(env.stdout) {
		p.bar = progressbar.NewOptions(f.cfg.Epochs,
			progressbar.OptionSetWriter(env.stdout),
			progressbar.OptionSetDescription("training"),
			progressbar.OptionSetItsString("epochs"),
			progressbar.OptionShowIts(),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionEnableColorCodes(false),
		)
	}
	if f.cfg.Epochs > maxEpochLines {
		p.every = (f.cfg.Epochs + maxEpochLines - 1) / maxEpochLines
	}
	// Without a bar, thinned-out lines are all that shows the run is alive.
	p.alive = p.bar == nil && p.every > 1
	return p
}

// epoch prints e; it is train.Train's epoch callback.
func (p *epochPrinter) epoch(e train.Event) {
	if p.err != nil {
		return
	}
	printed := false
	switch {
	case p.asJSON && !p.quiet:
		p.err = writeJSON(p.w, epochJSON{Epoch: e.Epoch, Epochs: e.Epochs,
			Loss: jsonFloat(e.TrainLoss), ValLoss: jsonFloat(e.ValLoss), BestLoss: jsonFloat(e.BestLoss),
			LR: e.LR, SamplesPerSec: e.SamplesPerSec, Weights: e.Weights, Bias: e.Bias}, false)
	case p.quiet:
	case e.Epoch%p.every == 0 || e.Epoch == e.Epochs:
		if p.bar != nil {
			_ = p.bar.Clear()
		}
		_, p.err = fmt.Fprintln(p.w, epochLine(e))
		printed = true
		if p.alive {
			p.lastLine = p.now()
		}
	case p.alive:
		if now := p.now(); now.Sub(p.lastLine) >= aliveEvery {
			_, p.err = fmt.Fprintln(p.w, epochLine(e))
			p.lastLine = now
		}
	}
	p.draw(e.Epoch, printed)
}

// draw redraws the bar under the epoch lines after a line, and otherwise
// at most 10 times a second, so that drawing never slows a fast run.
func (p *epochPrinter) draw(epoch int, printed bool) {
	if p.bar != nil && (printed || time.Since(p.lastDraw) >= 100*time.Millisecond) {
		_ = p.bar.Set(epoch)
		p.lastDraw = time.Now()
	}
}

// finish completes the bar, if any.
func (p *epochPrinter) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// writeTrainResult writes the summary of a run that ended with err (nil
// or not): a JSON object, or the text summary and the loss plot.
func writeTrainResult(env *environment, f *trainFlags, res *train.Result, err error) error {
	if f.asJSON {
		out := summaryJSON{Weights: res.Weights, Features: res.Features, Bias: res.Bias,
			Loss: jsonFloat(res.Loss), ValLoss: jsonFloat(res.ValLoss), BestLoss: jsonFloat(res.BestLoss),
			BestEpoch: res.BestEpoch, OptimalLoss: jsonFloat(res.OptimalLoss), OptimalSkipped: res.OptimalSkipped, Epochs: res.Epochs, ResumedEpochs: res.Resumed,
			StopReason: string(res.StopReason), Checkpoint: res.Checkpoint, ElapsedSeconds: res.Elapsed.Seconds()}
		out.Model, out.OptimalWeights, out.Gaps = string(res.Model), res.OptimalWeights, res.Gaps
		out.OptimalBias, out.Condition, out.Correlation = jsonFloat(math.NaN()), jsonFloat(math.NaN()), jsonFloat(math.NaN())
		if res.OptimalWeights != nil {
			out.OptimalBias = jsonFloat(res.OptimalBias)
		}
		pc := res.Preconditioning
		out.Precondition, out.Whitened, out.ConditionAfter, out.WhitenSkipped = string(pc.Mode), pc.Whitened, jsonFloat(pc.After), pc.Skipped
		if c := res.Collinearity; c != nil {
			out.Condition, out.Collinear = jsonFloat(c.Condition), c.Collinear()
			if c.Pair[0] != "" {
				out.MostCorrelated, out.Correlation = c.Pair[:], jsonFloat(c.R)
			}
		}
		if err != nil {
			out.Error = err.Error()
		}
		return writeJSON(env.stdout, out, false)
	}
	if !f.quiet { // a blank line between the epoch lines and the summary
		fmt.Fprintln(env.stdout)
	}
	writeTrainSummary(env.stdout, res)
	if f.plot && err == nil {
		fmt.Fprintln(env.stdout)
		color := isTerminal(env.stdout) && !env.noColor()
		if len(f.compared) > 0 {
			fmt.Fprintln(env.stdout, comparePlot(f, res, env, color))
		} else {
			fmt.Fprintln(env.stdout, lossPlot(res, 64, 12, color))
		}
	}
	return nil
}

// phaseStatus says on stderr what a run is doing once a phase other than
// the epochs (which print their own lines) has taken statusAfter, once per
// phase: loading a large file or a resume's replay would otherwise look
// like a hang.
type phaseStatus struct {
	w   io.Writer
	now func() time.Time

	mu    sync.Mutex
	phase train.Phase
	since time.Time
	shown bool
}

// set records the phase that begins; it is a train.WithPhases callback.
func (s *phaseStatus) set(p train.Phase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase, s.since, s.shown = p, s.now(), false
}

// tick prints the current phase if it has run statusAfter and was not
// printed yet.
func (s *phaseStatus) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase == "" || s.phase == train.PhaseTraining || s.shown || s.now().Sub(s.since) < statusAfter {
		return
	}
	s.shown = true
	fmt.Fprintf(s.w, "agentdash: %s…\n", s.phase)
}

// watch ticks s in a new goroutine until the function it returns is
// called, which waits for that goroutine to end.
func (s *phaseStatus) watch() (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(statusAfter / 10)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				s.tick()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// trainError gives an error of train.Train its exit status: an error
// about the run's inputs (its data, a checkpoint to resume, the checkpoint
// path) is an input error; anything else, such as divergence or a failed
// write, means the job failed.
func trainError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		// Ctrl-C while the data was read, generated or prepared.
		return errors.New("training interrupted before the first epoch; nothing saved")
	case errors.Is(err, train.ErrInput):
		return usage(err)
	}
	return err
}

func epochLine(e train.Event) string {
	var b strings.Builder
	width := len(fmt.Sprint(e.Epochs))
	fmt.Fprintf(&b, "epoch %*d/%d  loss %.6g", width, e.Epoch, e.Epochs, e.TrainLoss)
	if !math.IsNaN(e.ValLoss) {
		fmt.Fprintf(&b, "  val %.6g", e.ValLoss)
	}
	if !math.IsNaN(e.OptimalLoss) {
		fmt.Fprintf(&b, "  gap %.3g", e.TrainLoss-e.OptimalLoss)
	}
	fmt.Fprintf(&b, "  lr %.4g  %s samples/s", e.LR, humanRate(e.SamplesPerSec))
	return b.String()
}

func humanRate(r float64) string {
	switch {
	case r >= 1e9:
		return fmt.Sprintf("%.1fG", r/1e9)
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// roundElapsed keeps a run's duration readable: microseconds for a short
// run, milliseconds from a second on ("3.753s", not "3.753485s").
func roundElapsed(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

func writeTrainSummary(w io.Writer, res *train.Result) {
	fmt.Fprintf(w, "stopped:     %s after %d %s", res.StopReason, res.Epochs, plural(res.Epochs, "epoch", "epochs"))
	// The time and rate are this run's: a resumed run's earlier epochs
	// were timed by the run that did them.
	ran := res.Epochs - res.Resumed
	var notes []string
	if res.Resumed > 0 {
		notes = append(notes, fmt.Sprintf("%d in this run", ran))
	}
	if ran > 0 {
		rate := float64(res.Samples) * float64(ran) / math.Max(res.Elapsed.Seconds(), 1e-9)
		notes = append(notes, roundElapsed(res.Elapsed).String(), humanRate(rate)+" samples/s")
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(notes, ", "))
	}
	fmt.Fprintln(w)
	if res.Epochs == 0 || math.IsNaN(res.Loss) {
		fmt.Fprintln(w, "loss:        none (no epoch completed: no model was trained)")
		writeCheckpointLine(w, res)
		return
	}
	fmt.Fprintf(w, "loss:        %.6g", res.Loss)
	monitored := "training" // the loss early stopping watches
	if !math.IsNaN(res.ValLoss) {
		fmt.Fprintf(w, "  validation %.6g", res.ValLoss)
		monitored = "validation"
	}
	switch {
	case res.Epochs == 0:
		fmt.Fprintln(w, "  (no epoch completed: the untrained model)")
	case res.StopReason == train.StopEarlyStopped:
		// Early stopping returns the best epoch's model, not the last one.
		fmt.Fprintf(w, "  (the model of epoch %d, the best %s loss)\n", res.BestEpoch, monitored)
	default:
		fmt.Fprintf(w, "  (best %s %.6g at epoch %d)\n", monitored, res.BestLoss, res.BestEpoch)
	}
	if math.IsNaN(res.OptimalLoss) {
		why := res.OptimalSkipped
		if why == "" {
			why = "too costly for this data"
		}
		fmt.Fprintf(w, "closed form: not computed: %s\n", why)
	} else {
		fmt.Fprintf(w, "closed form: %.6g  (gap %.3g)\n", res.OptimalLoss, res.Loss-res.OptimalLoss)
	}
	var ws []string
	for i, x := range res.Weights {
		name := fmt.Sprintf("w%d", i)
		if i < len(res.Features) {
			name = res.Features[i]
		}
		ws = append(ws, fmt.Sprintf("%s=%.6g", name, x))
	}
	fmt.Fprintf(w, "weights:     %s\n", strings.Join(ws, "  "))
	fmt.Fprintf(w, "bias:        %.6g\n", res.Bias)
	writeModelLine(w, res)
	writeOptimumLines(w, res)
	writePreconditionLine(w, res)
	writeCheckpointLine(w, res)
}

// writeModelLine says which model the weights are: the last epoch's, or
// an earlier one of lower loss.
func writeModelLine(w io.Writer, res *train.Result) {
	switch res.Model {
	case train.ModelBest:
		monitored := "training"
		if !math.IsNaN(res.ValLoss) {
			monitored = "validation"
		}
		fmt.Fprintf(w, "model:       best: epoch %d's, of the lowest %s loss, saved rather than the last epoch's\n", res.BestEpoch, monitored)
	case train.ModelLast:
		fmt.Fprintf(w, "model:       last: epoch %d's\n", res.Epochs)
	}
}

// writeOptimumLines compares the weights with the closed form's, one gap
// per coefficient, and warns of collinear features.
func writeOptimumLines(w io.Writer, res *train.Result) {
	if len(res.OptimalWeights) == len(res.Weights) && len(res.Gaps) == len(res.Weights)+1 {
		var parts []string
		for i, x := range res.OptimalWeights {
			name := fmt.Sprintf("w%d", i)
			if i < len(res.Features) {
				name = res.Features[i]
			}
			parts = append(parts, fmt.Sprintf("%s=%.6g (%s off)", name, x, percent(res.Gaps[i])))
		}
		parts = append(parts, fmt.Sprintf("bias=%.6g (%s off)", res.OptimalBias, percent(res.Gaps[len(res.Weights)])))
		fmt.Fprintf(w, "optimum:     %s\n", strings.Join(parts, "  "))
	}
	c, pc := res.Collinearity, res.Preconditioning
	switch {
	case c == nil || c.Pair[0] == "":
	case c.Collinear() && pc.Whitened:
		fmt.Fprintf(w, "collinear:   condition number %.3g of the standardized features, over %d: %s and %s correlate most (r %.4f); the data determine such coefficients poorly: a small change in it can move them far\n",
			c.Condition, train.CollinearCondition, c.Pair[0], c.Pair[1], c.R)
	case c.Collinear():
		fmt.Fprintf(w, "collinear:   condition number %.3g of the standardized features, over %d: %s and %s correlate most (r %.4f); gradient descent crawls along such directions, so the weights can stay far from the optimum's while the loss looks done\n",
			c.Condition, train.CollinearCondition, c.Pair[0], c.Pair[1], c.R)
	default:
		fmt.Fprintf(w, "condition:   %.3g (standardized features; most correlated %s and %s, r %.4f)\n", c.Condition, c.Pair[0], c.Pair[1], c.R)
	}
}

// writePreconditionLine says whether the run trained on whitened features,
// or why not when it was asked to; nothing when it was neither asked nor
// needed.
func writePreconditionLine(w io.Writer, res *train.Result) {
	pc := res.Preconditioning
	switch {
	case pc.Whitened:
		fmt.Fprintf(w, "whitening:   on (--precondition %s): trained on decorrelated features, condition number %.3g -> %.3g; weights mapped back to original units\n", pc.Mode, pc.Before, pc.After)
	case pc.Skipped != "":
		fmt.Fprintf(w, "whitening:   skipped (--precondition %s): %s\n", pc.Mode, pc.Skipped)
	}
}

// percent writes a relative gap as a percentage with 2 significant
// digits, whole from 100% on.
func percent(g float64) string {
	if g >= 1 {
		return fmt.Sprintf("%.0f%%", 100*g)
	}
	return fmt.Sprintf("%.2g%%", 100*g)
}

// writeCheckpointLine ends the summary with where the model was saved.
func writeCheckpointLine(w io.Writer, res *train.Result) {
	if res.Checkpoint != "" {
		fmt.Fprintf(w, "checkpoint:  %s\n", res.Checkpoint)
	} else {
		fmt.Fprintln(w, "checkpoint:  none written")
	}
}

// lossPlot draws the training loss (and validation loss, if any) per epoch,
// bucketed to the plot width by series.Resample so that no epoch is sampled
// away: each column shows the mean of the epochs it covers. Without colour
// the validation line is drawn with dots so the two lines stay apart.
func lossPlot(res *train.Result, width, height int, color bool) string {
	var (
		data    [][]float64
		legends []string
	)
	for i, h := range []*series.Bounded{res.History, res.ValHistory} {
		if h == nil || h.Len() == 0 {
			continue
		}
		cols := series.Resample(h.Buckets(), 0, h.Len(), width)
		line := make([]float64, 0, len(cols))
		for _, c := range cols {
			if m := c.Mean(); !math.IsNaN(m) {
				line = append(line, m)
			}
		}
		if len(line) > 0 {
			data = append(data, line)
			legends = append(legends, [...]string{"training", "validation"}[i])
		}
	}
	if len(data) == 0 {
		return "(no loss to plot)"
	}
	opts := []asciigraph.Option{
		asciigraph.Height(height), asciigraph.Width(width), asciigraph.Precision(4),
		asciigraph.Caption(fmt.Sprintf("loss per epoch, epochs 1-%d", res.Epochs)),
	}
	if color {
		opts = append(opts, asciigraph.SeriesColors(asciigraph.Blue, asciigraph.Goldenrod),
			asciigraph.SeriesLegends(legends...))
		return asciigraph.PlotMany(data, opts...)
	}
	// asciigraph's legends always carry ANSI codes, so without colour the
	// legend is written here.
	opts = append(opts, asciigraph.SeriesChars(asciigraph.DefaultCharSet, asciigraph.CreateCharSet("·")))
	legend := "  ── " + legends[0]
	if len(legends) > 1 {
		legend += "   ··· " + legends[1]
	}
	return asciigraph.PlotMany(data, opts...) + "\n" + legend
}

// plural returns one for n == 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
