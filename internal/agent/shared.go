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
// context ends, and under the ability's timeout. An inline leader waits
// for its own execution, which the timeout bounds if the ability honors
// its context; an isolated execution (Ability.Isolate) runs in a goroutine
// of its own, and the leader waits for it like a follower.
//
// The leader's breaker permit goes with the execution, which reports the
// outcome; a follower releases its permit as Ignored when it joins.
//
// An inline flight that no follower joined is reused: once it has landed
// nothing can reach it, since it has left the table and a follower is the
// only other holder. land keeps one such flight per ability
// (entry.spare), which the next leader takes under the lock it holds
// anyway; the others go to a sync.Pool (Agent.flights). Its context is
// allocated apart and never reused, because the ability may keep it.

// flight is one shared execution of a cached ability.
type flight struct {
	job
	key    string
	hash   uint64 // of key, for entry.flights
	permit breaker.Permit
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
		if f.done == nil {
			f.done = make(chan struct{})
		}
		done := f.done
		e.flightMu.Unlock()
		e.breaker.Done(permit, breaker.Ignored)
		return a.await(ctx, e, f, done, start, true)
	}
	if e.isolate {
		f = &flight{}
		f.fl = f
		f.done = make(chan struct{})
	} else if f = e.spare; f != nil {
		e.spare = nil
	} else if f, _ = a.flights.Get().(*flight); f == nil {
		f = &flight{}
	}
	f.key, f.hash, f.permit = string(key), h, permit
	f.a, f.e, f.args = a, e, args
	f.ctx = &abilityCtx{a: a, values: detached(ctx)}
	if e.isolate {
		f.ctx.j = &f.job
	}
	e.flights.insert(slot, f)
	e.flightMu.Unlock()

	if e.isolate {
		go a.runShared(f)
		return a.await(ctx, e, f, f.done, start, false)
	}
	return a.lead(f, start)
}

// lead runs a flight inline as its leader.
func (a *Agent) lead(f *flight, start time.Duration) (Result, error) {
	e := f.e
	if !a.begin() {
		a.land(f, closedExecution)
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, ErrClosed)
	}
	defer a.end()
	var x execution
	returned := false
	defer func() {
		if !returned { // runtime.Goexit: followers get the failure as the goroutine ends
			a.land(f, x)
			_, _ = a.finish(e, start, Result{Outcome: x.outcome}, x.err)
		}
	}()
	// The slot wait is not the leader's alone: it is bounded by MaxWait
	// and Close, not by the leader's context.
	end := a.runInline(context.Background(), &f.job, &x, start)
	returned = true
	if a.land(f, x) {
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
		a.land(f, closedExecution)
		return
	}
	defer a.end()
	if x, ok := a.acquire(context.Background()); !ok {
		j.settled.Store(true)
		a.land(f, x)
		return
	}
	j.start(a.mono())
	j.ctx.watch()
	var x execution
	defer func() { // also on runtime.Goexit
		j.stop()
		if j.settled.CompareAndSwap(false, true) {
			a.land(f, x)
		}
	}()
	j.call(&x)
	j.judge(&x, a.mono())
}

// land completes a flight with its outcome: a success is cached, the
// breaker is told through the leader's permit, and the waiting callers are
// released. It is called once per flight. A flight that no follower joined
// is no longer referred to: land keeps it as the entry's spare if there is
// none, else it reports that the caller may reuse it (free).
func (a *Agent) land(f *flight, x execution) (free bool) {
	e := f.e
	if x.outcome == OutcomeSuccess {
		e.cache.Set(f.key, x.value)
	}
	e.breaker.Done(f.permit, x.outcome.breakerOutcome())
	e.flightMu.Lock()
	e.flights.remove(f)
	f.x = x
	done := f.done
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
		bound = a.opts.MaxWait + e.timeout
		if fl := e.fault.Load(); fl != nil {
			bound += fl.Latency
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
	select {
	case <-done: // also when it landed at the same moment: prefer the result
		return a.finish(e, start, Result{Value: f.x.value, Shared: follower, Outcome: f.x.outcome}, f.x.err)
	default:
	}
	if ctx.Err() != nil {
		return a.finish(e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	return a.finish(e, start, Result{Outcome: OutcomeTimeout, Shared: true}, sharedTimeoutError(bound))
}
