package agent

import (
	"context"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// Duplicate suppression is a small in-flight table per cached ability
// (entry.flights, a hash table under a mutex; see flights.go) rather than
// golang.org/x/sync/singleflight or otter's loader, because the pipeline
// needs a combination neither offers: the first caller (the leader) runs
// the ability inline on its own goroutine, while every other identical
// caller (a follower) waits with its own context and can leave when it
// ends. singleflight.Do makes followers wait without a context, DoChan
// runs the function in a new goroutine (the cost inline execution avoids),
// and otter's loader, like Do, gives waiters no way out. The table also
// lets a follower look the key up without copying it into a string, lets
// the leader store the result in the cache before the flight ends (so an
// identical call that arrives just after the execution finds the cached
// value instead of running the ability again), and creates a follower's
// channel only when there is a follower.
//
// The shared execution runs under the caller's values but not its
// cancellation, so that followers still get a result if the leader's
// context ends, and under the ability's timeout. When the leader's context
// ends while no follower has joined, nobody is left to wait for the
// result: the execution is abandoned, its context canceled (so that an
// ability honoring it stops, and an inline leader returns, at the caller's
// deadline) and its key freed for the next identical call. An inline leader
// waits for its own execution, which the timeout bounds if the ability
// honors its context; an isolated execution (Ability.Isolate) runs in a
// goroutine of its own, and the leader waits for it like a follower.
//
// An isolated flight's leader notices its context ending while it waits.
// An inline leader is busy running the ability, and only the ability can
// notice: its context watches the leader's only once the ability waits on
// it (Done or AfterFunc), and looks at it when the ability asks for Err
// (see abilityCtx). An ability that does neither runs to completion, as it
// would anyway, and the leader pays nothing for a watch: registering one
// with context.AfterFunc on every miss cost four allocations, about 0.4 µs.
//
// The leader's breaker permit goes with the execution, which reports the
// outcome; a follower releases its permit as Ignored when it joins.
//
// An inline flight that no follower joined is reused: once it has landed
// nothing can reach it, since it has left the table and a follower is the
// only other holder, unless its context watched the leader's or looked at
// the flight (abilityCtx.unpinned). land keeps one such flight per ability
// (entry.spare), which the next leader takes under the lock it holds
// anyway; the others go to a sync.Pool (Agent.flights). Its context is
// allocated apart and never reused, because the ability may keep it.

// flight is one shared execution of a cached ability.
type flight struct {
	job
	key    string
	hash   uint64 // of key, for entry.flights
	permit breaker.Permit
	// followers counts the callers that joined; abandoned is set when the
	// leader left with none (the flight then left the table), landed when
	// the outcome is in. Under entry.flightMu.
	followers         int
	abandoned, landed bool
	// done is closed when x is set. It is created with the flight when the
	// execution is isolated, else by the first follower; under
	// entry.flightMu until the flight has landed.
	done chan struct{}
	x    execution
}

func (a *Agent) callShared(ctx context.Context, e *entry, key []byte, args map[string]any, permit breaker.Permit, start time.Duration) (Result, error) {
	if ctx.Err() != nil { // do not start or join an execution for a caller that already left
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	h := e.flights.hash(key)
	e.flightMu.Lock()
	f, slot := e.flights.find(h, key)
	if f != nil {
		f.followers++
		if f.done == nil {
			f.done = make(chan struct{})
		}
		done := f.done
		e.flightMu.Unlock()
		e.breaker.Done(permit, breaker.Ignored)
		return a.await(ctx, e, f, done, start, true)
	}
	kind := leadsFlight
	if e.isolate {
		f = &flight{}
		f.done = make(chan struct{})
		kind = valuesOnly // its leader waits in await, and handles its leaving there
	} else if f = e.spare; f != nil {
		e.spare = nil
	} else if f, _ = a.flights.Get().(*flight); f == nil {
		f = &flight{}
	}
	f.key, f.hash, f.permit = string(key), h, permit
	f.a, f.e, f.args, f.fl = a, e, args, f
	f.ctx = &abilityCtx{a: a, j: &f.job, values: ctx, kind: kind}
	e.flights.insert(slot, f)
	e.flightMu.Unlock()

	if e.isolate {
		go a.runShared(f)
		return a.await(ctx, e, f, f.done, start, false)
	}
	return a.lead(ctx, f, start)
}

// leaderLeft abandons flight f, whose execution context is fctx, when its
// leader's context has ended, unless a follower joined or it has landed.
// f is not reused meanwhile: an isolated flight never is, and an inline
// flight whose context looked at it is pinned (see abilityCtx.poll); the
// identity check is a safeguard.
func (a *Agent) leaderLeft(e *entry, f *flight, fctx *abilityCtx) {
	e.flightMu.Lock()
	if f.ctx != fctx || f.followers > 0 || f.landed || f.abandoned {
		e.flightMu.Unlock()
		return
	}
	f.abandoned = true
	e.flights.remove(f)
	e.flightMu.Unlock()
	fctx.cancel(byCaller)
}

// lead runs a flight inline as its leader, whose context is ctx.
func (a *Agent) lead(ctx context.Context, f *flight, start time.Duration) (Result, error) {
	e := f.e
	if !a.begin() {
		a.land(f, closedExecution, 0, true) // the ability never saw its context
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, ErrClosed)
	}
	defer a.end()
	var x execution
	returned := false
	defer func() {
		if !returned { // runtime.Goexit: followers get the failure as the goroutine ends
			a.land(f, x, a.mono(), false)
			_, _ = a.finish(e, start, Result{Outcome: x.outcome}, x.err)
		}
	}()
	// The slot wait is not the leader's alone: it is bounded by MaxWait
	// and Close, not by the leader's context.
	end := a.runInline(context.Background(), &f.job, &x, start)
	returned = true
	if x.outcome == OutcomeCanceled && x.err != ErrClosed {
		x.err = canceledError(ctx) // abandoned: the leader's own reason
	}
	if a.land(f, x, end, f.ctx.unpinned()) {
		*f = flight{}
		a.flights.Put(f)
	}
	return a.finishAt(e, start, end, Result{Value: x.value, Outcome: x.outcome}, x.err)
}

// runShared is the goroutine of an isolated flight.
func (a *Agent) runShared(f *flight) {
	j := &f.job
	if !a.begin() {
		j.settled.Store(true)
		a.land(f, closedExecution, 0, false)
		return
	}
	defer a.end()
	if x, ok := a.acquire(context.Background()); !ok {
		j.settled.Store(true)
		a.land(f, x, 0, false)
		return
	}
	j.start(a.mono())
	j.ctx.watch()
	var (
		x   execution
		end time.Duration
	)
	defer func() { // also on runtime.Goexit
		j.stop()
		if j.settled.CompareAndSwap(false, true) {
			a.land(f, x, end, false)
		}
	}()
	j.call(&x)
	end = a.mono()
	j.judge(&x, end)
}

// land completes a flight with its outcome: a success is cached, the
// breaker is told through the leader's permit, and the waiting callers are
// released. It is called once per flight; at is when the execution ended
// (a reading of a.mono), which a cached result's TTL runs from. A reusable flight that no
// follower joined is no longer referred to: land keeps it as the entry's
// spare if there is none, else it reports that the caller may reuse it
// (free).
func (a *Agent) land(f *flight, x execution, at time.Duration, reusable bool) (free bool) {
	e := f.e
	if x.outcome == OutcomeSuccess {
		e.store(a, f.key, x.value, at)
	}
	e.breaker.Done(f.permit, x.outcome.breakerOutcome())
	e.flightMu.Lock()
	if !f.abandoned {
		e.flights.remove(f)
	}
	f.x, f.landed = x, true
	done := f.done
	if !reusable {
		e.flightMu.Unlock()
		if done != nil {
			close(done)
		}
		return false
	}
	if done == nil && e.spare == nil {
		*f = flight{}
		e.spare = f
		e.flightMu.Unlock()
		return false
	}
	e.flightMu.Unlock()
	if done != nil {
		close(done)
		return false
	}
	return true
}

// await waits for a flight to land, for the caller's context, and, for a
// follower, for a bound: a follower cannot see the execution's deadline
// (an inline leader may still wait for a slot), so it waits at most as
// long as the execution can legitimately take: a slot, injected latency,
// the timeout.
func (a *Agent) await(ctx context.Context, e *entry, f *flight, done <-chan struct{}, start time.Duration, follower bool) (Result, error) {
	var (
		bound time.Duration
		t     *time.Timer
		tc    <-chan time.Time
	)
	if follower {
		bound = addSat(a.opts.MaxWait, e.timeout)
		if fl := e.fault.Load(); fl != nil {
			bound = addSat(bound, fl.Latency)
		}
		t = a.getTimer(bound)
		tc = t.C
	}
	select {
	case <-done:
	case <-ctx.Done():
	case <-tc:
	}
	if t != nil {
		a.putTimer(t)
	}
	if !follower && ctx.Err() != nil {
		// The leader of an isolated flight leaves: the flight is abandoned
		// unless a follower waits for it or it has landed.
		a.leaderLeft(e, f, f.ctx)
	}
	select {
	case <-done: // also when it landed at the same moment: prefer the result
		err := f.x.err
		if f.x.outcome == OutcomeCanceled && !follower && ctx.Err() != nil {
			err = canceledError(ctx) // abandoned by this leader: its own reason
		}
		return a.finish(e, start, Result{Value: f.x.value, Shared: follower, Outcome: f.x.outcome}, err)
	default:
	}
	if ctx.Err() != nil {
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	return a.finish(e, start, Result{Outcome: OutcomeTimeout, Shared: true}, sharedTimeoutError(bound))
}
