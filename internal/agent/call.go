package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"
	"golang.org/x/sync/singleflight"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/schema"
)

// entry is a registered ability with its breaker, cache and metrics.
type entry struct {
	info    Info
	fn      Func
	schema  *schema.Schema
	timeout time.Duration
	breaker *breaker.Breaker

	// cache is nil when the ability is not cached. flights suppresses
	// duplicate executions of cached abilities (see callShared).
	cache      *otter.Cache[string, any]
	cacheStats *stats.Counter
	flights    singleflight.Group

	fault atomic.Pointer[Fault] // nil: no fault injected

	outcomes [NumOutcomes]atomic.Uint64
	inFlight atomic.Int64
	hist     *latency.Histogram
	rate     *latency.Rate
	lastErr  atomic.Pointer[lastError]
}

type lastError struct {
	msg string
	at  time.Time
}

// Result is the outcome of a call.
type Result struct {
	// Value is what the ability returned (nil unless Outcome is
	// OutcomeSuccess). A cached or shared value is handed to several
	// callers and must be treated as read-only.
	Value any
	// Cached is true when the value came from the cache.
	Cached bool
	// Shared is true when the value came from a concurrent identical call
	// that this call waited for instead of running the ability again.
	Shared bool
	// Latency is the time the call took, as the caller saw it.
	Latency time.Duration
	// Outcome classifies the call.
	Outcome Outcome
}

// Call runs the named ability with args through the pipeline described in
// the package documentation. It returns a Result in every case; when the
// outcome is not OutcomeSuccess the error is a *CallError wrapping one of
// the package's sentinel errors (or the ability's own error). args are not
// modified.
func (a *Agent) Call(ctx context.Context, name string, args map[string]any) (Result, error) {
	start := time.Now()
	r := a.registry.Load()
	e := r.byName[name]
	if e == nil {
		return Result{Outcome: OutcomeBadArgs}, &CallError{Ability: name, Outcome: OutcomeBadArgs, Err: unknownAbility(r, name)}
	}
	if a.closed.Load() {
		return Result{Outcome: OutcomeCanceled}, &CallError{Ability: name, Outcome: OutcomeCanceled, Err: ErrClosed}
	}
	args, err := e.schema.Validate(args)
	if err != nil {
		return a.finish(e, start, Result{Outcome: OutcomeBadArgs}, fmt.Errorf("%w: %w", ErrBadArgs, err))
	}
	if e.cache == nil {
		permit, err := e.breaker.Allow()
		if err != nil {
			return a.finish(e, start, Result{Outcome: OutcomeShortCircuited}, err)
		}
		x := a.execute(ctx, e, args)
		e.breaker.Done(permit, x.outcome.breakerOutcome())
		return a.finish(e, start, Result{Value: x.value, Outcome: x.outcome}, x.err)
	}

	// The cache key is built before the breaker is asked, so that
	// arguments without a canonical form (NaN, unsupported Go types inside
	// a free-form object) are bad arguments rather than a taken permit.
	kb := a.keyBuffer.Get().(*keyBuf)
	key, err := schema.AppendCanonical(kb.b[:0], args)
	kb.b = key[:0]
	if err != nil {
		a.putKeyBuf(kb)
		return a.finish(e, start, Result{Outcome: OutcomeBadArgs},
			fmt.Errorf("%w: no canonical JSON form for the cache key: %w", ErrBadArgs, err))
	}
	permit, err := e.breaker.Allow()
	if err != nil {
		a.putKeyBuf(kb)
		return a.finish(e, start, Result{Outcome: OutcomeShortCircuited}, err)
	}
	// The lookup key aliases the pooled buffer instead of copying it into a
	// new string (which would be the hit path's only allocation). This is
	// safe because GetIfPresent only hashes and compares the key and does
	// not retain it, and the buffer is neither modified nor returned to the
	// pool until the lookup has returned. Keys that are stored (Set, the
	// singleflight key) are real copies.
	if v, ok := e.cache.GetIfPresent(unsafe.String(unsafe.SliceData(key), len(key))); ok {
		a.putKeyBuf(kb)
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Value: v, Cached: true, Outcome: OutcomeSuccess}, nil)
	}
	skey := string(key)
	a.putKeyBuf(kb)
	return a.callShared(ctx, e, skey, args, permit, start)
}

func (a *Agent) putKeyBuf(kb *keyBuf) {
	if cap(kb.b) <= maxPooledKeyBufferCap { // do not keep a huge buffer alive
		a.keyBuffer.Put(kb)
	}
}

// finish records the metrics and the event of a call and wraps its error.
func (a *Agent) finish(e *entry, start time.Time, res Result, err error) (Result, error) {
	end := time.Now()
	res.Latency = end.Sub(start)
	at := end
	if !a.realNow {
		at = a.now()
	}
	e.outcomes[res.Outcome].Add(1)
	e.rate.AddAt(1, at)
	if res.Outcome != OutcomeBadArgs && res.Outcome != OutcomeShortCircuited {
		e.hist.ObserveAt(res.Latency, at)
	}
	var msg string
	if err != nil {
		msg = err.Error()
		e.lastErr.Store(&lastError{msg: msg, at: at})
		err = &CallError{Ability: e.info.Name, Outcome: res.Outcome, Err: err}
	}
	if a.subs.Load() != nil {
		a.publish(Event{Kind: EventResult, At: at, Ability: e.info.Name, Outcome: res.Outcome,
			Cached: res.Cached, Shared: res.Shared, Latency: res.Latency, Err: msg})
	}
	return res, err
}

// Duplicate suppression uses golang.org/x/sync/singleflight rather than
// otter's loader (Cache.Get): with DoChan every caller waits on its own
// channel and can leave when its own context ends, the execution's result
// tells each caller whether it ran the ability or shared another call's
// result, and failures are handed to the waiting callers without ever
// being cached. The shared execution runs in singleflight's goroutine under
// context.WithoutCancel of the first caller's context, so it is not
// canceled when that caller goes away; its timeout still applies.

// flight is one caller's stake in a shared execution: its breaker permit,
// which either the execution takes over (the caller started it) or the
// caller releases as Ignored (it shared another call's result or left).
type flight struct {
	permit breaker.Permit
	state  atomic.Int32
}

const (
	permitHeld     = iota // by the caller
	permitTaken           // by the execution, which reports its outcome
	permitReleased        // by the caller, as Ignored
)

func (a *Agent) callShared(ctx context.Context, e *entry, key string, args map[string]any, permit breaker.Permit, start time.Time) (Result, error) {
	f := &flight{permit: permit}
	ch := e.flights.DoChan(key, func() (any, error) {
		return a.executeShared(ctx, e, key, args, f), nil
	})
	select {
	case r := <-ch:
		return a.sharedResult(e, start, f, r)
	case <-ctx.Done():
		select {
		case r := <-ch: // finished at the same moment: prefer the result
			return a.sharedResult(e, start, f, r)
		default:
		}
		if f.state.CompareAndSwap(permitHeld, permitReleased) {
			e.breaker.Done(permit, breaker.Ignored)
		}
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, fmt.Errorf("canceled: %w", context.Cause(ctx)))
	}
}

func (a *Agent) sharedResult(e *entry, start time.Time, f *flight, r singleflight.Result) (Result, error) {
	x := r.Val.(*execution)
	started := !f.state.CompareAndSwap(permitHeld, permitReleased)
	if !started {
		e.breaker.Done(f.permit, breaker.Ignored)
	}
	return a.finish(e, start, Result{Value: x.value, Shared: !started, Outcome: x.outcome}, x.err)
}

// executeShared is the body of a shared execution; it runs in
// singleflight's goroutine.
func (a *Agent) executeShared(ctx context.Context, e *entry, key string, args map[string]any, f *flight) *execution {
	if !a.begin() {
		return &execution{outcome: OutcomeCanceled, err: ErrClosed}
	}
	defer a.end()
	owns := f.state.CompareAndSwap(permitHeld, permitTaken)
	x := a.execute(context.WithoutCancel(ctx), e, args)
	if owns {
		e.breaker.Done(f.permit, x.outcome.breakerOutcome())
	}
	if x.outcome == OutcomeSuccess {
		e.cache.Set(key, x.value) // before singleflight forgets the key
	}
	return &x
}

// execution is the outcome of running an ability once.
type execution struct {
	value    any
	outcome  Outcome
	err      error
	panicked bool // the function panicked or called runtime.Goexit
	late     bool // the function failed after its context had ended
}

// execute runs stages 5 to 7 of the pipeline: a concurrency slot, fault
// injection, and the ability in its own goroutine under its timeout. ctx is
// the caller's context (or, for a shared execution, one that is never
// canceled).
func (a *Agent) execute(ctx context.Context, e *entry, args map[string]any) execution {
	if !a.begin() {
		return execution{outcome: OutcomeCanceled, err: ErrClosed}
	}
	if x, ok := a.acquire(ctx); !ok {
		a.end()
		return x
	}
	tctx, cancel := context.WithTimeout(ctx, e.timeout)
	stop := context.AfterFunc(a.base, cancel) // Close cancels running abilities
	if f := e.fault.Load(); f != nil {
		if x, failed := a.inject(ctx, tctx, e, f); failed {
			stop()
			cancel()
			a.releaseSlot()
			a.end()
			return x
		}
	}
	done := make(chan execution, 1)
	e.inFlight.Add(1)
	// The goroutine now owns the slot and the run registration.
	go a.runAbility(tctx, cancel, stop, e, args, done)
	select {
	case x := <-done:
		return a.classify(ctx, e, x)
	case <-tctx.Done():
		select {
		case x := <-done:
			return a.classify(ctx, e, x)
		default:
		}
		return a.interrupted(ctx, e)
	}
}

// acquire takes a concurrency slot: at once if one is free, else waiting up
// to MaxWait.
func (a *Agent) acquire(ctx context.Context) (execution, bool) {
	if !a.sem.TryAcquire(1) {
		a.waiting.Add(1)
		wctx, cancel := context.WithTimeout(ctx, a.opts.MaxWait)
		stop := context.AfterFunc(a.base, cancel)
		err := a.sem.Acquire(wctx, 1)
		stop()
		cancel()
		a.waiting.Add(-1)
		if err != nil {
			switch {
			case a.base.Err() != nil:
				return execution{outcome: OutcomeCanceled, err: ErrClosed}, false
			case ctx.Err() != nil:
				return execution{outcome: OutcomeCanceled,
					err: fmt.Errorf("canceled while waiting for a concurrency slot: %w", context.Cause(ctx))}, false
			}
			return execution{outcome: OutcomeRejected,
				err: fmt.Errorf("%w (all %d slots stayed busy for %s)", ErrRejected, a.opts.MaxConcurrent, a.opts.MaxWait)}, false
		}
	}
	a.inUse.Add(1)
	return execution{}, true
}

func (a *Agent) releaseSlot() {
	a.inUse.Add(-1)
	a.sem.Release(1)
}

// inject applies a fault: the added latency (within the timeout), then the
// failure draw. It reports whether the execution ends here.
func (a *Agent) inject(ctx, tctx context.Context, e *entry, f *Fault) (execution, bool) {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-tctx.Done():
			t.Stop()
			return a.interrupted(ctx, e), true
		}
	}
	if f.FailureRate > 0 && rand.Float64() < f.FailureRate {
		return execution{outcome: OutcomeFailure,
			err: fmt.Errorf("%w (failure rate %g%%)", ErrFault, f.FailureRate*100)}, true
	}
	return execution{}, false
}

// runAbility runs the ability's function. It recovers a panic into a
// failure and, only once the function has really returned, releases the
// concurrency slot and the run registration.
func (a *Agent) runAbility(ctx context.Context, cancel context.CancelFunc, stop func() bool,
	e *entry, args map[string]any, done chan<- execution) {
	var x execution
	returned := false
	defer func() {
		if !returned {
			if p := recover(); p != nil {
				x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: %v", ErrPanic, p), panicked: true}
			} else {
				x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: it called runtime.Goexit", ErrPanic), panicked: true}
			}
		}
		stop()
		e.inFlight.Add(-1)
		a.releaseSlot()
		done <- x // buffered: never blocks, even if nobody waits any more
		// Cancel only after the result is delivered, so that the waiter
		// never mistakes this cancellation for a timeout.
		cancel()
		a.end()
	}()
	x.value, x.err = e.fn(ctx, args)
	returned = true
	if x.err != nil {
		x.value, x.outcome = nil, OutcomeFailure
		x.late = ctx.Err() != nil
	}
}

// classify turns what the function returned into the call's outcome. An
// error returned after the context ended is reported as the timeout or
// cancellation that caused it.
func (a *Agent) classify(ctx context.Context, e *entry, x execution) execution {
	if x.late {
		return a.interrupted(ctx, e)
	}
	return x
}

// interrupted explains why an execution's context ended: the agent was
// closed, the caller gave up, or the ability's timeout expired.
func (a *Agent) interrupted(ctx context.Context, e *entry) execution {
	switch {
	case a.base.Err() != nil:
		return execution{outcome: OutcomeCanceled, err: ErrClosed}
	case ctx.Err() != nil:
		return execution{outcome: OutcomeCanceled, err: fmt.Errorf("canceled: %w", context.Cause(ctx))}
	}
	return execution{outcome: OutcomeTimeout, err: fmt.Errorf("%w after %s", ErrTimeout, e.timeout)}
}
