package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

func upperAbility(name string) Ability {
	return Ability{Name: name, Description: "Uppercase.", Schema: textSchema(), Func: upper}
}

func names(a *Agent) string {
	var out []string
	for _, in := range a.Abilities() {
		out = append(out, in.Name)
	}
	return strings.Join(out, ",")
}

func TestApplyAddsRemovesAndChanges(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, upperAbility("keep"))
	mustRegister(t, a, upperAbility("gone"))
	callText(t, a, "keep", "x")

	changed := upperAbility("keep")
	changed.Description = "Changed."
	changed.Timeout = 3 * time.Second
	if err := a.Apply([]Ability{changed, upperAbility("added")}); err != nil {
		t.Fatal(err)
	}
	if got := names(a); got != "added,keep" {
		t.Fatalf("abilities after Apply: %s, want added,keep", got)
	}
	in, _ := a.Lookup("keep")
	if in.Description != "Changed." || in.Timeout != 3*time.Second {
		t.Fatalf("keep after Apply: %+v", in)
	}
	if _, err := a.Call(t.Context(), "gone", map[string]any{"text": "x"}); !errors.Is(err, ErrUnknownAbility) {
		t.Fatalf("call of a removed ability: %v, want ErrUnknownAbility", err)
	}
	callText(t, a, "added", "x")
	if st := statsOf(t, a, "keep"); st.Calls != 1 {
		t.Fatalf("keep's calls after Apply: %d, want the 1 made before (metrics kept)", st.Calls)
	}
}

func TestApplyInvalidChangesNothing(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, upperAbility("keep"))
	bad := upperAbility("bad")
	bad.Func = nil
	neg := upperAbility("neg")
	neg.Timeout = -time.Second
	err := a.Apply([]Ability{upperAbility("new"), bad, neg, upperAbility("new")})
	if err == nil {
		t.Fatal("Apply of invalid abilities succeeded")
	}
	for _, want := range []string{`"bad"`, `"neg"`, `"new": given more than once`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if got := names(a); got != "keep" {
		t.Fatalf("abilities after a failed Apply: %s, want keep", got)
	}
}

func TestApplyKeepsBreakerStateAndCache(t *testing.T) {
	a := newAgent(t, Options{})
	var runs atomic.Int64
	cached := func(def string) Ability {
		ab := upperAbility("cached")
		ab.CacheTTL = time.Hour
		ab.Definition = def
		ab.Func = func(ctx context.Context, args map[string]any) (any, error) {
			runs.Add(1)
			return upper(ctx, args)
		}
		return ab
	}
	rule := func(cooldown time.Duration) Ability {
		ab := upperAbility("tripped")
		ab.Breaker = breaker.Settings{Cooldown: cooldown}
		return ab
	}
	mustRegister(t, a, cached("v1"))
	mustRegister(t, a, rule(time.Minute))
	callText(t, a, "cached", "x")
	if err := a.Trip("tripped"); err != nil {
		t.Fatal(err)
	}

	// Unchanged: the breaker stays open, the result stays cached.
	if err := a.Apply([]Ability{cached("v1"), rule(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if st := statsOf(t, a, "tripped"); st.Breaker.State != breaker.ForcedOpen {
		t.Fatalf("breaker after an unchanged Apply: %v, want forced_open", st.Breaker.State)
	}
	if res := callText(t, a, "cached", "x"); !res.Cached || runs.Load() != 1 {
		t.Fatalf("after an unchanged Apply: cached %v, runs %d; want a hit", res.Cached, runs.Load())
	}

	// A new rule is a new breaker; a new definition an empty cache.
	if err := a.Apply([]Ability{cached("v2"), rule(time.Second)}); err != nil {
		t.Fatal(err)
	}
	in, _ := a.Lookup("tripped")
	if st := statsOf(t, a, "tripped"); st.Breaker.State != breaker.Closed || in.Breaker.Cooldown != time.Second {
		t.Fatalf("breaker after a new rule: %v %+v, want closed with the new rule", st.Breaker.State, in.Breaker)
	}
	if res := callText(t, a, "cached", "x"); res.Cached || runs.Load() != 2 {
		t.Fatalf("after a new definition: cached %v, runs %d; want a miss", res.Cached, runs.Load())
	}
	if st := statsOf(t, a, "cached"); st.CacheHits != 1 || st.CacheMisses != 2 {
		t.Fatalf("cache counters: %d hits %d misses, want 1 and 2 (kept across Apply)", st.CacheHits, st.CacheMisses)
	}
}

func TestApplyRemovedAbilityFinishesRunningCall(t *testing.T) {
	a := newAgent(t, Options{})
	started, release := make(chan struct{}), make(chan struct{})
	slow := upperAbility("slow")
	slow.Func = func(ctx context.Context, args map[string]any) (any, error) {
		close(started)
		<-release
		return "done", nil
	}
	mustRegister(t, a, slow)
	res := callAsync(t.Context(), a, "slow", map[string]any{"text": "x"})
	<-started
	if err := a.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(t.Context(), "slow", map[string]any{"text": "x"}); !errors.Is(err, ErrUnknownAbility) {
		t.Fatalf("new call of a removed ability: %v, want ErrUnknownAbility", err)
	}
	close(release)
	if r := <-res; r.Outcome != OutcomeSuccess || r.Value != "done" {
		t.Fatalf("running call of a removed ability: %+v, want its success", r)
	}
}

func TestApplyAfterClose(t *testing.T) {
	a := newAgent(t, Options{})
	a.Close()
	if err := a.Apply([]Ability{upperAbility("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close: %v, want ErrClosed", err)
	}
}

// TestApplyUnderLoad applies two alternating sets of abilities while
// callers call the abilities both have: no call fails because of Apply.
func TestApplyUnderLoad(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 64})
	set := func(i int) []Ability {
		stable := upperAbility("stable")
		stable.CacheTTL = time.Duration(1+i%2) * time.Second
		stable.Definition = fmt.Sprint(i % 3)
		stable.Breaker = breaker.Settings{Cooldown: time.Duration(1+i%2) * time.Second}
		plain := upperAbility("plain")
		plain.Isolate = i%2 == 0
		return []Ability{stable, plain, upperAbility(fmt.Sprintf("extra_%d", i%4))}
	}
	if err := a.Apply(set(0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var calls atomic.Int64
	errs := make(chan error, 1)
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				name := []string{"stable", "plain"}[(g+i)%2]
				_, err := a.Call(context.Background(), name, map[string]any{"text": fmt.Sprint(i % 10)})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				calls.Add(1)
			}
		})
	}
	for i := 1; i <= 300; i++ {
		if err := a.Apply(set(i)); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(t, "calls", func() bool { return calls.Load() > 100 })
	cancel()
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("a call failed during Apply: %v", err)
	default:
	}
	if got := names(a); got != "extra_0,plain,stable" {
		t.Fatalf("abilities after the last Apply: %s", got)
	}
}
