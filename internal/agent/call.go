package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sys/cpu"

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
	isolate bool
	breaker *breaker.Breaker
	limit   *limiter // the ability's own concurrency limit; nil: none

	// cache is nil when the ability is not cached. flights holds the
	// running executions of a cached ability by key (see flight.go).
	cache    *otter.Cache[string, stamped]
	cacheTTL time.Duration
	flightMu sync.Mutex
	flights  map[string]*flight // under flightMu

	// metrics and the injected fault outlive a reload that keeps the
	// ability (see Apply): the entries that replace it share them.
	*metrics
}

// metrics are an ability's counters, latency records and injected fault.
type metrics struct {
	fault atomic.Pointer[Fault] // nil: no fault injected

	cacheHits   atomic.Uint64 // also successes: outcomes[OutcomeSuccess] counts the others
	cacheMisses atomic.Uint64
	outcomes    [NumOutcomes]atomic.Uint64
	inFlight    atomic.Int64
	hist        *latency.Histogram
	rate        *latency.Rate
	// lastErr is the latest failure the breaker counted (a failure or a
	// timeout); lastRejection the latest call refused before or by the
	// ability for its arguments, the breaker or the limit. Kept apart so
	// that the short-circuits of an open breaker do not hide what opened it.
	lastErr       atomic.Pointer[lastError]
	lastRejection atomic.Pointer[lastError]

	// cacheEvictions is counted on every eviction, mostly by the cache's
	// maintenance goroutine: kept on a cache line of its own so that its
	// writes do not keep taking the line of the fields the call path
	// writes from the calling goroutines.
	_              cpu.CacheLinePad
	cacheEvictions atomic.Uint64
	_              cpu.CacheLinePad
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

	// 1. Lookup.
	r := a.registry.Load()
	e := r.byName[name]
	if e == nil {
		return Result{Outcome: OutcomeBadArgs}, &CallError{Ability: name, Outcome: OutcomeBadArgs, Err: unknownAbility(r, name)}
	}
	if a.closed.Load() {
		return Result{Outcome: OutcomeCanceled}, &CallError{Ability: name, Outcome: OutcomeCanceled, Err: ErrClosed}
	}

	// 2. Validate the arguments and, for a cached ability, build the cache
	// key, in a buffer on the stack.
	var kb [keyBufferSize]byte
	args, key, err := e.validate(args, kb[:0])
	if err != nil {
		return a.finish(ctx, e, start, Result{Outcome: OutcomeBadArgs}, err)
	}

	// 3. Breaker permit.
	permit, err := e.breaker.Allow()
	if err != nil {
		return a.finish(ctx, e, start, Result{Outcome: OutcomeShortCircuited}, err)
	}

	// 4. Cache.
	if v, ok := e.cached(a, key, start); ok {
		e.breaker.Done(permit, breaker.Ignored)
		return a.finishHit(ctx, e, start, v), nil
	}

	// 5. Duplicate suppression: lead a new execution or follow the running
	// one of the same key (see flight.go).
	if ctx.Err() != nil { // neither start nor join an execution for a caller that already left
		e.breaker.Done(permit, breaker.Ignored)
		return a.finish(ctx, e, start, Result{Outcome: OutcomeCanceled}, canceledError(ctx))
	}
	f, leader := e.join(ctx, key, args, permit)
	if !leader {
		e.breaker.Done(permit, breaker.Ignored)
		x, shared := a.await(ctx, f, true)
		return a.finish(ctx, e, start, Result{Value: x.value, Shared: shared, Outcome: x.outcome}, x.err)
	}

	// 6–8. Concurrency slot, fault injection and the ability, inline or
	// isolated (see run.go). The execution tells the breaker its outcome,
	// caches a success and releases the followers.
	goexit := true
	defer func() {
		if goexit { // runtime.Goexit in an inline ability ends this goroutine: record the call anyway
			_, _ = a.finish(ctx, e, start, Result{Outcome: OutcomeFailure}, errGoexit)
		}
	}()
	x := a.run(ctx, f)
	goexit = false

	// 9. Record the metrics and the event.
	return a.finish(ctx, e, start, Result{Value: x.value, Outcome: x.outcome}, x.err)
}

// validate checks args against the ability's schema and applies its
// defaults. For a cached ability the same pass builds the cache key (the
// canonical JSON of the arguments) in buf, before the breaker is asked:
// arguments without a canonical form (NaN, unsupported Go types inside a
// free-form object) are bad arguments rather than a taken permit.
func (e *entry) validate(args map[string]any, buf []byte) (map[string]any, []byte, error) {
	if e.cache == nil {
		args, err := e.schema.Validate(args)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrBadArgs, err)
		}
		return args, nil, nil
	}
	args, key, err := e.schema.ValidateKey(buf, args)
	if err != nil {
		var fe *schema.FieldError
		if !errors.As(err, &fe) {
			err = fmt.Errorf("no canonical JSON form for the cache key: %w", err)
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrBadArgs, err)
	}
	return args, key, nil
}

// mono reads the monotonic clock as a duration since the agent's epoch;
// cheaper than time.Now, which also reads the wall clock.
func (a *Agent) mono() time.Duration { return time.Since(a.epoch) }

// finish records the metrics and the event of a call and wraps its error;
// ctx is the caller's, for the event's Caller.
func (a *Agent) finish(ctx context.Context, e *entry, start time.Duration, res Result, err error) (Result, error) {
	end := a.mono()
	res.Latency = end - start
	at := a.endTime(end)
	e.outcomes[res.Outcome].Add(1)
	e.rate.AddAt(1, at)
	if res.Outcome != OutcomeBadArgs && res.Outcome != OutcomeShortCircuited {
		e.hist.ObserveAt(res.Latency, at)
	}
	var msg string
	if err != nil {
		msg = err.Error()
		switch res.Outcome {
		case OutcomeFailure, OutcomeTimeout:
			e.lastErr.Store(&lastError{msg: msg, at: at})
		case OutcomeShortCircuited, OutcomeRejected, OutcomeBadArgs:
			e.lastRejection.Store(&lastError{msg: msg, at: at})
		}
		err = &CallError{Ability: e.info.Name, Outcome: res.Outcome, Err: err}
	}
	if a.wantsResult(ctx) {
		a.publish(Event{Kind: EventResult, At: at, Ability: e.info.Name, Outcome: res.Outcome,
			Cached: res.Cached, Shared: res.Shared, Latency: res.Latency, Err: msg, Caller: Caller(ctx)})
	}
	return res, err
}

// finishHit is finish for a cache hit, the most frequent call: the same
// records without the error handling, and a single counter (a hit is
// counted as a success by Snapshot).
func (a *Agent) finishHit(ctx context.Context, e *entry, start time.Duration, v any) Result {
	end := a.mono()
	res := Result{Value: v, Cached: true, Latency: end - start, Outcome: OutcomeSuccess}
	at := a.endTime(end)
	e.cacheHits.Add(1)
	e.rate.AddAt(1, at)
	e.hist.ObserveAt(res.Latency, at)
	if a.wantsResult(ctx) {
		a.publish(Event{Kind: EventResult, At: at, Ability: e.info.Name, Outcome: res.Outcome,
			Cached: true, Latency: res.Latency, Caller: Caller(ctx)})
	}
	return res
}

// endTime returns the metrics time of a call that ended at end.
func (a *Agent) endTime(end time.Duration) time.Time {
	if a.realNow {
		return a.epoch.Add(end) // the end time without another clock read
	}
	return a.now()
}
