package agent

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// Duplicate suppression uses golang.org/x/sync/singleflight rather than
// otter's loader (Cache.Get). With DoChan every caller waits on its own
// channel and can leave when its own context ends; only the first caller
// starts an execution (in singleflight's goroutine, where the ability runs);
// each caller learns whether it ran the ability or shared another call's
// result; and failures reach the waiting callers without being cached.
// otter's loader, in contrast, runs the load in the first caller's
// goroutine, which could then not return before the ability does.
//
// The shared execution runs under context.WithoutCancel of the first
// caller's context, so it is not canceled when that caller goes away, and
// under its own timeout.

// flight is one caller's stake in a shared execution: its breaker permit
// and the protocol that decides who completes the execution, that is
// reports its outcome to the breaker and stores a successful result in
// the cache. If this caller's DoChan starts the execution, the execution
// takes the permit; when it finishes, the caller completes it in its own
// goroutine (which keeps singleflight's goroutine shallow, see runShared),
// unless the caller has left, in which case the execution completes
// itself. A caller whose DoChan joined another execution, or that left
// before its execution started, releases its permit as Ignored.
//
// Storing the result from the caller means that an identical call arriving
// in the few microseconds between singleflight handing out the result and
// the caller storing it runs the ability again: duplicate suppression
// covers calls that overlap an execution, not calls that merely follow
// one very closely.
type flight struct {
	permit breaker.Permit
	state  atomic.Int32
	// res is the outcome of the execution this caller started, set before
	// state becomes permitFinished.
	res execution
	key string
	// ended is closed when that execution ends without a result through
	// singleflight: it timed out (the ability may still be running) or the
	// ability called runtime.Goexit.
	ended chan struct{}
}

const (
	permitHeld      = iota // by the caller; no execution has taken it
	permitTaken            // by the execution this caller started
	permitReleased         // by the caller, as Ignored
	permitFinished         // the execution finished: the caller completes it
	permitAbandoned        // the caller left: the execution reports
)

func (a *Agent) callShared(ctx context.Context, e *entry, key string, args map[string]any, permit breaker.Permit, start time.Duration) (Result, error) {
	if ctx.Err() != nil { // do not start an execution for a caller that already left
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	f := &flight{permit: permit, key: key, ended: make(chan struct{})}
	ch := e.flights.DoChan(key, func() (any, error) {
		return a.runShared(ctx, e, key, args, f), nil
	})
	// A caller that shares another call's execution cannot see that
	// execution's deadline; it waits at most as long as the execution can
	// legitimately take (a slot, injected latency, the timeout).
	bound := a.opts.MaxWait + e.timeout
	if fl := e.fault.Load(); fl != nil {
		bound += fl.Latency
	}
	t := a.getTimer(bound)
	var (
		x      *execution
		ended  bool
		bounds bool
	)
	select {
	case r := <-ch:
		x = r.Val.(*execution)
	case <-f.ended:
		ended = true
	case <-t.C:
		bounds = true
	case <-ctx.Done():
	}
	a.putTimer(t)
	if x == nil && !ended {
		select {
		case r := <-ch: // finished at the same moment: prefer the result
			x = r.Val.(*execution)
		case <-f.ended:
			ended = true
		default:
		}
	}

	shared := f.state.CompareAndSwap(permitHeld, permitReleased)
	switch {
	case shared:
		e.breaker.Done(permit, breaker.Ignored)
	case x == nil && !ended && f.state.CompareAndSwap(permitTaken, permitAbandoned):
		// Leaving while the execution runs: it completes itself.
	case f.state.Load() == permitFinished:
		f.complete(e)
	}
	switch {
	case x != nil:
		return a.finish(e, start, Result{Value: x.value, Shared: shared, Outcome: x.outcome}, x.err)
	case ended:
		return a.finish(e, start, Result{Outcome: f.res.outcome}, f.res.err)
	case bounds:
		return a.finish(e, start, Result{Outcome: OutcomeTimeout, Shared: shared}, sharedTimeoutError(bound))
	}
	return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
}

// sharedJob is a shared execution.
type sharedJob struct {
	job
	f        *flight
	key      string
	owns     bool // the execution took f.permit
	x        execution
	finished bool
}

// runShared is the body of a shared execution. It runs in singleflight's
// goroutine, and so does the ability. Its frames are kept small: a
// goroutine starts with a small stack, and growing it costs more than
// everything else on this path.
func (a *Agent) runShared(ctx context.Context, e *entry, key string, args map[string]any, f *flight) *execution {
	j := newSharedJob(a, e, key, args, f)
	if !a.begin() {
		j.x = closedExecution
		return &j.x
	}
	defer a.end()
	if !j.start(ctx) {
		return &j.x
	}
	defer j.exit() // also on runtime.Goexit
	j.call(&j.x)
	j.end()
	return &j.x
}

func newSharedJob(a *Agent, e *entry, key string, args map[string]any, f *flight) *sharedJob {
	j := &sharedJob{f: f, key: key}
	j.a, j.e, j.args, j.timeout, j.shared = a, e, args, e.timeout, j
	return j
}

// start takes the permit and a slot and arms the deadline; false means the
// execution ended there (j.x says how).
func (j *sharedJob) start(ctx context.Context) bool {
	a, e := j.a, j.e
	j.owns = j.f.state.CompareAndSwap(permitHeld, permitTaken)
	if x, ok := a.acquire(context.Background()); !ok {
		j.x = x
		j.settled.Store(true)
		j.report()
		return false
	}
	j.ctx.values = context.WithoutCancel(ctx)
	j.ctx.epoch = a.epoch
	j.ctx.until = a.mono() + e.timeout
	a.track(&j.job)
	e.inFlight.Add(1)
	j.dt = a.armDeadline(&j.job, e.timeout)
	return true
}

// end releases what the execution held and settles its outcome; it
// reports whether it settled it (false: the timer did first).
func (j *sharedJob) end() bool {
	a, e := j.a, j.e
	j.finished = true
	a.disarmDeadline(j.dt)
	e.inFlight.Add(-1)
	a.releaseSlot()
	a.untrack(&j.job)
	j.ctx.cancel(byReturn)
	if !j.settled.CompareAndSwap(false, true) {
		j.x = timeoutExecution(j.timeout) // the timer settled it
		return false
	}
	if j.x.late {
		j.x = j.interrupted()
	}
	j.report()
	return true
}

// exit handles runtime.Goexit in the ability: singleflight will deliver
// nothing, so the caller that started the execution is told directly.
func (j *sharedJob) exit() {
	if j.finished {
		return
	}
	if j.end() && j.owns {
		close(j.f.ended) // else the timer closed it, or nobody waits
	}
}

// report hands the outcome over for completion: to the caller that started
// the execution if it still waits, else completes it here.
func (j *sharedJob) report() {
	if !j.owns {
		if j.x.outcome == OutcomeSuccess {
			j.e.cache.Set(j.key, j.x.value)
		}
		return
	}
	j.f.res = j.x
	if !j.f.state.CompareAndSwap(permitTaken, permitFinished) {
		j.f.complete(j.e)
	}
}

// complete reports the outcome of the execution started under f to the
// breaker and caches a successful result.
func (f *flight) complete(e *entry) {
	e.breaker.Done(f.permit, f.res.outcome.breakerOutcome())
	if f.res.outcome == OutcomeSuccess {
		e.cache.Set(f.key, f.res.value)
	}
}

// expired finishes a shared execution whose deadline passed (its context
// is already canceled): the caller that started it learns at once, even if
// the ability ignores its context and runs on.
func (j *sharedJob) expired() {
	if !j.owns {
		return
	}
	// j.x belongs to the goroutine still running the ability.
	j.f.res = timeoutExecution(j.timeout)
	if j.f.state.CompareAndSwap(permitTaken, permitFinished) {
		close(j.f.ended)
	} else {
		j.e.breaker.Done(j.f.permit, breaker.Failure)
	}
}
