package agent

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// abilityCtx is the context an ability runs with: the caller's values, a
// deadline at the ability's timeout, and cancellation when the timeout
// expires, the agent closes, the function returns, the caller's context
// ends (for an uncached execution), or the leader's context ends while no
// follower waits (for a shared one: the execution is abandoned).
//
// It is written by hand rather than made with context.WithTimeout because
// the call path can do the same job for a fraction of the cost:
// WithTimeout allocates a context and arms a fresh runtime timer on every
// call (about 0.6 µs on the 2-core machines we measure on). This context is
// allocated with its execution (apart from a reusable flight's: it is never
// reused, since the ability may keep it) and is watched lazily: the deadline
// timer, the registration with Close and the watch on the caller's (or
// leader's) context are set up only when someone can wait for a cancellation
// (Done or AfterFunc). An ability that never waits, which includes every
// quick one, costs neither a timer nor a lock of the agent; Err notices an
// undelivered cancellation by looking at the clock, the agent and the
// caller's context itself. It implements the AfterFunc method that the
// context package looks for, so contexts derived from it by the ability are
// propagated without a goroutine each.
//
// context.Cause reports Err, except that a caller's cancellation that
// reaches an uncached inline execution reports the caller's cause.
type abilityCtx struct {
	a *Agent
	// j is the job of an isolated execution, whose deadline expire
	// settles, or of an inline flight (kind leadsFlight), whose flight is
	// j.fl; nil for an uncached inline execution.
	j      *job
	values context.Context // the caller's (the leader's, for a flight): see kind
	until  time.Duration   // the deadline, as an offset from the agent's epoch
	w      *watcher        // set by the first Done or AfterFunc (or watch); under mu
	mu     sync.Mutex
	kind   ctxKind
	// state is why the context was canceled (set once, by cancel or
	// release; Err derives from it) | watchedBit (set by the first
	// watchLocked, or when the context looks at its flight). Kept in one
	// atomic word so that release, for a context nobody watched, needs a
	// single compare-and-swap instead of the lock.
	state atomic.Uint32
}

// ctxKind says what an abilityCtx takes from its caller's context
// (values): always its values, and
type ctxKind uint8

const (
	// nothing else (an isolated flight, whose leader handles its own
	// leaving);
	valuesOnly ctxKind = iota
	// its cancellation and its deadline (an uncached inline execution);
	followsCaller
	// its deadline (an uncached isolated execution, whose caller's
	// leaving is handled by its job);
	callerDeadline
	// for an inline flight, the leader's leaving: when the leader's
	// context ends while no follower has joined, the flight is abandoned
	// (see shared.go). The leader runs the execution and cannot leave
	// before it returns, so only an ability that waits on its context
	// (which sets up the watch) or asks for its Err can tell, and only
	// then does the leader's context need watching.
	leadsFlight
)

const (
	watchedBit = 1 << 7
	whyMask    = watchedBit - 1
)

// why returns why the context was canceled (notInterrupted if it was not).
func (c *abilityCtx) why() interruption { return interruption(c.state.Load() & whyMask) }

// whyErr returns the context's error, derived from why.
func (c *abilityCtx) whyErr() error {
	switch c.why() {
	case notInterrupted:
		return nil
	case byTimeout:
		return context.DeadlineExceeded
	default:
		return context.Canceled
	}
}

// watcher is the part of an abilityCtx that only a context someone can
// wait on needs; kept apart so that an execution whose ability never waits
// allocates less.
type watcher struct {
	c       *abilityCtx
	tracked bool           // registered with Close (in Agent.execs)
	done    chan struct{}  // created by the first Done, closed by cancel
	afters  []*afterFunc   // run by cancel
	dt      *deadlineTimer // armed by watch
	stop    func() bool    // stops the propagation of the parent's cancellation

	prev, next *watcher // in Agent.execs while tracked
}

// interruption records why an ability's context was canceled.
type interruption int8

const (
	notInterrupted interruption = iota
	byTimeout
	byCaller
	byClose
	byReturn // the function returned: the context is released
)

type afterFunc struct{ f func() }

// parent returns the caller's context whose deadline applies (nil: none).
func (c *abilityCtx) parent() context.Context {
	if c.kind == followsCaller || c.kind == callerDeadline {
		return c.values
	}
	return nil
}

// Deadline returns the ability's deadline, or the caller's if earlier.
func (c *abilityCtx) Deadline() (time.Time, bool) {
	deadline := c.a.epoch.Add(c.until)
	if p := c.parent(); p != nil {
		if d, ok := p.Deadline(); ok && d.Before(deadline) {
			return d, true
		}
	}
	return deadline, true
}

// Done returns a channel closed when the context is canceled.
func (c *abilityCtx) Done() <-chan struct{} {
	c.mu.Lock()
	afters := c.watchLocked()
	if c.w.done == nil {
		c.w.done = make(chan struct{})
		if c.why() != notInterrupted {
			close(c.w.done)
		}
	}
	done := c.w.done
	c.mu.Unlock()
	runAfters(afters)
	return done
}

// Err returns context.DeadlineExceeded after the timeout,
// context.Canceled after any other cancellation, and nil before.
func (c *abilityCtx) Err() error {
	if err := c.whyErr(); err != nil {
		return err
	}
	return c.poll()
}

// poll cancels the context if a reason to has not been delivered yet (the
// context is watched lazily, and a timer or AfterFunc fires a little late).
func (c *abilityCtx) poll() error {
	a := c.a
	switch {
	case a.closed.Load():
		c.cancel(byClose)
	case a.mono() >= c.until:
		c.cancel(byTimeout)
	case c.kind == followsCaller && c.values.Err() != nil:
		c.cancel(byCaller)
	case c.kind == leadsFlight && c.values.Err() != nil:
		// Pin the flight first: a released context must not look at it
		// (it may be reused), and a pinned flight is not reused.
		if interruption(c.state.Or(watchedBit)&whyMask) == notInterrupted {
			f := c.j.fl
			c.a.leaderLeft(f.e, f, c)
		}
	default:
		return nil
	}
	return c.whyErr()
}

// Value returns the caller's value for key. The caller's cancellation is
// hidden unless the context follows it, so that context.Cause, which
// looks for the nearest cancelable context through Value, reports this
// context's own error. Hiding it costs an allocation per Value, which is
// cheaper than allocating the detached view with every execution when
// most abilities never ask for a value.
func (c *abilityCtx) Value(key any) any {
	if c.kind == followsCaller || c.values.Done() == nil {
		return c.values.Value(key)
	}
	return context.WithoutCancel(c.values).Value(key)
}

// AfterFunc arranges for f to run in its own goroutine once the context is
// canceled, as context.AfterFunc does; the context package uses it to
// propagate cancellation to derived contexts.
func (c *abilityCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.why() != notInterrupted {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	afters := c.watchLocked()
	af := &afterFunc{f: f}
	if c.why() != notInterrupted { // canceled while being watched
		afters = append(afters, af)
	} else {
		c.w.afters = append(c.w.afters, af)
	}
	c.mu.Unlock()
	runAfters(afters)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.w.afters, af)
		if i < 0 {
			return false // already started (or stopped)
		}
		c.w.afters = slices.Delete(c.w.afters, i, i+1)
		return true
	}
}

// watch sets up the asynchronous cancellations at once; an isolated
// execution needs them whether or not the ability waits.
func (c *abilityCtx) watch() {
	c.mu.Lock()
	afters := c.watchLocked()
	c.mu.Unlock()
	runAfters(afters)
}

// watchLocked creates the watcher and, unless the context is already
// canceled, arms the deadline timer, registers the context with Close and,
// if it follows the caller, propagates the caller's cancellation; once. It
// returns the after-functions to start if it canceled the context. c.mu is
// held.
func (c *abilityCtx) watchLocked() []*afterFunc {
	if c.w != nil {
		return nil
	}
	w := &watcher{c: c}
	c.w = w
	if interruption(c.state.Or(watchedBit)&whyMask) != notInterrupted {
		return nil // canceled (released, perhaps) before anyone watched
	}
	a := c.a
	w.tracked = true
	if a.track(w) {
		return c.cancelLocked(byClose)
	}
	d := c.until - a.mono()
	if d <= 0 {
		return c.cancelLocked(byTimeout)
	}
	w.dt = a.armDeadline(c, d)
	if c.values.Done() == nil {
		return nil
	}
	switch c.kind {
	case followsCaller:
		w.stop = context.AfterFunc(c.values, func() { c.cancel(byCaller) })
	case leadsFlight:
		// The flight is pinned: watchedBit is set, and the context was not
		// released.
		f := c.j.fl
		w.stop = context.AfterFunc(c.values, func() { a.leaderLeft(f.e, f, c) })
	}
	return nil
}

// cancel cancels the context for the given reason unless it is already
// canceled.
func (c *abilityCtx) cancel(why interruption) {
	c.mu.Lock()
	afters := c.cancelLocked(why)
	c.mu.Unlock()
	runAfters(afters)
}

// cancelLocked cancels the context and returns the after-functions to
// start once c.mu is released. c.mu is held.
func (c *abilityCtx) cancelLocked(why interruption) []*afterFunc {
	for {
		old := c.state.Load()
		if old&whyMask != uint32(notInterrupted) {
			return nil
		}
		if c.state.CompareAndSwap(old, old|uint32(why)) {
			break
		}
	}
	if c.w == nil {
		return nil
	}
	if c.w.done != nil {
		close(c.w.done)
	}
	afters := c.w.afters
	c.w.afters = nil
	return afters
}

func runAfters(afters []*afterFunc) {
	for _, af := range afters {
		go af.f()
	}
}

// release cancels the context when the function has returned (as the
// cancel function of context.WithTimeout would) and undoes what watch set
// up.
func (c *abilityCtx) release() {
	// Fast path: nobody watched the context (so there is nothing to undo)
	// and it was not canceled. A watchLocked that runs later sees it
	// released.
	if c.state.CompareAndSwap(uint32(notInterrupted), uint32(byReturn)) {
		return
	}
	c.mu.Lock()
	afters := c.cancelLocked(byReturn)
	w := c.w
	c.mu.Unlock()
	if w != nil && w.tracked {
		// Nothing else writes these fields once the context is canceled.
		a := c.a
		if w.dt != nil {
			a.disarmDeadline(w.dt)
			w.dt = nil
		}
		if w.stop != nil {
			w.stop()
			w.stop = nil
		}
		a.untrack(w)
		w.tracked = false
	}
	runAfters(afters)
}

// unpinned reports whether nothing the context started can refer to its
// flight, which may then be reused: it was released without having been
// watched or having looked at the flight, or (no slot) the execution never
// started, so the ability never had it. It is called once the execution
// has ended or been given up.
func (c *abilityCtx) unpinned() bool {
	s := c.state.Load()
	return s == uint32(byReturn) || s == uint32(notInterrupted)
}

// expire is called by the deadline timer. An inline execution's
// function, still running, returns the outcome; an isolated one is settled
// by its job.
func (c *abilityCtx) expire() {
	if c.j != nil && c.kind != leadsFlight {
		c.j.expire()
		return
	}
	c.cancel(byTimeout)
}

// reason returns why the context was canceled.
func (c *abilityCtx) reason() interruption {
	return c.why()
}
