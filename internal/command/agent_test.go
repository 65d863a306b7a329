package command

import (
	"context"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

// TestThroughTheAgent registers command abilities and checks the outcomes
// the pipeline gives them: the result, the caller's fault for a missing
// placeholder argument, a failure for a non-zero exit, a timeout from the
// ability's own Timeout.
func TestThroughTheAgent(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	reg := func(name string, spec Spec, timeout time.Duration) {
		t.Helper()
		if err := a.Register(agent.Ability{Name: name, Func: mustNew(t, spec), Timeout: timeout}); err != nil {
			t.Fatal(err)
		}
	}
	reg("echo", helperSpec("print", "{{word}}"), time.Minute)
	reg("fail", helperSpec("fail", "2", "bad input"), time.Minute)
	reg("slow", helperSpec("sleep", "10m"), 300*time.Millisecond)
	tests := []struct {
		name string
		args map[string]any
		want agent.Outcome
	}{
		{"echo", map[string]any{"word": "hi"}, agent.OutcomeSuccess},
		{"echo", map[string]any{}, agent.OutcomeBadArgs},
		{"fail", nil, agent.OutcomeFailure},
		{"slow", nil, agent.OutcomeTimeout},
	}
	for _, tt := range tests {
		res, err := a.Call(context.Background(), tt.name, tt.args)
		if res.Outcome != tt.want {
			t.Errorf("%s %v: outcome %s (%v), want %s", tt.name, tt.args, res.Outcome, err, tt.want)
		}
		if tt.want == agent.OutcomeSuccess && res.Value != "hi" {
			t.Errorf("%s: value %#v, want \"hi\"", tt.name, res.Value)
		}
	}
}
