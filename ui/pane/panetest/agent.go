package panetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/schema"
)

func ptr[T any](v T) *T { return &v }

// Abilities returns the test abilities: echo (cached, one required string),
// sum (two numbers, b defaults to 1), fail (always fails) and n extra
// "tool_NN" abilities (for benchmarks).
func Abilities(n int) []agent.Ability {
	abs := []agent.Ability{
		{
			Name:        "echo",
			Description: "Return the text unchanged.",
			Schema: &schema.Schema{Type: "object", Required: []string{"text"},
				AdditionalProperties: ptr(false),
				Properties: map[string]*schema.Property{
					"text": {Type: "string", Description: "text to echo", Examples: []any{"hello"}},
				}},
			CacheTTL: time.Minute,
			Func: func(_ context.Context, args map[string]any) (any, error) {
				return map[string]any{"text": args["text"]}, nil
			},
		},
		{
			Name:        "fail",
			Description: "Always fails.",
			Func: func(context.Context, map[string]any) (any, error) {
				return nil, errors.New("boom")
			},
		},
		{
			Name:        "sum",
			Description: "Add two numbers.",
			Schema: &schema.Schema{Type: "object", Required: []string{"a"},
				Properties: map[string]*schema.Property{
					"a": {Type: "number", Description: "first addend", Examples: []any{2.0}},
					"b": {Type: "number", Description: "second addend", Default: 1.0},
				}},
			Func: func(_ context.Context, args map[string]any) (any, error) {
				return args["a"].(float64) + args["b"].(float64), nil
			},
		},
	}
	for i := range n {
		abs = append(abs, agent.Ability{
			Name:        fmt.Sprintf("tool_%02d", i),
			Description: fmt.Sprintf("Synthetic tool number %d for benchmarks.", i),
			Schema: &schema.Schema{Type: "object", Properties: map[string]*schema.Property{
				"q": {Type: "string", Default: "x"},
			}},
			CacheTTL: time.Minute,
			Func:     func(context.Context, map[string]any) (any, error) { return "ok", nil },
		})
	}
	return abs
}

// NewAgent returns an agent named "testagent" on clock with Abilities(n)
// registered; it is closed when the test ends.
func NewAgent(t testing.TB, clock *Clock, n int) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Options{Name: "testagent", MaxConcurrent: 8, Now: clock.Now})
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	t.Cleanup(a.Close)
	for _, ab := range Abilities(n) {
		if err := a.Register(ab); err != nil {
			t.Fatalf("register %s: %v", ab.Name, err)
		}
	}
	return a
}

// Snapshot returns a fixed snapshot of the agent returned by NewAgent(n),
// with every breaker state, faults, cache and latency figures filled in,
// so golden files do not depend on timing.
func Snapshot(n int) agent.Snapshot {
	now := Epoch.Add(3*time.Minute + 4*time.Second)
	series := func(scale float64) []float64 {
		s := make([]float64, 60)
		for i := range s {
			s[i] = scale * float64((i*7)%11)
		}
		return s
	}
	lat := func(ms float64) latency.Summary {
		d := time.Duration(ms * float64(time.Millisecond))
		return latency.Summary{Count: 1200, Sum: 1200 * d, P50: d, P95: 3 * d, P99: 5 * d, Max: 9 * d}
	}
	tr := func(name string, from, to breaker.State, r breaker.Reason, ago time.Duration, detail string) breaker.Transition {
		return breaker.Transition{Name: name, At: now.Add(-ago), From: from, To: to, Reason: r, Detail: detail}
	}
	s := agent.Snapshot{
		Name: "testagent", Taken: now, Uptime: now.Sub(Epoch),
		Limit: 8, InUse: 3, Waiting: 1, Rate: 42.5,
		Abilities: []agent.AbilityStats{
			{
				Name: "echo", Calls: 1500, CacheHits: 1200, CacheMisses: 300, CacheEntries: 280, CacheEvictions: 20,
				Cached: true, InFlight: 1, Latency: lat(0.4), Recent: lat(0.3), Rate: 25, RateSeries: series(3),
				Breaker: breaker.Stats{State: breaker.Closed, WindowCalls: 20, WindowFailures: 1, FailureRate: 0.05,
					Transitions: 0},
			},
			{
				Name: "fail", Calls: 40, InFlight: 0, Latency: lat(2), Recent: lat(2), Rate: 0.5, RateSeries: series(0.2),
				LastError: "call fail: boom", LastErrorAt: now.Add(-2 * time.Second),
				Breaker: breaker.Stats{State: breaker.Open, WindowCalls: 10, WindowFailures: 10, FailureRate: 1,
					ConsecutiveFailures: 10, CooldownRemaining: 3200 * time.Millisecond, OpenedAt: now.Add(-1800 * time.Millisecond),
					Transitions: 3, HasTransition: true,
					LastTransition: tr("fail", breaker.Closed, breaker.Open, breaker.ReasonFailureRate, 1800*time.Millisecond, "10/10 failed (100% >= 50%)")},
				Fault: agent.Fault{FailureRate: 0.25, Latency: 50 * time.Millisecond},
			},
			{
				Name: "sum", Calls: 300, Latency: lat(0.05), Recent: lat(0.04), Rate: 17, RateSeries: series(2),
				Breaker: breaker.Stats{State: breaker.ForcedOpen, Transitions: 1, HasTransition: true,
					OpenedAt:       now.Add(-65 * time.Second),
					LastTransition: tr("sum", breaker.Closed, breaker.ForcedOpen, breaker.ReasonManualTrip, 65*time.Second, "")},
			},
		},
	}
	s.Abilities[0].Outcomes[agent.OutcomeSuccess] = 1500
	s.Abilities[1].Outcomes[agent.OutcomeFailure] = 30
	s.Abilities[1].Outcomes[agent.OutcomeShortCircuited] = 10
	s.Abilities[2].Outcomes[agent.OutcomeSuccess] = 300
	for i := range n {
		st := breaker.Closed
		if i%7 == 3 {
			st = breaker.HalfOpen
		}
		s.Abilities = append(s.Abilities, agent.AbilityStats{
			Name: fmt.Sprintf("tool_%02d", i), Calls: uint64(100 * i), CacheHits: uint64(60 * i), CacheMisses: uint64(40 * i),
			CacheEntries: 40 * i, Cached: true, Latency: lat(float64(i%5) + 0.5), Recent: lat(float64(i%5) + 0.5),
			Rate: float64(i % 9), RateSeries: series(float64(i%4 + 1)),
			Breaker: breaker.Stats{State: st, HalfOpenInFlight: i % 2},
		})
	}
	return s
}
