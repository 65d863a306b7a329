package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/schema"
)

// entry is a registered ability with its breaker, cache and metrics.
type entry struct {
	info    Info
	fn      Func
	schema  *schema.Compiled
	timeout time.Duration
	breaker *breaker.Breaker

	// cache is nil when the ability is not cached. flights suppresses
	// duplicate executions of cached abilities (see callShared).
	cache          *otter.Cache[string, any]
	cacheHits      atomic.Uint64
	cacheMisses    atomic.Uint64
	cacheEvictions atomic.Uint64
	flights        singleflight.Group

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
	start := a.mono()
	r := a.registry.Load()
	e := r.byName[name]
	if e == nil {
		return Result{Outcome: OutcomeBadArgs}, &CallError{Ability: name, Outcome: OutcomeBadArgs, Err: unknownAbility(r, name)}
	}
	if a.closed.Load() {
		return Result{Outcome: OutcomeCanceled}, &CallError{Ability: name, Outcome: OutcomeCanceled, Err: ErrClosed}
	}
	if e.cache == nil {
		args, err := e.schema.Validate(args)
		if err != nil {
			return a.finish(e, start, Result{Outcome: OutcomeBadArgs}, fmt.Errorf("%w: %w", ErrBadArgs, err))
		}
		permit, err := e.breaker.Allow()
		if err != nil {
			return a.finish(e, start, Result{Outcome: OutcomeShortCircuited}, err)
		}
		x := a.runDirect(ctx, e, args)
		e.breaker.Done(permit, x.outcome.breakerOutcome())
		return a.finish(e, start, Result{Value: x.value, Outcome: x.outcome}, x.err)
	}

	// For a cached ability, validation also builds the cache key (one pass
	// over the properties), before the breaker is asked: arguments without
	// a canonical form (NaN, unsupported Go types inside a free-form
	// object) are bad arguments rather than a taken permit. The key is
	// built in a buffer on the stack (ValidateKey does not let it escape).
	var kb [keyBufferSize]byte
	args, key, err := e.schema.ValidateKey(kb[:0], args)
	if err != nil {
		var fe *schema.FieldError
		if !errors.As(err, &fe) {
			err = fmt.Errorf("no canonical JSON form for the cache key: %w", err)
		}
		return a.finish(e, start, Result{Outcome: OutcomeBadArgs}, fmt.Errorf("%w: %w", ErrBadArgs, err))
	}
	permit, err := e.breaker.Allow()
	if err != nil {
		return a.finish(e, start, Result{Outcome: OutcomeShortCircuited}, err)
	}
	// The lookup key aliases the buffer instead of copying it into a new
	// string (which would be the hit path's only allocation). This is safe
	// because GetIfPresent only hashes and compares the key and does not
	// retain it, and the buffer is not modified until the lookup has
	// returned. Keys that are stored (Set, the singleflight key) are real
	// copies.
	if v, ok := e.cache.GetIfPresent(unsafe.String(unsafe.SliceData(key), len(key))); ok {
		e.cacheHits.Add(1)
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Value: v, Cached: true, Outcome: OutcomeSuccess}, nil)
	}
	e.cacheMisses.Add(1)
	return a.callShared(ctx, e, string(key), args, permit, start)
}

// mono reads the monotonic clock as a duration since the agent's epoch;
// cheaper than time.Now, which also reads the wall clock.
func (a *Agent) mono() time.Duration { return time.Since(a.epoch) }

// finish records the metrics and the event of a call and wraps its error.
func (a *Agent) finish(e *entry, start time.Duration, res Result, err error) (Result, error) {
	end := a.mono()
	res.Latency = end - start
	var at time.Time
	if a.realNow {
		at = a.epoch.Add(end) // the end time without another clock read
	} else {
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
	caller  context.Context // the caller's context (nil for a shared execution)
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
	if x.err != nil {
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
	j.caller, j.ctx.parent = ctx, ctx
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
