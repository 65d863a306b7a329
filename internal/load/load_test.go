package load

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

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

func TestVaryNumbers(t *testing.T) {
	got := vary(map[string]any{"a": 2.0, "b": 3.0}, 5)
	if got["a"] != 7.0 || got["b"] != 3.0 {
		t.Errorf("vary = %v, want a changed by 5 and b unchanged", got)
	}
	base := map[string]any{"flag": true}
	if got := vary(base, 1); got["flag"] != true {
		t.Errorf("vary without strings or numbers changed args: %v", got)
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
