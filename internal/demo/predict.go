package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/internal/train"
)

// ErrNoModel is returned by predict when no checkpoint exists yet.
var ErrNoModel = errors.New("no model has been trained yet")

// Predict returns an ability that serves the linear model in the checkpoint
// at path: {"x": 4} or {"x": [1.5, 2]} (one number per feature) → y. The
// checkpoint is re-read whenever the file changes, so a model trained while
// the agent runs is served by the next call.
func Predict(path string) agent.Ability {
	r := train.NewReloader(path)
	return agent.Ability{
		Name:        "predict",
		Description: fmt.Sprintf("Predict y with the trained linear model in %s.", path),
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"x": {Description: "Feature value, or an array with one number per feature.", Examples: []any{4.0}},
			},
			Required:             []string{"x"},
			AdditionalProperties: ptr(false),
		},
		Timeout: 2 * time.Second,
		// The example follows the model being served: its features'
		// training means, one per feature, in the model's order.
		Example: func() map[string]any {
			ckpt, err := r.Load()
			if err != nil || ckpt.Scaler == nil && len(ckpt.Features) == 1 {
				return nil // the schema's {"x": 4} fits a one-feature model as well as any
			}
			return map[string]any{"x": exampleInput(ckpt)}
		},
		Func: func(_ context.Context, args map[string]any) (any, error) {
			x, err := features(args["x"])
			if err != nil {
				return nil, fmt.Errorf("%w: %w", agent.ErrBadArgs, err)
			}
			ckpt, err := load(r)
			if err != nil {
				return nil, err
			}
			y, err := ckpt.Predict(x)
			if err != nil {
				// The checkpoint loaded, so what Predict refuses is the
				// input: the wrong number of features, or NaN/Inf.
				return nil, fmt.Errorf("%w: predict with %s: %w", agent.ErrBadArgs, path, err)
			}
			return y, nil
		},
	}
}

// exampleInput is a typical input of the model: each feature's mean on the
// training rows (rounded for reading) when the features were standardized,
// else 1; a number for a single feature, else an array.
func exampleInput(ckpt *train.Checkpoint) any {
	x := make([]float64, len(ckpt.Features))
	for i := range x {
		x[i] = 1
		if ckpt.Scaler != nil {
			x[i] = roundTo(ckpt.Scaler.Mean[i], 3)
		}
	}
	if len(x) == 1 {
		return x[0]
	}
	return x
}

// roundTo rounds v to the given number of significant digits.
func roundTo(v float64, digits int) float64 {
	f, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	if err != nil {
		return v
	}
	return f
}

// features converts the "x" argument to a feature vector.
func features(v any) ([]float64, error) {
	if f, ok := schema.Number(v); ok {
		return []float64{f}, nil
	}
	switch x := v.(type) {
	case []float64:
		return x, nil
	case []any:
		if len(x) == 0 {
			return nil, &schema.FieldError{Field: "x", Msg: "want at least one number"}
		}
		out := make([]float64, len(x))
		for i, e := range x {
			f, ok := schema.Number(e)
			if !ok {
				return nil, &schema.FieldError{Field: fmt.Sprintf("x[%d]", i), Msg: fmt.Sprintf("want number, got %s", jsonType(e))}
			}
			out[i] = f
		}
		return out, nil
	}
	return nil, &schema.FieldError{Field: "x", Msg: fmt.Sprintf("want number or array of numbers, got %s", jsonType(v))}
}

// load returns the checkpoint r serves, or ErrNoModel when there is none.
func load(r *train.Reloader) (*train.Checkpoint, error) {
	ckpt, err := r.Load()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist (train one first: `agentdash train`, or the dashboard's Training pane)", ErrNoModel, r.Path())
	}
	if err != nil {
		return nil, err // "load checkpoint PATH: …", after the caller's "call predict: "
	}
	return ckpt, nil
}

// jsonType names the JSON type of a decoded value, for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
