package training

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/agentdash/agentdash/internal/train"
)

// field is one row of the config form: how to show a Config value as text
// and how to parse the text back into the Config.
type field struct {
	label string // shown in the form and named in errors
	help  string // one line, shown while the field is selected
	get   func(*train.Config) string
	set   func(*train.Config, string) error
	// choices, if any, are the only accepted values; ←/→ cycle through them.
	choices []string
	// placeholder is shown, muted, when the value is empty.
	placeholder string
}

// fields lists the form in display order: the original runner's parameters
// first, then the options users of SGDRegressor and Keras expect.
func fields() []field {
	return []field{
		intField("epochs", "passes over the training data (≥ 1)",
			func(c *train.Config) *int { return &c.Epochs }),
		floatField("learning rate", "gradient step size (> 0); lower it if training diverges",
			func(c *train.Config) *float64 { return &c.LR }),
		intField("batch size", "samples per gradient step (≥ 1)",
			func(c *train.Config) *int { return &c.BatchSize }),
		{
			label: "seed", help: "seed for the synthetic data, the split and the shuffle",
			get: func(c *train.Config) string { return strconv.FormatUint(c.Seed, 10) },
			set: func(c *train.Config, s string) error {
				v, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					return fmt.Errorf("%q is not a non-negative whole number", s)
				}
				c.Seed = v
				return nil
			},
		},
		stringField("dataset", "CSV file (features…, target); empty = synthetic data", "(synthetic)",
			func(c *train.Config) *string { return &c.Dataset }),
		stringField("target", "CSV target column name; empty = the last column", "(last column)",
			func(c *train.Config) *string { return &c.Target }),
		stringField("checkpoint", "where the model is saved (the predict ability reads it)", "(none)",
			func(c *train.Config) *string { return &c.Checkpoint }),
		stringField("resume from", "checkpoint to continue training from; empty = fresh start", "(fresh start)",
			func(c *train.Config) *string { return &c.ResumeFrom }),
		floatField("val fraction", "share of rows held out for validation, in [0, 1)",
			func(c *train.Config) *float64 { return &c.ValFraction }),
		intField("patience", "epochs without improvement before stopping early; 0 = never",
			func(c *train.Config) *int { return &c.Patience }),
		floatField("min delta", "smallest loss decrease that counts as an improvement",
			func(c *train.Config) *float64 { return &c.MinDelta }),
		choiceField("schedule", "learning-rate schedule", scheduleNames(),
			func(c *train.Config) string { return string(c.Schedule) },
			func(c *train.Config, s string) { c.Schedule = train.Schedule(s) }),
		floatField("decay rate", "learning-rate decay factor of the schedule",
			func(c *train.Config) *float64 { return &c.DecayRate }),
		intField("decay steps", "epochs per decay step of the schedule",
			func(c *train.Config) *int { return &c.DecaySteps }),
		choiceField("standardize", "feature standardization (auto = on for CSV data)", standardizeNames(),
			func(c *train.Config) string { return string(c.Standardize) },
			func(c *train.Config, s string) { c.Standardize = train.Standardize(s) }),
		intField("synth samples", "rows of synthetic data",
			func(c *train.Config) *int { return &c.Synthetic.Samples }),
		floatField("synth weight", "true weight of the synthetic data",
			func(c *train.Config) *float64 { return &c.Synthetic.Weight }),
		floatField("synth bias", "true bias of the synthetic data",
			func(c *train.Config) *float64 { return &c.Synthetic.Bias }),
		floatField("synth noise", "standard deviation of the synthetic noise (≥ 0)",
			func(c *train.Config) *float64 { return &c.Synthetic.Noise }),
	}
}

func intField(label, help string, ptr func(*train.Config) *int) field {
	return field{
		label: label, help: help,
		get: func(c *train.Config) string { return strconv.Itoa(*ptr(c)) },
		set: func(c *train.Config, s string) error {
			v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", s)
			}
			*ptr(c) = v
			return nil
		},
	}
}

func floatField(label, help string, ptr func(*train.Config) *float64) field {
	return field{
		label: label, help: help,
		get: func(c *train.Config) string { return strconv.FormatFloat(*ptr(c), 'g', -1, 64) },
		set: func(c *train.Config, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", s)
			}
			*ptr(c) = v
			return nil
		},
	}
}

func stringField(label, help, placeholder string, ptr func(*train.Config) *string) field {
	return field{
		label: label, help: help, placeholder: placeholder,
		get: func(c *train.Config) string { return *ptr(c) },
		set: func(c *train.Config, s string) error { *ptr(c) = s; return nil },
	}
}

func choiceField(label, help string, choices []string, get func(*train.Config) string, set func(*train.Config, string)) field {
	return field{
		label: label, help: help + " (" + strings.Join(choices, ", ") + "; ←/→ to change)", choices: choices,
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
		return cfg, errs, err
	}
	return cfg, errs, nil
}

func scheduleNames() []string {
	return []string{string(train.ScheduleConstant), string(train.ScheduleStep), string(train.ScheduleExp)}
}

func standardizeNames() []string {
	return []string{string(train.StandardizeAuto), string(train.StandardizeOn), string(train.StandardizeOff)}
}
