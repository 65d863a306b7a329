package agent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// A call that succeeds but takes longer than the breaker's slow-call
// threshold counts as slow: with a rule of 50 % over two calls, two slow
// successes open the breaker (resilience4j's slow-call rule). Injected
// latency counts, as a slow dependency's would.
func TestSlowCallsOpenBreaker(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{
		Name: "slow",
		Func: func(ctx context.Context, _ map[string]any) (any, error) { return "ok", nil },
		Breaker: breaker.Settings{WindowSize: 2, MinCalls: 2, ConsecutiveFailures: breaker.Disabled,
			SlowCallThreshold: time.Millisecond, SlowCallRate: 0.5},
	})
	if err := a.SetFault("slow", Fault{Latency: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := a.Call(t.Context(), "slow", nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := a.Call(t.Context(), "slow", nil)
	if !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("third call: %v, want the breaker open", err)
	}
	st := a.Snapshot().Abilities[0].Breaker
	if tr := st.LastTransition; tr.Reason != breaker.ReasonSlowCallRate || st.WindowSlow != 2 {
		t.Fatalf("breaker %+v, want opened for slow calls with 2 in the window", st)
	}
	if info, _ := a.Lookup("slow"); info.Breaker.SlowCallThreshold != time.Millisecond || info.Breaker.SlowCallRate != 0.5 {
		t.Errorf("Info.Breaker %+v", info.Breaker)
	}
}
