package agent

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// gated is an ability whose executions each wait for a value on gate.
func gated(gate chan struct{}) Func {
	return func(ctx context.Context, _ map[string]any) (any, error) {
		select {
		case <-gate:
			return "done", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// With max_concurrent 2, a third concurrent call waits for a slot of the
// ability, without holding a global one; canceled while it waits, it is
// OutcomeCanceled and the snapshot shows the wait and the outcome.
func TestAbilityLimitWaitsAndCancels(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 8, MaxWait: time.Minute})
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "busy", Func: gated(gate), MaxConcurrent: 2})
	if in, _ := a.Lookup("busy"); in.MaxConcurrent != 2 {
		t.Fatalf("Info.MaxConcurrent = %d, want 2", in.MaxConcurrent)
	}
	first, second := callAsync(t.Context(), a, "busy", nil), callAsync(t.Context(), a, "busy", nil)
	waitFor(t, "two running calls", func() bool { return statsOf(t, a, "busy").InFlight == 2 })

	ctx, cancel := context.WithCancel(t.Context())
	third := make(chan error, 1)
	go func() {
		_, err := a.Call(ctx, "busy", nil)
		third <- err
	}()
	waitFor(t, "the third call waiting", func() bool { return statsOf(t, a, "busy").Waiting == 1 })
	if s := a.Snapshot(); s.InUse != 2 || s.Waiting != 0 || statsOf(t, a, "busy").Limit != 2 {
		t.Fatalf("snapshot: %d global slots in use, %d waiting, limit %d; want 2, 0 (the wait is the ability's), 2",
			s.InUse, s.Waiting, statsOf(t, a, "busy").Limit)
	}
	cancel()
	err := <-third
	var ce *CallError
	if !errors.As(err, &ce) || ce.Outcome != OutcomeCanceled || !strings.Contains(err.Error(), "canceled while waiting for a concurrency slot") {
		t.Fatalf("third call: %v, want canceled while waiting", err)
	}
	st := statsOf(t, a, "busy")
	if st.Waiting != 0 || st.Outcomes[OutcomeCanceled] != 1 {
		t.Fatalf("after the cancel: %d waiting, %d canceled; want 0, 1", st.Waiting, st.Outcomes[OutcomeCanceled])
	}
	gate <- struct{}{}
	gate <- struct{}{}
	for _, r := range []Result{<-first, <-second} {
		if r.Outcome != OutcomeSuccess {
			t.Errorf("running call: %v", r.Outcome)
		}
	}
}

// A call that waits past MaxWait for a slot of its ability is rejected,
// as for the global limit, and the rejection names the ability's slots.
func TestAbilityLimitRejects(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 8, MaxWait: 20 * time.Millisecond})
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "busy", Func: gated(gate), MaxConcurrent: 1})
	mustRegister(t, a, Ability{Name: "other", Func: gated(gate)})
	running := callAsync(t.Context(), a, "busy", nil)
	waitFor(t, "a running call", func() bool { return statsOf(t, a, "busy").InFlight == 1 })
	_, err := a.Call(t.Context(), "busy", nil)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "all 1 slots of busy stayed busy for 20ms") {
		t.Fatalf("second call: %v, want rejected for the ability's slots", err)
	}
	if st := statsOf(t, a, "busy"); st.Outcomes[OutcomeRejected] != 1 || !strings.Contains(st.LastRejection, "slots of busy") {
		t.Fatalf("stats: %d rejected, last rejection %q", st.Outcomes[OutcomeRejected], st.LastRejection)
	}
	// Other abilities are not limited by it.
	other := callAsync(t.Context(), a, "other", nil)
	waitFor(t, "the other ability running", func() bool { return statsOf(t, a, "other").InFlight == 1 })
	gate <- struct{}{}
	gate <- struct{}{}
	<-running
	<-other
}

// A reload that changes the limit applies it to the calls that run: a
// lower limit makes new calls wait until fewer than it run (the running
// ones finish), a higher one lets waiting calls in at once.
func TestAbilityLimitResizedByApply(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 8, MaxWait: time.Minute})
	gate := make(chan struct{})
	ab := Ability{Name: "busy", Func: gated(gate), MaxConcurrent: 2}
	mustRegister(t, a, ab)
	r1, r2 := callAsync(t.Context(), a, "busy", nil), callAsync(t.Context(), a, "busy", nil)
	waitFor(t, "two running calls", func() bool { return statsOf(t, a, "busy").InFlight == 2 })

	ab.MaxConcurrent = 1
	if err := a.Apply([]Ability{ab}); err != nil {
		t.Fatal(err)
	}
	r3 := callAsync(t.Context(), a, "busy", nil)
	waitFor(t, "a call waiting under the lower limit", func() bool { return statsOf(t, a, "busy").Waiting == 1 })
	gate <- struct{}{} // one of the two running calls ends: one runs, as many as the new limit
	waitFor(t, "a running call to finish", func() bool { return statsOf(t, a, "busy").Outcomes[OutcomeSuccess] == 1 })
	time.Sleep(20 * time.Millisecond) // room for a wrong admission to show
	if st := statsOf(t, a, "busy"); st.InFlight != 1 || st.Waiting != 1 {
		t.Fatalf("limit 1: %d running, %d waiting; want 1 and 1", st.InFlight, st.Waiting)
	}

	ab.MaxConcurrent = 3
	if err := a.Apply([]Ability{ab}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the waiting call let in by the higher limit", func() bool {
		st := statsOf(t, a, "busy")
		return st.InFlight == 2 && st.Waiting == 0
	})
	gate <- struct{}{}
	gate <- struct{}{}
	for _, r := range []<-chan Result{r1, r2, r3} {
		if res := <-r; res.Outcome != OutcomeSuccess {
			t.Errorf("call: %v", res.Outcome)
		}
	}
	if st := statsOf(t, a, "busy"); st.Limit != 3 {
		t.Errorf("limit %d, want 3", st.Limit)
	}
}

// Whatever the resizes and the calls in between, once every slot is
// released exactly the current limit is free.
func TestLimiterResizeAccounting(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		l := newLimiter(8, int64(1+r.IntN(8)))
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if l.sem.TryAcquire(1) {
						l.release()
					}
				}
			})
		}
		for range 20 {
			l.resize(int64(1 + r.IntN(8)))
		}
		close(stop)
		wg.Wait()
		n := l.limit.Load()
		if !l.sem.TryAcquire(n) {
			t.Fatalf("seed %d: limit %d, but fewer slots are free", seed, n)
		}
		if l.sem.TryAcquire(1) {
			t.Fatalf("seed %d: limit %d, but more slots are free", seed, n)
		}
	}
}

// The limit is at most the global one, and negative is an error.
func TestAbilityLimitBounds(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 4})
	mustRegister(t, a, Ability{Name: "wide", Func: upper, MaxConcurrent: 9})
	if in, _ := a.Lookup("wide"); in.MaxConcurrent != 4 {
		t.Errorf("MaxConcurrent 9 with a global 4: Info says %d, want 4", in.MaxConcurrent)
	}
	if err := a.Register(Ability{Name: "neg", Func: upper, MaxConcurrent: -1}); err == nil || !strings.Contains(err.Error(), "MaxConcurrent must not be negative") {
		t.Errorf("negative limit: %v", err)
	}
}
