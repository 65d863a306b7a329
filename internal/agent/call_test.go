package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/schema"
)

// TestCallOutcomes drives one call to each outcome and checks the result,
// the error chain and message, the outcome counter and whether the
// breaker counted the call.
func TestCallOutcomes(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name        string
		opts        Options
		ab          Ability
		setup       func(t *testing.T, a *Agent) (ctx context.Context, cleanup func())
		args        map[string]any
		want        Outcome
		wantIs      error
		wantMsg     string // substring of the error message
		wantValue   any
		breakerSees int // outcomes in the breaker window afterwards
	}{
		{
			name: "success", ab: Ability{Name: "up", Schema: textSchema(), Func: upper},
			args: map[string]any{"text": "orfeas"}, want: OutcomeSuccess, wantValue: "ORFEAS", breakerSees: 1,
		},
		{
			name: "failure", ab: Ability{Name: "fail", Func: func(context.Context, map[string]any) (any, error) { return "ignored", boom }},
			want: OutcomeFailure, wantIs: boom, wantMsg: "call fail: boom", breakerSees: 1,
		},
		{
			name: "panic", ab: Ability{Name: "pan", Func: func(context.Context, map[string]any) (any, error) { panic("kaboom") }},
			want: OutcomeFailure, wantIs: ErrPanic, wantMsg: "call pan: ability panicked: kaboom", breakerSees: 1,
		},
		{
			name: "timeout", ab: Ability{Name: "slow", Timeout: 10 * time.Millisecond,
				Func: untilDone},
			want: OutcomeTimeout, wantIs: ErrTimeout, wantMsg: "call slow: timed out after 10ms", breakerSees: 1,
		},
		{
			name: "bad args", ab: Ability{Name: "up", Schema: textSchema(), Func: upper},
			args: map[string]any{"text": 3}, want: OutcomeBadArgs, wantIs: ErrBadArgs,
			wantMsg: `call up: bad arguments: argument "text": want string, got number`, breakerSees: 0,
		},
		{
			name: "short circuited", ab: Ability{Name: "up", Schema: textSchema(), Func: upper},
			setup: func(t *testing.T, a *Agent) (context.Context, func()) {
				if err := a.Trip("up"); err != nil {
					t.Fatal(err)
				}
				return t.Context(), func() {}
			},
			args: map[string]any{"text": "x"}, want: OutcomeShortCircuited, wantIs: ErrOpen,
			wantMsg: `call up: breaker "up": circuit breaker is open`, breakerSees: 0,
		},
		{
			name: "canceled", ab: Ability{Name: "wait", Func: untilDone},
			setup: cancelOnceRunning("wait"),
			want:  OutcomeCanceled, wantIs: context.Canceled, wantMsg: "call wait: canceled: context canceled", breakerSees: 0,
		},
		{
			name: "timeout (isolated)", ab: Ability{Name: "slow", Timeout: 10 * time.Millisecond, Isolate: true,
				Func: untilDone},
			want: OutcomeTimeout, wantIs: ErrTimeout, wantMsg: "call slow: timed out after 10ms", breakerSees: 1,
		},
		{
			name: "canceled (isolated)", ab: Ability{Name: "wait", Isolate: true, Func: untilDone},
			setup: cancelOnceRunning("wait"),
			want:  OutcomeCanceled, wantIs: context.Canceled, wantMsg: "call wait: canceled: context canceled", breakerSees: 0,
		},
		{
			name: "canceled before start", ab: Ability{Name: "up", Schema: textSchema(), Func: upper, CacheTTL: time.Minute},
			setup: func(t *testing.T, a *Agent) (context.Context, func()) {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx, cancel
			},
			args: map[string]any{"text": "x"}, want: OutcomeCanceled, wantIs: context.Canceled, breakerSees: 0,
		},
		{
			name: "rejected", opts: Options{MaxConcurrent: 1, MaxWait: 5 * time.Millisecond},
			ab: Ability{Name: "hold", Func: func(ctx context.Context, args map[string]any) (any, error) {
				if gate, ok := args["gate"].(chan struct{}); ok {
					<-gate
				}
				return "done", nil
			}},
			setup: func(t *testing.T, a *Agent) (context.Context, func()) {
				gate := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() { _, _ = a.Call(t.Context(), "hold", map[string]any{"gate": gate}) })
				waitFor(t, "the slot to be taken", func() bool { return a.Snapshot().InUse == 1 })
				return t.Context(), func() { close(gate); wg.Wait() }
			},
			want: OutcomeRejected, wantIs: ErrRejected,
			wantMsg:     "call hold: rejected: concurrency limit reached (all 1 slots stayed busy for 5ms)",
			breakerSees: 1, // the holder's success; the rejection is not counted
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAgent(t, tt.opts)
			mustRegister(t, a, tt.ab)
			ctx, cleanup := t.Context(), func() {}
			if tt.setup != nil {
				ctx, cleanup = tt.setup(t, a)
			}
			res, err := a.Call(ctx, tt.ab.Name, tt.args)
			cleanup()
			if res.Outcome != tt.want {
				t.Fatalf("Outcome = %v, want %v (err %v)", res.Outcome, tt.want, err)
			}
			if tt.want == OutcomeSuccess {
				if err != nil || res.Value != tt.wantValue || res.Cached || res.Shared {
					t.Fatalf("Call = %+v, %v; want value %v", res, err, tt.wantValue)
				}
			} else {
				var ce *CallError
				if !errors.As(err, &ce) || ce.Ability != tt.ab.Name || ce.Outcome != tt.want {
					t.Fatalf("error %v (%T) is not a *CallError for %s/%v", err, err, tt.ab.Name, tt.want)
				}
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("error %q does not wrap %v", err, tt.wantIs)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error %q does not contain %q", err, tt.wantMsg)
				}
				if res.Value != nil {
					t.Fatalf("failed call returned value %v", res.Value)
				}
			}
			st := statsOf(t, a, tt.ab.Name)
			if st.Outcomes[tt.want] == 0 {
				t.Fatalf("outcome %v not counted: %+v", tt.want, st.Outcomes)
			}
			if st.Breaker.WindowCalls != tt.breakerSees {
				t.Fatalf("breaker window holds %d outcomes, want %d", st.Breaker.WindowCalls, tt.breakerSees)
			}
			switch tt.want {
			case OutcomeFailure, OutcomeTimeout:
				if st.LastError == "" || st.LastRejection != "" {
					t.Fatalf("a failure left LastError %q, LastRejection %q", st.LastError, st.LastRejection)
				}
			case OutcomeShortCircuited, OutcomeRejected, OutcomeBadArgs:
				if st.LastRejection == "" || st.LastError != "" {
					t.Fatalf("a rejection left LastError %q, LastRejection %q", st.LastError, st.LastRejection)
				}
			}
		})
	}
}

func TestBadArgsErrorNamesField(t *testing.T) {
	a := newAgent(t, Options{})
	sum := &schema.Schema{Type: "object", Required: []string{"a", "b"}, Properties: map[string]*schema.Property{
		"a": {Type: "number"}, "b": {Type: "number"}}}
	mustRegister(t, a, Ability{Name: "sum", Schema: sum, Func: upper})
	_, err := a.Call(t.Context(), "sum", map[string]any{"a": "2", "b": 3})
	if want := `call sum: bad arguments: argument "a": want number, got string`; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	var fe *schema.FieldError
	if !errors.As(err, &fe) || fe.Field != "a" {
		t.Fatalf("error does not wrap the *schema.FieldError: %v", err)
	}
	// Values with no canonical form are bad arguments of a cached ability.
	mustRegister(t, a, Ability{Name: "cached", CacheTTL: time.Minute, Func: upper})
	_, err = a.Call(t.Context(), "cached", map[string]any{"x": []int{1}})
	if !errors.Is(err, ErrBadArgs) || !strings.Contains(err.Error(), "no canonical JSON form for the cache key") {
		t.Fatalf("error = %v", err)
	}
	if st := statsOf(t, a, "cached"); st.Breaker.WindowCalls != 0 || st.Outcomes[OutcomeBadArgs] != 1 {
		t.Fatalf("bad args counted against the breaker: %+v", st.Breaker)
	}
}

// TestAbilityReportsBadArgs: an ability's error wrapping ErrBadArgs is
// the caller's fault: OutcomeBadArgs, not counted by the breaker, not
// cached — so a caller's mistakes cannot trip the breaker.
func TestAbilityReportsBadArgs(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Minute} {
		a := newAgent(t, Options{})
		mustRegister(t, a, Ability{Name: "read", CacheTTL: ttl, Breaker: breaker.Settings{ConsecutiveFailures: 2},
			Func: func(_ context.Context, args map[string]any) (any, error) {
				return nil, fmt.Errorf("%w: path %q is outside the root", ErrBadArgs, args["path"])
			}})
		for i := range 5 {
			res, err := a.Call(t.Context(), "read", map[string]any{"path": fmt.Sprint("../", i)})
			if res.Outcome != OutcomeBadArgs || !errors.Is(err, ErrBadArgs) || !strings.Contains(err.Error(), "call read: bad arguments: path") {
				t.Fatalf("ttl %v call %d: %+v, %v", ttl, i, res, err)
			}
		}
		st := statsOf(t, a, "read")
		if st.Breaker.State != breaker.Closed || st.Breaker.WindowCalls != 0 || st.Outcomes[OutcomeBadArgs] != 5 || st.CacheEntries != 0 {
			t.Fatalf("ttl %v: breaker %v (%d calls), outcomes %v", ttl, st.Breaker.State, st.Breaker.WindowCalls, st.Outcomes)
		}
	}
}

func TestDefaultsAppliedWithoutTouchingArgs(t *testing.T) {
	a := newAgent(t, Options{})
	s := &schema.Schema{Type: "object", Properties: map[string]*schema.Property{
		"text": {Type: "string"}, "times": {Type: "integer", Default: 2}}}
	var seen map[string]any
	mustRegister(t, a, Ability{Name: "rep", Schema: s, Func: func(_ context.Context, args map[string]any) (any, error) {
		seen = args
		return strings.Repeat(args["text"].(string), args["times"].(int)), nil
	}})
	args := map[string]any{"text": "ab"}
	res, err := a.Call(t.Context(), "rep", args)
	if err != nil || res.Value != "abab" {
		t.Fatalf("Call = %+v, %v", res, err)
	}
	if len(args) != 1 || seen["times"] != 2 {
		t.Fatalf("args = %v (must be unchanged), ability saw %v", args, seen)
	}
}

// TestConcurrencyLimit runs 64 concurrent callers against a limit of 4 and
// checks, inside the ability, that no more than 4 ever run at once — also
// when the abilities ignore their context and outlive their timeout, which
// is when a slot released too early would let more in.
func TestConcurrencyLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		isolate bool
		want    Outcome
	}{
		{"abilities finish", time.Minute, false, OutcomeSuccess},
		{"abilities outlive their timeout", time.Millisecond, false, OutcomeTimeout},
		{"isolated abilities finish", time.Minute, true, OutcomeSuccess},
		{"isolated abilities outlive their timeout", time.Millisecond, true, OutcomeTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const limit, callers = 4, 64
			a := newAgent(t, Options{MaxConcurrent: limit, MaxWait: time.Minute})
			var running, peak atomic.Int64
			// The breaker cannot open here: timeouts are failures, and under
			// load a late call would otherwise find it open (short_circuited).
			off := breaker.Settings{FailureRate: breaker.Disabled, ConsecutiveFailures: callers + 1}
			mustRegister(t, a, Ability{Name: "work", Timeout: tc.timeout, Isolate: tc.isolate, Breaker: off, Func: func(context.Context, map[string]any) (any, error) {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond) // ignores ctx on purpose
				running.Add(-1)
				return "ok", nil
			}})
			var wg sync.WaitGroup
			var outcomes [NumOutcomes]atomic.Int64
			for range callers {
				wg.Go(func() {
					res, _ := a.Call(t.Context(), "work", nil)
					outcomes[res.Outcome].Add(1)
				})
			}
			wg.Wait()
			waitFor(t, "all abilities to return", func() bool { return a.Snapshot().InUse == 0 })
			if p := peak.Load(); p > limit {
				t.Fatalf("%d abilities ran at once, limit is %d", p, limit)
			}
			if p := peak.Load(); p < 2 {
				t.Fatalf("peak concurrency %d: the test did not exercise the limit", p)
			}
			// A result that arrives together with the timeout is still
			// delivered, so a few successes are fine in the timeout case.
			got, succeeded := outcomes[tc.want].Load(), outcomes[OutcomeSuccess].Load()
			if tc.want == OutcomeSuccess && got != callers || tc.want != OutcomeSuccess && (got < callers/2 || got+succeeded != callers) {
				var all []string
				for o := range Outcome(NumOutcomes) {
					if n := outcomes[o].Load(); n > 0 {
						all = append(all, fmt.Sprintf("%v %d", o, n))
					}
				}
				t.Fatalf("%d of %d calls ended %v, %d succeeded (all: %s)", got, callers, tc.want, succeeded, strings.Join(all, ", "))
			}
			if st := statsOf(t, a, "work"); st.InFlight != 0 || st.Calls != callers {
				t.Fatalf("stats after the storm: in flight %d, calls %d", st.InFlight, st.Calls)
			}
		})
	}
}

func TestWaitingGauge(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 1, MaxWait: time.Minute})
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "hold", Func: func(context.Context, map[string]any) (any, error) {
		<-gate
		return nil, nil
	}})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _, _ = a.Call(t.Context(), "hold", nil) })
	}
	waitFor(t, "one running and two waiting", func() bool {
		s := a.Snapshot()
		return s.InUse == 1 && s.Waiting == 2
	})
	close(gate)
	wg.Wait()
	if s := a.Snapshot(); s.InUse != 0 || s.Waiting != 0 {
		t.Fatalf("gauges after the calls: in use %d, waiting %d", s.InUse, s.Waiting)
	}
}

// TestDuplicateSuppression: N concurrent identical calls of a cached
// ability run it once; one caller runs it and the others share its result.
func TestDuplicateSuppression(t *testing.T) {
	const n = 16
	a := newAgent(t, Options{})
	var runs atomic.Int64
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute,
		Func: func(ctx context.Context, args map[string]any) (any, error) {
			runs.Add(1)
			<-gate
			return upper(ctx, args)
		}})
	results := make([]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if results[i], err = a.Call(t.Context(), "up", map[string]any{"text": "orfeas"}); err != nil {
				t.Error(err)
			}
		})
	}
	// Every caller joins the execution that the gate holds open.
	waitFor(t, "all callers to join the flight", func() bool { return followers(t, a, "up") == n-1 })
	close(gate)
	wg.Wait()
	if r := runs.Load(); r != 1 {
		t.Fatalf("ability ran %d times for %d identical concurrent calls", r, n)
	}
	shared := 0
	for _, r := range results {
		if r.Value != "ORFEAS" || r.Outcome != OutcomeSuccess || r.Cached {
			t.Fatalf("result %+v", r)
		}
		if r.Shared {
			shared++
		}
	}
	if shared != n-1 {
		t.Fatalf("%d results shared, want %d", shared, n-1)
	}
	res, err := a.Call(t.Context(), "up", map[string]any{"text": "orfeas"})
	if err != nil || !res.Cached || res.Value != "ORFEAS" || runs.Load() != 1 {
		t.Fatalf("call after the flight = %+v, %v (runs %d)", res, err, runs.Load())
	}
	st := statsOf(t, a, "up")
	if st.Breaker.WindowCalls != 1 {
		t.Fatalf("breaker counted %d outcomes for one execution", st.Breaker.WindowCalls)
	}
	if st.CacheHits != 1 || st.Calls != n+1 {
		t.Fatalf("cache hits %d, calls %d", st.CacheHits, st.Calls)
	}
}

// TestSharedExecutionSurvivesFirstCaller: the caller that started a shared
// execution goes away; the execution is not canceled and the other caller
// gets its result. Inline, the first caller waits for the execution it
// runs and gets its result too; isolated, it leaves at once.
func TestSharedExecutionSurvivesFirstCaller(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			a := newAgent(t, Options{})
			started, gate := make(chan struct{}), make(chan struct{})
			var ctxErr atomic.Value
			mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Isolate: isolate,
				Func: func(ctx context.Context, args map[string]any) (any, error) {
					close(started)
					<-gate
					ctxErr.Store(fmt.Sprint(ctx.Err()))
					return upper(ctx, args)
				}})
			args := map[string]any{"text": "orfeas"}
			firstCtx, cancelFirst := context.WithCancel(t.Context())
			firstDone := callAsync(firstCtx, a, "up", args)
			<-started
			secondDone := callAsync(t.Context(), a, "up", args)
			waitFor(t, "the second caller to join the flight", func() bool { return followers(t, a, "up") == 1 })
			cancelFirst()
			wantFirst := OutcomeSuccess
			if isolate {
				wantFirst = OutcomeCanceled
				if res := <-firstDone; res.Outcome != OutcomeCanceled {
					t.Fatalf("first caller: %+v, want canceled", res)
				}
			}
			close(gate)
			res := <-secondDone
			if res.Outcome != OutcomeSuccess || res.Value != "ORFEAS" || !res.Shared {
				t.Fatalf("second caller: %+v", res)
			}
			if !isolate {
				if res := <-firstDone; res.Outcome != OutcomeSuccess || res.Value != "ORFEAS" || res.Shared {
					t.Fatalf("first caller: %+v, want its own success", res)
				}
			}
			if got := ctxErr.Load(); got != "<nil>" {
				t.Fatalf("shared execution saw ctx error %v after the first caller left", got)
			}
			// The execution reported its success through the first caller's permit.
			st := statsOf(t, a, "up")
			if st.Breaker.WindowCalls != 1 || st.Outcomes[wantFirst] < 1 || st.Outcomes[OutcomeSuccess] < 1 || st.Calls != 2 {
				t.Fatalf("stats: breaker window %d, outcomes %v", st.Breaker.WindowCalls, st.Outcomes)
			}
		})
	}
}

func TestCacheTTLWithFakeClock(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: 10 * time.Second,
		Func: func(ctx context.Context, args map[string]any) (any, error) {
			runs.Add(1)
			return upper(ctx, args)
		}})
	call := func(text string) Result { return callText(t, a, "up", text) }
	steps := []struct {
		advance    time.Duration
		text       string
		wantCached bool
		wantRuns   int64
	}{
		{0, "a", false, 1},
		{0, "a", true, 1},
		{9 * time.Second, "a", true, 1},
		{0, "b", false, 2},
		{999 * time.Millisecond, "a", true, 2},
		{2 * time.Millisecond, "a", false, 3}, // 10.001 s after it was stored
		{0, "a", true, 3},
		{0, "b", true, 3},                // b was stored at 9 s
		{9 * time.Second, "b", false, 4}, // 10.001 s after b was stored
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		res := call(s.text)
		if res.Cached != s.wantCached || runs.Load() != s.wantRuns || res.Value != strings.ToUpper(s.text) {
			t.Fatalf("step %d (%q): cached %v, runs %d; want %v, %d", i, s.text, res.Cached, runs.Load(), s.wantCached, s.wantRuns)
		}
	}
	st := statsOf(t, a, "up")
	if st.CacheHits != 5 || st.CacheMisses != 4 {
		t.Fatalf("cache hits %d, misses %d; want 5, 4", st.CacheHits, st.CacheMisses)
	}
}

func TestFailuresAreNotCached(t *testing.T) {
	a := newAgent(t, Options{})
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "f", CacheTTL: time.Minute, Func: func(context.Context, map[string]any) (any, error) {
		if runs.Add(1) == 1 {
			return nil, errors.New("first time fails")
		}
		return "ok", nil
	}})
	if _, err := a.Call(t.Context(), "f", nil); err == nil {
		t.Fatal("first call succeeded")
	}
	res, err := a.Call(t.Context(), "f", nil)
	if err != nil || res.Cached || res.Value != "ok" {
		t.Fatalf("second call = %+v, %v; want a fresh success", res, err)
	}
	if res, _ := a.Call(t.Context(), "f", nil); !res.Cached {
		t.Fatal("success was not cached")
	}
}

func TestCacheIsBounded(t *testing.T) {
	a := newAgent(t, Options{CacheSize: 10})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Hour, Func: upper})
	for i := range 500 {
		if _, err := a.Call(t.Context(), "up", map[string]any{"text": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	a.registry.Load().byName["up"].cache.CleanUp()
	st := statsOf(t, a, "up")
	if st.CacheEntries > 10 || st.CacheEvictions < 490 {
		t.Fatalf("cache holds %d entries after 500 unique keys (evictions %d), limit 10", st.CacheEntries, st.CacheEvictions)
	}
}

// TestTimeoutWhileAbilityIgnoresContext: an isolated ability that ignores
// its context releases its caller at the timeout but keeps its slot until
// it returns.
func TestTimeoutWhileAbilityIgnoresContext(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 2})
	release := make(chan struct{})
	returned := make(chan struct{})
	mustRegister(t, a, Ability{Name: "stuck", Timeout: 20 * time.Millisecond, Isolate: true, Func: func(context.Context, map[string]any) (any, error) {
		defer close(returned)
		<-release // ignores ctx
		return "late", nil
	}})
	res, err := a.Call(t.Context(), "stuck", nil)
	if res.Outcome != OutcomeTimeout || !errors.Is(err, ErrTimeout) || res.Value != nil {
		t.Fatalf("Call = %+v, %v; want timeout", res, err)
	}
	// The call returned, but the ability still holds its slot.
	if s, st := a.Snapshot(), statsOf(t, a, "stuck"); s.InUse != 1 || st.InFlight != 1 {
		t.Fatalf("while the ability runs on: in use %d, in flight %d; want 1, 1", s.InUse, st.InFlight)
	}
	close(release)
	<-returned
	waitFor(t, "the slot to be released", func() bool { return a.Snapshot().InUse == 0 })
	if st := statsOf(t, a, "stuck"); st.InFlight != 0 || st.Breaker.WindowFailures != 1 {
		t.Fatalf("after return: in flight %d, breaker failures %d", st.InFlight, st.Breaker.WindowFailures)
	}
}

// TestInlineLateResult: an inline ability that ignores its context and
// returns a result after its deadline times out; the result is discarded
// (not returned, not cached) and the slot is free when the call returns.
func TestInlineLateResult(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("ttl=%v", ttl), func(t *testing.T) {
			a := newAgent(t, Options{})
			mustRegister(t, a, Ability{Name: "late", Timeout: 5 * time.Millisecond, CacheTTL: ttl,
				Func: func(context.Context, map[string]any) (any, error) {
					time.Sleep(20 * time.Millisecond) // ignores ctx
					return "late", nil
				}})
			res, err := a.Call(t.Context(), "late", nil)
			if res.Outcome != OutcomeTimeout || !errors.Is(err, ErrTimeout) || res.Value != nil || err.Error() != "call late: timed out after 5ms" {
				t.Fatalf("Call = %+v, %v; want timeout", res, err)
			}
			if res.Latency < 20*time.Millisecond {
				t.Fatalf("an inline call returned after %v, before its ability", res.Latency)
			}
			st := statsOf(t, a, "late")
			if a.Snapshot().InUse != 0 || st.InFlight != 0 || st.CacheEntries != 0 || st.Breaker.WindowFailures != 1 {
				t.Fatalf("after a late result: in use %d, stats %+v", a.Snapshot().InUse, st)
			}
		})
	}
}

// TestInlineGoexit: runtime.Goexit in an inline ability ends the calling
// goroutine (nothing can stop it), but the slot is released, the breaker
// and the metrics count a failure, and a follower gets the failure.
func TestInlineGoexit(t *testing.T) {
	a := newAgent(t, Options{})
	started, gate := make(chan struct{}), make(chan struct{})
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "exit", CacheTTL: time.Minute, Func: func(context.Context, map[string]any) (any, error) {
		if runs.Add(1) == 1 {
			close(started)
			<-gate
		}
		runtime.Goexit()
		return nil, nil
	}})
	mustRegister(t, a, Ability{Name: "exit_uncached", Func: func(context.Context, map[string]any) (any, error) {
		runtime.Goexit()
		return nil, nil
	}})
	leader := make(chan struct{})
	go func() {
		defer close(leader)
		_, _ = a.Call(t.Context(), "exit", nil)
		t.Error("Call returned after its ability called runtime.Goexit")
	}()
	<-started
	follower := make(chan error, 1)
	go func() {
		_, err := a.Call(t.Context(), "exit", nil)
		follower <- err
	}()
	waitFor(t, "the follower to join the flight", func() bool { return followers(t, a, "exit") == 1 })
	close(gate)
	<-leader
	if err := <-follower; !errors.Is(err, ErrPanic) || err.Error() != "call exit: ability panicked: it called runtime.Goexit" {
		t.Fatalf("follower: %v", err)
	}
	uncached := make(chan struct{})
	go func() {
		defer close(uncached)
		_, _ = a.Call(t.Context(), "exit_uncached", nil)
	}()
	<-uncached
	for _, name := range []string{"exit", "exit_uncached"} {
		if st := statsOf(t, a, name); st.Breaker.WindowFailures != 1 || st.Outcomes[OutcomeFailure] < 1 || st.InFlight != 0 || st.CacheEntries != 0 {
			t.Fatalf("%s stats: %+v", name, st)
		}
	}
	if a.Snapshot().InUse != 0 {
		t.Fatal("slot leaked")
	}
}

func TestPanicVariants(t *testing.T) {
	tests := []struct {
		name string
		fn   Func
		want string
	}{
		{"string", func(context.Context, map[string]any) (any, error) { panic("boom") }, "ability panicked: boom"},
		{"error", func(context.Context, map[string]any) (any, error) { panic(fmt.Errorf("wrapped %d", 7)) }, "ability panicked: wrapped 7"},
		{"nil", func(context.Context, map[string]any) (any, error) { panic(nil) }, "ability panicked: panic called with nil argument"},
		{"runtime error", func(_ context.Context, args map[string]any) (any, error) { return args["x"].(string), nil }, "ability panicked: interface conversion"},
		{"goexit", func(context.Context, map[string]any) (any, error) { runtime.Goexit(); return nil, nil }, "ability panicked: it called runtime.Goexit"},
	}
	// Goexit in an inline ability ends the caller's goroutine (see
	// TestInlineGoexit), so every variant runs isolated here too.
	a := newAgent(t, Options{MaxConcurrent: 1})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, isolate := range []bool{false, true} {
				if tt.name == "goexit" && !isolate {
					continue
				}
				name := fmt.Sprintf("p%d_%v", i, isolate)
				mustRegister(t, a, Ability{Name: name, Func: tt.fn, Isolate: isolate})
				res, err := a.Call(t.Context(), name, nil)
				if res.Outcome != OutcomeFailure || !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Call = %+v, %v; want failure containing %q", res, err, tt.want)
				}
			}
			// The single slot was released: the next call can run.
			waitFor(t, "the slot", func() bool { return a.Snapshot().InUse == 0 })
		})
	}
}

func TestFaultInjection(t *testing.T) {
	a := newAgent(t, Options{})
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "flaky", Timeout: 50 * time.Millisecond,
		Breaker: breaker.Settings{ConsecutiveFailures: 1000, FailureRate: breaker.Disabled},
		Func:    func(context.Context, map[string]any) (any, error) { runs.Add(1); return "ok", nil }})
	set := func(f Fault) {
		t.Helper()
		if err := a.SetFault("flaky", f); err != nil {
			t.Fatal(err)
		}
	}
	set(Fault{FailureRate: 1})
	for range 5 {
		res, err := a.Call(t.Context(), "flaky", nil)
		if res.Outcome != OutcomeFailure || !errors.Is(err, ErrFault) || err.Error() != "call flaky: injected fault (failure rate 100%)" {
			t.Fatalf("Call with failure rate 1 = %+v, %v", res, err)
		}
	}
	if runs.Load() != 0 {
		t.Fatal("ability ran although the fault failed every call")
	}
	if st := statsOf(t, a, "flaky"); st.Breaker.WindowFailures != 5 {
		t.Fatalf("injected failures counted by the breaker: %d, want 5", st.Breaker.WindowFailures)
	}

	set(Fault{Latency: 5 * time.Millisecond})
	res, err := a.Call(t.Context(), "flaky", nil)
	if err != nil || res.Latency < 5*time.Millisecond || runs.Load() != 1 {
		t.Fatalf("Call with 5ms latency = %+v, %v", res, err)
	}

	set(Fault{Latency: time.Hour}) // beyond the 50ms timeout
	res, err = a.Call(t.Context(), "flaky", nil)
	if res.Outcome != OutcomeTimeout || !errors.Is(err, ErrTimeout) || runs.Load() != 1 {
		t.Fatalf("Call with latency beyond the timeout = %+v, %v", res, err)
	}
	waitFor(t, "the slot to be released after an injected timeout", func() bool { return a.Snapshot().InUse == 0 })

	set(Fault{FailureRate: 0.5})
	failed := 0
	for range 200 {
		if res, _ := a.Call(t.Context(), "flaky", nil); res.Outcome == OutcomeFailure {
			failed++
		}
	}
	if failed < 50 || failed > 150 { // p ≈ 1e-12 of a false alarm
		t.Fatalf("failure rate 0.5 failed %d of 200 calls", failed)
	}
	set(Fault{})
	if res, err := a.Call(t.Context(), "flaky", nil); err != nil || res.Outcome != OutcomeSuccess {
		t.Fatalf("Call after clearing the fault = %+v, %v", res, err)
	}
}

func TestBreakerTripsAndRecovers(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	var fail atomic.Bool
	var runs atomic.Int64
	mustRegister(t, a, Ability{Name: "dep", Breaker: breaker.Settings{ConsecutiveFailures: 3, Cooldown: 5 * time.Second, SuccessThreshold: 1},
		Func: func(context.Context, map[string]any) (any, error) {
			runs.Add(1)
			if fail.Load() {
				return nil, errors.New("down")
			}
			return "up", nil
		}})
	call := func() (Result, error) { return a.Call(t.Context(), "dep", nil) }
	state := func() breaker.State { return statsOf(t, a, "dep").Breaker.State }

	fail.Store(true)
	for range 3 {
		if res, _ := call(); res.Outcome != OutcomeFailure {
			t.Fatalf("outcome %v, want failure", res.Outcome)
		}
	}
	if state() != breaker.Open {
		t.Fatalf("state after 3 failures = %v, want open", state())
	}
	res, err := call()
	if res.Outcome != OutcomeShortCircuited || !errors.Is(err, ErrOpen) || runs.Load() != 3 {
		t.Fatalf("call while open = %+v, %v (runs %d)", res, err, runs.Load())
	}
	if !strings.Contains(err.Error(), "cooldown 5s remaining") {
		t.Fatalf("short-circuit error %q does not say the cooldown", err)
	}

	clk.Advance(5 * time.Second)
	fail.Store(false)
	if res, err := call(); err != nil || res.Value != "up" {
		t.Fatalf("probe after cooldown = %+v, %v", res, err)
	}
	if state() != breaker.Closed {
		t.Fatalf("state after a successful probe = %v, want closed", state())
	}

	// Manual trip is sticky across the cooldown until Reset.
	if err := a.Trip("dep"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if res, _ := call(); res.Outcome != OutcomeShortCircuited || state() != breaker.ForcedOpen {
		t.Fatalf("after Trip and an hour: %v, state %v", res.Outcome, state())
	}
	if err := a.Reset("dep"); err != nil {
		t.Fatal(err)
	}
	if res, err := call(); err != nil || state() != breaker.Closed {
		t.Fatalf("after Reset: %+v, %v, state %v", res, err, state())
	}
	_ = a.Trip("dep")
	a.ResetAll()
	if state() != breaker.Closed {
		t.Fatalf("ResetAll left state %v", state())
	}
}

// TestCallCanceledWhileWaitingForSlot: a caller that gives up while queued
// for a slot is canceled, not rejected, and leaves the gauges clean.
func TestCallCanceledWhileWaitingForSlot(t *testing.T) {
	a := newAgent(t, Options{MaxConcurrent: 1, MaxWait: time.Minute})
	gate := make(chan struct{})
	mustRegister(t, a, Ability{Name: "hold", Func: func(context.Context, map[string]any) (any, error) { <-gate; return nil, nil }})
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = a.Call(t.Context(), "hold", nil) })
	waitFor(t, "slot taken", func() bool { return a.Snapshot().InUse == 1 })
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		waitFor(t, "a waiter", func() bool { return a.Snapshot().Waiting == 1 })
		cancel()
	}()
	res, err := a.Call(ctx, "hold", nil)
	if res.Outcome != OutcomeCanceled || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for a concurrency slot") {
		t.Fatalf("Call = %+v, %v", res, err)
	}
	close(gate)
	wg.Wait()
	if s := a.Snapshot(); s.Waiting != 0 || s.InUse != 0 {
		t.Fatalf("gauges: %+v", s)
	}
}

// untilDone is an ability that returns when its context ends.
func untilDone(ctx context.Context, _ map[string]any) (any, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// cancelOnceRunning is a call table's setup: a context canceled once the
// named ability is running.
func cancelOnceRunning(name string) func(*testing.T, *Agent) (context.Context, func()) {
	return func(t *testing.T, a *Agent) (context.Context, func()) {
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			waitFor(t, "the ability to start", func() bool { return statsOf(t, a, name).InFlight == 1 })
			cancel()
		}()
		return ctx, cancel
	}
}

// A timeout of math.MaxInt64 means "never", not an overflowed deadline in
// the past; a huge event buffer is capped rather than a panic.
func TestExtremeTimeoutAndBuffer(t *testing.T) {
	a := newAgent(t, Options{DefaultTimeout: math.MaxInt64})
	for _, name := range []string{"cached", "isolated", "plain"} {
		mustRegister(t, a, Ability{Name: name, Schema: textSchema(), Timeout: math.MaxInt64,
			CacheTTL: map[bool]time.Duration{true: time.Minute}[name == "cached"], Isolate: name == "isolated", Func: upper})
		if res, err := a.Call(t.Context(), name, map[string]any{"text": "x"}); err != nil || res.Value != "X" {
			t.Errorf("%s with a MaxInt64 timeout: %+v, %v", name, res, err)
		}
	}
	s := a.Subscribe(math.MaxInt)
	defer s.Close()
	if c := cap(s.C()); c != MaxEventBuffer {
		t.Errorf("buffer %d, want MaxEventBuffer", c)
	}
}

// TestLastErrorKeepsWhatOpenedBreaker: the calls an open breaker
// short-circuits, and bad arguments, are rejections; LastError still says
// which failure opened the breaker.
func TestLastErrorKeepsWhatOpenedBreaker(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			clk := newFakeClock()
			a := newAgent(t, Options{Now: clk.Now})
			ab := Ability{Name: "dep", Schema: textSchema(), Breaker: breaker.Settings{ConsecutiveFailures: 2, Cooldown: time.Minute},
				Func: func(context.Context, map[string]any) (any, error) { return nil, errors.New("database down") }}
			if cached {
				ab.CacheTTL = time.Minute
			}
			mustRegister(t, a, ab)
			for range 2 {
				_, _ = a.Call(t.Context(), "dep", map[string]any{"text": "x"})
			}
			failedAt := clk.Now()
			clk.Advance(time.Second)
			if res, _ := a.Call(t.Context(), "dep", map[string]any{"text": "x"}); res.Outcome != OutcomeShortCircuited {
				t.Fatalf("outcome after 2 failures = %v, want short-circuited", res.Outcome)
			}
			st := statsOf(t, a, "dep")
			if st.LastError != "database down" || !st.LastErrorAt.Equal(failedAt) {
				t.Fatalf("LastError after a short-circuit = %q at %v, want the failure that opened the breaker", st.LastError, st.LastErrorAt)
			}
			if !strings.Contains(st.LastRejection, "circuit breaker is open") || !st.LastRejectionAt.Equal(clk.Now()) {
				t.Fatalf("LastRejection = %q at %v, want the short-circuit", st.LastRejection, st.LastRejectionAt)
			}
			clk.Advance(time.Second)
			if res, _ := a.Call(t.Context(), "dep", map[string]any{"text": 1}); res.Outcome != OutcomeBadArgs {
				t.Fatalf("outcome of a bad argument = %v", res.Outcome)
			}
			st = statsOf(t, a, "dep")
			if st.LastError != "database down" || !strings.Contains(st.LastRejection, "text") || !st.LastRejectionAt.Equal(clk.Now()) {
				t.Fatalf("after a bad argument: LastError %q, LastRejection %q at %v", st.LastError, st.LastRejection, st.LastRejectionAt)
			}
		})
	}
}
