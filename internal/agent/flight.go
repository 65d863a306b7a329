package agent

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// Duplicate suppression keeps the running executions of a cached ability
// in a map by cache key (entry.flights, under entry.flightMu). The first
// caller of a key leads a new execution; an identical call that arrives
// while it runs follows it and waits for its outcome with its own context.
// golang.org/x/sync/singleflight does not fit: Do gives the waiting callers
// no way to leave when their context ends, and DoChan runs every execution
// in a new goroutine, which inline execution avoids.
//
// The execution runs under its leader's values but not its cancellation,
// so that followers still get the result if the leader's context ends.
// When that context ends while no follower waits, nobody is left for the
// result: the flight is abandoned (its key freed for the next identical
// call) and its context canceled with the leader's cause, so that an
// ability honoring its context stops. The leader's breaker permit goes
// with the execution, which reports the outcome; a follower releases its
// own permit as Ignored when it joins.

// flight is one execution of an ability: shared by the identical calls
// that join it for a cached ability, the caller's own for an uncached one.
type flight struct {
	e      *entry
	key    string // the cache key; "" for an uncached ability
	args   map[string]any
	permit breaker.Permit // the leader's
	// ctx is what the execution runs under until its deadline: the
	// caller's context for an uncached ability; for a cached one the
	// leader's values, canceled by abandon.
	ctx     context.Context
	abandon context.CancelCauseFunc // nil when the leader's context cannot end
	actx    abilityCtx              // the ability's context (see ctx.go)

	settled atomic.Bool // land has run

	// Under e.flightMu: x is set by land, which then closes done. done is
	// made with the flight when the execution is isolated, else by the
	// first follower: most executions have none, and making it with every
	// flight made a miss on new keys about 15 % slower (median of 4
	// interleaved runs; this machine's noise is of the same order).
	x         execution
	done      chan struct{}
	followers int  // under e.flightMu
	abandoned bool // under e.flightMu: the flight left e.flights before it landed
}

// join returns the running flight of key for the caller to follow, or a
// new flight it leads (always, for an uncached ability).
func (e *entry) join(ctx context.Context, key []byte, args map[string]any, permit breaker.Permit) (f *flight, leader bool) {
	if e.cache == nil {
		return e.newFlight(ctx, "", args, permit), true
	}
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	if f := e.flights[string(key)]; f != nil {
		f.followers++
		if f.done == nil {
			f.done = make(chan struct{})
		}
		return f, false
	}
	f = e.newFlight(ctx, string(key), args, permit)
	e.flights[f.key] = f
	return f, true
}

// newFlight returns a flight of the leader's call.
func (e *entry) newFlight(ctx context.Context, key string, args map[string]any, permit breaker.Permit) *flight {
	f := &flight{e: e, key: key, args: args, permit: permit, ctx: ctx}
	if e.isolate {
		f.done = make(chan struct{})
	}
	if e.cache != nil && ctx.Done() != nil {
		f.ctx, f.abandon = context.WithCancelCause(context.WithoutCancel(ctx))
	}
	return f
}

// leaderLeft abandons f when its leader's context (ctx) has ended, unless
// a follower waits for it or it has landed.
func (f *flight) leaderLeft(ctx context.Context) {
	e := f.e
	e.flightMu.Lock()
	if f.followers > 0 || f.abandoned || f.settled.Load() {
		e.flightMu.Unlock()
		return
	}
	f.abandoned = true
	delete(e.flights, f.key)
	e.flightMu.Unlock()
	f.abandon(context.Cause(ctx))
}

// land settles f with outcome x, once (an isolated execution's deadline
// and its function's return may race): a success is cached, the breaker
// is told through the leader's permit, and the waiting callers are
// released.
func (a *Agent) land(f *flight, x execution) { a.landAfter(f, x, 0) }

// landAfter is land for an execution that ran for took, which the breaker
// judges slow or not.
func (a *Agent) landAfter(f *flight, x execution, took time.Duration) {
	if !f.settled.CompareAndSwap(false, true) {
		return
	}
	e := f.e
	if x.outcome == OutcomeTimeout { // however it landed, it took the whole timeout
		took = max(took, e.timeout)
	}
	e.breaker.DoneAfter(f.permit, x.outcome.breakerOutcome(), took)
	if x.outcome == OutcomeSuccess && e.cache != nil {
		// Stored before the flight leaves e.flights, so that an identical
		// call arriving meanwhile finds either the flight or the result.
		e.store(a, f.key, x.value, x.end)
	}
	e.flightMu.Lock()
	if e.cache != nil && !f.abandoned {
		delete(e.flights, f.key)
	}
	f.x = x
	done := f.done
	e.flightMu.Unlock()
	if done != nil {
		close(done)
	}
}

// await waits for f to land, or for the caller's context to end. A
// follower also waits at most as long as the execution can legitimately
// take (a slot, injected latency, the timeout): it cannot see the
// execution's deadline, since the leader may still wait for a slot. The
// leader of an isolated flight that leaves abandons it if no follower
// waits. shared reports whether the outcome is the flight's.
func (a *Agent) await(ctx context.Context, f *flight, follower bool) (x execution, shared bool) {
	e := f.e
	wait, bound := ctx, time.Duration(0)
	if follower {
		bound = addSat(a.opts.MaxWait, e.timeout)
		if fl := e.fault.Load(); fl != nil {
			bound = addSat(bound, fl.Latency)
		}
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, bound)
		defer cancel()
	}
	select {
	case <-f.done:
		return f.x, follower
	case <-wait.Done():
	}
	if !follower && f.abandon != nil && ctx.Err() != nil {
		f.leaderLeft(ctx)
	}
	select {
	case <-f.done: // landed at the same moment: prefer the outcome
		return f.x, follower
	default:
	}
	if ctx.Err() != nil {
		return execution{outcome: OutcomeCanceled, err: canceledError(ctx)}, false
	}
	return execution{outcome: OutcomeTimeout, err: sharedTimeoutError(bound)}, true
}
