package training

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/agentdash/agentdash/internal/train"
)

// formTexts returns the texts the form shows for cfg.
func formTexts(fs []field, cfg train.Config) []string {
	texts := make([]string, len(fs))
	for i, f := range fs {
		texts[i] = f.get(&cfg)
	}
	return texts
}

func TestFormRoundTrip(t *testing.T) {
	fs := fields()
	cfg := train.DefaultConfig()
	cfg.Dataset, cfg.Target, cfg.ResumeFrom = "data.csv", "price", "old.json"
	cfg.Schedule, cfg.Standardize = train.ScheduleInverseTime, train.StandardizeOn
	cfg.Seed, cfg.LR, cfg.MinDelta = 1<<63+5, 1e-7, 0.25
	cfg.Optimizer, cfg.Momentum, cfg.Beta1, cfg.Beta2, cfg.Eps = train.OptimizerAdam, 0.5, 0.8, 0.99, 1e-6
	got, errs, err := parseForm(train.Config{}, fs, formTexts(fs, cfg))
	if err != nil {
		t.Fatalf("parseForm: %v (%v)", err, errs)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", got, cfg)
	}
}

func TestFormAcceptsFriendlyInput(t *testing.T) {
	fs := fields()
	texts := formTexts(fs, train.DefaultConfig())
	set := func(label, text string) {
		for i, f := range fs {
			if f.label == label {
				texts[i] = text
			}
		}
	}
	set("epochs", " 1_000_000 ") // spaces trimmed, digit separators allowed
	set("schedule", "Step")      // choices are case-insensitive
	set("learning rate", "5e-3")
	set("optimizer", "Momentum")
	set("momentum", "0.5")
	set("precondition", "Off")
	cfg, _, err := parseForm(train.DefaultConfig(), fs, texts)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Epochs != 1_000_000 || cfg.Schedule != train.ScheduleStep || cfg.LR != 5e-3 || cfg.Optimizer != train.OptimizerMomentum || cfg.Momentum != 0.5 ||
		cfg.Precondition != train.PreconditionOff {
		t.Fatalf("got epochs %d schedule %q lr %g optimizer %q momentum %g precondition %q", cfg.Epochs, cfg.Schedule, cfg.LR, cfg.Optimizer, cfg.Momentum, cfg.Precondition)
	}
}

func TestCycle(t *testing.T) {
	f := choiceField("x", "x", "", []string{"a", "b", "c"}, nil, nil)
	for _, tt := range []struct {
		cur  string
		d    int
		want string
	}{{"a", 1, "b"}, {"c", 1, "a"}, {"a", -1, "c"}, {"B", 1, "c"}, {"zzz", 1, "a"}} {
		if got := f.cycle(tt.cur, tt.d); got != tt.want {
			t.Errorf("cycle(%q, %d) = %q, want %q", tt.cur, tt.d, got, tt.want)
		}
	}
}

// FuzzParseForm types arbitrary text into one field: parsing never panics,
// every error names a field, and a config the form accepts is valid.
func FuzzParseForm(f *testing.F) {
	fs := fields()
	def := train.DefaultConfig()
	for i := range fs {
		f.Add(i, fs[i].get(&def))
	}
	f.Add(0, "-1")
	f.Add(1, "NaN")
	f.Add(1, "Inf")
	f.Add(8, "1")
	f.Add(11, "sometimes")
	f.Add(16, "1e400")
	f.Add(math.MinInt, "1")
	f.Fuzz(func(t *testing.T, i int, text string) {
		i = int(uint(i) % uint(len(fs))) // any int, math.MinInt included
		texts := formTexts(fs, train.DefaultConfig())
		texts[i] = text
		cfg, errs, err := parseForm(train.DefaultConfig(), fs, texts)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("form accepted %q for %s but Validate says %v", text, fs[i].label, verr)
			}
			return
		}
		for j, e := range errs {
			if e == nil {
				continue
			}
			var fe *fieldError
			if errors.As(e, &fe) && !strings.HasPrefix(e.Error(), fs[j].label+": ") {
				t.Fatalf("parse error %q does not name field %q", e, fs[j].label)
			}
		}
		if !errors.Is(err, train.ErrConfig) && !hasErr(errs) {
			t.Fatalf("error %v is neither a field error nor a config error", err)
		}
	})
}

// A number too large for float64 is out of range, as a whole number too
// large for its field is, not "not a number".
func TestFloatOutOfRange(t *testing.T) {
	fs := fields()
	i := slices.IndexFunc(fs, func(f field) bool { return f.label == "learning rate" })
	for _, tt := range []struct{ text, want string }{
		{"1e400", `learning rate: "1e400" is out of range: at most ±1.8e+308`},
		{"-1e400", `learning rate: "-1e400" is out of range: at most ±1.8e+308`},
		{"abc", `learning rate: "abc" is not a number`},
	} {
		texts := formTexts(fs, train.DefaultConfig())
		texts[i] = tt.text
		_, errs, _ := parseForm(train.DefaultConfig(), fs, texts)
		if errs[i] == nil || errs[i].Error() != tt.want {
			t.Errorf("%q: error %v, want %s", tt.text, errs[i], tt.want)
		}
	}
}

// The val fraction field shows and takes "auto" as --val-fraction does.
func TestValFractionFieldAuto(t *testing.T) {
	fs := fields()
	i := slices.IndexFunc(fs, func(f field) bool { return f.label == "val fraction" })
	texts := formTexts(fs, train.DefaultConfig())
	if texts[i] != "auto" {
		t.Fatalf("default shows %q, want auto", texts[i])
	}
	for _, tt := range []struct {
		text string
		want float64
		err  string
	}{
		{"AUTO", train.ValFractionAuto, ""},
		{"0.25", 0.25, ""},
		{"some", 0, `val fraction: "some" is not a number or auto`},
	} {
		texts[i] = tt.text
		cfg, errs, _ := parseForm(train.DefaultConfig(), fs, texts)
		switch {
		case tt.err != "" && (errs[i] == nil || errs[i].Error() != tt.err):
			t.Errorf("%q: error %v, want %s", tt.text, errs[i], tt.err)
		case tt.err == "" && (errs[i] != nil || cfg.ValFraction != tt.want):
			t.Errorf("%q: val fraction %g, error %v; want %g", tt.text, cfg.ValFraction, errs[i], tt.want)
		}
	}
}
