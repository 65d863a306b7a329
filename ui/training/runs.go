package training

import (
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
)

// ConvergedWithin is the share of the optimum within which a run counts as
// converged in the convergence view: its first epoch that close is marked.
const ConvergedWithin = 0.01

// Run is one finished training run as the run list and the comparison
// plots show it: a run of the session or one loaded from a checkpoint.
type Run struct {
	Name    string          // "#1", "#2" … for the session's runs; the file name for a checkpoint
	Config  train.Config    // the run's configuration
	History []series.Bucket // training loss per epoch (bucketed), oldest first
	Epochs  int             // epochs completed
	Loss    float64         // training loss of the model kept
	Optimum float64         // closed-form least-squares loss; NaN if unknown
	Stop    train.StopReason
}

// RunFromResult describes a run of the session that returned res.
func RunFromResult(name string, res *train.Result) Run {
	r := Run{Name: name, Config: res.Config, Epochs: res.Epochs, Loss: res.Loss,
		Optimum: res.OptimalLoss, Stop: res.StopReason}
	if res.History != nil {
		r.History = res.History.Buckets()
	}
	return r
}

// RunFromCheckpoint describes the run saved in ck, named by its file.
func RunFromCheckpoint(path string, ck *train.Checkpoint) Run {
	return Run{Name: filepath.Base(path), Config: ck.Config, History: ck.History, Epochs: ck.Epoch,
		Loss: ck.Loss, Optimum: ck.OptimalLoss, Stop: ck.StopReason}
}

// Best returns the lowest training loss of any epoch (NaN without history).
func (r *Run) Best() float64 {
	best := math.NaN()
	for _, k := range r.History {
		if isFinite(k.Min) && !(k.Min >= best) {
			best = k.Min
		}
	}
	return best
}

// Gap returns how far loss is above the optimum, as a share of it (or in
// loss units when the optimum is not positive), and whether it is known.
func (r *Run) Gap(loss float64) (gap float64, relative, ok bool) {
	if !isFinite(r.Optimum) || !isFinite(loss) {
		return math.NaN(), false, false
	}
	if r.Optimum > 0 {
		return (loss - r.Optimum) / r.Optimum, true, true
	}
	return loss - r.Optimum, false, true
}

// Converged returns the first epoch whose loss was within tol of the
// optimum (a share of it). The history is bucketed on long runs: exact is
// false when the epoch is the first of a bucket of several, one of which
// came that close.
func (r *Run) Converged(tol float64) (epoch int, exact, ok bool) {
	if !isFinite(r.Optimum) {
		return 0, false, false
	}
	limit := r.Optimum + tol*math.Abs(r.Optimum)
	for _, k := range r.History {
		if isFinite(k.Min) && k.Min <= limit {
			return k.Start + 1, k.Count == 1, true
		}
	}
	return 0, false, false
}

// ignoredConfig are the settings that do not change what a run computes:
// where it was saved and what it resumed.
var ignoredConfig = map[string]bool{"checkpoint": true, "resume-from": true}

// ConfigDiff lists the settings in which to differs from from, in the
// order of train.Config, as "lr 0.05 → 0.01" (flag names). Settings of
// synthetic data are left out when both runs read a dataset. It walks the
// struct by reflection so that a setting added to train.Config shows up
// without changes here.
func ConfigDiff(from, to train.Config) []string {
	var out []string
	skipSynthetic := from.Dataset != "" && to.Dataset != ""
	walkConfig(reflect.ValueOf(from), reflect.ValueOf(to), func(name string, a, b reflect.Value, nested bool) {
		if ignoredConfig[name] || (nested && skipSynthetic) {
			return
		}
		sa, sb := configValue(a), configValue(b)
		switch name {
		case "dataset": // no dataset means synthetic data
			sa, sb = cmp.Or(a.String(), "synthetic"), cmp.Or(b.String(), "synthetic")
		case "precondition": // none in files written before it existed: off
			sa, sb = cmp.Or(a.String(), string(train.PreconditionOff)), cmp.Or(b.String(), string(train.PreconditionOff))
		case "shuffle": // 0 is the current version, which checkpoints record
			sa, sb = strconv.Itoa(cmp.Or(int(a.Int()), train.CurrentShuffle)), strconv.Itoa(cmp.Or(int(b.Int()), train.CurrentShuffle))
		}
		if sa != sb {
			out = append(out, name+" "+sa+" → "+sb)
		}
	}, false)
	return out
}

// walkConfig calls f for every leaf field of the structs a and b, named by
// its JSON name with dashes (batch_size → batch-size); nested says the
// field is inside a nested struct (the synthetic data).
func walkConfig(a, b reflect.Value, f func(name string, a, b reflect.Value, nested bool), nested bool) {
	t := a.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = strings.ToLower(sf.Name)
		}
		name = strings.ReplaceAll(name, "_", "-")
		if sf.Type.Kind() == reflect.Struct {
			walkConfig(a.Field(i), b.Field(i), f, true)
			continue
		}
		f(name, a.Field(i), b.Field(i), nested)
	}
}

// configValue formats a setting as the flags take it.
func configValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = configValue(v.Index(i))
		}
		if len(parts) == 0 {
			return "(all)"
		}
		return strings.Join(parts, ",")
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	}
	return fmt.Sprint(v.Interface())
}
