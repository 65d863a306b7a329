package load

import (
	"context"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is an ability that records the arguments it was called with.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) call(_ context.Context, args map[string]any) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, args["text"].(string))
	return nil, nil
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func newAgent(t *testing.T, r *recorder) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	for _, ttl := range []time.Duration{0, time.Minute} {
		name := "echo"
		if ttl > 0 {
			name = "cached_echo"
		}
		err = a.Register(agent.Ability{
			Name: name,
			Schema: &schema.Schema{Type: "object", Properties: map[string]*schema.Property{
				"text": {Type: "string", Default: "hi"},
			}},
			CacheTTL: ttl,
			Func:     r.call,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRepeatSendsTheSameArgs(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "echo", Rate: 500, Mode: Repeat})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "20 calls", func() bool { return len(r.calls()) >= 20 })
	g.Stop()
	for _, s := range r.calls() {
		if s != "hi" {
			t.Fatalf("repeat mode sent text %q, want the schema default %q", s, "hi")
		}
	}
	if g.Sent() < 20 {
		t.Errorf("Sent() = %d, want >= 20", g.Sent())
	}
}

func TestVarySendsUniqueArgs(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "cached_echo", Rate: 500, Mode: Vary,
		Args: map[string]any{"text": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "20 calls", func() bool { return len(r.calls()) >= 20 })
	g.Stop()
	seen := map[string]bool{}
	for _, s := range r.calls() {
		if seen[s] {
			t.Fatalf("vary mode sent %q twice", s)
		}
		if !strings.HasPrefix(s, "x#") {
			t.Fatalf("vary mode sent %q, want the base text with a suffix", s)
		}
		seen[s] = true
	}
}

// An uncached ability runs on every call anyway: vary leaves its
// arguments as they are (a varied number could leave the schema's range).
func TestVaryLeavesUncachedArgs(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "echo", Rate: 500, Mode: Vary,
		Args: map[string]any{"text": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "10 calls", func() bool { return len(r.calls()) >= 10 })
	g.Stop()
	for _, s := range r.calls() {
		if s != "x" {
			t.Fatalf("vary changed an uncached ability's argument to %q", s)
		}
	}
}

func TestStopIsIdempotentAndStopsCalls(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "echo", Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a call", func() bool { return len(r.calls()) > 0 })
	g.Stop()
	g.Stop()
	n := len(r.calls())
	time.Sleep(50 * time.Millisecond)
	if m := len(r.calls()); m != n {
		t.Errorf("%d calls after Stop returned", m-n)
	}
}

func TestStartErrors(t *testing.T) {
	a := newAgent(t, &recorder{})
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown ability", Spec{Ability: "nope", Rate: 1}, `unknown ability "nope"`},
		{"zero rate", Spec{Ability: "echo"}, "rate 0 calls/s not in (0, 100000]"},
		{"negative rate", Spec{Ability: "echo", Rate: -1}, "rate -1"},
		{"too fast", Spec{Ability: "echo", Rate: 1e6}, "rate 1e+06"},
		{"bad mode", Spec{Ability: "echo", Rate: 1, Mode: 7}, "unknown mode 7"},
		{"negative in-flight", Spec{Ability: "echo", Rate: 1, MaxInFlight: -1}, "max in-flight -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Start(context.Background(), a, tt.spec)
			if err == nil {
				g.Stop()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Repeat, Vary, Mixed} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("burst"); err == nil {
		t.Error(`ParseMode("burst") succeeded`)
	}
}

func fptr(v float64) *float64 { return &v }
func iptr(v int) *int         { return &v }

// vary changes only what the schema says stays valid.
func TestVary(t *testing.T) {
	str := &schema.Property{Type: schema.TypeString}
	tests := []struct {
		name  string
		props map[string]*schema.Property
		args  map[string]any
		n     uint64
		want  map[string]any
	}{
		{"first number, no schema", nil, map[string]any{"a": 2.0, "b": 3.0}, 5, map[string]any{"a": 7.0, "b": 3.0}},
		{"nothing to vary", nil, map[string]any{"flag": true}, 1, map[string]any{"flag": true}},
		{"string suffix", map[string]*schema.Property{"text": str}, map[string]any{"text": "x"}, 3, map[string]any{"text": "x#3"}},
		{"one example is free text",
			map[string]*schema.Property{"text": {Type: schema.TypeString, Examples: []any{"orfeas"}}},
			map[string]any{"text": "orfeas"}, 2, map[string]any{"text": "orfeas#2"}},
		{"several examples are cycled, never altered",
			map[string]*schema.Property{"path": {Type: schema.TypeString, Examples: []any{"a.txt", "b.txt", "c.txt"}}},
			map[string]any{"path": "a.txt"}, 4, map[string]any{"path": "b.txt"}},
		{"enum is cycled",
			map[string]*schema.Property{"unit": {Type: schema.TypeString, Enum: []any{"ms", "s"}}},
			map[string]any{"unit": "ms"}, 1, map[string]any{"unit": "s"}},
		{"a one-value enum is left, the next argument varied",
			map[string]*schema.Property{"a": {Type: schema.TypeString, Enum: []any{"only"}}, "b": str},
			map[string]any{"a": "only", "b": "x"}, 1, map[string]any{"a": "only", "b": "x#1"}},
		{"no room under maxLength",
			map[string]*schema.Property{"code": {Type: schema.TypeString, MaxLength: iptr(3)}},
			map[string]any{"code": "abc"}, 1, map[string]any{"code": "abc"}},
		{"integer wraps into its bounds",
			map[string]*schema.Property{"ms": {Type: schema.TypeInteger, Minimum: fptr(0), Maximum: fptr(10)}},
			map[string]any{"ms": 8.0}, 5, map[string]any{"ms": 2.0}},
		{"number under a maximum only goes down",
			map[string]*schema.Property{"x": {Type: schema.TypeNumber, Maximum: fptr(1)}},
			map[string]any{"x": 1.0}, 5, map[string]any{"x": -4.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *schema.Schema
			if tt.props != nil {
				s = &schema.Schema{Type: "object", Properties: tt.props}
			}
			got := vary(s, tt.args, tt.n)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("vary(%v, %d) = %v, want %v", tt.args, tt.n, got, tt.want)
			}
			if s != nil {
				if _, err := s.Validate(got); err != nil {
					t.Errorf("varied arguments %v are invalid: %v", got, err)
				}
			}
		})
	}
}

// Varied arguments validate against their schema whatever n is.
func TestVaryStaysValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lo := rapid.Float64Range(-1e6, 1e6).Draw(t, "lo")
		hi := lo + rapid.Float64Range(0, 1e6).Draw(t, "span")
		integer := rapid.Bool().Draw(t, "integer")
		typ := schema.TypeNumber
		if integer {
			typ = schema.TypeInteger
			lo, hi = math.Floor(lo), math.Floor(hi)
		}
		v := rapid.Float64Range(lo, hi).Draw(t, "v")
		if integer {
			v = math.Floor(v)
		}
		s := &schema.Schema{Type: "object", Properties: map[string]*schema.Property{
			"x": {Type: typ, Minimum: fptr(lo), Maximum: fptr(hi)},
		}}
		n := rapid.Uint64().Draw(t, "n")
		got := vary(s, map[string]any{"x": v}, n)
		if _, err := s.Validate(got); err != nil {
			t.Fatalf("vary(%v, %d) = %v: %v", v, n, got, err)
		}
	})
}

// Retune changes the rate and mode without starting the counts over: they
// count the load session.
func TestRetuneKeepsCounts(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "cached_echo", Rate: 500, Mode: Repeat,
		Args: map[string]any{"text": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	waitFor(t, "10 calls", func() bool { return g.Sent() >= 10 })
	before := g.Sent()
	if err := g.Retune(1000, Vary); err != nil {
		t.Fatal(err)
	}
	if sp := g.Spec(); sp.Rate != 1000 || sp.Mode != Vary {
		t.Errorf("Spec() after Retune = %v/s %v, want 1000/s vary", sp.Rate, sp.Mode)
	}
	if g.Sent() < before {
		t.Errorf("Sent() went from %d to %d on Retune", before, g.Sent())
	}
	// The new mode takes effect: varied texts arrive.
	waitFor(t, "a varied call", func() bool {
		for _, s := range r.calls() {
			if strings.HasPrefix(s, "x#") {
				return true
			}
		}
		return false
	})
	if err := g.Retune(0, Vary); err == nil {
		t.Error("Retune(0) succeeded")
	}
	if err := g.Retune(1, 9); err == nil {
		t.Error("Retune with mode 9 succeeded")
	}
}

// Mixed varies every other call through all of an argument's examples,
// not only those at even positions.
func TestMixedCyclesEveryExample(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	err := a.Register(agent.Ability{
		Name: "pick",
		Schema: &schema.Schema{Type: "object", Properties: map[string]*schema.Property{
			"text": {Type: "string", Examples: []any{"a", "b"}},
		}},
		CacheTTL: time.Nanosecond, // cached, but every call runs
		Func:     r.call,
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Start(context.Background(), a, Spec{Ability: "pick", Rate: 500, Mode: Mixed})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	waitFor(t, "both examples", func() bool {
		seen := map[string]bool{}
		for _, s := range r.calls() {
			seen[s] = true
		}
		return seen["a"] && seen["b"]
	})
	for _, s := range r.calls() {
		if s != "a" && s != "b" {
			t.Fatalf("mixed sent %q, not one of the examples", s)
		}
	}
}

func TestMixedAlternates(t *testing.T) {
	r := &recorder{}
	a := newAgent(t, r)
	g, err := Start(context.Background(), a, Spec{Ability: "cached_echo", Rate: 500, Mode: Mixed,
		Args: map[string]any{"text": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "20 calls", func() bool { return len(r.calls()) >= 20 })
	g.Stop()
	// Repeated calls hit the cache (after the first), varied ones miss it.
	var st agent.AbilityStats
	for _, ab := range a.Snapshot().Abilities {
		if ab.Name == "cached_echo" {
			st = ab
		}
	}
	hits, misses := int(st.CacheHits), int(st.CacheMisses)
	if hits == 0 || misses == 0 || hits > misses+g.spec.MaxInFlight || misses > hits+g.spec.MaxInFlight+1 {
		t.Errorf("mixed mode: %d cache hits and %d misses, want about half each", hits, misses)
	}
}
