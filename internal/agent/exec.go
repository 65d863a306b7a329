package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// execution is the outcome of running an ability once.
type execution struct {
	value   any
	outcome Outcome
	err     error
	late    bool // the function failed after its context had been canceled
}

var closedExecution = execution{outcome: OutcomeCanceled, err: ErrClosed}

// job is one execution of an ability. Its outcome is settled exactly once,
// by whichever comes first: the function returning, the deadline timer, or
// (for an uncached ability) the caller giving up.
type job struct {
	a       *Agent
	e       *entry
	args    map[string]any
	ctx     abilityCtx
	timeout time.Duration
	dt      *deadlineTimer
	settled atomic.Bool
	done    chan execution // uncached: receives the settled outcome
	shared  *sharedJob     // set for a shared execution

	prev, next *job // in Agent.execs while running
}

func (a *Agent) newJob(values context.Context, e *entry, args map[string]any) *job {
	j := &job{a: a, e: e, args: args, timeout: e.timeout}
	j.ctx.values = context.WithoutCancel(values)
	j.ctx.epoch = a.epoch
	j.ctx.until = a.mono() + e.timeout
	return j
}

// call runs fault injection and the ability's function, turning a panic or
// runtime.Goexit into a failure. Every path out of it, including Goexit,
// leaves the outcome in *x.
func (j *job) call(x *execution) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if p := recover(); p != nil {
			*x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: %v", ErrPanic, p)}
		} else {
			*x = execution{outcome: OutcomeFailure, err: fmt.Errorf("%w: it called runtime.Goexit", ErrPanic)}
		}
	}()
	if f := j.e.fault.Load(); f != nil && j.inject(x, f) {
		returned = true
		return
	}
	x.value, x.err = j.e.fn(&j.ctx, j.args)
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

// interrupted explains an execution whose context was canceled before the
// function failed: by Close, or else by its timeout.
func (j *job) interrupted() execution {
	if j.ctx.reason() == byClose {
		return closedExecution
	}
	return timeoutExecution(j.timeout)
}

// expire is called by the deadline timer.
func (j *job) expire() {
	if !j.settled.CompareAndSwap(false, true) {
		return // the function returned (or the caller left) first
	}
	j.ctx.cancel(byTimeout)
	if j.shared != nil {
		j.shared.expired()
		return
	}
	j.done <- timeoutExecution(j.timeout)
}

// runDirect executes an uncached ability: a concurrency slot, then the
// function in a new goroutine. The caller waits for the settled outcome
// (the function's result, or the timeout) or for its own context. The
// goroutine keeps the slot until the function really returns.
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
	j := a.newJob(ctx, e, args)
	j.ctx.parent = ctx               // its deadline applies too
	j.done = make(chan execution, 1) // one sender: whoever settles
	a.track(j)
	e.inFlight.Add(1)
	j.dt = a.armDeadline(j, e.timeout)
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
	a, e := j.a, j.e
	var x execution
	defer func() {
		a.disarmDeadline(j.dt)
		e.inFlight.Add(-1)
		a.releaseSlot()
		a.untrack(j)
		if j.settled.CompareAndSwap(false, true) {
			if x.late {
				x = j.interrupted()
			}
			j.done <- x
		}
		j.ctx.cancel(byReturn)
		a.end()
	}()
	j.call(&x)
}

func timeoutExecution(d time.Duration) execution {
	return execution{outcome: OutcomeTimeout, err: fmt.Errorf("%w after %s", ErrTimeout, d)}
}

func sharedTimeoutError(bound time.Duration) error {
	return fmt.Errorf("%w: the shared execution did not finish within %s", ErrTimeout, bound)
}

func canceledError(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = context.Canceled
	}
	return fmt.Errorf("canceled: %w", cause)
}

// acquire takes a concurrency slot: at once if one is free, else waiting up
// to MaxWait.
func (a *Agent) acquire(ctx context.Context) (execution, bool) {
	if a.sem.TryAcquire(1) {
		a.inUse.Add(1)
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
	a.inUse.Add(1)
	return execution{}, true
}

func (a *Agent) releaseSlot() {
	a.inUse.Add(-1)
	a.sem.Release(1)
}

// track registers a running execution so that Close can cancel it. The
// registry is an intrusive list: no allocation and a shallow stack, which
// matters in singleflight's goroutine (a deeper one makes the runtime grow
// and copy its stack on every execution).
func (a *Agent) track(j *job) {
	a.execMu.Lock()
	j.next = a.execs.next
	j.prev = &a.execs
	a.execs.next.prev = j
	a.execs.next = j
	closed := a.closed.Load()
	a.execMu.Unlock()
	if closed {
		j.ctx.cancel(byClose)
	}
}

func (a *Agent) untrack(j *job) {
	a.execMu.Lock()
	j.prev.next = j.next
	j.next.prev = j.prev
	j.prev, j.next = nil, nil
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

// deadlineTimer is a reusable timer that expires the execution it is
// armed for.
type deadlineTimer struct {
	t      *time.Timer
	target atomic.Pointer[job]
}

func newDeadlineTimer() any {
	dt := &deadlineTimer{}
	dt.t = time.AfterFunc(time.Hour, func() {
		if j := dt.target.Load(); j != nil {
			j.expire()
		}
	})
	dt.t.Stop()
	return dt
}

func (a *Agent) armDeadline(j *job, d time.Duration) *deadlineTimer {
	dt := a.deadlines.Get().(*deadlineTimer)
	dt.target.Store(j)
	dt.t.Reset(d)
	return dt
}

func (a *Agent) disarmDeadline(dt *deadlineTimer) {
	if dt.t.Stop() {
		dt.target.Store(nil)
		a.deadlines.Put(dt)
	}
	// Otherwise it fired (or is firing) for its job; it is not reused, so
	// a late callback can only reach that job, which is settled.
}
