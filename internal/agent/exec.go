package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// execution is the outcome of running an ability once.
type execution struct {
	value   any
	outcome Outcome
	err     error
	late    bool // the function failed after its context had been canceled
}

var closedExecution = execution{outcome: OutcomeCanceled, err: ErrClosed}

// job is one execution of an ability. An inline job runs on its caller's
// goroutine. An isolated job runs in a goroutine of its own, and its
// outcome is settled exactly once, by whichever comes first: the function
// returning, the deadline timer, or (uncached) the caller giving up.
type job struct {
	a    *Agent
	e    *entry
	args map[string]any
	// ctx is allocated with the job, except for a flight's (see
	// shared.go): the flight may be reused, while an ability may keep its
	// context, so the context is never reused.
	ctx *abilityCtx

	settled atomic.Bool    // isolated: the outcome is settled
	done    chan execution // isolated, uncached: receives the settled outcome
	fl      *flight        // shared: the flight it runs for
}

// jobWithCtx is a job that is never reused, with its context in the same
// allocation.
type jobWithCtx struct {
	job
	c abilityCtx
}

// call runs fault injection and the ability's function, turning a panic
// into a failure. Every path out of it, including runtime.Goexit (which
// it cannot stop), leaves the outcome in *x.
func (j *job) call(x *execution) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if p := recover(); p != nil {
			*x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: %v", ErrPanic, p)}
		} else {
			*x = goexitExecution()
		}
	}()
	if f := j.e.fault.Load(); f != nil && j.inject(x, f) {
		returned = true
		return
	}
	x.value, x.err = j.e.fn(j.ctx, j.args)
	returned = true
	switch {
	case x.err == nil:
	case errors.Is(x.err, ErrBadArgs): // the ability says the caller is at fault
		x.value, x.outcome = nil, OutcomeBadArgs
	default:
		x.value, x.outcome = nil, OutcomeFailure
		x.late = j.ctx.Err() != nil
	}
}

func goexitExecution() execution {
	return execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: it called runtime.Goexit", ErrPanic)}
}

// inject applies a fault: the added latency (within the timeout), then the
// failure draw. It reports whether the execution ends there.
func (j *job) inject(x *execution, f *Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-j.ctx.Done():
			t.Stop()
			*x = execution{outcome: OutcomeFailure, err: context.Canceled, late: true}
			return true
		}
	}
	if f.FailureRate > 0 && rand.Float64() < f.FailureRate {
		*x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w (failure rate %g%%)", ErrFault, f.FailureRate*100)}
		return true
	}
	return false
}

// judge corrects the outcome of a function that returned at now: after
// its deadline, whatever it returned, the execution timed out (the result
// is discarded); a failure after its context was canceled is explained by
// the cancellation.
func (j *job) judge(x *execution, now time.Duration) {
	switch {
	case now > j.ctx.until:
		*x = timeoutExecution(j.e.timeout)
	case x.late:
		switch j.ctx.reason() {
		case byClose:
			*x = closedExecution
		case byCaller:
			*x = execution{outcome: OutcomeCanceled, err: canceledError(j.ctx.parent())}
		default:
			*x = timeoutExecution(j.e.timeout)
		}
	}
}

// start begins an execution that holds a slot since now: the deadline
// runs from there (the timeout covers fault injection and the function).
func (j *job) start(now time.Duration) {
	j.e.inFlight.Add(1)
	j.ctx.until = addSat(now, j.e.timeout)
}

// addSat returns a+b for non-negative durations, or the largest duration
// when the sum overflows (a timeout of math.MaxInt64 means "never").
func addSat(a, b time.Duration) time.Duration {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// stop releases what a started execution holds, when its function has
// returned.
func (j *job) stop() {
	j.ctx.release()
	j.e.inFlight.Add(-1)
	j.a.releaseSlot()
}

// runInline runs j on the calling goroutine: a concurrency slot (waiting
// with wctx), then fault injection and the function. The caller has
// registered the execution with a.begin; start is when the call started.
// It returns when the function returned (or the wait ended). On
// runtime.Goexit the slot is still released and *x says what happened,
// but runInline does not return.
func (a *Agent) runInline(wctx context.Context, j *job, x *execution, start time.Duration) (end time.Duration) {
	if a.sem.TryAcquire(1) {
		// A slot was free at once: the deadline runs from the start of the
		// call, a fraction of a microsecond earlier, which saves a clock
		// read.
		if !a.tookSlot() {
			*x = closedExecution
			return start
		}
	} else {
		r, ok := a.acquireSlow(wctx)
		start = a.mono()
		if !ok {
			*x = r
			return start
		}
	}
	j.start(start)
	defer j.stop()
	j.call(x)
	end = a.mono()
	j.judge(x, end)
	return end
}

// callInline runs an uncached ability on the caller's goroutine; its
// context follows the caller's.
func (a *Agent) callInline(ctx context.Context, e *entry, args map[string]any, permit breaker.Permit, start time.Duration) (Result, error) {
	if ctx.Err() != nil {
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	if !a.begin() {
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, ErrClosed)
	}
	defer a.end()
	jc := &jobWithCtx{job: job{a: a, e: e, args: args}}
	j := &jc.job
	j.ctx = &jc.c
	j.ctx.a, j.ctx.values, j.ctx.kind = a, ctx, followsCaller
	var x execution
	returned := false
	defer func() {
		if !returned { // runtime.Goexit: account for the call as the goroutine ends
			e.breaker.Done(permit, breaker.Failure)
			_, _ = a.finish(e, start, Result{Outcome: x.outcome}, x.err)
		}
	}()
	end := a.runInline(ctx, j, &x, start)
	returned = true
	e.breaker.Done(permit, x.outcome.breakerOutcome())
	return a.finishAt(e, start, end, Result{Value: x.value, Outcome: x.outcome}, x.err)
}

// runDirect executes an uncached isolated ability: a concurrency slot,
// then the function in a new goroutine. The caller waits for the settled
// outcome (the function's result, or the timeout) or for its own context.
// The goroutine keeps the slot until the function really returns.
func (a *Agent) runDirect(ctx context.Context, e *entry, args map[string]any) execution {
	if ctx.Err() != nil {
		return execution{outcome: OutcomeCanceled, err: canceledError(ctx)}
	}
	if !a.begin() {
		return closedExecution
	}
	if x, ok := a.acquire(ctx); !ok {
		a.end()
		return x
	}
	jc := &jobWithCtx{job: job{a: a, e: e, args: args}}
	j := &jc.job
	j.ctx = &jc.c
	j.ctx.a, j.ctx.j, j.ctx.values, j.ctx.kind = a, j, ctx, callerDeadline
	j.done = make(chan execution, 1) // one sender: whoever settles
	j.start(a.mono())
	j.ctx.watch()
	go j.runDirect() // owns the slot and the run registration
	cd := ctx.Done()
	if cd == nil {
		return <-j.done
	}
	select {
	case x := <-j.done:
		return x
	case <-cd:
		if j.settled.CompareAndSwap(false, true) {
			j.ctx.cancel(byCaller)
			return execution{outcome: OutcomeCanceled, err: canceledError(ctx)}
		}
		return <-j.done // settled at the same moment: take that outcome
	}
}

func (j *job) runDirect() {
	var x execution
	defer func() {
		j.stop()
		if j.settled.CompareAndSwap(false, true) {
			j.done <- x
		}
		j.a.end()
	}()
	j.call(&x)
	j.judge(&x, j.a.mono())
}

// expire settles an isolated job at its deadline.
func (j *job) expire() {
	if !j.settled.CompareAndSwap(false, true) {
		return // the function returned (or the caller left) first
	}
	j.ctx.cancel(byTimeout)
	if j.fl != nil { // an isolated flight's
		j.a.land(j.fl, timeoutExecution(j.e.timeout), 0, false)
		return
	}
	j.done <- timeoutExecution(j.e.timeout)
}

func timeoutExecution(d time.Duration) execution {
	return execution{outcome: OutcomeTimeout, err: fmt.Errorf("%w after %s", ErrTimeout, d)}
}

func sharedTimeoutError(bound time.Duration) error {
	return fmt.Errorf("%w: the shared execution did not finish within %s", ErrTimeout, bound)
}

// canceledError is the error of a call whose caller's context (ctx, nil if
// unknown) ended.
func canceledError(ctx context.Context) error {
	var cause error
	if ctx != nil {
		cause = context.Cause(ctx)
	}
	if cause == nil {
		cause = context.Canceled
	}
	return fmt.Errorf("canceled: %w", cause)
}

// acquire takes a concurrency slot: at once if one is free, else waiting up
// to MaxWait.
func (a *Agent) acquire(ctx context.Context) (execution, bool) {
	if a.sem.TryAcquire(1) {
		if !a.tookSlot() {
			return closedExecution, false
		}
		return execution{}, true
	}
	return a.acquireSlow(ctx)
}

func (a *Agent) acquireSlow(ctx context.Context) (execution, bool) {
	a.waiting.Add(1)
	wctx, cancel := context.WithTimeout(ctx, a.opts.MaxWait)
	stop := context.AfterFunc(a.base, cancel) // Close ends the wait
	err := a.sem.Acquire(wctx, 1)
	stop()
	cancel()
	a.waiting.Add(-1)
	if err != nil {
		switch {
		case a.base.Err() != nil:
			return closedExecution, false
		case ctx.Err() != nil:
			return execution{outcome: OutcomeCanceled,
				err: fmt.Errorf("canceled while waiting for a concurrency slot: %w", context.Cause(ctx))}, false
		}
		return execution{outcome: OutcomeRejected,
			err: fmt.Errorf("%w (all %d slots stayed busy for %s)", ErrRejected, a.opts.MaxConcurrent, a.opts.MaxWait)}, false
	}
	if !a.tookSlot() {
		return closedExecution, false
	}
	return execution{}, true
}

// tookSlot accounts for a slot just taken, unless Close has begun: then it
// gives the slot back, so that no ability starts once Close has begun.
// Close cancels the slot waits from another goroutine while the abilities
// it cancels free their slots, so a waiter may get a slot meanwhile; Close
// sets closed before it cancels anything, so such a waiter sees it.
func (a *Agent) tookSlot() bool {
	if a.closed.Load() {
		a.sem.Release(1)
		return false
	}
	a.inUse.Add(1)
	return true
}

func (a *Agent) releaseSlot() {
	a.inUse.Add(-1)
	a.sem.Release(1)
}

// track registers a watched context so that Close can cancel it; it
// reports whether the agent is already closed (the context must then be
// canceled by the caller). The registry is an intrusive list: no
// allocation.
func (a *Agent) track(w *watcher) (closed bool) {
	a.execMu.Lock()
	w.next = a.execs.next
	w.prev = &a.execs
	a.execs.next.prev = w
	a.execs.next = w
	closed = a.closed.Load()
	a.execMu.Unlock()
	return closed
}

func (a *Agent) untrack(w *watcher) {
	a.execMu.Lock()
	w.prev.next = w.next
	w.next.prev = w.prev
	w.prev, w.next = nil, nil
	a.execMu.Unlock()
}

// Timers are reused: arming a fresh runtime timer per call is a large part
// of what a call costs. A pooled timer is stopped before it goes back, and
// since Go 1.23 a stopped timer's channel delivers no stale tick.

func (a *Agent) getTimer(d time.Duration) *time.Timer {
	t := a.timers.Get().(*time.Timer)
	t.Reset(d)
	return t
}

func (a *Agent) putTimer(t *time.Timer) {
	t.Stop()
	a.timers.Put(t)
}

// deadlineTimer is a reusable timer that expires the execution context it
// is armed for. It targets the context, which is never reused, rather
// than the job, which may be (a flight): a late callback can only reach a
// context that has been released.
type deadlineTimer struct {
	t      *time.Timer
	target atomic.Pointer[abilityCtx]
}

func newDeadlineTimer() any {
	dt := &deadlineTimer{}
	dt.t = time.AfterFunc(time.Hour, func() {
		if c := dt.target.Load(); c != nil {
			c.expire()
		}
	})
	dt.t.Stop()
	return dt
}

func (a *Agent) armDeadline(c *abilityCtx, d time.Duration) *deadlineTimer {
	dt := a.deadlines.Get().(*deadlineTimer)
	dt.target.Store(c)
	dt.t.Reset(d)
	return dt
}

func (a *Agent) disarmDeadline(dt *deadlineTimer) {
	if dt.t.Stop() {
		dt.target.Store(nil)
		a.deadlines.Put(dt)
	}
	// Otherwise it fired (or is firing) for its context; it is not
	// reused, so a late callback can only reach that context, which is
	// released (or, isolated, its job, which is settled and never reused).
}
