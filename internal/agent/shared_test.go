package agent

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the shared (cached) execution path beyond the happy case.

func TestSharedTimeout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ignore   bool // the ability ignores its context
		isolate  bool
		wantRuns int64
	}{
		{"ability honors its context", false, false, 1},
		{"ability ignores its context", true, false, 1},
		{"isolated ability honors its context", false, true, 1},
		{"isolated ability ignores its context", true, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAgent(t, Options{})
			release := make(chan struct{})
			var runs atomic.Int64
			if tc.ignore && !tc.isolate { // the call returns only when the ability does
				time.AfterFunc(40*time.Millisecond, func() { close(release) })
			}
			mustRegister(t, a, Ability{Name: "slow", CacheTTL: time.Minute, Timeout: 20 * time.Millisecond, Isolate: tc.isolate,
				Func: func(ctx context.Context, _ map[string]any) (any, error) {
					runs.Add(1)
					if tc.ignore {
						<-release
						return "late", nil
					}
					<-ctx.Done()
					return nil, ctx.Err()
				}})
			res, err := a.Call(t.Context(), "slow", nil)
			if res.Outcome != OutcomeTimeout || !errors.Is(err, ErrTimeout) || err.Error() != "call slow: timed out after 20ms" {
				t.Fatalf("Call = %+v, %v", res, err)
			}
			if !tc.ignore || tc.isolate {
				close(release)
			}
			waitFor(t, "the execution to end", func() bool { return a.Snapshot().InUse == 0 })
			st := statsOf(t, a, "slow")
			if st.Breaker.WindowFailures != 1 || st.Breaker.WindowCalls != 1 {
				t.Fatalf("breaker saw %d/%d failures, want 1/1", st.Breaker.WindowFailures, st.Breaker.WindowCalls)
			}
			if st.CacheEntries != 0 {
				t.Fatal("a late result of a timed-out execution was cached")
			}
			if runs.Load() != tc.wantRuns {
				t.Fatalf("runs = %d", runs.Load())
			}
		})
	}
}

// TestSharedFollowerBound: a caller sharing an inline execution whose
// ability ignores its context gives up after MaxWait + Timeout, the longest
// the execution could legitimately take; the leader, which runs it, waits
// for it and gets a timeout.
func TestSharedFollowerBound(t *testing.T) {
	a := newAgent(t, Options{MaxWait: 10 * time.Millisecond})
	release, leader := stuckLeader(t, a, Ability{Timeout: 10 * time.Millisecond})
	res, err := a.Call(t.Context(), "stuck", nil) // joins the stuck execution
	if res.Outcome != OutcomeTimeout || !res.Shared || !strings.Contains(err.Error(), "the shared execution did not finish within 20ms") {
		t.Fatalf("follower: %+v, %v", res, err)
	}
	close(release)
	if r := <-leader; r.Outcome != OutcomeTimeout || r.Shared {
		t.Fatalf("leader: %+v", r)
	}
	if st := statsOf(t, a, "stuck"); a.Snapshot().InUse != 0 || st.CacheEntries != 0 || st.Breaker.WindowFailures != 1 {
		t.Fatalf("after the execution: %+v", st)
	}
}

// TestSharedIsolatedTimeout: the callers of an isolated execution whose
// ability ignores its context are all released at its deadline, with the
// execution's timeout; the slot stays taken until the ability returns.
func TestSharedIsolatedTimeout(t *testing.T) {
	a := newAgent(t, Options{MaxWait: time.Minute})
	release, leader := stuckLeader(t, a, Ability{Timeout: 30 * time.Millisecond, Isolate: true})
	res, err := a.Call(t.Context(), "stuck", nil) // joins the stuck execution
	if res.Outcome != OutcomeTimeout || !res.Shared || err.Error() != "call stuck: timed out after 30ms" {
		t.Fatalf("follower: %+v, %v", res, err)
	}
	if r := <-leader; r.Outcome != OutcomeTimeout || r.Shared {
		t.Fatalf("leader: %+v", r)
	}
	if a.Snapshot().InUse != 1 {
		t.Fatal("the slot was released while the ability runs on")
	}
	close(release)
	waitFor(t, "the execution to end", func() bool { return a.Snapshot().InUse == 0 })
	if st := statsOf(t, a, "stuck"); st.CacheEntries != 0 || st.Breaker.WindowFailures != 1 {
		t.Fatalf("after the execution: %+v", st)
	}
}

func TestSharedPanicAndGoexit(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "pan", CacheTTL: time.Minute, Func: func(context.Context, map[string]any) (any, error) { panic("boom") }})
	mustRegister(t, a, Ability{Name: "exit", CacheTTL: time.Minute, Isolate: true, Func: func(context.Context, map[string]any) (any, error) {
		runtime.Goexit()
		return nil, nil
	}})
	for name, want := range map[string]string{"pan": "call pan: ability panicked: boom", "exit": "call exit: ability panicked: it called runtime.Goexit"} {
		res, err := a.Call(t.Context(), name, nil)
		if res.Outcome != OutcomeFailure || !errors.Is(err, ErrPanic) || err.Error() != want {
			t.Fatalf("%s: %+v, %v", name, res, err)
		}
		if st := statsOf(t, a, name); st.Breaker.WindowFailures != 1 || st.CacheEntries != 0 || st.InFlight != 0 {
			t.Fatalf("%s stats: %+v", name, st)
		}
	}
	if a.Snapshot().InUse != 0 {
		t.Fatal("slot leaked")
	}
}

func TestSharedRejected(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 1, MaxWait: 5 * time.Millisecond})
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "hold", Func: func(context.Context, map[string]any) (any, error) { <-gate; return nil, nil }})
	mustRegister(t, a, Ability{Name: "cached", CacheTTL: time.Minute, Func: noop})
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = a.Call(t.Context(), "hold", nil) })
	waitFor(t, "slot taken", func() bool { return a.Snapshot().InUse == 1 })
	res, err := a.Call(t.Context(), "cached", nil)
	close(gate)
	wg.Wait()
	if res.Outcome != OutcomeRejected || !errors.Is(err, ErrRejected) {
		t.Fatalf("Call = %+v, %v", res, err)
	}
	if st := statsOf(t, a, "cached"); st.Breaker.WindowCalls != 0 {
		t.Fatal("a rejection was counted by the breaker")
	}
	if res, err := a.Call(t.Context(), "cached", nil); err != nil || res.Cached {
		t.Fatalf("after the slot freed: %+v, %v", res, err)
	}
}

func TestCloseCancelsSharedExecution(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	mustRegister(t, a, Ability{Name: "wait", CacheTTL: time.Minute, Func: func(ctx context.Context, _ map[string]any) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	done := make(chan Result, 1)
	go func() {
		res, _ := a.Call(context.Background(), "wait", nil)
		done <- res
	}()
	<-started
	a.Close()
	if res := <-done; res.Outcome != OutcomeCanceled {
		t.Fatalf("call interrupted by Close: %+v", res)
	}
}

func TestAbilityContext(t *testing.T) {
	a := newAgent(t, Options{})
	type key struct{}
	// Every kind of execution: its context carries the caller's values, has
	// the ability's deadline, propagates to derived contexts, and
	// context.Cause reports its own error, not the caller's (none).
	for _, ttl := range []time.Duration{0, time.Minute} {
		for _, isolate := range []bool{false, true} {
			name := fmt.Sprintf("ctx_ttl%v_isolate%v", ttl, isolate)
			var got struct {
				value       any
				deadline    time.Duration
				hasDeadline bool
				childErr    error
				cause       error
			}
			mustRegister(t, a, Ability{Name: name, Timeout: 30 * time.Millisecond, CacheTTL: ttl, Isolate: isolate,
				Func: func(ctx context.Context, _ map[string]any) (any, error) {
					got.value = ctx.Value(key{})
					d, ok := ctx.Deadline()
					got.deadline, got.hasDeadline = time.Until(d), ok
					child, cancel := context.WithCancel(ctx) // propagated through AfterFunc, no goroutine
					defer cancel()
					<-child.Done()
					got.childErr = child.Err()
					got.cause = context.Cause(ctx)
					return nil, ctx.Err()
				}})
			ctx := context.WithValue(t.Context(), key{}, "v")
			res, _ := a.Call(ctx, name, nil)
			waitFor(t, "the ability to return", func() bool { return a.Snapshot().InUse == 0 })
			if res.Outcome != OutcomeTimeout {
				t.Fatalf("%s: outcome %v", name, res.Outcome)
			}
			if got.value != "v" || !got.hasDeadline || got.deadline <= 0 || got.deadline > 30*time.Millisecond {
				t.Fatalf("%s: ability saw value %v, deadline in %v (%v)", name, got.value, got.deadline, got.hasDeadline)
			}
			if !errors.Is(got.childErr, context.Canceled) && !errors.Is(got.childErr, context.DeadlineExceeded) {
				t.Fatalf("%s: derived context error %v", name, got.childErr)
			}
			if !errors.Is(got.cause, context.DeadlineExceeded) {
				t.Fatalf("%s: context.Cause = %v, want DeadlineExceeded", name, got.cause)
			}
		}
	}

	// The caller's earlier deadline is reported too.
	mustRegister(t, a, Ability{Name: "dl", Timeout: time.Hour, Func: func(ctx context.Context, _ map[string]any) (any, error) {
		d, _ := ctx.Deadline()
		return time.Until(d), nil
	}})
	cctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := a.Call(cctx, "dl", nil)
	if err != nil || res.Value.(time.Duration) > time.Minute {
		t.Fatalf("deadline with an earlier caller deadline: %v, %v", res.Value, err)
	}
}

// TestSharedContextCause: a shared execution outlives its leader's
// cancellation when a follower waits; its context's cause is then its own
// (the timeout), not the leader's.
func TestSharedContextCause(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			a := newAgent(t, Options{})
			started := make(chan struct{})
			cause := make(chan error, 1)
			mustRegister(t, a, Ability{Name: "slow", CacheTTL: time.Minute, Timeout: 200 * time.Millisecond, Isolate: isolate,
				Func: func(ctx context.Context, _ map[string]any) (any, error) {
					close(started)
					<-ctx.Done()
					cause <- context.Cause(ctx)
					return nil, ctx.Err()
				}})
			lctx, cancel := context.WithCancelCause(t.Context())
			leader := callAsync(lctx, a, "slow", nil)
			<-started
			follower := callAsync(t.Context(), a, "slow", nil)
			waitFor(t, "the follower to join", func() bool { return followers(t, a, "slow") == 1 })
			leaderGone := errors.New("leader gone")
			cancel(leaderGone)
			if got := (<-follower).Outcome; got != OutcomeTimeout {
				t.Fatalf("follower outcome %v, want timeout", got)
			}
			if got := <-cause; !errors.Is(got, context.DeadlineExceeded) {
				t.Fatalf("context.Cause = %v, want DeadlineExceeded", got)
			}
			if got := (<-leader).Outcome; got != OutcomeCanceled && got != OutcomeTimeout {
				t.Fatalf("leader outcome %v", got)
			}
		})
	}
}

// TestSharedGoexitAfterTimeout: the ability calls runtime.Goexit after its
// execution already timed out; nothing is reported twice or leaked.
func TestSharedGoexitAfterTimeout(t *testing.T) {
	a := newAgent(t, Options{})
	release := make(chan struct{})
	mustRegister(t, a, Ability{Name: "late_exit", CacheTTL: time.Minute, Timeout: 10 * time.Millisecond, Isolate: true,
		Func: func(context.Context, map[string]any) (any, error) {
			<-release
			runtime.Goexit()
			return nil, nil
		}})
	res, _ := a.Call(t.Context(), "late_exit", nil)
	if res.Outcome != OutcomeTimeout {
		t.Fatalf("outcome %v", res.Outcome)
	}
	close(release)
	waitFor(t, "the execution to end", func() bool { return a.Snapshot().InUse == 0 })
	if st := statsOf(t, a, "late_exit"); st.Breaker.WindowCalls != 1 || st.InFlight != 0 {
		t.Fatalf("stats: %+v", st.Breaker)
	}
}

// TestSharedKeptContext: a flight that no follower joined is reused, but
// the context its ability ran with is not. An ability that keeps its
// context finds it canceled after the call, with its own deadline, while
// later executions get fresh, live contexts.
func TestSharedKeptContext(t *testing.T) {
	a := newAgent(t, Options{})
	var kept []context.Context
	mustRegister(t, a, Ability{Name: "keep", Schema: textSchema(), CacheTTL: time.Minute, Timeout: time.Minute,
		Func: func(ctx context.Context, _ map[string]any) (any, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			select {
			case <-ctx.Done(): // also arms the deadline timer
				return nil, errors.New("context done while running")
			default:
			}
			kept = append(kept, ctx)
			return "ok", nil
		}})
	deadlines := make(map[context.Context]time.Time)
	for i := range 20 {
		text := strings.Repeat("x", i+1)
		if _, err := a.Call(t.Context(), "keep", map[string]any{"text": text}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		ctx := kept[len(kept)-1]
		if _, dup := deadlines[ctx]; dup {
			t.Fatalf("call %d got the context of an earlier call", i)
		}
		deadlines[ctx], _ = ctx.Deadline()
	}
	for i, ctx := range kept {
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("kept context %d: Err() = %v, want context.Canceled", i, ctx.Err())
		}
		select {
		case <-ctx.Done():
		default:
			t.Fatalf("kept context %d: Done not closed", i)
		}
		if d, _ := ctx.Deadline(); !d.Equal(deadlines[ctx]) {
			t.Fatalf("kept context %d: deadline changed from %v to %v", i, deadlines[ctx], d)
		}
	}
}

// stuckLeader registers ab as the cached ability "stuck", whose function
// blocks until release is closed and then returns "late", and starts a
// leader call of it; it returns once the function is running. The leader's
// result arrives on leader.
func stuckLeader(t *testing.T, a *Agent, ab Ability) (release chan struct{}, leader <-chan Result) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	ab.Name, ab.CacheTTL = "stuck", time.Minute
	ab.Func = func(context.Context, map[string]any) (any, error) {
		close(started)
		<-release
		return "late", nil
	}
	mustRegister(t, a, ab)
	res := make(chan Result, 1)
	go func() {
		r, _ := a.Call(t.Context(), "stuck", nil)
		res <- r
	}()
	<-started
	return release, res
}

// A leader whose context ends while no follower waits abandons the shared
// execution: its context is canceled, so an ability (or injected latency)
// honoring it stops at the caller's deadline, and the next identical call
// starts afresh instead of joining it.
func TestLeaderAloneCancelsSharedExecution(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			a := newAgent(t, Options{})
			var runs atomic.Int32
			sawCancel := make(chan error, 2)
			mustRegister(t, a, Ability{Name: "slow", Schema: textSchema(), CacheTTL: time.Minute, Isolate: isolate,
				Timeout: 10 * time.Second,
				Func: func(ctx context.Context, args map[string]any) (any, error) {
					if runs.Add(1) > 1 {
						return "second", nil
					}
					select {
					case <-ctx.Done():
						sawCancel <- ctx.Err()
						return nil, ctx.Err()
					case <-time.After(5 * time.Second):
						return "late", nil
					}
				}})
			args := map[string]any{"text": "x"}
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			begin := time.Now()
			res, err := a.Call(ctx, "slow", args)
			if took := time.Since(begin); took > 2*time.Second {
				t.Fatalf("the call returned after %v, not at its 50ms deadline", took)
			}
			if res.Outcome != OutcomeCanceled || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Call = %+v, %v; want canceled by the caller's deadline", res, err)
			}
			select {
			case <-sawCancel:
			case <-time.After(2 * time.Second):
				t.Fatal("the abandoned execution's context was not canceled")
			}
			if res, err := a.Call(t.Context(), "slow", args); err != nil || res.Value != "second" {
				t.Fatalf("next call = %+v, %v; want a fresh execution", res, err)
			}
		})
	}
}

// TestLeaderAlonePolledErr: an inline ability that never waits on its
// context but polls Err sees the execution abandoned once its lone
// leader's context has ended, and the next identical call starts afresh.
func TestLeaderAlonePolledErr(t *testing.T) {
	a := newAgent(t, Options{})
	var runs atomic.Int32
	mustRegister(t, a, Ability{Name: "poll", Schema: textSchema(), CacheTTL: time.Minute, Timeout: 10 * time.Second,
		Func: func(ctx context.Context, _ map[string]any) (any, error) {
			if runs.Add(1) > 1 {
				return "second", nil
			}
			for ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			return nil, ctx.Err()
		}})
	args := map[string]any{"text": "x"}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	res, err := a.Call(ctx, "poll", args)
	if res.Outcome != OutcomeCanceled || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Call = %+v, %v; want canceled by the caller's deadline", res, err)
	}
	if res, err := a.Call(t.Context(), "poll", args); err != nil || res.Value != "second" || res.Cached {
		t.Fatalf("next call = %+v, %v; want a fresh execution", res, err)
	}
}

// Injected latency on a cached ability honors the caller's deadline too
// (it made `call --timeout` wait for the whole latency).
func TestCallerDeadlineCutsInjectedLatency(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	if err := a.SetFault("up", Fault{Latency: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	begin := time.Now()
	res, err := a.Call(ctx, "up", map[string]any{"text": "x"})
	if took := time.Since(begin); took > time.Second || res.Outcome != OutcomeCanceled || err == nil {
		t.Fatalf("Call = %+v, %v after %v; want canceled at the 50ms deadline", res, err, took)
	}
	if st := statsOf(t, a, "up"); st.Breaker.WindowCalls != 0 {
		t.Errorf("the caller's cancellation reached the breaker: %+v", st.Breaker)
	}
}

// Shutdown returns at its context's end even while an ability that
// ignores its context holds Close, and returns nil when Close finishes.
func TestShutdownBounded(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	mustRegister(t, a, Ability{Name: "stuck", Schema: textSchema(), Isolate: true, Timeout: 20 * time.Millisecond,
		Func: func(context.Context, map[string]any) (any, error) { <-release; return "ok", nil }})
	if res, _ := a.Call(t.Context(), "stuck", map[string]any{"text": "x"}); res.Outcome != OutcomeTimeout {
		t.Fatalf("outcome %v, want timeout", res.Outcome)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := a.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a stuck ability = %v, want the context's deadline", err)
	}
	close(release)
	if err := a.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown once the ability returned = %v", err)
	}
}

// TestManyKeysInFlight: executions of many different keys run at once,
// each shared only by the calls of its own key, and each leaves the
// in-flight set when it lands, also after some were abandoned, so that
// later calls of every key start afresh.
func TestManyKeysInFlight(t *testing.T) {
	const keys, perKey = 40, 3
	a := newAgent(t, Options{MaxConcurrent: 2 * keys})
	var gate atomic.Pointer[chan struct{}]
	var runs sync.Map // key -> *atomic.Int64
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Nanosecond,
		Func: func(ctx context.Context, args map[string]any) (any, error) {
			n, _ := runs.LoadOrStore(args["text"], new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			select {
			case <-*gate.Load():
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return upper(ctx, args)
		}})
	var wg sync.WaitGroup
	for round := range 2 {
		runs.Clear()
		open := make(chan struct{})
		gate.Store(&open)
		// The lone leaders of the odd keys leave: their flights are
		// abandoned and must not hold their keys.
		leaving := make([]context.CancelFunc, 0, keys/2)
		for k := 1; k < keys; k += 2 {
			ctx, cancel := context.WithCancel(t.Context())
			leaving = append(leaving, cancel)
			callAsync(ctx, a, "up", map[string]any{"text": fmt.Sprint("leave", k)})
		}
		for k := range keys {
			for range perKey {
				wg.Go(func() {
					text := fmt.Sprint("k", k)
					res, err := a.Call(t.Context(), "up", map[string]any{"text": text})
					if err != nil || res.Value != strings.ToUpper(text) {
						t.Errorf("round %d, key %s: %+v, %v", round, text, res, err)
					}
				})
			}
		}
		waitFor(t, "every key's callers to join its flight", func() bool { return followers(t, a, "up") == keys*(perKey-1) })
		for _, cancel := range leaving {
			cancel()
		}
		close(open)
		wg.Wait()
		for k := range keys {
			if n, ok := runs.Load(fmt.Sprint("k", k)); !ok || n.(*atomic.Int64).Load() != 1 {
				t.Fatalf("round %d: key k%d ran %v times, want once", round, k, n)
			}
		}
		waitFor(t, "no flight left", func() bool {
			e, _ := a.entryFor("up")
			e.flightMu.Lock()
			defer e.flightMu.Unlock()
			return len(e.flights) == 0
		})
	}
}

// TestLeaderLeavesWhileWaitingForSlot: the lone leader of a shared
// execution whose context ends while it waits for a concurrency slot
// abandons it at once, rather than waiting out MaxWait, and the next
// identical call starts afresh.
func TestLeaderLeavesWhileWaitingForSlot(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			a := newAgent(t, Options{MaxConcurrent: 1, MaxWait: 10 * time.Second})
			gate := make(chan struct{})
			release := sync.OnceFunc(func() { close(gate) })
			defer release() // before the agent's Close, which waits for "hold"
			mustRegister(t, a, Ability{Name: "hold", Func: func(context.Context, map[string]any) (any, error) { <-gate; return nil, nil }})
			mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Isolate: isolate, Func: upper})
			held := callAsync(t.Context(), a, "hold", nil)
			waitFor(t, "slot taken", func() bool { return a.Snapshot().InUse == 1 })
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			begin := time.Now()
			res, err := a.Call(ctx, "up", map[string]any{"text": "x"})
			if took := time.Since(begin); took > 5*time.Second {
				t.Fatalf("the leader left after %v, not at its 50ms deadline", took)
			}
			if res.Outcome != OutcomeCanceled || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Call = %+v, %v; want canceled by the caller's deadline", res, err)
			}
			release()
			<-held
			waitFor(t, "the abandoned execution to give up its wait", func() bool { return a.Snapshot().Waiting == 0 })
			if res, err := a.Call(t.Context(), "up", map[string]any{"text": "x"}); err != nil || res.Value != "X" || res.Cached || res.Shared {
				t.Fatalf("next call = %+v, %v; want a fresh execution", res, err)
			}
			if st := statsOf(t, a, "up"); st.Breaker.WindowCalls != 1 {
				t.Fatalf("breaker counted %d outcomes, want the fresh execution's only", st.Breaker.WindowCalls)
			}
		})
	}
}

// TestKeptContextNeverWatched: an ability that keeps its context without
// ever waiting on it finds it ended after the call, with the error it
// would have had all along: canceled when the ability returned in time,
// deadline exceeded when it returned late; Err, Done and context.Cause
// agree, before and after the first Done.
func TestKeptContextNeverWatched(t *testing.T) {
	a := newAgent(t, Options{})
	for _, tc := range []struct {
		name    string
		sleep   time.Duration
		want    error
		outcome Outcome
	}{
		{"in_time", 0, context.Canceled, OutcomeSuccess},
		{"late", 40 * time.Millisecond, context.DeadlineExceeded, OutcomeTimeout},
	} {
		var kept context.Context
		mustRegister(t, a, Ability{Name: tc.name, Timeout: 10 * time.Millisecond, Func: func(ctx context.Context, _ map[string]any) (any, error) {
			kept = ctx
			time.Sleep(tc.sleep)
			return "ok", nil
		}})
		if res, _ := a.Call(t.Context(), tc.name, nil); res.Outcome != tc.outcome {
			t.Fatalf("%s: outcome %v, want %v", tc.name, res.Outcome, tc.outcome)
		}
		if err := kept.Err(); err != tc.want {
			t.Fatalf("%s: Err() = %v before Done, want %v", tc.name, err, tc.want)
		}
		select {
		case <-kept.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Done not closed", tc.name)
		}
		if err, cause := kept.Err(), context.Cause(kept); err != tc.want || cause != tc.want {
			t.Fatalf("%s: after Done, Err() = %v, Cause = %v, want %v", tc.name, err, cause, tc.want)
		}
	}
}
