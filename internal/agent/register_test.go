package agent

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/schema"
)

func TestNewOptions(t *testing.T) {
	bad := []struct {
		opts Options
		want string
	}{
		{Options{MaxConcurrent: -1}, "MaxConcurrent must not be negative, got -1"},
		{Options{MaxWait: -time.Second}, "MaxWait must not be negative, got -1s"},
		{Options{CacheSize: -5}, "CacheSize must not be negative, got -5"},
		{Options{DefaultTimeout: -time.Millisecond}, "DefaultTimeout must not be negative, got -1ms"},
	}
	for _, tt := range bad {
		a, err := New(tt.opts)
		if err == nil || err.Error() != "agent options: "+tt.want {
			t.Errorf("New(%+v) = %v, want error %q", tt.opts, err, tt.want)
		}
		if a != nil {
			t.Errorf("New(%+v) returned an agent with an error", tt.opts)
		}
	}

	a := newAgent(t, Options{})
	s := a.Snapshot()
	if s.Name != DefaultName || s.Limit != DefaultMaxConcurrent || len(s.Abilities) != 0 {
		t.Fatalf("defaults: snapshot = %+v", s)
	}
	mustRegister(t, a, Ability{Name: "x", Func: upper})
	if info, _ := a.Lookup("x"); info.Timeout != DefaultTimeout {
		t.Fatalf("default timeout = %s, want %s", info.Timeout, DefaultTimeout)
	}
}

func TestRegisterErrors(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "taken", Func: upper})
	valid := func(mod func(*Ability)) Ability {
		ab := Ability{Name: "ok", Func: upper, Schema: textSchema()}
		mod(&ab)
		return ab
	}
	tests := []struct {
		name string
		ab   Ability
		want string
	}{
		{"empty name", valid(func(ab *Ability) { ab.Name = "" }), `register ability "": invalid name: must be 1 to 64 characters`},
		{"uppercase", valid(func(ab *Ability) { ab.Name = "Upper" }), `register ability "Upper": invalid name`},
		{"leading digit", valid(func(ab *Ability) { ab.Name = "1st" }), `register ability "1st": invalid name: character '1' at position 1`},
		{"leading underscore", valid(func(ab *Ability) { ab.Name = "_x" }), `invalid name`},
		{"dash", valid(func(ab *Ability) { ab.Name = "read-file" }), `invalid name: character '-' at position 5`},
		{"non-ASCII", valid(func(ab *Ability) { ab.Name = "café" }), `invalid name: character 'é' at position 4`},
		{"too long", valid(func(ab *Ability) { ab.Name = "a" + strings.Repeat("b", 64) }), `invalid name`},
		{"proxied, bad server", valid(func(ab *Ability) { ab.Name = "Srv.echo" }), `register ability "Srv.echo": invalid name: character 'S' at position 1: must be 1 to 64 characters: a lowercase letter, then lowercase letters, digits or underscores (of SERVER.TOOL)`},
		{"proxied, no tool", valid(func(ab *Ability) { ab.Name = "srv." }), `invalid name: SERVER.TOOL`},
		{"proxied, bad tool", valid(func(ab *Ability) { ab.Name = "srv.get page" }), `invalid name: character ' ' at position 8: SERVER.TOOL`},
		{"proxied, too long", valid(func(ab *Ability) { ab.Name = "srv." + strings.Repeat("b", 125) }), `invalid name: SERVER.TOOL`},
		{"duplicate", valid(func(ab *Ability) { ab.Name = "taken" }), `register ability "taken": an ability with this name is already registered`},
		{"nil func", valid(func(ab *Ability) { ab.Func = nil }), `register ability "ok": Ability.Func is nil`},
		{"negative timeout", valid(func(ab *Ability) { ab.Timeout = -time.Second }), `Ability.Timeout must not be negative, got -1s`},
		{"negative TTL", valid(func(ab *Ability) { ab.CacheTTL = -time.Second }), `Ability.CacheTTL must not be negative, got -1s`},
		{"bad schema type", valid(func(ab *Ability) { ab.Schema = &schema.Schema{Type: "array"} }), `register ability "ok": schema: type must be "object", got "array"`},
		{"bad property", valid(func(ab *Ability) {
			ab.Schema = &schema.Schema{Type: "object", Properties: map[string]*schema.Property{"n": {Type: "int"}}}
		}), `schema: property "n": unknown type "int"`},
		{"bad breaker", valid(func(ab *Ability) { ab.Breaker = breaker.Settings{FailureRate: 2} }), `register ability "ok": breaker settings: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Register(tt.ab)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Register() = %v, want error containing %q", err, tt.want)
			}
		})
	}
	if got := a.Abilities(); len(got) != 1 || got[0].Name != "taken" {
		t.Fatalf("failed registrations changed the registry: %+v", got)
	}
	mustRegister(t, a, valid(func(ab *Ability) { ab.Name = "a" + strings.Repeat("b", 63) })) // 64 is fine
	// A tool of an MCP server keeps its name: MCP's characters, 128 in all.
	mustRegister(t, a, valid(func(ab *Ability) { ab.Name = "srv.Get-Page.v2_" + strings.Repeat("b", 112) }))
}

func TestAbilitiesAndLookup(t *testing.T) {
	a := newAgent(t, Options{DefaultTimeout: 3 * time.Second})
	for _, name := range []string{"sum", "uppercase", "flaky", "a_1"} {
		mustRegister(t, a, Ability{Name: name, Description: "does " + name, Func: upper, CacheTTL: time.Minute,
			Breaker: breaker.Settings{Cooldown: time.Second}})
	}
	list := a.Abilities()
	names := make([]string, len(list))
	for i, in := range list {
		names[i] = in.Name
	}
	if want := []string{"a_1", "flaky", "sum", "uppercase"}; !slices.Equal(names, want) {
		t.Fatalf("Abilities() names = %v, want %v", names, want)
	}
	list[0].Name = "mutated"
	if a.Abilities()[0].Name != "a_1" {
		t.Fatal("Abilities() exposed the registry's slice")
	}
	info, ok := a.Lookup("sum")
	if !ok || info.Description != "does sum" || info.Timeout != 3*time.Second || info.CacheTTL != time.Minute {
		t.Fatalf("Lookup(sum) = %+v, %v", info, ok)
	}
	if info.Schema == nil || info.Schema.Type != "object" {
		t.Fatalf("nil schema not normalized: %+v", info.Schema)
	}
	if want := (breaker.Settings{Cooldown: time.Second}).WithDefaults(); info.Breaker != want {
		t.Fatalf("Info.Breaker = %+v, want defaults applied %+v", info.Breaker, want)
	}
	if _, ok := a.Lookup("nope"); ok {
		t.Fatal("Lookup(nope) found something")
	}
}

func TestUnknownAbilityErrors(t *testing.T) {
	a := newAgent(t, Options{})
	_, err := a.Call(t.Context(), "nope", nil)
	if err == nil || err.Error() != `call nope: unknown ability "nope" (known: none registered)` {
		t.Fatalf("Call on empty agent = %v", err)
	}
	mustRegister(t, a, Ability{Name: "uppercase", Func: upper})
	mustRegister(t, a, Ability{Name: "sum", Func: upper})
	res, err := a.Call(t.Context(), "upper", nil)
	var ce *CallError
	if !errors.As(err, &ce) || !errors.Is(err, ErrUnknownAbility) || ce.Outcome != OutcomeBadArgs || res.Outcome != OutcomeBadArgs {
		t.Fatalf("Call(upper) = %+v, %v", res, err)
	}
	if want := `call upper: unknown ability "upper" (known: sum, uppercase)`; err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
	for _, op := range []struct {
		name string
		err  error
	}{
		{"trip", a.Trip("x")},
		{"reset", a.Reset("x")},
		{"set fault", a.SetFault("x", Fault{})},
	} {
		if !errors.Is(op.err, ErrUnknownAbility) || !strings.HasPrefix(op.err.Error(), op.name+": unknown ability \"x\" (known: sum, uppercase)") {
			t.Errorf("%s(x) = %v", op.name, op.err)
		}
	}
	if _, err := a.Fault("x"); !errors.Is(err, ErrUnknownAbility) {
		t.Errorf("Fault(x) = %v", err)
	}
	for _, st := range a.Snapshot().Abilities {
		if st.Calls != 0 {
			t.Errorf("unknown-ability calls were counted for %s", st.Name)
		}
	}
}

func TestSetFaultValidation(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "flaky", Func: upper})
	bad := []struct {
		f    Fault
		want string
	}{
		{Fault{FailureRate: -0.1}, `set fault on "flaky": failure rate -0.1 is outside [0, 1]`},
		{Fault{FailureRate: 1.5}, `set fault on "flaky": failure rate 1.5 is outside [0, 1]`},
		{Fault{FailureRate: math.NaN()}, `set fault on "flaky": failure rate NaN is outside [0, 1]`},
		{Fault{Latency: -time.Millisecond}, `set fault on "flaky": latency -1ms is outside 0 to 1h0m0s`},
		{Fault{Latency: MaxFaultLatency + 1}, `set fault on "flaky": latency 1h0m0.000000001s is outside 0 to 1h0m0s`},
	}
	for _, tt := range bad {
		if err := a.SetFault("flaky", tt.f); err == nil || err.Error() != tt.want {
			t.Errorf("SetFault(%+v) = %v, want %q", tt.f, err, tt.want)
		}
	}
	want := Fault{FailureRate: 0.25, Latency: 10 * time.Millisecond}
	if err := a.SetFault("flaky", want); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Fault("flaky"); err != nil || got != want {
		t.Fatalf("Fault() = %+v, %v; want %+v", got, err, want)
	}
	if got := statsOf(t, a, "flaky").Fault; got != want {
		t.Fatalf("Snapshot fault = %+v", got)
	}
	if err := a.SetFault("flaky", Fault{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Fault("flaky"); got != (Fault{}) {
		t.Fatalf("fault not cleared: %+v", got)
	}
}

func TestOutcomeString(t *testing.T) {
	want := []string{"success", "failure", "timeout", "rejected", "short_circuited", "bad_args", "canceled"}
	for o := range NumOutcomes {
		if o.String() != want[o] {
			t.Errorf("Outcome(%d) = %q, want %q", o, o, want[o])
		}
	}
	if Outcome(-1).String() != "unknown" || NumOutcomes.String() != "unknown" {
		t.Error("out-of-range outcomes should be \"unknown\"")
	}
	if EventResult.String() != "result" || EventTransition.String() != "transition" || EventKind(9).String() != "unknown" {
		t.Error("EventKind strings")
	}
}

// After Close, the admin calls fail with ErrClosed, as Call and Register do.
func TestAdminAfterClose(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, a, Ability{Name: "echo", Func: noop})
	a.Close()
	for name, err := range map[string]error{
		"Trip": a.Trip("echo"), "Reset": a.Reset("echo"), "SetFault": a.SetFault("echo", Fault{FailureRate: 0.5}),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
