package agent

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/agentdash/agentdash/internal/breaker"
)

// TestPipelineModel checks the call pipeline against a model under random
// sequences of calls (valid and invalid), clock advances, faults, manual
// trips and resets. The breaker's automatic trips are disabled so that its
// state is predictable (automatic trips are modeled in the breaker
// package); the model predicts every call's outcome, whether it came from
// the cache, whether the ability ran, and the agent's counters.
func TestPipelineModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		const ttl = 10*time.Second + 500*time.Microsecond // never a whole number of ms: no ties with expiry
		clk := newFakeClock()
		a, err := New(Options{Now: clk.Now})
		if err != nil {
			rt.Fatal(err)
		}
		defer a.Close()
		var runs atomic.Int64
		err = a.Register(Ability{Name: "up", Schema: textSchema(), CacheTTL: ttl,
			Breaker: breaker.Settings{ConsecutiveFailures: 1_000_000, FailureRate: breaker.Disabled},
			Func: func(ctx context.Context, args map[string]any) (any, error) {
				runs.Add(1)
				return upper(ctx, args)
			}})
		if err != nil {
			rt.Fatal(err)
		}

		// The model.
		var (
			now      time.Duration
			expires  = map[string]time.Duration{} // cached text -> expiry
			tripped  bool
			failing  bool
			wantRuns int64
			counts   [NumOutcomes]uint64
		)
		call := func(rt *rapid.T, args map[string]any, valid bool, text string) {
			res, err := a.Call(context.Background(), "up", args)
			want, cached := OutcomeSuccess, false
			switch {
			case !valid:
				want = OutcomeBadArgs
			case tripped:
				want = OutcomeShortCircuited
			case expires[text] > now:
				cached = true
			case failing:
				want = OutcomeFailure
			default:
				wantRuns++
				expires[text] = now + ttl
			}
			counts[want]++
			if res.Outcome != want || res.Cached != cached || (err == nil) != (want == OutcomeSuccess) {
				rt.Fatalf("Call(%v) = %+v, %v; want %v cached=%v", args, res, err, want, cached)
			}
			if want == OutcomeSuccess && res.Value != strings.ToUpper(text) {
				rt.Fatalf("value %v for %q", res.Value, text)
			}
			if want == OutcomeFailure && !errors.Is(err, ErrFault) {
				rt.Fatalf("failure %v is not the injected fault", err)
			}
			if runs.Load() != wantRuns {
				rt.Fatalf("ability ran %d times, model says %d", runs.Load(), wantRuns)
			}
		}

		rt.Repeat(map[string]func(*rapid.T){
			"call": func(rt *rapid.T) {
				text := rapid.SampledFrom([]string{"a", "b", "orfeas"}).Draw(rt, "text")
				call(rt, map[string]any{"text": text}, true, text)
			},
			"bad call": func(rt *rapid.T) {
				args := rapid.SampledFrom([]map[string]any{{}, {"text": 1.0}, {"text": "a", "extra": true}}).Draw(rt, "args")
				call(rt, args, false, "")
			},
			"advance": func(rt *rapid.T) {
				d := time.Duration(rapid.IntRange(0, 15_000).Draw(rt, "ms")) * time.Millisecond
				clk.Advance(d)
				now += d
			},
			"trip": func(rt *rapid.T) {
				if err := a.Trip("up"); err != nil {
					rt.Fatal(err)
				}
				tripped = true
			},
			"reset": func(rt *rapid.T) {
				if err := a.Reset("up"); err != nil {
					rt.Fatal(err)
				}
				tripped = false
			},
			"fault": func(rt *rapid.T) {
				failing = rapid.Bool().Draw(rt, "failing")
				rate := 0.0
				if failing {
					rate = 1
				}
				if err := a.SetFault("up", Fault{FailureRate: rate}); err != nil {
					rt.Fatal(err)
				}
			},
			"": func(rt *rapid.T) { // invariants after every step
				st := statsOf(rt, a, "up")
				if st.Outcomes != counts {
					rt.Fatalf("outcome counters %v, model %v", st.Outcomes, counts)
				}
				wantState := breaker.Closed
				if tripped {
					wantState = breaker.ForcedOpen
				}
				if st.Breaker.State != wantState {
					rt.Fatalf("breaker %v, model %v", st.Breaker.State, wantState)
				}
				if s := a.Snapshot(); s.InUse != 0 || s.Waiting != 0 || st.InFlight != 0 {
					rt.Fatalf("gauges not back to zero: %+v in flight %d", s, st.InFlight)
				}
			},
		})
	})
}
