package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// execution is the outcome of running an ability once.
type execution struct {
	value   any
	outcome Outcome
	err     error
	late    bool          // the function failed after its context had ended
	end     time.Duration // when the ability returned (a reading of a.mono), if it ran
}

var (
	closedExecution = execution{outcome: OutcomeCanceled, err: ErrClosed}
	errGoexit       = fmt.Errorf("%w: it called runtime.Goexit", ErrPanic)
)

// run is stages 6 to 8 of the leader's call: it executes flight f and
// returns its outcome. An inline execution runs on the caller's goroutine,
// and the call returns when the ability does (the timeout is cooperative);
// while it runs, the leader's context ending abandons the flight if no
// follower waits. An isolated execution runs in a goroutine of its own,
// and the caller waits for it as a follower would, so that it is released
// at the deadline or when its context ends even if the ability ignores
// its context.
func (a *Agent) run(ctx context.Context, f *flight) execution {
	if f.e.isolate {
		go a.execute(f)
		x, _ := a.await(ctx, f, false)
		return x
	}
	if f.abandon != nil {
		stop := context.AfterFunc(ctx, func() { f.leaderLeft(ctx) })
		defer stop()
	}
	a.execute(f)
	return f.x
}

// execute takes a concurrency slot (stage 6), then runs fault injection and
// the ability (stages 7 and 8, see invoke), and lands f with the outcome.
// The slot is released only when the ability really returns, so that the
// number of running abilities never exceeds the limit. On runtime.Goexit
// in the ability, f still lands, with a failure.
func (a *Agent) execute(f *flight) {
	if !a.begin() { // Close has begun
		a.land(f, closedExecution)
		return
	}
	defer a.end()
	// 6. Concurrency slot: the ability's, if it has a limit, then the
	// global one.
	l := f.e.limit
	if x, ok := a.acquire(f.ctx, l, f.e.info.Name); !ok {
		a.land(f, x)
		return
	}
	x := execution{outcome: OutcomeFailure, err: errGoexit} // unless invoke returns
	var took time.Duration
	defer func() { a.landAfter(f, x, took) }()
	defer a.releaseSlot(l)
	// 7 and 8. Fault injection and the ability.
	x, took = a.invoke(f)
}

// invoke runs fault injection and the ability under its context (see
// abilityCtx), then judges the outcome: a result returned after the
// ability's own deadline is discarded, and a failure after the context
// ended is explained by what ended it. An isolated execution lands as soon
// as its context ends, releasing its callers. took is how long the
// ability ran, with injected latency, for the breaker's slow-call rule;
// it is kept out of execution, which every flight holds.
func (a *Agent) invoke(f *flight) (x execution, took time.Duration) {
	e, ctx := f.e, &f.actx
	begin := a.mono()
	ctx.start(a, f.ctx, begin, e.timeout)
	var ended error
	defer func() { ctx.release(ended) }() // also on runtime.Goexit
	if e.isolate {
		defer context.AfterFunc(ctx, func() { a.land(f, a.interrupted(f)) })()
	}
	e.inFlight.Add(1)
	defer e.inFlight.Add(-1)
	x = e.call(ctx, f.args)
	x.end = a.mono()
	took = x.end - begin
	ended = ctx.errAt(x.end)
	switch {
	case ended == context.DeadlineExceeded && f.ctx.Err() == nil: // its own deadline
		return timeoutExecution(e.timeout), took
	case ended != nil && x.late:
		return a.interrupted(f), took
	}
	return x, took
}

// interrupted is the outcome of an execution whose context ended before
// its ability returned: Close, the caller's (or, shared, the leader's)
// leaving, or else the timeout.
func (a *Agent) interrupted(f *flight) execution {
	switch {
	case a.closed.Load():
		return closedExecution
	case f.ctx.Err() != nil:
		return execution{outcome: OutcomeCanceled, err: canceledError(f.ctx)}
	}
	return timeoutExecution(f.e.timeout)
}

// call runs the injected fault and the ability's function, turning a panic
// into a failure. runtime.Goexit, which it cannot stop, goes through.
func (e *entry) call(ctx context.Context, args map[string]any) (x execution) {
	defer func() {
		if p := recover(); p != nil {
			x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: %v", ErrPanic, p)}
		}
	}()
	if f := e.fault.Load(); f != nil {
		if x, failed := inject(ctx, f); failed {
			return x
		}
	}
	value, err := e.fn(ctx, args)
	switch {
	case err == nil:
		return execution{value: value, outcome: OutcomeSuccess}
	case errors.Is(err, ErrBadArgs): // the ability says the caller is at fault
		return execution{outcome: OutcomeBadArgs, err: err}
	}
	return execution{outcome: OutcomeFailure, err: err, late: ctx.Err() != nil}
}

// inject applies a fault: the added latency (within the timeout), then the
// failure draw. It reports whether the execution ends there.
func inject(ctx context.Context, f *Fault) (execution, bool) {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return execution{outcome: OutcomeFailure, err: context.Cause(ctx), late: true}, true
		}
	}
	if f.FailureRate > 0 && rand.Float64() < f.FailureRate {
		return execution{outcome: OutcomeFailure, err: fmt.Errorf("%w (failure rate %g%%)", ErrFault, f.FailureRate*100)}, true
	}
	return execution{}, false
}

func timeoutExecution(d time.Duration) execution {
	return execution{outcome: OutcomeTimeout, err: fmt.Errorf("%w after %s", ErrTimeout, d)}
}

func sharedTimeoutError(bound time.Duration) error {
	return fmt.Errorf("%w: the shared execution did not finish within %s", ErrTimeout, bound)
}

// canceledError is the error of a call whose caller's context ended.
func canceledError(ctx context.Context) error {
	return fmt.Errorf("canceled: %w", context.Cause(ctx))
}

// addSat returns a+b for non-negative durations, or the largest duration
// when the sum overflows (a timeout of math.MaxInt64 means "never").
func addSat(a, b time.Duration) time.Duration {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// acquire takes a slot of l, the ability's limit (nil: none), then a
// global one: at once if they are free, else waiting up to MaxWait for
// both, for ctx, or until Close.
func (a *Agent) acquire(ctx context.Context, l *limiter, name string) (execution, bool) {
	own := l == nil || l.sem.TryAcquire(1)
	if own && a.sem.TryAcquire(1) {
		return a.tookSlot(l)
	}
	return a.waitSlots(ctx, l, own, name)
}

// waitSlots is acquire once a slot was not free: own says whether the
// ability's slot is taken already.
func (a *Agent) waitSlots(ctx context.Context, l *limiter, own bool, name string) (execution, bool) {
	wctx, cancel := context.WithTimeout(ctx, a.opts.MaxWait)
	defer cancel()
	stop := context.AfterFunc(a.base, cancel) // Close ends the wait
	defer stop()
	if !own {
		l.waiting.Add(1)
		err := l.sem.Acquire(wctx, 1)
		l.waiting.Add(-1)
		if err != nil {
			return a.waitFailed(ctx, fmt.Sprintf("all %d slots of %s", l.limit.Load(), name)), false
		}
	}
	if !a.sem.TryAcquire(1) {
		a.waiting.Add(1)
		err := a.sem.Acquire(wctx, 1)
		a.waiting.Add(-1)
		if err != nil {
			if l != nil {
				l.release()
			}
			return a.waitFailed(ctx, fmt.Sprintf("all %d slots", a.opts.MaxConcurrent)), false
		}
	}
	return a.tookSlot(l)
}

// waitFailed is the outcome of a wait for slots that ended without them:
// Close, the caller leaving, or MaxWait (a rejection: slots stayed busy).
func (a *Agent) waitFailed(ctx context.Context, slots string) execution {
	switch {
	case a.base.Err() != nil:
		return closedExecution
	case ctx.Err() != nil:
		return execution{outcome: OutcomeCanceled,
			err: fmt.Errorf("canceled while waiting for a concurrency slot: %w", context.Cause(ctx))}
	}
	return execution{outcome: OutcomeRejected,
		err: fmt.Errorf("%w (%s stayed busy for %s)", ErrRejected, slots, a.opts.MaxWait)}
}

// tookSlot accounts for the slots just taken (the global one, and one of
// l unless nil), unless Close has begun: then it gives them back, so that
// no ability starts once Close has begun. Close cancels the slot waits
// while the abilities it cancels free their slots, so a waiter may get a
// slot meanwhile; Close sets closed before it cancels anything, so such a
// waiter sees it.
func (a *Agent) tookSlot(l *limiter) (execution, bool) {
	if a.closed.Load() {
		a.sem.Release(1)
		if l != nil {
			l.release()
		}
		return closedExecution, false
	}
	a.inUse.Add(1)
	return execution{}, true
}

func (a *Agent) releaseSlot(l *limiter) {
	a.inUse.Add(-1)
	a.sem.Release(1)
	if l != nil {
		l.release()
	}
}
