package declared_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
)

// newAgent builds an agent from the configuration file text.
func newAgent(t *testing.T, file string, builtins ...agent.Ability) *agent.Agent {
	t.Helper()
	var names []string
	for _, b := range builtins {
		names = append(names, b.Name)
	}
	cfg, err := config.Parse("test.yaml", []byte(file), names)
	if err != nil {
		t.Fatal(err)
	}
	abs, _, err := declared.Abilities(cfg, builtins, nil, declared.Env{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := declared.Register(a, abs); err != nil {
		t.Fatal(err)
	}
	return a
}

// server answers with status and counts its requests.
func server(t *testing.T, status int) (string, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

func TestCacheTTLApplied(t *testing.T) {
	url, hits := server(t, http.StatusOK)
	a := newAgent(t, "abilities:\n  w:\n    kind: http\n    url: \""+url+"/?q={{q}}\"\n    schema: {type: object, properties: {q: {type: string}}}\n    cache_ttl: 1m\n")
	for i, wantCached := range []bool{false, true} {
		res, err := a.Call(t.Context(), "w", map[string]any{"q": "x"})
		if err != nil || res.Cached != wantCached {
			t.Fatalf("call %d: cached %v, err %v; want cached %v", i+1, res.Cached, err, wantCached)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("the server got %d requests, want 1 (the second call cached)", hits.Load())
	}
}

func TestBreakerRuleApplied(t *testing.T) {
	url, hits := server(t, http.StatusInternalServerError)
	a := newAgent(t, "breaker: {consecutive_failures: 2, cooldown: 1h}\nabilities:\n  w:\n    kind: http\n    url: \""+url+"/\"\n")
	for range 2 {
		if res, _ := a.Call(t.Context(), "w", nil); res.Outcome != agent.OutcomeFailure {
			t.Fatalf("outcome %v, want a failure", res.Outcome)
		}
	}
	res, err := a.Call(t.Context(), "w", nil)
	if res.Outcome != agent.OutcomeShortCircuited || !errors.Is(err, agent.ErrOpen) {
		t.Errorf("third call: %v, %v; want short-circuited by the open breaker", res.Outcome, err)
	}
	if hits.Load() != 2 {
		t.Errorf("the server got %d requests, want 2", hits.Load())
	}
}

func TestBuiltinTunedAndTurnedOff(t *testing.T) {
	builtin := agent.Ability{Name: "echo", Description: "Echo.", Source: "built-in",
		Func: func(_ context.Context, args map[string]any) (any, error) { return args, nil }}
	a := newAgent(t, "abilities:\n  echo:\n    description: Say it again.\n    cache_ttl: 2m\n    isolate: true\n    fault: {rate: 100%}\n", builtin)
	in, ok := a.Lookup("echo")
	if !ok || in.Description != "Say it again." || in.CacheTTL.Minutes() != 2 || !in.Isolate || in.Source != "built-in" {
		t.Errorf("echo: %+v", in)
	}
	if f, _ := a.Fault("echo"); f.FailureRate != 1 {
		t.Errorf("echo's fault: %+v, want a failure rate of 1", f)
	}
	off := newAgent(t, "demo: false\nabilities:\n  echo: {cache_ttl: 2m}\n", builtin)
	if n := len(off.Abilities()); n != 0 {
		t.Errorf("demo: false left %d abilities, want none", n)
	}
}

// max_concurrent, hints and every breaker key reach the agent, for a
// declared ability and a built-in alike, with nothing left as a warning.
func TestSettingsApplied(t *testing.T) {
	builtin := agent.Ability{Name: "echo", Func: func(context.Context, map[string]any) (any, error) { return "x", nil },
		Hints: agent.Hints{ReadOnly: new(true), OpenWorld: new(false)}}
	src := "breaker: {slow_call_threshold: 2s, success_threshold: 3, half_open_probes: 2}\n" +
		"abilities:\n" +
		"  x:\n    kind: command\n    argv: [go, version]\n    max_concurrent: 2\n" +
		"    hints: {read_only: false, idempotent: true, destructive: true, open_world: true}\n" +
		"    breaker: {slow_call_rate: 40%}\n" +
		"  echo:\n    max_concurrent: 3\n    hints: {idempotent: true}\n"
	cfg, err := config.Parse("test.yaml", []byte(src), []string{"echo"})
	if err != nil {
		t.Fatal(err)
	}
	abs, warnings, err := declared.Abilities(cfg, []agent.Ability{builtin}, nil, declared.Env{})
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Abilities: %v, warnings %q", err, warnings)
	}
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := declared.Register(a, abs); err != nil {
		t.Fatal(err)
	}
	x, _ := a.Lookup("x")
	if x.MaxConcurrent != 2 {
		t.Errorf("x: max_concurrent %d, want 2", x.MaxConcurrent)
	}
	if h := x.Hints; !isFalse(h.ReadOnly) || !isTrue(h.Idempotent) || !isTrue(h.Destructive) || !isTrue(h.OpenWorld) {
		t.Errorf("x: hints %s", hintsText(h))
	}
	if b := x.Breaker; b.SlowCallThreshold != 2*time.Second || b.SlowCallRate != 0.4 || b.SuccessThreshold != 3 || b.HalfOpenProbes != 2 {
		t.Errorf("x: breaker %+v", b)
	}
	echo, _ := a.Lookup("echo")
	if echo.MaxConcurrent != 3 {
		t.Errorf("echo: max_concurrent %d, want 3", echo.MaxConcurrent)
	}
	// The file's hints go over the built-in's own, key by key.
	if h := echo.Hints; !isTrue(h.ReadOnly) || !isTrue(h.Idempotent) || h.Destructive != nil || !isFalse(h.OpenWorld) {
		t.Errorf("echo: hints %s", hintsText(h))
	}
	if b := echo.Breaker; b.SlowCallThreshold != 2*time.Second || b.SlowCallRate != 1 {
		t.Errorf("echo: breaker %+v, want the agent-wide slow-call rule", b)
	}
}

func isTrue(p *bool) bool  { return p != nil && *p }
func isFalse(p *bool) bool { return p != nil && !*p }

func hintsText(h agent.Hints) string {
	s := func(p *bool) string {
		if p == nil {
			return "unset"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("read_only %s, idempotent %s, destructive %s, open_world %s",
		s(h.ReadOnly), s(h.Idempotent), s(h.Destructive), s(h.OpenWorld))
}
