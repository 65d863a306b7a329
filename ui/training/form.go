package training

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/agentdash/agentdash/internal/train"
)

// field is one row of the config form: how to show a Config value as text
// and how to parse the text back into the Config.
type field struct {
	label string // shown in the form and named in parse errors
	// flag is the CLI flag name, which train.Config.Validate names in its
	// errors; it ties such an error to this field.
	flag string
	help string // one line, shown while the field is selected
	get  func(*train.Config) string
	set  func(*train.Config, string) error
	// choices, if any, are the only accepted values; ←/→ cycle through them.
	choices []string
	// placeholder is shown, muted, when the value is empty.
	placeholder string
}

// fields lists the form in display order: the original runner's parameters
// first, then the options users of SGDRegressor and Keras expect.
func fields() []field {
	return []field{
		intField("epochs", "epochs", "passes over the training data (≥ 1)",
			func(c *train.Config) *int { return &c.Epochs }),
		floatField("learning rate", "lr", "gradient step size (> 0); lower it if training diverges",
			func(c *train.Config) *float64 { return &c.LR }),
		intField("batch size", "batch-size", "rows per gradient step (≥ 1)",
			func(c *train.Config) *int { return &c.BatchSize }),
		{
			label: "seed", flag: "seed", help: "seed for the synthetic data, the split and the shuffle",
			get: func(c *train.Config) string { return strconv.FormatUint(c.Seed, 10) },
			set: func(c *train.Config, s string) error {
				v, err := strconv.ParseUint(s, 10, 64)
				if errors.Is(err, strconv.ErrRange) {
					return outOfRange(s, "", strconv.FormatUint(math.MaxUint64, 10))
				}
				if err != nil {
					return fmt.Errorf("%q is not a non-negative whole number", s)
				}
				c.Seed = v
				return nil
			},
		},
		stringField("dataset", "dataset", "CSV file (features…, target); empty = synthetic data", "(synthetic)",
			func(c *train.Config) *string { return &c.Dataset }),
		stringField("target", "target", "CSV target column name; empty = the last column", "(last column)",
			func(c *train.Config) *string { return &c.Target }),
		{
			label: "features", flag: "features", placeholder: "(all but the target)",
			help: "CSV feature columns, comma-separated; empty = all but the target",
			get:  func(c *train.Config) string { return strings.Join(c.Features, ",") },
			set: func(c *train.Config, s string) error {
				c.Features = nil
				for name := range strings.SplitSeq(s, ",") {
					if name = strings.TrimSpace(name); name != "" {
						c.Features = append(c.Features, name)
					}
				}
				return nil
			},
		},
		stringField("checkpoint", "checkpoint", "where the model is saved (the predict ability reads it)", "(none)",
			func(c *train.Config) *string { return &c.Checkpoint }),
		stringField("resume from", "resume-from", "checkpoint to continue training from; empty = fresh start", "(fresh start)",
			func(c *train.Config) *string { return &c.ResumeFrom }),
		valFractionField(),
		intField("patience", "patience", "epochs without improvement before stopping early; 0 = never",
			func(c *train.Config) *int { return &c.Patience }),
		floatField("min delta", "min-delta", "smallest loss decrease that counts as an improvement",
			func(c *train.Config) *float64 { return &c.MinDelta }),
		choiceField("schedule", "schedule", "rate decay", scheduleNames(),
			func(c *train.Config) string { return string(c.Schedule) },
			func(c *train.Config, s string) { c.Schedule = train.Schedule(s) }),
		floatField("decay rate", "decay-rate", "learning-rate decay factor of the schedule",
			func(c *train.Config) *float64 { return &c.DecayRate }),
		intField("decay steps", "decay-steps", "epochs per decay step of the schedule",
			func(c *train.Config) *int { return &c.DecaySteps }),
		choiceField("optimizer", "optimizer", "update rule of the gradient steps", optimizerNames(),
			func(c *train.Config) string { return string(c.Optimizer) },
			func(c *train.Config, s string) { c.Optimizer = train.Optimizer(s) }),
		floatField("momentum", "momentum", "momentum optimizer: the velocity's decay μ, in [0, 1)",
			func(c *train.Config) *float64 { return &c.Momentum }),
		floatField("adam beta1", "beta1", "adam optimizer: decay of the first moment, in [0, 1)",
			func(c *train.Config) *float64 { return &c.Beta1 }),
		floatField("adam beta2", "beta2", "adam optimizer: decay of the second moment, in [0, 1)",
			func(c *train.Config) *float64 { return &c.Beta2 }),
		floatField("adam eps", "eps", "adam optimizer: ε added to the denominator, > 0",
			func(c *train.Config) *float64 { return &c.Eps }),
		choiceField("standardize", "standardize", "scale features; auto = for CSV data only", standardizeNames(),
			func(c *train.Config) string { return string(c.Standardize) },
			func(c *train.Config, s string) { c.Standardize = train.Standardize(s) }),
		choiceField("precondition", "precondition", "whiten features; auto = if collinear", preconditionNames(),
			func(c *train.Config) string { return string(c.Precondition) },
			func(c *train.Config, s string) { c.Precondition = train.Precondition(s) }),
		intField("synth samples", "samples", "rows of synthetic data",
			func(c *train.Config) *int { return &c.Synthetic.Samples }),
		floatField("synth weight", "weight", "true weight of the synthetic data",
			func(c *train.Config) *float64 { return &c.Synthetic.Weight }),
		floatField("synth bias", "bias", "true bias of the synthetic data",
			func(c *train.Config) *float64 { return &c.Synthetic.Bias }),
		floatField("synth noise", "noise", "standard deviation of the synthetic noise (≥ 0)",
			func(c *train.Config) *float64 { return &c.Synthetic.Noise }),
	}
}

func intField(label, flag, help string, ptr func(*train.Config) *int) field {
	return field{
		label: label, flag: flag, help: help,
		get: func(c *train.Config) string { return strconv.Itoa(*ptr(c)) },
		set: func(c *train.Config, s string) error {
			v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
			if errors.Is(err, strconv.ErrRange) {
				return outOfRange(s, strconv.Itoa(math.MinInt), strconv.Itoa(math.MaxInt))
			}
			if err != nil {
				return fmt.Errorf("%q is not a whole number", s)
			}
			*ptr(c) = v
			return nil
		},
	}
}

// outOfRange is the error for a whole number s that parses but does not
// fit: it names the bound s is beyond (lo is "" when the least is 0 and a
// minus sign does not parse at all).
func outOfRange(s, lo, hi string) error {
	if strings.HasPrefix(s, "-") && lo != "" {
		return fmt.Errorf("%q is out of range: at least %s", s, groupString(lo))
	}
	return fmt.Errorf("%q is out of range: at most %s", s, groupString(hi))
}

func floatField(label, flag, help string, ptr func(*train.Config) *float64) field {
	return field{
		label: label, flag: flag, help: help,
		get: func(c *train.Config) string { return strconv.FormatFloat(*ptr(c), 'g', -1, 64) },
		set: func(c *train.Config, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if errors.Is(err, strconv.ErrRange) {
				// ParseFloat reports only overflow as out of range
				// (a tiny value rounds to 0).
				return fmt.Errorf("%q is out of range: at most ±%.2g", s, math.MaxFloat64)
			}
			if err != nil {
				return fmt.Errorf("%q is not a number", s)
			}
			*ptr(c) = v
			return nil
		},
	}
}

// valFractionField is a float field that also takes "auto"
// (train.ValFractionAuto), as --val-fraction does.
func valFractionField() field {
	f := floatField("val fraction", "val-fraction",
		"share held out, in [0, 1); auto: 0.1 with patience, else 0",
		func(c *train.Config) *float64 { return &c.ValFraction })
	get, set := f.get, f.set
	f.get = func(c *train.Config) string {
		if c.ValFraction == train.ValFractionAuto {
			return "auto"
		}
		return get(c)
	}
	f.set = func(c *train.Config, s string) error {
		if strings.EqualFold(s, "auto") {
			c.ValFraction = train.ValFractionAuto
			return nil
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q is not a number or auto", s)
		}
		return set(c, s)
	}
	return f
}

func stringField(label, flag, help, placeholder string, ptr func(*train.Config) *string) field {
	return field{
		label: label, flag: flag, help: help, placeholder: placeholder,
		get: func(c *train.Config) string { return *ptr(c) },
		set: func(c *train.Config, s string) error { *ptr(c) = s; return nil },
	}
}

func choiceField(label, flag, help string, choices []string, get func(*train.Config) string, set func(*train.Config, string)) field {
	return field{
		label: label, flag: flag, help: help + " (←/→: " + strings.Join(choices, ", ") + ")", choices: choices,
		get: get,
		set: func(c *train.Config, s string) error {
			for _, ch := range choices {
				if strings.EqualFold(s, ch) {
					set(c, ch)
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", s, strings.Join(choices, ", "))
		},
	}
}

// cycle returns the choice d steps from cur (wrapping), or the first choice
// when cur is not one of them.
func (f *field) cycle(cur string, d int) string {
	n := len(f.choices)
	for i, ch := range f.choices {
		if strings.EqualFold(cur, ch) {
			return f.choices[((i+d)%n+n)%n]
		}
	}
	return f.choices[0]
}

// fieldError is a problem with one form field.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// parseForm builds a Config from base and the texts of the fields. It
// returns one error per field that does not parse (nil entries for fields
// that do) and, when every field parses, the result of Config.Validate.
func parseForm(base train.Config, fs []field, texts []string) (train.Config, []error, error) {
	cfg := base
	errs := make([]error, len(fs))
	bad := false
	for i, f := range fs {
		s := strings.TrimSpace(texts[i])
		if err := f.set(&cfg, s); err != nil {
			errs[i] = &fieldError{field: f.label, err: err}
			bad = true
		}
	}
	if bad {
		return cfg, errs, errors.New("fix the fields marked ✗")
	}
	if err := cfg.Validate(); err != nil {
		if i, msg := blame(fs, err); i >= 0 {
			errs[i] = errors.New(msg)
		}
		return cfg, errs, err
	}
	return cfg, errs, nil
}

// blame finds the field a Config.Validate error is about: its message
// starts with the field's flag name ("batch-size must be at least 1, got
// 0"). It returns that field's index and the message without the
// "invalid training config: " prefix, or -1 if no field matches.
func blame(fs []field, err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), train.ErrConfig.Error()+": ")
	best, bestLen := -1, 0
	for i, f := range fs {
		if f.flag != "" && len(f.flag) > bestLen && strings.HasPrefix(msg, f.flag+" ") {
			best, bestLen = i, len(f.flag)
		}
	}
	return best, msg
}

func scheduleNames() []string {
	var names []string
	for _, s := range train.Schedules() {
		names = append(names, string(s))
	}
	return names
}

func optimizerNames() []string {
	var names []string
	for _, o := range train.Optimizers() {
		names = append(names, string(o))
	}
	return names
}

func standardizeNames() []string {
	return []string{string(train.StandardizeAuto), string(train.StandardizeOn), string(train.StandardizeOff)}
}

func preconditionNames() []string {
	var names []string
	for _, p := range train.Preconditions() {
		names = append(names, string(p))
	}
	return names
}
